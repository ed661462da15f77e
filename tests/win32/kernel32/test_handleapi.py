"""CloseHandle, GetLastError, SetLastError."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import ERROR_ALREADY_EXISTS, ERROR_INVALID_HANDLE, Win32Error
from emu.kernel.handles import NT_CURRENT_PROCESS, NT_CURRENT_THREAD
from emu.win32 import Api
from tests.support import run


def test_close_handle_succeeds_once_then_fails_with_error_invalid_handle() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, None)
        log.append((yield from api.CloseHandle(ev)))
        # "If the function fails, the return value is zero."
        log.append((yield from api.CloseHandle(ev)))
        log.append((yield from api.GetLastError()))

    run(main)
    assert log == [1, 0, ERROR_INVALID_HANDLE]


def test_close_handle_of_null_or_garbage_fails() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        for value in (0, None, 0xDEADBEEF, "4", 3):
            yield from api.SetLastError(0)
            log.append((yield from api.CloseHandle(value)))
            log.append((yield from api.GetLastError()))

    run(main)
    assert log == [0, ERROR_INVALID_HANDLE] * 5


def test_closing_a_pseudo_handle_succeeds_and_does_nothing() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        log.append((yield from api.CloseHandle(NT_CURRENT_THREAD)))
        log.append((yield from api.CloseHandle(-1)))
        log.append((yield from api.CloseHandle(NT_CURRENT_PROCESS)))

    run(main)
    assert log == [1, 1, 1]


def test_last_error_is_per_thread() -> None:
    seen: dict[str, int] = {}

    def a(api: Api) -> Generator[Any, None, None]:
        yield from api.SetLastError(5)
        yield from api.SleepEx(2, False)
        seen["a"] = yield from api.GetLastError()

    def b(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        yield from api.SetLastError(7)
        seen["b"] = yield from api.GetLastError()

    run({"a": a, "b": b})
    # "Multiple threads do not overwrite each other's last-error code."
    assert seen == {"a": 5, "b": 7}


def test_a_successful_call_does_not_clear_the_last_error() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, None)
        yield from api.SetLastError(ERROR_ALREADY_EXISTS)
        yield from api.SetEvent(ev)
        yield from api.WaitForSingleObject(ev, 0)
        yield from api.CloseHandle(ev)
        log.append((yield from api.GetLastError()))

    run(main)
    assert log == [ERROR_ALREADY_EXISTS]


def test_get_last_error_returns_the_code_by_name() -> None:
    log: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.CloseHandle(12345)
        log.append((yield from api.GetLastError()))
        yield from api.SetLastError(0x20000001)
        log.append((yield from api.GetLastError()))

    run(main)
    assert log[0] is Win32Error.ERROR_INVALID_HANDLE  # type: ignore[attr-defined]
    assert log[1] == 0x20000001
