"""The dispatcher: virtual time, enabled actors, choices, and how runs end."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest
from simpy.core import Environment

from emu.codes import (
    INFINITE,
    INVALID_HANDLE_VALUE,
    THREAD_SET_CONTEXT,
    WAIT_OBJECT_0,
    WAIT_TIMEOUT,
)
from emu.errors import ProgramError
from emu.kernel import Kernel
from emu.kernel.actor import ActorState
from emu.kernel.chooser import ChoicePoint, Chooser, RandomChooser, ReplayChooser
from emu.kernel.dispatcher import ENDED_DONE, ENDED_QUIESCENT, ENDED_TIME
from emu.kernel.limits import ENDED_STEPS
from emu.kernel.time import TICKS_PER_MS
from emu.win32 import DWORD, PVOID, ULONG_PTR, Api, Process
from tests.support import run


class Recording(Chooser):
    """Canonical answers, but keeps every point it was asked about."""

    strategy = "recording"

    def __init__(self) -> None:
        super().__init__()
        self.points: list[ChoicePoint] = []

    def choose(self, point: ChoicePoint) -> int:
        self.points.append(point)
        return super().choose(point)

    def pick(self, point: ChoicePoint) -> int:
        return 0


def test_virtual_time_is_integer_ticks_of_100ns() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(3, False)

    sim = run(main)
    # 3 ms = 30,000 ticks of 100 ns, exactly.
    assert sim.k.now == 3 * TICKS_PER_MS == 30_000
    assert isinstance(sim.k.now, int)


def test_single_thread_makes_no_choice() -> None:
    # A choice only when two or more are enabled at the same instant.
    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, None)
        yield from api.SetEvent(ev)
        yield from api.WaitForSingleObject(ev, INFINITE)
        yield from api.SleepEx(1, False)

    chooser = Recording()
    sim = run(main, chooser=chooser)
    assert chooser.points == []
    assert sim.k.chooser.schedule == []


def test_two_enabled_threads_make_a_recorded_choice() -> None:
    def a(api: Api) -> Generator[Any, None, None]:
        yield from api.CreateEventW(None, True, False, None)

    def b(api: Api) -> Generator[Any, None, None]:
        yield from api.CreateEventW(None, True, False, None)

    chooser = Recording()
    run({"a": a, "b": b}, chooser=chooser)
    assert chooser.points, "two threads enabled at t=0 must produce a choice"
    first = chooser.points[0]
    assert first.kind == "sched"
    assert first.options == (("thread", "a"), ("thread", "b"))
    # Only points with two or more options are recorded.
    assert len(chooser.schedule) == sum(1 for p in chooser.points if len(p.options) > 1)


def test_preemption_point_option_zero_is_the_current_thread_going_on() -> None:
    order: list[str] = []

    def a(api: Api) -> Generator[Any, None, None]:
        yield from api.CreateEventW(None, True, False, None)
        order.append("a1")
        yield from api.CreateEventW(None, True, False, None)
        order.append("a2")

    def b(api: Api) -> Generator[Any, None, None]:
        yield from api.CreateEventW(None, True, False, None)
        order.append("b1")

    chooser = Recording()
    run({"a": a, "b": b}, chooser=chooser)
    # Index 0 is the least surprising option: the current thread continues (no preemption).
    preempt = next(p for p in chooser.points if p.label == "CreateEventW")
    assert preempt.options[0] == ("thread", "a")
    assert order == ["a1", "a2", "b1"]


def test_dispatch_option_zero_is_the_thread_ready_longest() -> None:
    order: list[str] = []

    def make(name: str) -> Any:
        def program(api: Api) -> Generator[Any, None, None]:
            order.append(name)
            yield from api.SleepEx(0, False)

        return program

    run({"first": make("first"), "second": make("second"), "third": make("third")})
    # Else the one ready longest: creation order under the canonical chooser.
    assert order == ["first", "second", "third"]


def test_sched_points_carry_footprints_of_each_option() -> None:
    def a(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, None)
        yield from api.SetEvent(ev)

    def b(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(5, False)

    chooser = Recording()
    sim = run({"a": a, "b": b}, chooser=chooser)
    point = next(p for p in chooser.points if p.label == "SetEvent")
    assert point.footprints is not None
    event = next(e for e in sim.events("obj.create") if e.payload["type"] == "Event")
    # SetEvent's step writes the event; b (not started yet) has an empty footprint.
    assert point.footprints[0] == ((event.object_ids[0], "w"),)
    assert point.footprints[1] == ()


def busy_programs(log: list[Any]) -> dict[str, Any]:
    """Threads that use events, a completion port, APCs, timeouts and processor time, and log
    what each call returned and what each out-parameter received."""
    box: dict[str, Any] = {}

    def consumer(api: Api) -> Generator[Any, None, None]:
        n, key, ov = DWORD(), ULONG_PTR(), PVOID()
        yield from api.SleepEx(1, False)  # main creates the port first
        for _ in range(3):
            ok = yield from api.GetQueuedCompletionStatus(box["port"], n, key, ov, 5)
            log.append(("dequeue", ok, n.value, key.value))
            yield from api.work(TICKS_PER_MS)
        log.append(("sleep", (yield from api.SleepEx(10, True))))

    def main(api: Api) -> Generator[Any, None, None]:
        box["port"] = yield from api.CreateIoCompletionPort(INVALID_HANDLE_VALUE, 0, 0, 0)
        box["ev"] = yield from api.CreateEventW(None, False, False, None)
        me = yield from api.OpenThread(THREAD_SET_CONTEXT, False, box["consumer"].tid)
        for i in range(4):
            log.append(("post", (yield from api.PostQueuedCompletionStatus(box["port"], i, i, 0))))
            log.append(("wait", (yield from api.WaitForSingleObject(box["ev"], 2))))
            yield from api.SetEvent(box["ev"])
        log.append(("apc", (yield from api.QueueUserAPC(lambda data: None, me, 7))))

    def other(api: Api) -> Generator[Any, None, None]:
        for _ in range(3):
            yield from api.SleepEx(0, False)
            yield from api.work(TICKS_PER_MS)

    return {"consumer": consumer, "main": main, "other": other, "_box": box}


@pytest.mark.parametrize("seed", range(4))
def test_a_run_with_the_trace_off_makes_the_same_choices_and_returns_the_same(
    seed: int,
) -> None:
    # With the trace off nothing is recorded, and nothing else changes: the same schedule,
    # the same results, the same virtual time.
    outcomes = []
    for trace in (True, False):
        log: list[Any] = []
        programs = busy_programs(log)
        box = programs.pop("_box")
        chooser = RandomChooser(seed)
        k = Kernel(processors=2, chooser=chooser, trace=trace)
        process = Process(k)
        threads = {name: process.start(name, program) for name, program in programs.items()}
        box["consumer"] = threads["consumer"]
        reason = k.run()
        outcomes.append((reason, k.now, k.calls, chooser.schedule, log))
        assert len(k.trace) == (0 if not trace else len(k.trace.events))
    assert outcomes[0] == outcomes[1]
    assert len(outcomes[0][3]) > 5 and len(outcomes[0][4]) > 10


@pytest.fixture
def simpy_events(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every event scheduled on any simpy Environment during the test."""
    scheduled: list[object] = []
    original = Environment.schedule

    def counting(self: Environment, event: Any, priority: Any = 1, delay: Any = 0) -> None:
        scheduled.append(event)
        original(self, event, priority, delay)

    monkeypatch.setattr(Environment, "schedule", counting)
    return scheduled


