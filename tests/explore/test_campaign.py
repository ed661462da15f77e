"""Campaigns, shrinking and replay files: a bug the canonical schedule hides is found within
its budget, shrunk, written, and reproduced exactly."""

from __future__ import annotations

import json
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from emu.explore import Campaign, load_replay, write_replay
from emu.explore.declared import declared_verdict, open_target
from emu.explore.judge import is_hit, run_once
from emu.explore.replay import checkpoints, decode_schedule, encode_schedule, first_difference
from emu.explore.shrink import needed, nonzero, shrink
from emu.kernel.chooser import CanonicalChooser, ReplayChooser
from emu.scenario import load_scenario, load_text
from emu.scenario.model import ExploreBudget
from tests.scenario.helpers import run_yaml

ROOT = Path(__file__).resolve().parents[2]
RACE = ROOT / "scenarios" / "kernel" / "bug-apc-counter-race.yaml"
APC_REPORT = ROOT / "scenarios" / "kernel" / "apc-report.yaml"


def test_the_canonical_schedule_does_not_show_the_race() -> None:
    assessment = run_once(load_scenario(RACE), CanonicalChooser())
    assert not is_hit(assessment)
    assert assessment.verdict.status("kernel.lost_update").state == "held"


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_a_campaign_finds_shrinks_and_confirms_the_race(strategy: str) -> None:
    scenario = load_scenario(RACE)
    campaign = Campaign(scenario, ExploreBudget(strategy, 200, 1, 3)).run()
    assert campaign.ok and campaign.found is not None and campaign.shrunk is not None
    assert campaign.hit_at is not None and campaign.hit_at < 200
    assert campaign.schedules_run == campaign.hit_at + 1
    shrunk = campaign.shrunk
    assert shrunk.nonzero_after < shrunk.nonzero_before  # the hit had choices that do not matter
    assert shrunk.schedule == campaign.found.result.schedule
    assert {"kernel.lost_update", "scenario.assert"} <= {
        s.property.id for s in campaign.found.verdict.violated
    }
    described = campaign.describe()
    assert (described["strategy"], described["budget"]) == (strategy, 200)
    assert described["schedules_run"] == campaign.schedules_run


def test_the_same_campaign_gives_the_same_schedule() -> None:
    scenario = load_scenario(RACE)
    runs = [Campaign(scenario, ExploreBudget("random", 100, 7, 3)).run() for _ in range(2)]
    assert runs[0].hit_at == runs[1].hit_at
    assert runs[0].shrunk is not None and runs[1].shrunk is not None
    assert runs[0].shrunk.schedule == runs[1].shrunk.schedule


def test_a_correct_scenario_holds_over_the_whole_budget() -> None:
    campaign = Campaign(load_scenario(APC_REPORT), ExploreBudget("pct", 60, 3, 2)).run()
    assert campaign.ok
    assert (campaign.schedules_run, campaign.found, campaign.hit_at) == (60, None, None)
    assert campaign.first is not None and campaign.first.ok


ONE_DRAW_MATTERS = """\
version: 1
name: one-draw-matters
threads:
  main:
    python: tests.explore.test_campaign:fourth_draw_decides
expect:
  exit_codes: {main: 0}
"""
DRAWS = 6
MINIMUM = [(0, 0), (0, 0), (0, 0), (1, 1), (0, 0), (0, 0)]
"""The smallest schedule of ONE_DRAW_MATTERS that fails: every draw 0 but the fourth, 1."""


def fourth_draw_decides(api: Any) -> Generator[Any, None, int]:
    """Six draws in range(3), the only choices of the run; it fails (exit code 1) when the
    fourth is not 0, whatever the others are."""
    drawn = []
    for n in range(DRAWS):
        drawn.append((yield from api.rand(3, f"draw{n}")))
    return 1 if drawn[3] else 0


def test_shrinking_reaches_the_known_minimum_of_a_case_where_one_choice_matters() -> None:
    """A hit found by random exploration carries choices that do not matter; shrinking moves
    each toward 0 (an index above 1 first to 0, else to 1) and keeps what still fails, so the
    result is the one known minimum, not merely something no larger than the hit."""
    scenario = load_text(ONE_DRAW_MATTERS, "draws.yaml", allow_python=True)
    campaign = Campaign(scenario, ExploreBudget("random", 100, 1, 3)).run()
    assert campaign.found is not None and campaign.shrunk is not None
    shrunk = campaign.shrunk
    assert shrunk.nonzero_before >= 3  # the hit was noisy: the test tells shrinking from none
    assert shrunk.schedule == MINIMUM
    assert (shrunk.nonzero_after, shrunk.choices_after) == (1, 4)
    assert campaign.found.result.schedule == MINIMUM
    # From a schedule where every choice is the largest: index 2 goes down to 1, not 0.
    direct = shrink(scenario, [(2, 2)] * DRAWS)
    assert direct.schedule == MINIMUM
    assert (direct.nonzero_before, direct.nonzero_after) == (DRAWS, 1)


