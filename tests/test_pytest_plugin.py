"""The pytest plugin: scenario files under a scenarios/ folder are test items that pass with
their declared verdict and fail with the story, the file, and a replay path."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]

GOOD = """\
version: 1
name: good
threads:
  main:
    steps:
      - Sleep: {dwMilliseconds: 1}
run_until: all_done
"""
LOST = """\
version: 1
name: lost
devices:
  kernel:
    events:
      ev: {}
threads:
  main:
    steps:
      - WaitForSingleObject: {hHandle: $ev, dwMilliseconds: INFINITE}
"""


def test_scenario_files_are_items_named_after_their_scenarios(pytester: pytest.Pytester) -> None:
    folder = pytester.mkdir("scenarios")
    (folder / "good.yaml").write_text(GOOD, encoding="utf-8")
    (folder / "lost.yaml").write_text(LOST, encoding="utf-8")
    (folder / "bad.yaml").write_text(
        "version: 1\nname: bad\nthreads: {main: {steps: [{SetEvnt: {}}]}}\n"
    )
    (pytester.path / "other.yaml").write_text(LOST, encoding="utf-8")  # not under scenarios/
    result = pytester.runpytest("--emu-replay-dir", "r", "scenarios")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*scenarios/bad.yaml:3:27: unknown function 'SetEvnt'*",
            "*VIOLATED kernel.lost_wakeup (liveness)*",
            "*main * waits on ev for INFINITE*",
            "*replay: emu run r/lost-canonical.replay.json*",
            "FAILED scenarios/bad.yaml::bad*",
            "FAILED scenarios/lost.yaml::lost*",
        ]
    )
    assert (pytester.path / "r" / "lost-canonical.replay.json").is_file()


def test_scenarios_are_not_collected_when_asked(pytester: pytest.Pytester) -> None:
    folder = pytester.mkdir("scenarios")
    (folder / "lost.yaml").write_text(LOST, encoding="utf-8")
    result = pytester.runpytest("--emu-no-scenarios", "scenarios")
    result.assert_outcomes()


def test_the_shipped_scenarios_pass_as_items(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(str(ROOT / "scenarios"))
    shipped = len(list((ROOT / "scenarios").rglob("*.yaml")))
    result.assert_outcomes(passed=shipped)
