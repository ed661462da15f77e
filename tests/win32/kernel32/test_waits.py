"""WaitForSingleObject(Ex), WaitForMultipleObjects(Ex), SleepEx, Sleep, with real codes."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    ERROR_ACCESS_DENIED,
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER,
    ERROR_NOACCESS,
    INFINITE,
    WAIT_FAILED,
    WAIT_IO_COMPLETION,
    WAIT_OBJECT_0,
    WAIT_TIMEOUT,
)
from emu.win32 import Api
from tests.support import calls, run

SENTINEL = 0xDEADBEEF


def test_a_wait_needs_synchronize_access() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from api.CreateEventW(None, True, True, "e")
        handle = yield from api.OpenEventW(0x2, False, "e")  # EVENT_MODIFY_STATE only
        log.append((yield from api.WaitForSingleObject(handle, 0)))
        log.append((yield from api.GetLastError()))

    assert calls(program) == [WAIT_FAILED, ERROR_ACCESS_DENIED]


def test_a_wait_that_succeeds_or_times_out_leaves_the_last_error_alone() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, None)
        yield from api.SetLastError(SENTINEL)
        log.append((yield from api.WaitForSingleObject(ev, 1)))
        yield from api.SetEvent(ev)
        log.append((yield from api.WaitForSingleObjectEx(ev, INFINITE, True)))
        log.append((yield from api.GetLastError()))

    assert calls(program) == [WAIT_TIMEOUT, WAIT_OBJECT_0, SENTINEL]


def test_a_failed_wait_returns_wait_failed_with_the_reason() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        log.append((yield from api.WaitForSingleObject(0xBAD0, INFINITE)))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.WaitForSingleObject(0, INFINITE)))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.WaitForSingleObject(4, "soon")))
        log.append((yield from api.GetLastError()))

    assert calls(program) == [
        WAIT_FAILED,
        ERROR_INVALID_HANDLE,
        WAIT_FAILED,
        ERROR_INVALID_HANDLE,
        WAIT_FAILED,
        ERROR_INVALID_PARAMETER,
    ]


def test_wait_for_multiple_objects_argument_errors() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        a = yield from api.CreateEventW(None, True, True, None)
        cases = [
            (0, [a], False),  # "This parameter cannot be zero."
            (65, [a] * 65, False),  # more than MAXIMUM_WAIT_OBJECTS
            (2, [a, a], True),  # the same object twice in a wait-all
            (1, [-2], False),  # pseudo-handles are not accepted in the array
            (1, [0xBAD0], False),
            (1, None, False),  # the array pointer is NULL
        ]
        for count, handles, wait_all in cases:
            log.append((yield from api.WaitForMultipleObjects(count, handles, wait_all, 0)))
            log.append((yield from api.GetLastError()))

    assert calls(program) == [
        WAIT_FAILED,
        ERROR_INVALID_PARAMETER,
        WAIT_FAILED,
        ERROR_INVALID_PARAMETER,
        WAIT_FAILED,
        ERROR_INVALID_PARAMETER,
        WAIT_FAILED,
        ERROR_INVALID_HANDLE,
        WAIT_FAILED,
        ERROR_INVALID_HANDLE,
        WAIT_FAILED,
        ERROR_NOACCESS,
    ]


def test_wait_any_returns_the_smallest_signalled_index_and_duplicates_are_fine() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        a = yield from api.CreateEventW(None, True, False, None)
        b = yield from api.CreateEventW(None, True, True, None)
        c = yield from api.CreateEventW(None, True, True, None)
        log.append((yield from api.WaitForMultipleObjects(3, [a, c, b], False, 0)))
        log.append((yield from api.WaitForMultipleObjects(2, [b, b], False, 0)))
        log.append((yield from api.WaitForMultipleObjects(2, [a, b], True, 0)))
        yield from api.SetEvent(a)
        log.append((yield from api.WaitForMultipleObjects(2, [a, b], True, 0)))

    assert calls(program) == [WAIT_OBJECT_0 + 1, WAIT_OBJECT_0, WAIT_TIMEOUT, WAIT_OBJECT_0]


def test_wait_for_multiple_objects_ex_is_alertable() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        a = yield from api.CreateEventW(None, True, False, None)
        yield from api.QueueUserAPC(lambda d: log.append("apc"), -2, 0)
        log.append((yield from api.WaitForMultipleObjects(1, [a], False, 1)))
        log.append((yield from api.WaitForMultipleObjectsEx(1, [a], False, INFINITE, True)))

    assert calls(program) == [WAIT_TIMEOUT, "apc", WAIT_IO_COMPLETION]


def test_sleep_ex_returns_zero_on_timeout_and_never_touches_the_last_error() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from api.SetLastError(SENTINEL)
        log.append((yield from api.SleepEx(1, True)))
        log.append((yield from api.SleepEx(0, False)))
        log.append((yield from api.SleepEx("bad", True)))  # a bad argument: still no code
        yield from api.Sleep(1)
        log.append((yield from api.GetLastError()))
        log.append(api.k.now)

    assert calls(program) == [0, 0, 0, SENTINEL, 20_000]


def test_sleep_zero_relinquishes_to_a_ready_thread() -> None:
    log: list[str] = []

    def a(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(0, False)
        log.append("a")

    def b(api: Api) -> Generator[Any, None, None]:
        log.append("b")
        yield from api.SleepEx(5, False)

    run({"a": a, "b": b})
    # "A value of zero causes the thread to relinquish the remainder of its time slice to any
    # other thread that is ready to run."
    assert log == ["b", "a"]


def test_a_wait_with_a_timeout_elapses_in_virtual_time() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, None)
        log.append((yield from api.WaitForSingleObject(ev, 250)))
        log.append(api.k.now)

    assert calls(program) == [WAIT_TIMEOUT, 2_500_000]


def test_F5_17_sleep_ex_with_a_queued_apc() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from api.SetLastError(SENTINEL)
        yield from api.QueueUserAPC(lambda d: log.append("apc"), -2, 0)
        # Non-alertable: returns 0 and the APC stays queued; a zero timeout too.
        log.append((yield from api.SleepEx(1, False)))
        log.append((yield from api.SleepEx(0, False)))
        # Alertable: runs it and returns WAIT_IO_COMPLETION.
        log.append((yield from api.SleepEx(100, True)))
        # "Sleep/SleepEx don't modify LastError, no matter what."
        log.append((yield from api.GetLastError()))

    assert calls(program) == [0, 0, "apc", WAIT_IO_COMPLETION, SENTINEL]


def test_F5_18_an_alertable_sleep_that_times_out_returns_zero() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        log.append((yield from api.SleepEx(100, True)))
        log.append(api.k.now)

    assert calls(program) == [0, 1_000_000]
