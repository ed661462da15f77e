"""A scenario's ``limits:`` reach the kernel, ``with_limits`` overrides them (the command
line), and a runaway written as steps is reported at its step's ``file:line:column``."""

from __future__ import annotations

import textwrap

import pytest

from emu.kernel.limits import (
    DEFAULT_APC_DEPTH_LIMIT,
    DEFAULT_EVENT_BUDGET,
    DEFAULT_STEP_LIMIT,
    DEFAULT_TIME_BUDGET,
)
from emu.kernel.time import TICKS_PER_MS
from emu.scenario import Scenario, load_text
from emu.scenario.model import Limits
from emu.sim import Simulation, run_scenario
from emu.sim.simulation import with_limits
from tests.scenario.helpers import failures, messages, rules

SLEEP_LOOP = """
threads:
  main:
    steps:
      - repeat: 1000000
        steps:
          - repeat: 1000000
            steps:
              - Sleep: {dwMilliseconds: 1}
"""

BIG_SLEEP_LOOP = """
threads:
  main:
    steps:
      - repeat: 1000000
        steps:
          - Sleep: {dwMilliseconds: 0x7FFFFFFF}
"""


def scenario(body: str) -> Scenario:
    return load_text("version: 1\nname: t\n" + textwrap.dedent(body), "t.yaml")


def test_without_limits_the_kernel_has_its_defaults() -> None:
    k = Simulation(scenario(SLEEP_LOOP)).k
    assert (k.time_budget, k.event_budget, k.step_limit, k.apc_depth_limit) == (
        DEFAULT_TIME_BUDGET,
        DEFAULT_EVENT_BUDGET,
        DEFAULT_STEP_LIMIT,
        DEFAULT_APC_DEPTH_LIMIT,
    )


def test_the_scenarios_limits_are_the_kernels() -> None:
    body = "limits: {time: 2s, events: 900, steps_per_instant: 40, apc_depth: 3}\n" + SLEEP_LOOP
    k = Simulation(scenario(body)).k
    assert (k.time_budget, k.event_budget, k.step_limit, k.apc_depth_limit) == (
        20_000_000,
        900,
        40,
        3,
    )


def test_with_limits_replaces_the_given_bounds_and_keeps_the_others() -> None:
    base = scenario("limits: {time: 2s, events: 900}\n" + SLEEP_LOOP)
    changed = with_limits(base, events=50, steps=7, apc_depth=9)
    assert changed.limits == Limits(time=20_000_000, events=50, steps_per_instant=7, apc_depth=9)
    assert base.limits == Limits(time=20_000_000, events=900)
    assert with_limits(base).limits == base.limits
    with pytest.raises(ValueError, match="the events limit must be at least 1, not 0"):
        with_limits(base, events=0)


def test_a_sleep_loop_of_steps_ends_at_its_event_budget_naming_the_step() -> None:
    result = run_scenario(scenario("limits: {events: 3000}\n" + SLEEP_LOOP))
    assert result.end_reason == "event budget"
    assert rules(result) == ["kernel.event_budget"]
    message = messages(result)[0]
    assert message.endswith(
        "more than the event budget of 3000; the next timer wakes thread main in Sleep at "
        "t.yaml:12:17; raise the event budget (limits: events:) if this is intended"
    )
    # A violated liveness rule fails the run, unless the scenario declares that end.
    assert failures(result) != []


def test_a_big_sleep_loop_of_steps_ends_at_its_time_budget_naming_the_step() -> None:
    result = run_scenario(scenario("limits: {time: 10s}\n" + BIG_SLEEP_LOOP))
    assert result.end_reason == "time budget"
    assert result.end_time == 100_000_000
    assert messages(result) == [
        "virtual time reached the time budget of 10s: the next timer, due at "
        "2147483.647s, wakes thread main in Sleep at t.yaml:10:13; raise the time budget "
        "(limits: time:) if this is intended"
    ]


def test_the_default_time_budget_stops_a_big_sleep_loop_in_its_first_round() -> None:
    result = run_scenario(scenario(BIG_SLEEP_LOOP))
    assert result.end_reason == "time budget"
    assert result.end_time == DEFAULT_TIME_BUDGET


def test_a_scenario_that_demonstrates_a_runaway_declares_its_end() -> None:
    body = (
        "limits: {events: 500}\n"
        "expect: {end: event_budget, violated: [kernel.event_budget]}\n" + SLEEP_LOOP
    )
    result = run_scenario(scenario(body))
    assert failures(result) == []


def test_a_run_until_duration_is_its_own_time_bound() -> None:
    # run_until: 2h is beyond the default budget of one hour: the run goes to 2h.
    body = "run_until: 7200s\n" + BIG_SLEEP_LOOP
    result = run_scenario(scenario(body))
    assert result.end_reason == "time limit"
    assert result.end_time == 7200 * 1000 * TICKS_PER_MS


def test_a_spin_in_an_until_loop_is_reported_at_its_call() -> None:
    body = """
    limits: {steps_per_instant: 300}
    threads:
      main:
        steps:
          - until: {that: 1, equals: 2}
            max: 1000000
            steps:
              - GetLastError
    """
    result = run_scenario(scenario(body))
    assert result.end_reason == "step limit"
    (message,) = messages(result)
    # Whichever counts the 301st step, the loop or the call, the report names its position.
    assert message.startswith(
        ("thread main at t.yaml:8:9: 301 API calls", "thread main in GetLastError at t.yaml:11:")
    )


def test_a_runaway_apc_handler_that_sleeps_ends_at_the_apc_depth_limit() -> None:
    body = """
    limits: {apc_depth: 300}
    handlers:
      again:
        params: [n]
        steps:
          - QueueUserAPC: {pfnAPC: $again, hThread: -2, dwData: 0}
          - Sleep: {dwMilliseconds: 1}
          - SleepEx: {dwMilliseconds: 0, bAlertable: TRUE}
    threads:
      main:
        steps:
          - QueueUserAPC: {pfnAPC: $again, hThread: -2, dwData: 0}
          - SleepEx: {dwMilliseconds: INFINITE, bAlertable: TRUE}
    """
    result = run_scenario(scenario(body))
    assert result.end_reason == "apc depth limit"
    assert messages(result)[0].startswith(
        "thread main in SleepEx at t.yaml:11:9: user-mode APC delivery nested 301 levels deep"
    )


def test_a_runaway_in_an_apc_handler_is_reported_at_the_handlers_step() -> None:
    # The innermost step wins: the handler's call, not the thread's alertable wait below it.
    body = """
    limits: {steps_per_instant: 400}
    handlers:
      again:
        params: [n]
        steps:
          - QueueUserAPC: {pfnAPC: $again, hThread: -2, dwData: 0}
          - SleepEx: {dwMilliseconds: 0, bAlertable: TRUE}
    threads:
      main:
        steps:
          - QueueUserAPC: {pfnAPC: $again, hThread: -2, dwData: 0}
          - SleepEx: {dwMilliseconds: INFINITE, bAlertable: TRUE}
    """
    result = run_scenario(scenario(body))
    assert result.end_reason == "step limit"
    (message,) = messages(result)
    assert message.startswith("thread main in QueueUserAPC at t.yaml:9:9: 401 API calls")
