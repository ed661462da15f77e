"""Bounded runs: the time budget, the event budget and the step limit end a runaway with a
report naming the thread, the function and the program position; never a hang."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.kernel import Kernel
from emu.kernel.limits import (
    DEFAULT_APC_DEPTH_LIMIT,
    DEFAULT_EVENT_BUDGET,
    DEFAULT_STEP_LIMIT,
    DEFAULT_TIME_BUDGET,
    ENDED_EVENT_BUDGET,
    ENDED_STEPS,
    ENDED_TIME_BUDGET,
)
from emu.kernel.time import TICKS_PER_MS, TICKS_PER_SECOND
from emu.win32 import Api
from tests.scenario.helpers import messages as yaml_messages
from tests.scenario.helpers import run_yaml
from tests.support import Sim, build, run

HERE = "tests.kernel.test_limits"


def sleep_one(api: Api) -> Generator[Any, None, None]:
    while True:
        yield from api.Sleep(1)


def sleep_huge(api: Api) -> Generator[Any, None, None]:
    while True:
        yield from api.Sleep(0x7FFFFFFF)


def spin(api: Api) -> Generator[Any, None, None]:
    while True:
        yield from api.GetLastError()


def line(program: Any) -> int:
    """The line of the call in the loop of a program above: two lines after its ``def``."""
    return int(program.__code__.co_firstlineno) + 2


def bounded(program: Any, *, trace: bool = True, **bounds: int | None) -> Sim:
    sim = build({"main": program}, trace=trace)
    for name, value in bounds.items():
        setattr(sim.k, name, value)
    sim.reason = sim.k.run()
    return sim


def messages(sim: Sim) -> list[tuple[str, str]]:
    return [(e.payload["rule"], e.payload["message"]) for e in sim.events("violation")]


def test_the_defaults_are_one_hour_two_million_events_and_100000_calls_an_instant() -> None:
    # Far above the shipped scenarios (at most 0.15 s and 337 events) and the benchmarks.
    assert DEFAULT_TIME_BUDGET == 3600 * TICKS_PER_SECOND
    assert DEFAULT_EVENT_BUDGET == 2_000_000
    assert DEFAULT_STEP_LIMIT == 100_000
    k = Kernel()
    assert (k.time_budget, k.event_budget, k.step_limit, k.apc_depth_limit) == (
        DEFAULT_TIME_BUDGET,
        DEFAULT_EVENT_BUDGET,
        DEFAULT_STEP_LIMIT,
        DEFAULT_APC_DEPTH_LIMIT,
    )


def test_a_sleep_1_loop_ends_at_the_time_budget_with_a_report() -> None:
    sim = bounded(sleep_one, time_budget=50 * TICKS_PER_MS)
    assert sim.reason == ENDED_TIME_BUDGET
    # The clock stops at the budget, not past it.
    assert sim.k.now == 50 * TICKS_PER_MS
    assert messages(sim) == [
        (
            "kernel.time_budget",
            "virtual time reached the time budget of 50ms: the next timer, due at 51ms, wakes "
            f"thread main in Sleep at {HERE}:sleep_one line {line(sleep_one)}; raise the time "
            "budget (limits: time:) if this is intended",
        )
    ]
    # The report names the thread it blames.
    assert sim.events("violation")[0].objects == ("main",)
    assert sim.events("run.end")[0].payload["reason"] == "time budget"


def test_a_sleep_0x7fffffff_loop_ends_at_the_default_time_budget_in_its_first_round() -> None:
    sim = run(sleep_huge)
    assert sim.reason == ENDED_TIME_BUDGET
    assert sim.k.now == DEFAULT_TIME_BUDGET
    assert len(sim.k.trace) < 20
    assert messages(sim) == [
        (
            "kernel.time_budget",
            "virtual time reached the time budget of 3600s: the next timer, due at "
            f"2147483.647s, wakes thread main in Sleep at {HERE}:sleep_huge line "
            f"{line(sleep_huge)}; raise the time budget (limits: time:) if this is intended",
        )
    ]


def test_a_sleep_1_loop_ends_at_the_event_budget_with_a_report() -> None:
    sim = bounded(sleep_one, event_budget=2000)
    assert sim.reason == ENDED_EVENT_BUDGET
    # Checked when virtual time is about to advance: past the budget by at most one instant.
    recorded = sim.events("violation")[0].seq  # the events before the report
    assert 2000 < recorded <= 2010
    (rule, message), *_ = messages(sim)
    assert rule == "kernel.event_budget"
    assert message.startswith(f"the run recorded {recorded} trace events by ")
    assert message.endswith(
        f"more than the event budget of 2000; the next timer wakes thread main in Sleep at "
        f"{HERE}:sleep_one line {line(sleep_one)}; raise the event budget (limits: events:) if "
        "this is intended"
    )


def test_an_untraced_run_counts_api_calls_against_the_event_budget() -> None:
    sim = bounded(sleep_one, trace=False, event_budget=300)
    assert sim.reason == ENDED_EVENT_BUDGET
    assert sim.k.calls == 301


def test_a_run_within_its_budgets_is_not_stopped() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        for _ in range(10):
            yield from api.Sleep(1)

    sim = bounded(main, time_budget=10 * TICKS_PER_MS, event_budget=100)
    assert sim.reason == "all threads done"
    assert sim.k.now == 10 * TICKS_PER_MS  # a timer due exactly at the budget still fires
    assert messages(sim) == []


def test_no_budget_means_none() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.Sleep(5000)

    sim = bounded(main, time_budget=None, event_budget=None)
    assert sim.reason == "all threads done"


def test_a_time_limit_comes_before_the_time_budget() -> None:
    # run(until) bounds time itself: the budget does not end a run that has an earlier end,
    # nor one whose own limit is later.
    sim = build({"main": sleep_one})
    sim.k.time_budget = 10 * TICKS_PER_MS
    assert sim.k.run(20 * TICKS_PER_MS) == "time limit"
    assert sim.k.now == 20 * TICKS_PER_MS


def test_the_step_limit_names_the_thread_the_function_and_the_line() -> None:
    sim = bounded(spin, step_limit=200)
    assert sim.reason == ENDED_STEPS
    assert messages(sim) == [
        (
            "kernel.step_limit",
            f"thread main in GetLastError at {HERE}:spin line {line(spin)}: 201 API calls (or "
            "scripted loop rounds) at 0ms without virtual time advancing (a spin loop or "
            "livelock); raise the step limit (limits: steps_per_instant:) if this is intended",
        )
    ]


def test_a_timer_that_is_not_an_actors_is_named_by_its_callback() -> None:
    def tick(k: Kernel) -> None:
        k.call_later(TICKS_PER_MS, tick, k)

    k = Kernel(time_budget=3 * TICKS_PER_MS)
    k.call_later(TICKS_PER_MS, tick, k)
    assert k.run() == ENDED_TIME_BUDGET
    message = [e[4][1] for e in k.trace.events if e[2] == "violation"]
    assert message == [
        "virtual time reached the time budget of 3ms: the next timer, due at 4ms, wakes the "
        "callback test_a_timer_that_is_not_an_actors_is_named_by_its_callback.<locals>.tick; "
        "raise the time budget (limits: time:) if this is intended"
    ]


def test_a_program_that_catches_exception_around_its_calls_cannot_swallow_a_limit() -> None:
    # A monitor loop that logs every Exception and goes on: the step limit unwinds it anyway
    # (a RunLimit is not an Exception), so the run ends instead of spinning for ever.
    caught: list[str] = []

    def main(api: Api) -> Generator[Any, None, None]:
        while True:
            try:
                yield from api.GetLastError()
            except Exception as exc:
                caught.append(type(exc).__name__)

    sim = bounded(main, step_limit=100)
    assert sim.reason == ENDED_STEPS
    assert caught == []


# -- the step limit counts per instant ------------------------------------------------------------
# emu/kernel/limits.py: the step limit is met by "more API calls (or scripted loop rounds) at one
# instant than Kernel.step_limit: virtual time stopped advancing"; the count starts again when
# virtual time advances.

NO_CALL_LOOP = """
limits: {steps_per_instant: 10}
threads:
  main:
    steps:
      - repeat: 1000
        as: i
        steps:
          - set: {last: $i}
