"""The ``limits:`` section: the run's time budget, event budget and step limit, checked when
the file loads; ``expect: end:`` knows the ends they give."""

from __future__ import annotations

import pytest

from emu.errors import ScenarioError
from emu.scenario import load_text
from emu.scenario.format import END_REASONS
from emu.scenario.model import Limits
from emu.scenario.schema import json_schema
from tests.scenario.helpers import scenario_text

THREAD = """
threads:
  main: {steps: []}
"""


def error_of(body: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_text(scenario_text(body + THREAD), "t.yaml")
    return str(info.value)


def test_limits_compile_to_ticks_and_counts() -> None:
    text = "limits: {time: 90s, events: 5000, steps_per_instant: 700, apc_depth: 50}\n"
    scenario = load_text(scenario_text(text + THREAD))
    assert scenario.limits == Limits(
        time=900_000_000, events=5000, steps_per_instant=700, apc_depth=50
    )


def test_without_limits_every_bound_is_the_kernels_default() -> None:
    scenario = load_text(scenario_text(THREAD))
    assert scenario.limits == Limits(None, None, None, None)
    partial = load_text(scenario_text("limits: {events: 10}\n" + THREAD))
    assert partial.limits == Limits(time=None, events=10, steps_per_instant=None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "limits: {time: 10}",
            "t.yaml:3:16: the duration 10 has no unit: write 10ms, 10us or 10s [in limits.time]",
        ),
        (
            "limits: {time: 0s}",
            "t.yaml:3:16: the time budget is a duration above 0 (a run needs some time) "
            "[in limits.time]",
        ),
        (
            "limits: {events: 0}",
            "t.yaml:3:18: 0 is out of range: expected the event budget: trace events, 1 to "
            "1,000,000,000 [in limits.events]",
        ),
        (
            "limits: {steps_per_instant: 1000000001}",
            "t.yaml:3:29: 1000000001 is out of range: expected the step limit: API calls at one "
            "instant, 1 to 1,000,000,000 [in limits.steps_per_instant]",
        ),
        (
            "limits: {time: 1s}\nrun_until: 2s",
            "t.yaml:3:16: the time budget 1s is shorter than run_until 2s: run_until bounds "
            "the run's time itself; drop limits.time or raise it [in limits.time]",
        ),
    ],
)
def test_a_bad_limit_is_one_line_with_its_position(body: str, message: str) -> None:
    assert error_of(body) == message


def test_an_unknown_limit_is_refused_with_a_suggestion() -> None:
    assert "did you mean 'events'" in error_of("limits: {event: 10}")


def test_expect_end_accepts_the_budget_ends() -> None:
    # The words expect: end: takes, and the run-end reasons they stand for.
    assert END_REASONS["time_budget"] == "time budget"
    assert END_REASONS["event_budget"] == "event budget"
    assert END_REASONS["apc_depth_limit"] == "apc depth limit"
    scenario = load_text(scenario_text("expect: {end: event_budget}\n" + THREAD))
    assert scenario.expect.end == "event_budget"


def test_the_json_schema_publishes_limits() -> None:
    section = json_schema()["properties"]["limits"]
    assert set(section["properties"]) == {"time", "events", "steps_per_instant", "apc_depth"}
    assert section["additionalProperties"] is False
    expect_end = json_schema()["properties"]["expect"]["properties"]["end"]
    assert "time_budget" in expect_end["enum"]
    assert "event_budget" in expect_end["enum"]