def test_non_blocking_calls_create_no_simpy_event(simpy_events: list[object]) -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, False, False, None)
        for _ in range(10):
            yield from api.SetEvent(ev)
            yield from api.ResetEvent(ev)
            yield from api.WaitForSingleObject(ev, 0)
            yield from api.GetLastError()
        yield from api.CloseHandle(ev)

    run(main)
    assert simpy_events == []


def test_a_blocked_thread_is_woken_by_the_object_without_a_simpy_event(
    simpy_events: list[object],
) -> None:
    results: list[int] = []

    def waiter(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, False, False, "go")
        results.append((yield from api.WaitForSingleObject(ev, INFINITE)))

    def setter(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, False, False, "go")
        yield from api.SetEvent(ev)

    run({"waiter": waiter, "setter": setter})
    assert results == [WAIT_OBJECT_0]
    assert simpy_events == []  # an INFINITE wait and its wake-up use no timer


def test_thread_states_follow_the_windows_states() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, True)

    sim = run(main)
    states = [e.payload["state"] for e in sim.events() if "state" in e.payload]
    assert states[:4] == ["READY", "RUNNING", "WAITING_ALERTABLE", "RUNNING"]
    assert sim.threads["main"].state is ActorState.TERMINATED


def test_run_ends_all_threads_done() -> None:
    def main(api: Api) -> Generator[Any, None, int]:
        yield from api.SleepEx(1, False)
        return 7

    sim = run(main)
    assert sim.reason == ENDED_DONE
    assert sim.threads["main"].exit_code == 7
    assert sim.events()[-1].kind == "run.end"


