"""The commands of issue 5: ``emu run --json``, ``emu explore``, ``emu properties``,
``emu trace``, and replay files through ``emu run``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from emu.cli import main

ROOT = Path(__file__).resolve().parents[1]
RACE = str(ROOT / "scenarios" / "kernel" / "bug-apc-counter-race.yaml")
APC_REPORT = str(ROOT / "scenarios" / "kernel" / "apc-report.yaml")
DOC = ROOT / "docs" / "report.md"

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


def test_run_json_prints_one_documented_report_per_scenario(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "--json", APC_REPORT, RACE]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    plain, race = (json.loads(line) for line in lines)
    assert (plain["schema"], plain["version"], plain["ok"]) == ("emu.report", 1, True)
    assert plain["scenario"]["name"] == "apc-report"
    assert plain["strategy"] == {"strategy": "canonical"} and plain["exploration"] is None
    assert plain["summary"]["violated"] == 0
    assert plain["summary"]["held"] == len(plain["verdict"]["held"])
    assert plain["not_exercised"] == plain["verdict"]["not_exercised"]
    assert race["ok"] is True
    assert race["exploration"]["strategy"] == "random"
    assert race["exploration"]["budget"] == 500
    assert race["exploration"]["schedules_run"] >= 1
    (lost,) = [v for v in race["violations"] if v["property"] == "kernel.lost_update"]
    assert lost["expected"] is True
    assert lost["sentence"].startswith("However, access is not guaranteed to be synchronized.")
    assert lost["findings"][0]["event"] in [line["event"] for line in lost["story"]]
    assert any(line["named"] for line in lost["story"])


def test_every_report_field_is_documented(capsys: pytest.CaptureFixture[str]) -> None:
    main(["run", "--json", RACE])
    report = json.loads(capsys.readouterr().out)
    doc = DOC.read_text(encoding="utf-8")
    keys = set(report) | set(report["scenario"]) | set(report["summary"]) | set(report["end"])
    keys |= set(report["violations"][0]) | set(report["violations"][0]["story"][0])
    keys |= set(report["violations"][0]["findings"][0]) | set(report["exploration"])
    keys |= set(report["threads"][0])
    assert sorted(k for k in keys if f"`{k}`" not in doc) == []


def test_run_fails_with_exit_1_and_tells_the_story(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lost.yaml"
    path.write_text(LOST, encoding="utf-8")
    assert main(["run", "--quiet", str(path)]) == 1
    out = capsys.readouterr().out
    assert "VIOLATED kernel.lost_wakeup (liveness)" in out
    assert "main    waits on ev for INFINITE" in out
    assert out.rstrip().endswith("-- FAIL: lost")


def test_an_unknown_property_in_expect_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(LOST + "expect: {violated: [kernel.lost_wakeupp]}\n", encoding="utf-8")
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"{path}:11:21: no property named 'kernel.lost_wakeupp'")
    assert "\n" not in err


def test_explore_writes_a_replay_that_run_reproduces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "race.replay.json"
    code = main(["explore", RACE, "--strategy", "pct", "--schedules", "300", "--out", str(out)])
    assert code == 0
    captured = capsys.readouterr()
    assert f"replay written to {out}" in captured.err
    assert "explore: bug-apc-counter-race" in captured.err  # the progress line
    assert "(strategy pct depth 3, seed 1)" in captured.out
    assert "-- PASS: bug-apc-counter-race: the declared bug was shown" in captured.out
    replay = json.loads(out.read_text(encoding="utf-8"))
    assert replay["format"] == "emu.replay"
    assert "kernel.lost_update" in replay["properties"]
    assert main(["run", "--quiet", str(out)]) == 0
    ran = capsys.readouterr().out
    assert "VIOLATED kernel.lost_update (expected)" in ran
    assert ", strategy replay of " in ran.splitlines()[0]  # words, not a Python dict
    assert "{'" not in ran


def test_explore_of_a_correct_scenario_reports_its_budget(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explore", "--quiet", "--schedules", "40", "--seed", "3", APC_REPORT]) == 0
    out = capsys.readouterr().out
    assert "explored 40 of 40 schedules (strategy random, seed 3): no schedule hit" in out
    assert "-- PASS: apc-report: the expectation held in every schedule" in out


def test_explore_quiet_drops_the_progress_line_and_keeps_the_results(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # --quiet: the results only. Without it, the progress line on stderr; with it, none; the
    # result lines are the same either way.
    assert main(["explore", "--schedules", "5", APC_REPORT]) == 0
    loud = capsys.readouterr()
    assert "explore: apc-report 5/5 schedules" in loud.err
    assert main(["explore", "--quiet", "--schedules", "5", APC_REPORT]) == 0
    quiet = capsys.readouterr()
    assert quiet.err == ""

    def results(out: str) -> list[str]:  # the rate (schedules/s) is the reader's wall clock
        return [line.rsplit("; ", 1)[0] for line in out.splitlines()]

    assert results(quiet.out) == results(loud.out)
    assert quiet.out.splitlines()[-1] == (
        "-- PASS: apc-report: the expectation held in every schedule"
    )


def test_explore_json_reports_the_campaign(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explore", "--json", "--schedules", "10", APC_REPORT]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["campaign_ok"] is True
    assert report["exploration"]["schedules_run"] == 10
    assert report["scenario"]["name"] == "apc-report"


def test_explore_of_a_broken_scenario_exits_1_and_writes_a_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "lost.yaml"
    path.write_text(LOST, encoding="utf-8")
    assert main(["explore", "--quiet", "--out", str(tmp_path / "r"), str(path)]) == 1
    captured = capsys.readouterr()
    assert "-- FAIL: lost: the expectation broke" in captured.out
    assert list((tmp_path / "r").glob("*.replay.json"))


def test_trace_prints_the_timeline_or_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", APC_REPORT]) == 0
    assert "create Event done" in capsys.readouterr().out
    assert main(["trace", "--format", "jsonl", APC_REPORT]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert json.loads(lines[0]) == {"schema": "emu.trace", "version": 2}
    assert json.loads(lines[1])["seq"] == 0


# -- --out is checked before any exploring ------------------------------------------------------


@pytest.mark.parametrize(
    ("out", "files", "problem"),
    [
        (
            "one.replay.json",
            2,
            "a .json name is the replay file of one scenario, and 2 files are "
            "explored: give a folder",
        ),
        ("file", 1, "exists and is not a folder"),
        ("file/sub", 1, "{tmp}/file is not a folder"),
        ("file/x.replay.json", 1, "{tmp}/file is not a folder"),
        ("folder.json", 1, "a folder, where a replay file name was given (.json)"),
        ("a\0b", 1, "the path holds a NUL byte"),
    ],
)
def test_a_bad_out_is_one_line_and_exit_2_before_exploring(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    out: str,
    files: int,
    problem: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("", encoding="utf-8")
    (tmp_path / "folder.json").mkdir()
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["explore", "--out", out, *[RACE] * files]) == 2
    captured = capsys.readouterr()
    shown = out.replace("\0", "\\x00")
    assert captured.err == f"emu explore: --out {shown}: {problem.format(tmp=tmp_path)}\n"
    assert captured.out == ""  # nothing explored
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing made


def test_an_out_folder_that_cannot_be_written_is_refused_before_exploring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() == 0:  # root may write anywhere: the permission check is what is tested
        monkeypatch.setattr("emu.cli_explore.os.access", lambda path, mode: path != locked)
    assert main(["explore", "--out", str(locked / "replays"), RACE]) == 2
    assert capsys.readouterr().err == (
        f"emu explore: --out {locked / 'replays'}: cannot write in {locked}\n"
    )


def test_a_replay_that_cannot_be_written_after_the_campaign_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(*args: object, **kwargs: object) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("emu.explore.replay.write_replay", refuse)
    out = tmp_path / "r"
    assert main(["explore", "--quiet", "--out", str(out), RACE]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"{out}/bug-apc-counter-race-random-1.replay.json: cannot write the replay: No space "
        "left on device\n"
    )
    assert "-- PASS: bug-apc-counter-race: the declared bug was shown" in captured.out


def test_two_scenarios_with_one_name_get_two_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy.yaml"
    copy.write_text(Path(RACE).read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["explore", "--quiet", "--out", str(tmp_path / "r"), RACE, str(copy)]) == 0
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == [
        "bug-apc-counter-race-random-1-2.replay.json",
        "bug-apc-counter-race-random-1.replay.json",
    ]
    capsys.readouterr()


def test_the_default_out_is_checked_too_and_named_as_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # a campaign whose replay could not be kept is not started
    monkeypatch.chdir(tmp_path)
    (tmp_path / "replays").write_text("", encoding="utf-8")
    assert main(["explore", RACE]) == 2
    assert capsys.readouterr().err == (
        "emu explore: --out replays (the default): exists and is not a folder\n"
    )


def test_the_report_example_is_a_real_run() -> None:
    # docs/report.md's example is generated from emu run --json, so it cannot drift.
    import runpy

    generator = runpy.run_path(str(ROOT / "docs" / "update_report_example.py"))
    text = DOC.read_text(encoding="utf-8")
    section = text.split(generator["BEGIN"], 1)[1].split(generator["END"], 1)[0]
    assert section == generator["example"](), "run: python docs/update_report_example.py"


def test_explore_lists_the_notes_its_schedules_reached(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The cancel race names the outcome each schedule reached (issue 15: emu explore reaches
    # all three).
    race = str(ROOT / "scenarios" / "peerdist" / "cancel-race.yaml")
    assert main(["explore", race]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "notes seen:" in line]
    assert len(lines) == 1
    for outcome in ("cancel found nothing", "cancelled", "completed normally despite the cancel"):
        assert f"'{outcome}' (first in schedule " in lines[0]
