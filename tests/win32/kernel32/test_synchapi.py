"""CreateEvent, OpenEvent, SetEvent, ResetEvent, the waits and the sleeps, with real codes."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    ERROR_ACCESS_DENIED,
    ERROR_ALREADY_EXISTS,
    ERROR_FILE_NOT_FOUND,
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER,
    ERROR_NOACCESS,
    INFINITE,
    SYNCHRONIZE,
    WAIT_FAILED,
    WAIT_IO_COMPLETION,
    WAIT_OBJECT_0,
    WAIT_TIMEOUT,
)
from emu.kernel.thread import Thread
from emu.win32 import Api

from tests.support import run

SENTINEL = 0xDEADBEEF


def calls(program: Any) -> list[Any]:
    log: list[Any] = []
    run(lambda api: program(api, log))
    return log


def test_create_event_sets_last_error_to_zero_or_already_exists() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from api.SetLastError(SENTINEL)
        first = yield from api.CreateEventW(None, True, False, "name")
        log.append((yield from api.GetLastError()))
        second = yield from api.CreateEventW(None, True, False, "name")
        # "the function returns a handle to the existing object and GetLastError returns
        # ERROR_ALREADY_EXISTS"
        log.append((yield from api.GetLastError()))
        log.append(second not in (first, 0))
        yield from api.SetEvent(second)
        log.append((yield from api.WaitForSingleObject(first, 0)))

    assert calls(program) == [0, ERROR_ALREADY_EXISTS, True, WAIT_OBJECT_0]


def test_create_event_named_like_another_kind_of_object_fails_with_invalid_handle() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        thread = api.k.current
        assert isinstance(thread, Thread)
        api.k.add_name("taken", thread)
        log.append((yield from api.CreateEventW(None, True, False, "taken")))
        log.append((yield from api.GetLastError()))

    assert calls(program) == [0, ERROR_INVALID_HANDLE]


def test_open_event_gives_the_access_asked_for() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from api.CreateEventW(None, True, False, "shared")
        weak = yield from api.OpenEventW(SYNCHRONIZE, False, "shared")
        # SetEvent: "The handle must have the EVENT_MODIFY_STATE access right."
        log.append((yield from api.SetEvent(weak)))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.WaitForSingleObject(weak, 0)))
        log.append((yield from api.OpenEventW(SYNCHRONIZE, False, "missing")))
        log.append((yield from api.GetLastError()))

    assert calls(program) == [0, ERROR_ACCESS_DENIED, WAIT_TIMEOUT, 0, ERROR_FILE_NOT_FOUND]


def test_a_wait_needs_synchronize_access() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from api.CreateEventW(None, True, True, "e")
        handle = yield from api.OpenEventW(0x2, False, "e")  # EVENT_MODIFY_STATE only
        log.append((yield from api.WaitForSingleObject(handle, 0)))
        log.append((yield from api.GetLastError()))

    assert calls(program) == [WAIT_FAILED, ERROR_ACCESS_DENIED]


def test_set_event_on_the_wrong_kind_of_handle_fails_with_invalid_handle() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        thread = yield from api.CreateThread(None, 0, lambda p: 0, 0, 0, None)
        for call in (api.SetEvent, api.ResetEvent):
            log.append((yield from call(thread)))
            log.append((yield from api.GetLastError()))
        log.append((yield from api.SetEvent(-2)))  # a pseudo-handle is a thread too
        log.append((yield from api.GetLastError()))

    assert calls(program) == [0, ERROR_INVALID_HANDLE] * 3


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