"""


def test_a_scripted_loop_that_makes_no_call_ends_at_the_step_limit_naming_the_loop() -> None:
    # "a loop that never lets virtual time advance still ends the run" (Kernel.note_step): a
    # repeat: whose rounds make no API call counts each round, so 1,000 rounds at 0 ms end at
    # the 11th, reported at the loop's position.
    result = run_yaml(NO_CALL_LOOP)
    assert result.end_reason == ENDED_STEPS
    assert yaml_messages(result) == [
        "thread main at t.yaml:8:9: 11 API calls (or scripted loop rounds) at 0ms without "
        "virtual time advancing (a spin loop or livelock); raise the step limit (limits: "
        "steps_per_instant:) if this is intended"
    ]


def test_calls_spread_over_time_never_meet_the_step_limit() -> None:
    # Five calls at each of ten instants (a call counts when it returns: the Sleep(1) of the
    # instant before, then four GetLastError; at 0 ms one more GetLastError instead), 51 in
    # all, under a limit of 5: the count starts at 0 and again at each instant.
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.GetLastError()
        for _ in range(10):
            for _ in range(4):
                yield from api.GetLastError()
            yield from api.Sleep(1)

    sim = bounded(main, step_limit=5)
    assert sim.reason == "all threads done"
    assert sim.k.calls == 51
    assert messages(sim) == []


def test_one_call_more_than_the_limit_at_a_later_instant_meets_it() -> None:
    # One more call in its last round: six at 9 ms (the Sleep(1) returning, five GetLastError).
    def main(api: Api) -> Generator[Any, None, None]:
        for round in range(10):
            for _ in range(5 if round == 9 else 4):
                yield from api.GetLastError()
            yield from api.Sleep(1)

    sim = bounded(main, step_limit=5)
    assert sim.reason == ENDED_STEPS
    assert sim.k.now == 9 * TICKS_PER_MS
    ((rule, message),) = messages(sim)
    assert rule == "kernel.step_limit"
    assert "6 API calls (or scripted loop rounds) at 9ms" in message


def test_scripted_loop_rounds_spread_over_time_never_meet_the_step_limit() -> None:
    # A repeat: of 30 rounds that sleeps every third round: at most 4 steps an instant (three
    # rounds and one Sleep), under a limit of 4.
    result = run_yaml(
        """
        limits: {steps_per_instant: 4}
        threads:
          main:
            steps:
              - repeat: 10
                steps:
                  - repeat: 2
                    steps:
                      - set: {x: 1}
                  - Sleep: {dwMilliseconds: 1}
        """
    )
    assert result.end_reason == "all threads done"
    assert yaml_messages(result) == []
