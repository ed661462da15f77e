"""emu.testing: build a scenario from Python, run it, assert a verdict, explore it, and on
failure get the story and a replay file that reproduces it."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from emu import testing
from emu.cli import main
from emu.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
RACE = ROOT / "scenarios" / "kernel" / "bug-apc-counter-race.yaml"


@pytest.fixture(autouse=True)
def replays_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMU_REPLAY_DIR", str(tmp_path / "replays"))


def waiter(api: Any) -> Generator[Any, Any, int]:
    """A Python program: waits one millisecond, exits 0."""
    yield from api.Sleep(1)
    return 0


LOST: dict[str, Any] = {
    "version": 1,
    "name": "lost",
    "devices": {"kernel": {"events": {"ev": {}}}},
    "threads": {
        "main": {"steps": [{"WaitForSingleObject": {"hHandle": "$ev", "dwMilliseconds": 5}}]},
        "stuck": {
            "steps": [{"WaitForSingleObject": {"hHandle": "$ev", "dwMilliseconds": "INFINITE"}}]
        },
    },
}


def test_a_scenario_from_a_dict_with_a_python_program_runs() -> None:
    scenario = testing.scenario(
        {
            "version": 1,
            "name": "py",
            "threads": {"main": {"python": waiter}},
            "run_until": "all_done",
            "expect": {"exit_codes": {"main": 0}},
        }
    )
    assert Path(scenario.file).is_file()  # written where a replay can name it
    assessment = testing.run(scenario)
    assert assessment.ok
    testing.assert_verdict(
        assessment, held=["kernel.lost_wakeup"], not_exercised=["kernel.apc_fifo"]
    )


def test_a_bad_dict_is_a_one_line_scenario_error() -> None:
    with pytest.raises(ScenarioError, match=r"py-[0-9a-f]{12}\.yaml:6:7: unknown function"):
        testing.scenario(
            {"version": 1, "name": "py", "threads": {"main": {"steps": [{"SetEvnt": {}}]}}}
        )


def test_check_fails_with_the_story_and_a_replay_that_reproduces_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    scenario = testing.scenario(LOST)
    with pytest.raises(testing.ScenarioFailed) as info:
        testing.check(scenario)
    text = str(info.value)
    assert "VIOLATED kernel.lost_wakeup (liveness)" in text
    assert "stuck   waits on ev for INFINITE" in text
    assert info.value.replay is not None and info.value.replay.is_file()
    assert text.endswith(f"replay: emu run {info.value.replay}")
    assert main(["run", "--quiet", str(info.value.replay)]) == 1  # the same failure, exactly
    assert "VIOLATED kernel.lost_wakeup" in capsys.readouterr().out


def test_check_gives_a_bug_demonstration_its_declared_verdict() -> None:
    outcome = testing.check(RACE)
    assert outcome.campaign is not None
    testing.assert_verdict(outcome, violated=["kernel.lost_update", "scenario.assert"])


def test_assert_verdict_says_what_differs() -> None:
    assessment = testing.run(RACE)  # canonical: the race does not show
    with pytest.raises(
        testing.ScenarioFailed, match=r"kernel\.lost_update: expected violated, got held"
    ):
        testing.assert_verdict(assessment, violated=["kernel.lost_update"])


def test_explore_finds_the_race_inside_a_test() -> None:
    campaign = testing.explore(RACE, strategy="pct", schedules=300, seed=2)
    assert campaign.found is not None and campaign.hit_at is not None


def test_explore_raises_with_a_replay_when_a_schedule_breaks_the_expectation() -> None:
    scenario = testing.scenario(LOST)
    with pytest.raises(testing.ScenarioFailed) as info:
        testing.explore(scenario, schedules=5)
    assert "schedule 0 breaks the expectation" in str(info.value)
    assert info.value.replay is not None and info.value.replay.is_file()


def test_replay_reruns_a_replay_file_exactly() -> None:
    with pytest.raises(testing.ScenarioFailed) as info:
        testing.check(testing.scenario(LOST))
    assert info.value.replay is not None
    outcome = testing.replay(info.value.replay)
    assert outcome.replay_problem is None
    assert [s.property.id for s in outcome.assessment.verdict.violated] == ["kernel.lost_wakeup"]
