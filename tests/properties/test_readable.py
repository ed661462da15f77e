"""A run read from Python: print(assessment), assessment.timeline(), short reprs."""

from __future__ import annotations

from pathlib import Path

import emu.testing
from emu.properties.report import status_story, strategy_words

ROOT = Path(__file__).resolve().parents[2]
RACE = ROOT / "scenarios" / "kernel" / "bug-apc-counter-race.yaml"


def test_print_an_assessment_as_emu_run_quiet_prints_it() -> None:
    assessment = emu.testing.run(RACE, seed=0)  # a schedule where the race hits
    text = str(assessment)
    lines = text.splitlines()
    assert lines[0].startswith("== bug-apc-counter-race (")
    assert lines[0].endswith("strategy random seed 0")
    assert any(line.startswith("   VIOLATED kernel.lost_update (expected)") for line in lines)
    assert "     story:" in lines
    # ... followed by the story itself (the steps and events that led to the violation).
    status = assessment.verdict.violated[0]
    told = status_story(assessment, status)
    assert told.lines
    assert f"     story:\n{told.render('     ')}\n" in text
    assert lines[-1] == "-- PASS: bug-apc-counter-race"
    assert "{'" not in text and "('" not in text  # no Python reprs


def test_the_timeline_is_one_call_away() -> None:
    assessment = emu.testing.run(RACE)
    timeline = assessment.timeline()
    assert "main works for 1ms" in timeline
    assert len(assessment.timeline(verbose=True)) > len(timeline)


def test_reprs_are_one_short_line() -> None:
    assessment = emu.testing.run(RACE, seed=0)
    for value in (
        assessment,
        assessment.verdict,
        assessment.result,
        assessment.result.scenario,
        assessment.verdict.violated[0],
    ):
        text = repr(value)
        assert "\n" not in text and len(text) < 200, text
    assert repr(assessment) == (
        "<Assessment bug-apc-counter-race: PASS, "
        f"{len(assessment.verdict.held)} held, 2 violated (kernel.lost_update, scenario.assert), "
        f"{len(assessment.verdict.not_exercised)} not exercised>"
    )
    assert (
        repr(assessment.verdict.violated[0]) == "<Status kernel.lost_update violated, 1 finding(s)>"
    )


def test_print_a_result_says_how_the_run_ended() -> None:
    result = emu.testing.run(RACE).result
    lines = str(result).splitlines()
    assert lines[0].startswith("bug-apc-counter-race: all threads done at 5ms:")
    assert lines[1].startswith("   main: TERMINATED, exit code 0")


def test_strategies_in_words() -> None:
    assert strategy_words({"strategy": "canonical"}) == "canonical"
    assert strategy_words({"strategy": "pct", "seed": 3, "depth": 3}) == "pct seed 3 depth 3"
