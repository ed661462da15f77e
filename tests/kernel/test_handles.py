"""Handle tables: per-simulation values, LIFO reuse, kinds checked, separate namespaces."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import ERROR_INVALID_HANDLE, INFINITE, WAIT_FAILED
from emu.kernel import Kernel
from emu.kernel.event import create_event
from emu.win32 import Api
from tests.support import run


def test_kernel_handles_are_multiples_of_four_from_four() -> None:
    k = Kernel()
    handles = [k.handles.insert(create_event(k, True, False), 0) for _ in range(3)]
    assert handles == [4, 8, 12]


def test_freed_slots_are_reused_most_recent_first() -> None:
    # As NT's handle-table free list: the most recently freed slot is handed out next.
    k = Kernel()
    h = [k.handles.insert(create_event(k, True, False), 0) for _ in range(4)]
    k.handles.remove(h[1])
    k.handles.remove(h[3])
    again = [k.handles.insert(create_event(k, True, False), 0) for _ in range(3)]
    assert again == [h[3], h[1], 20]


def test_a_namespace_without_reuse_never_gives_a_value_twice() -> None:
    # NETIO notification handles: a stale one must stay stale (a double cancel is reported).
    k = Kernel()
    table = k.namespace("netio", 0x1000, 0x10, reuse=False)
    first = table.insert(create_event(k, True, False), 0)
    assert table.remove(first) is not None
    second = table.insert(create_event(k, True, False), 0)
    assert second == first + 0x10
    assert table.get(first) is None
    assert table.remove(first) is None


def test_a_stale_handle_names_the_new_object() -> None:
    log: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        first = yield from api.CreateEventW(None, True, False, None)
        yield from api.CloseHandle(first)
        second = yield from api.CreateEventW(None, True, True, None)
        log.append(first == second)
        # The stale value now waits on the new, signalled event.
        log.append((yield from api.WaitForSingleObject(first, 0)))

    run(main)
    assert log == [True, 0]


def test_namespaces_are_separate() -> None:
    k = Kernel()
    sc = k.namespace("sc", 0x00CA0000, 0x10)
    ev = create_event(k, True, False)
    sc_handle = sc.insert(ev, 0)
    assert k.handles.get(sc_handle) is None
    assert sc.get(sc_handle) is not None
    assert k.namespace("sc", 0, 1) is sc


def test_close_handle_on_a_handle_of_another_namespace_fails() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        sc = api.k.namespace("sc", 0x00CA0000, 0x10)
        value = sc.insert(create_event(api.k, True, False), 0)
        log.append((yield from api.CloseHandle(value)))
        log.append((yield from api.GetLastError()))

    run(main)
    assert log == [0, ERROR_INVALID_HANDLE]


def test_bad_handle_values_never_raise() -> None:
    k = Kernel()
    for value in (None, -1, 3, 5, 0, 4, 2**70, "4", 4.0, object(), True):
        assert k.handles.get(value) is None
        assert k.handles.remove(value) is None


def test_a_closed_handle_gives_the_documented_code() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, None)
        yield from api.CloseHandle(ev)
        log.append((yield from api.WaitForSingleObject(ev, INFINITE)))
        log.append((yield from api.GetLastError()))

    run(main)
    assert log == [WAIT_FAILED, ERROR_INVALID_HANDLE]


def test_statistics_of_a_handle_table() -> None:
    k = Kernel()
    h = k.handles.insert(create_event(k, True, False), 0)
    k.handles.insert(create_event(k, True, False), 0)
    k.handles.remove(h)
    assert k.handles.statistics() == {"open": 1, "slots": 2, "free": 1}
