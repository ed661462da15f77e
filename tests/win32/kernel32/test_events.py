"""CreateEvent, OpenEvent, SetEvent, ResetEvent, with real codes."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    ERROR_ACCESS_DENIED,
    ERROR_ALREADY_EXISTS,
    ERROR_FILE_NOT_FOUND,
    ERROR_INVALID_HANDLE,
    GENERIC_ALL,
    GENERIC_READ,
    GENERIC_WRITE,
    SYNCHRONIZE,
    WAIT_OBJECT_0,
    WAIT_TIMEOUT,
)
from emu.kernel.thread import Thread
from emu.win32 import Api
from tests.support import calls

SENTINEL = 0xDEADBEEF


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


def test_set_event_on_the_wrong_kind_of_handle_fails_with_invalid_handle() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        thread = yield from api.CreateThread(None, 0, lambda p: 0, 0, 0, None)
        for call in (api.SetEvent, api.ResetEvent):
            log.append((yield from call(thread)))
            log.append((yield from api.GetLastError()))
        log.append((yield from api.SetEvent(-2)))  # a pseudo-handle is a thread too
        log.append((yield from api.GetLastError()))

    assert calls(program) == [0, ERROR_INVALID_HANDLE] * 3


def test_generic_rights_are_mapped_for_events() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from api.CreateEventW(None, True, False, "g")
        for access in (GENERIC_ALL, GENERIC_WRITE, GENERIC_READ):
            handle = yield from api.OpenEventW(access, False, "g")
            log.append((yield from api.SetEvent(handle)))

    # GENERIC_ALL is EVENT_ALL_ACCESS, GENERIC_WRITE includes EVENT_MODIFY_STATE.
    assert calls(program) == [1, 1, 0]


def test_the_low_two_bits_of_a_handle_are_ignored() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, None)
        log.append((yield from api.SetEvent(ev | 1)))
        log.append((yield from api.WaitForSingleObject(ev | 3, 0)))
        log.append((yield from api.CloseHandle(ev | 2)))
        log.append((yield from api.SetEvent(ev)))

    assert calls(program) == [1, WAIT_OBJECT_0, 1, 0]
