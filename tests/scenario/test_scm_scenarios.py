"""The SCM scenarios of issue 6: the schedule-dependent buggy monitors are clean under the
canonical schedule, ``emu explore`` finds them within their budgets, and the replay it writes
reproduces the violation; the correct monitors hold in every schedule explored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emu.cli import main
from emu.explore.declared import open_target
from emu.properties.verdict import VIOLATED, verdict
from emu.sim.simulation import run_scenario

ROOT = Path(__file__).resolve().parents[2]
SCM = ROOT / "scenarios" / "scm"
RACES = {
    "bug-status-unchecked": "scm.status_read_unchecked",
    "bug-close-and-free": "scm.buffer_freed_early",
}


@pytest.mark.parametrize("name", sorted(RACES))
def test_the_canonical_schedule_does_not_show_the_race(name: str) -> None:
    scenario = open_target(SCM / f"{name}.yaml").scenario
    events = run_scenario(scenario).k.trace.events
    judged = verdict(events, profile=scenario.machine.profile)
    violated = [s.property.id for s in judged.statuses if s.state == VIOLATED]
    assert RACES[name] not in violated


@pytest.mark.parametrize("name", sorted(RACES))
def test_explore_finds_the_race_and_its_replay_reproduces_it(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"{name}.replay.json"
    assert main(["explore", str(SCM / f"{name}.yaml"), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"-- PASS: {name}: the declared bug was shown" in captured.out
    replay = json.loads(out.read_text(encoding="utf-8"))
    assert RACES[name] in replay["properties"]
    assert main(["run", "--quiet", str(out)]) == 0
    assert f"VIOLATED {RACES[name]} (expected)" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["monitor", "monitor-python"])
def test_the_correct_monitors_hold_in_every_explored_schedule(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for strategy in ("random", "pct"):
        code = main(["explore", "--quiet", "--strategy", strategy, str(SCM / f"{name}.yaml")])
        assert code == 0
        assert "the expectation held in every schedule" in capsys.readouterr().out
