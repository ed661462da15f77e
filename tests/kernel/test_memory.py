"""Client-visible structures: traced reads and writes, lifetimes, interlocked operations."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes.services import ServiceState
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
    kinds = [(e[2], e[4]) for e in k.trace.events if e[3] == (oid,)]
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
    stale = [e[4] for e in k.trace.events if e[2] == "mem.stale"]
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


def test_system_accesses_after_the_lifetime_ended_are_recorded_by_the_acting_thread() -> None:
    # sys_get and sys_set record their access as the program's accessors do, stale ones too.
    k = Kernel()
    note = NOTE()
    oid = note.bind(k)
    note.end_lifetime("callback returned")
    note.sys_set("dwVersion", 5)
    assert note.sys_get("dwVersion") == 5
    events = [(e[1], e[2], e[4]) for e in k.trace.events if e[3] == (oid,)][-4:]
    assert events == [
        (0, "mem.write", ("dwVersion", 5, "system")),
        (0, "mem.stale", ("dwVersion", "written", "callback returned")),
        (0, "mem.read", ("dwVersion", 5, "system")),
        (0, "mem.stale", ("dwVersion", "read", "callback returned")),
    ]


def test_a_field_value_that_is_not_plain_is_traced_as_its_payload_value() -> None:
    # The trace holds plain values only: an IntEnum as its int, a callable by its name, a
    # structure by its trace name; the field keeps the object itself.
    def on_change(buffer: object) -> None:
        return None

    k = Kernel()
    note = NOTE()
    other = NOTE()
    oid = note.bind(k)
    other_oid = other.bind(k, "other")
    note.dwVersion = ServiceState.SERVICE_RUNNING
    note.pContext = on_change
    note.sys_set("pContext", other)
    assert note.sys_get("pContext") is other
    assert note.pContext is other
    payloads = [e[4] for e in k.trace.events if e[3] == (oid,)][2:]
    assert payloads == [
        ("dwVersion", 4, "program"),
        ("pContext", "on_change", "program"),
        ("pContext", "other", "system"),
        ("pContext", "other", "system"),
        ("pContext", "other", "program"),
    ]
    assert [type(p[1]) for p in payloads] == [int, str, str, str, str]
    assert other_oid != oid


def test_binding_again_to_the_same_simulation_records_nothing_more() -> None:
    k = Kernel()
    note = NOTE()
    oid = note.bind(k, "note")
    before = len(k.trace.events)
    assert note.bind(k) == oid and note.bind(k, "another name") == oid
    assert len(k.trace.events) == before
    assert note.trace_name == "note"
