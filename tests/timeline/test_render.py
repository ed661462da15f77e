"""The readable timeline prints codes by name and calls as C would."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.timeline import render_timeline
from emu.timeline.render import format_result
from emu.win32 import Api
from tests.support import run


def test_timeline_lines_read_like_a_debugger_log() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, "ready")
        yield from api.WaitForSingleObject(ev, 2)
        yield from api.CloseHandle(0xBAD0)
        yield from api.SleepEx(1, True)

    text = render_timeline(run(main).k.trace)
    lines = text.splitlines()
    assert any('CreateEventW(NULL, TRUE, FALSE, "ready") -> 0x4' in line for line in lines)
    assert any("waits on ready for 2ms" in line for line in lines)
    assert any("main wakes: STATUS_TIMEOUT" in line for line in lines)
    assert any("WaitForSingleObject(0x4, 2) -> WAIT_TIMEOUT" in line for line in lines)
    assert any(
        "CloseHandle(0xBAD0) -> FALSE  [last error ERROR_INVALID_HANDLE]" in line for line in lines
    )
    assert any(line.startswith("2ms  main") for line in lines)
    assert "actor.state" not in text and "RUNNING" not in text


def test_verbose_and_kind_filters() -> None:
    sim = run(lambda api: api.SleepEx(1, False))
    assert "RUNNING" in render_timeline(sim.k.trace, verbose=True)
    only = render_timeline(sim.k.trace, kinds=["run.end"])
    assert only.splitlines() == ["1ms  kernel  run ends: all threads done"]


def test_results_print_by_their_return_convention() -> None:
    assert format_result("SetEvent", 1) == "TRUE"
    assert format_result("CreateEventW", 0) == "NULL"
    assert format_result("WaitForMultipleObjects", 2) == "WAIT_OBJECT_0+2"
    assert format_result("GetLastError", 6) == "ERROR_INVALID_HANDLE"
    assert format_result("GetCurrentThreadId", 6) == "6"
    assert format_result("Unknown", "x") == "x"


def test_statuses_of_io_and_packets_print_by_name() -> None:
    from emu.codes import INVALID_HANDLE_VALUE

    def main(api: Api) -> Generator[Any, None, None]:
        port = yield from api.CreateIoCompletionPort(INVALID_HANDLE_VALUE, None, 0, 0)
        yield from api.PostQueuedCompletionStatus(port, 0, 3, None)

    text = render_timeline(run(main).k.trace)
    assert "post packet #1 key 3 status STATUS_SUCCESS" in text
