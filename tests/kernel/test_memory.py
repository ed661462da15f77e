"""Client-visible structures: traced reads and writes, lifetimes, interlocked operations."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.errors import ProgramError
from emu.kernel import Kernel
from emu.kernel.memory import Struct
from emu.win32 import LONG, Api
from tests.support import run


class NOTE(Struct):
    __slots__ = ()

    dwVersion: int
    pContext: Any


def test_fields_come_from_the_annotations_and_default_to_zero() -> None:
    note = NOTE(dwVersion=2)
    assert NOTE._fields_ == ("dwVersion", "pContext")
    assert note.dwVersion == 2 and note.pContext == 0
    with pytest.raises(TypeError, match="has no field 'dwBogus'"):
        NOTE(dwBogus=1)
    with pytest.raises(AttributeError, match="NOTE has no field 'dwBogus'"):
        note.dwBogus = 1  # type: ignore[attr-defined]
    # Reading a field the structure does not have is an AttributeError too (not a KeyError),
    # so getattr with a default and hasattr behave as on any Python object.
    with pytest.raises(AttributeError, match="NOTE has no field 'dwBogus'"):
        _ = note.dwBogus
    assert not hasattr(note, "dwBogus")
    assert getattr(note, "dwBogus", "none") == "none"


def test_accesses_before_binding_are_not_traced_and_after_are_with_the_initial_values() -> None:
    k = Kernel()
    note = NOTE()
    note.dwVersion = 2  # the program initialising its own memory
    oid = note.bind(k)
    note.dwVersion = 3
    _ = note.pContext
    note.sys_set("pContext", 7)
    kinds = [(e[3], e[5]) for e in k.trace.events if e[4] == (oid,)]
    assert kinds == [
        ("obj.create", ("NOTE", f"NOTE#{oid}")),
        ("mem.init", ((("dwVersion", 2), ("pContext", 0)),)),
        ("mem.write", ("dwVersion", 3, "program")),
        ("mem.read", ("pContext", 0, "program")),
        ("mem.write", ("pContext", 7, "system")),
    ]


def test_an_access_after_the_lifetime_ended_is_recorded() -> None:
    k = Kernel()
    note = NOTE()
    note.bind(k)
    note.end_lifetime("callback returned")
    note.dwVersion = 5
    _ = note.dwVersion
    stale = [e[5] for e in k.trace.events if e[3] == "mem.stale"]
    assert stale == [
        ("dwVersion", "written", "callback returned"),
        ("dwVersion", "read", "callback returned"),
    ]
    assert not note.alive


def test_a_struct_belongs_to_one_simulation() -> None:
    note = NOTE()
    note.bind(Kernel())
    with pytest.raises(ProgramError, match="first used by another simulation"):
        note.bind(Kernel())


def test_interlocked_operations_are_atomic_rmw_events_and_wrap_like_a_long() -> None:
    log: list[int] = []
    counter = LONG(value=0x7FFFFFFF)

    def main(api: Api) -> Generator[Any, None, None]:
        log.append((yield from api.InterlockedIncrement(counter)))
        log.append((yield from api.InterlockedExchange(counter, 5)))
        log.append((yield from api.InterlockedCompareExchange(counter, 9, 5)))
        log.append((yield from api.InterlockedCompareExchange(counter, 1, 5)))
        log.append((yield from api.InterlockedExchangeAdd(counter, 10)))
        log.append((yield from api.InterlockedDecrement(counter)))

    sim = run(main)
    assert log == [-0x80000000, -0x80000000, 5, 9, 9, 18]
    assert len(sim.events("mem.rmw")) == 6


def test_free_ends_a_lifetime_and_later_use_is_recorded() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        counter = LONG()
        yield from api.InterlockedIncrement(counter)
        yield from api.free(counter)
        yield from api.InterlockedIncrement(counter)

    sim = run(main)
    assert [e.payload["access"] for e in sim.events("mem.stale")] == ["add"]


def test_interlocked_functions_treat_operands_as_32_bit_longs() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        minus_one = LONG(value=-1)
        # In C the comparand 0xFFFFFFFF is the LONG -1: the exchange happens.
        log.append((yield from api.InterlockedCompareExchange(minus_one, 5, 0xFFFFFFFF)))
        log.append(minus_one.value)
        big = LONG(value=0xFFFFFFFF)  # the bits of -1
        log.append((yield from api.InterlockedExchangeAdd(big, 1)))
        log.append(big.value)

    run(main)
    assert log == [-1, 5, -1, 0]


def test_interlocked_on_a_long_holding_a_non_integer_is_a_bad_argument() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        for value in (None, "x", "7"):
            log.append((yield from api.InterlockedIncrement(LONG(value=value))))

    sim = run(main)
    assert log == [0, 0, 0]
    assert sim.violations() == ["win32.bad_argument"] * 3