def test_run_ends_quiescent_with_a_blocked_thread_reported() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, None)
        yield from api.WaitForSingleObject(ev, INFINITE)

    sim = run(main)
    assert sim.reason == ENDED_QUIESCENT
    blocked = sim.events("actor.blocked")
    assert [e.objects[0] for e in blocked] == ["main"]


def test_run_ends_at_the_time_limit() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        while True:
            yield from api.SleepEx(10, False)

    sim = run(main, until=35 * TICKS_PER_MS)
    assert sim.reason == ENDED_TIME
    assert sim.k.now == 35 * TICKS_PER_MS


def test_a_spin_without_virtual_time_ends_the_run_with_a_step_limit() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        while True:
            yield from api.GetLastError()

    sim = run(main)
    assert sim.reason == ENDED_STEPS
    assert sim.violations() == ["kernel.step_limit"]


def test_a_program_that_yields_a_value_is_reported() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield "park"  # looks like the sentinel, is not it

    with pytest.raises(ProgramError, match="yielded 'park'"):
        run(main)


def test_a_program_exception_is_a_program_error_with_the_thread_name() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        raise KeyError("boom")

    with pytest.raises(ProgramError, match="thread main raised KeyError") as info:
        run(main)
    assert info.value.thread == "main"
    assert info.value.time == TICKS_PER_MS


def test_timeout_versus_signal_at_the_same_instant_is_a_choice_both_ways() -> None:
    # The wait's timeout expires at 5 ms, exactly when another thread sets the event: the
    # expired timeout only enables the waiter, so the chooser orders the two.
    def outcome(seed: int) -> int:
        got: list[int] = []

        def waiter(api: Api) -> Generator[Any, None, None]:
            ev = yield from api.CreateEventW(None, True, False, "e")
            got.append((yield from api.WaitForSingleObject(ev, 5)))

        def setter(api: Api) -> Generator[Any, None, None]:
            ev = yield from api.CreateEventW(None, True, False, "e")
            yield from api.SleepEx(5, False)
            yield from api.SetEvent(ev)

        run({"waiter": waiter, "setter": setter}, chooser=RandomChooser(seed))
        return got[0]

    seen = {outcome(seed) for seed in range(40)}
    assert seen == {WAIT_OBJECT_0, WAIT_TIMEOUT}


def test_replaying_a_schedule_reproduces_the_run_exactly() -> None:
    def program(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, False, False, "e")
        for _ in range(3):
            yield from api.SetEvent(ev)
            yield from api.WaitForSingleObject(ev, 1)

    programs = {"a": program, "b": program, "c": program}
    first = run(programs, chooser=RandomChooser(11))
    again = run(programs, chooser=ReplayChooser(first.k.chooser.schedule))
    assert again.k.trace.to_jsonl() == first.k.trace.to_jsonl()


def test_statistics_counts_the_run() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.GetLastError()

    sim = run(main)
    stats = sim.k.statistics()
    assert stats["api_calls"] == 1
    assert stats["trace_events"] == len(sim.k.trace)


def test_processors_must_be_positive() -> None:
    with pytest.raises(ValueError, match="processors must be at least 1"):
        Kernel(processors=0)


def test_at_a_time_limit_only_waits_without_a_timeout_are_reported_blocked() -> None:
    def sleeper(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(100, False)

    def stuck(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, None)
        yield from api.WaitForSingleObject(ev, INFINITE)

    sim = run({"sleeper": sleeper, "stuck": stuck}, until=5 * TICKS_PER_MS)
    assert sim.reason == ENDED_TIME
    assert [e.objects[0] for e in sim.events("actor.blocked")] == ["stuck"]