LOST_UPDATE = """\
version: 1
name: lost-update-after-yields
machine: {processors: 1}
shared:
  n: LONG
threads:
  a:
    steps:
      - repeat: 3
        steps:
          - Sleep: {dwMilliseconds: 0}
      - increment: $n
  b:
    steps:
      - repeat: 3
        steps:
          - Sleep: {dwMilliseconds: 0}
      - increment: $n
run_until: all_done
expect:
  end: all_done
  violated: [kernel.lost_update]
"""


def test_shrinking_a_scheduling_race_reaches_its_single_preemption() -> None:
    # Lowering one scheduling choice alone moves the later ones onto other points; keeping
    # one non-zero choice alone (by its index) finds the race's single preemption.
    scenario = load_text(LOST_UPDATE, "lost.yaml")
    campaign = Campaign(scenario, ExploreBudget("random", 200, 1, 3)).run()
    assert campaign.shrunk is not None
    nonzero_steps = [(i, c) for i, c in enumerate(campaign.shrunk.schedule) if c[0]]
    assert nonzero_steps == [(7, (1, ("thread", "b")))]


def test_shrinking_keeps_a_strictly_replayable_schedule(tmp_path: Path) -> None:
    scenario = load_scenario(RACE)
    campaign = Campaign(scenario, ExploreBudget("random", 200, 1, 3)).run()
    assert campaign.found is not None and campaign.shrunk is not None
    strict = run_once(scenario, ReplayChooser(campaign.shrunk.schedule))
    assert strict.result.k.trace.to_jsonl() == campaign.found.result.k.trace.to_jsonl()
    assert needed(campaign.shrunk.schedule) == campaign.shrunk.choices_after
    assert nonzero(campaign.shrunk.schedule) == campaign.shrunk.nonzero_after


def test_a_replay_file_reproduces_the_run_byte_for_byte(tmp_path: Path) -> None:
    scenario = load_scenario(RACE)
    campaign = Campaign(scenario, ExploreBudget("random", 200, 1, 3)).run()
    assert campaign.found is not None and campaign.shrunk is not None
    events = campaign.found.result.k.trace.events
    path = write_replay(
        tmp_path / "race.replay.json",
        scenario_file=scenario.file,
        scenario_sha256=None,
        schedule=campaign.shrunk.schedule,
        events=events,
        properties=["kernel.lost_update"],
        found_by=campaign.describe(),
    )
    replay = load_replay(path)
    assert replay.schedule == campaign.shrunk.schedule
    assert Path(replay.scenario_file).resolve() == Path(scenario.file).resolve()
    outcome = declared_verdict(open_target(path))
    assert outcome.replay_problem is None
    assert outcome.ok
    assert outcome.assessment.result.k.trace.to_jsonl() == campaign.found.result.k.trace.to_jsonl()


def test_a_trace_that_differs_from_the_recorded_digests_is_reported() -> None:
    events = run_yaml("threads: {main: {steps: [{Sleep: {dwMilliseconds: 1}}]}}\n").k.trace.events
    marks = tuple(checkpoints(events))
    assert first_difference(marks, events) is None
    tampered = [*events[:-1], (*events[-1][:4], ("changed",), events[-1][5])]
    problem = first_difference(marks, tampered)
    assert problem is not None and problem.startswith("the trace differs from the recorded one")


def test_the_compact_schedule_encoding_round_trips() -> None:
    schedule = [(1, ("thread", "a")), (0, ("thread", "b")), (2, 40), (1, ("thread", "a"))]
    encoded = json.loads(json.dumps(encode_schedule(schedule)))
    assert encoded["keys"] == [["thread", "a"], ["thread", "b"], 40]
    assert encoded["steps"] == [1, 0, 0, 1, 2, 2, 1, 0]
    assert decode_schedule(encoded, "f") == schedule


def test_declared_verdict_explores_only_a_bug_demonstration_with_a_budget() -> None:
    outcome = declared_verdict(load_scenario(RACE))
    assert outcome.ok and outcome.campaign is not None
    # Under an explicit seed the verdict is about that run alone.
    fixed = declared_verdict(load_scenario(RACE), chooser=CanonicalChooser())
    assert fixed.campaign is None and not fixed.ok
    plain = declared_verdict(load_scenario(APC_REPORT))
    assert plain.ok and plain.campaign is None


def test_a_campaign_is_identical_in_fresh_processes_under_any_hash_seed() -> None:
    import os
    import subprocess
    import sys

    code = (
        "import json, sys; from emu.scenario import load_scenario; from emu.explore import "
        "Campaign; from emu.scenario.model import ExploreBudget;"
        f"c = Campaign(load_scenario({str(RACE)!r}), ExploreBudget('pct', 200, 5, 3)).run();"
        "sys.stdout.write(json.dumps([c.hit_at, c.shrunk.schedule]) + "
        "c.found.result.k.trace.to_jsonl())"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("0", "1", "4242")
    }
    assert len(outputs) == 1
