"""The readable timeline prints codes by name and calls as C would."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import INVALID_HANDLE_VALUE
from emu.kernel.trace import TraceEvent
from emu.timeline import describe, render_timeline
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
    def main(api: Api) -> Generator[Any, None, None]:
        port = yield from api.CreateIoCompletionPort(INVALID_HANDLE_VALUE, None, 0, 0)
        yield from api.PostQueuedCompletionStatus(port, 0, 3, None)

    text = render_timeline(run(main).k.trace)
    assert "post packet #1 key 3 status STATUS_SUCCESS" in text


def _event(kind: str, objects: tuple[str, ...], **payload: Any) -> TraceEvent:
    return TraceEvent(1, 0, "main", kind, objects, payload, -1, (7,) * len(objects), 1)


def test_bookkeeping_prints_as_words_not_python_reprs() -> None:
    # A structure's initial fields as field = value pairs; a null pointer as NULL.
    assert describe(_event("mem.init", ("ran",), values=(("value", 0),))) == "ran holds value = 0"
    assert (
        describe(_event("mem.init", ("note",), values=(("dwVersion", 2), ("pContext", None))))
        == "note holds dwVersion = 2, pContext = NULL"
    )
    assert (
        describe(_event("mem.write", ("note",), field="pszServiceNames", value=None, by="system"))
        == "system writes note.pszServiceNames = NULL"
    )
    # A choice's option by its words, with its index and the number of options.
    choice = _event("choice", (), point="sched", label="Sleep", index=0, key=("thread", "main"))
    choice.payload["options"] = 2
    assert describe(choice) == "choice sched Sleep: thread main (#0 of 2)"
    # A completion routine's arguments as C passes them.
    apc = _event("apc.queue", ("client",), apc=1, routine="on_read", data=(0, 5, "ov"), pending=1)
    assert describe(apc) == "queue APC #1 on_read(0, 5, ov) to client, 1 pending"
    # A tuple anywhere else as a C initializer.
    import emu.devices.scm_notify  # noqa: F401 - declares scm.fire

    fired = _event(
        "scm.fire", (), request=1, status=0, code="ERROR_SUCCESS", triggered=0, bits="X",
        state="SERVICE_RUNNING", names=("/A",), immediate=False,
    )  # fmt: skip
    assert describe(fired).endswith("names /A")


def test_cpu_time_prints_as_a_duration_with_plurals() -> None:
    assert describe(_event("cpu.work", ("main",), ticks=10_000, busy=1)) == (
        "main works for 1ms (1 processor busy)"
    )
    assert describe(_event("cpu.work", ("main",), ticks=5, busy=2)) == (
        "main works for 0.0005ms (2 processors busy)"
    )
    assert describe(_event("cpu.done", ("main",), busy=0)) == (
        "main finished its work (0 processors busy)"
    )


def test_a_verbose_timeline_of_a_real_run_has_no_python_repr() -> None:
    from emu.scenario.structs import STRUCT_TYPES

    def main(api: Api) -> Generator[Any, None, None]:
        ov = STRUCT_TYPES["OVERLAPPED"]()
        port = yield from api.CreateIoCompletionPort(INVALID_HANDLE_VALUE, None, 0, 0)
        yield from api.PostQueuedCompletionStatus(port, 0, 3, ov)
        yield from api.work(10_000)
        yield from api.CloseHandle(port)

    def other(api: Api) -> Generator[Any, None, None]:
        yield from api.Sleep(0)

    text = render_timeline(run({"main": main, "other": other}).k.trace, verbose=True)
    assert "choice sched " in text and " works for 1ms (1 processor busy)" in text
    for mark in ("{'", "('", "None", "True", "False"):
        assert mark not in text, mark


def test_a_fired_scm_request_prints_the_state_or_the_names_it_carries() -> None:
    from emu.kernel.trace import TraceEvent
    from emu.timeline.render import describe

    def fire(state: str, names: list[str]) -> str:
        payload = {
            "request": 1,
            "status": 0,
            "code": "ERROR_SUCCESS",
            "triggered": 0x80,
            "bits": "SERVICE_NOTIFY_CREATED",
            "state": state,
            "names": names,
            "immediate": False,
        }
        return describe(TraceEvent(5, 0, "world", "scm.fire", (), payload, -1, (), 0))

    assert fire("", ["/Svc1", "/Svc2"]) == (
        "request #1 fires: ERROR_SUCCESS, triggered SERVICE_NOTIFY_CREATED, names /Svc1, /Svc2"
    )
    assert fire("SERVICE_STOPPED", []).endswith(
        "triggered SERVICE_NOTIFY_CREATED, state SERVICE_STOPPED"
    )


def test_a_long_timeline_keeps_its_start_and_end_and_says_what_it_left_out() -> None:
    from emu.kernel import Kernel
    from emu.timeline.render import render_timeline
    from emu.win32 import Process

    def program(api):  # type: ignore[no-untyped-def]
        for _ in range(300):
            yield from api.Sleep(1)

    k = Kernel()
    Process(k).start("main", program)
    k.run()
    full = render_timeline(k.trace).splitlines()
    short = render_timeline(k.trace, limit=100).splitlines()
    assert len(full) > 600 and len(short) == 101
    assert short[:10] == full[:10] and short[11:] == full[-90:]
    assert short[10].strip() == (
        f"... {len(full) - 100:,} more lines not shown (emu trace FILE prints them all)"
    )
    assert render_timeline(k.trace, limit=len(full)) == "\n".join(full)
