"""Replay files reproduce their run from anywhere (emu/explore/replay.py).

Nothing in a trace may depend on the working directory, the path a scenario was given by, the
user or the machine: positions compiled into a run name the scenario file by its name alone.
A replay recorded in one directory passes its digest check when run from others, and after
the replay and the scenario folder move elsewhere together.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emu.cli import main
from emu.explore.replay import load_replay
from emu.scenario.loader import load_scenario
from emu.sim.simulation import Simulation

ROOT = Path(__file__).resolve().parents[2]
KERNEL = ROOT / "scenarios" / "kernel"
RACE = "bug-apc-counter-race.yaml"


def _project_copy(where: Path) -> Path:
    """A copy of the kernel scenarios folder (the scenario and its programs.py) at ``where``."""
    target = where / "scenarios" / "kernel"
    shutil.copytree(KERNEL, target)
    return target


def _replay(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["run", "--quiet", *args])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert "differs" not in out.out
    return out.out


def test_a_replay_recorded_in_one_directory_passes_from_any_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    origin = tmp_path / "origin"
    _project_copy(origin)
    monkeypatch.chdir(origin)
    # recorded with a relative path, as a user types it
    assert main(["explore", f"scenarios/kernel/{RACE}", "--out", "replays", "--quiet"]) == 0
    capsys.readouterr()
    (replay,) = (origin / "replays").glob("*.replay.json")
    relative = f"../../replays/{replay.name}"

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    _replay([str(replay)], capsys)  # from an unrelated directory, by absolute path
    monkeypatch.chdir(origin / "scenarios" / "kernel")
    _replay([relative], capsys)  # from the scenario's own folder, by relative path

    # the replay and the scenario folder move together, somewhere deeper
    moved = tmp_path / "moved" / "deeper" / "still"
    monkeypatch.chdir(tmp_path)
    shutil.move(str(origin), str(moved))
    monkeypatch.chdir(moved / "replays")
    _replay([replay.name], capsys)
    monkeypatch.chdir(tmp_path)
    _replay([str(moved / "replays" / replay.name)], capsys)
    assert load_replay(moved / "replays" / replay.name).scenario_file.endswith(RACE)


def test_the_trace_does_not_depend_on_the_path_a_scenario_is_given_by(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = _project_copy(tmp_path / "far" / "away")
    traces = []
    for path in (KERNEL / RACE, copy / RACE):
        for where in (ROOT, tmp_path):
            monkeypatch.chdir(where)
            given = Path(path).relative_to(where) if path.is_relative_to(where) else path
            scenario = load_scenario(given)
            result = Simulation(scenario, seed=0).run()  # a schedule where the race hits
            traces.append(result.k.trace.to_jsonl())
    assert all(trace == traces[0] for trace in traces)
    assert str(tmp_path) not in traces[0] and str(ROOT) not in traces[0]
    assert f"{RACE}:" in traces[0]  # positions name the file, without a folder


def test_load_errors_still_name_the_file_by_the_path_given(tmp_path: Path) -> None:
    bad = tmp_path / "sub" / "bad.yaml"
    bad.parent.mkdir()
    bad.write_text("version: 1\nname: bad\nthreads: [\n", encoding="utf-8")
    with pytest.raises(Exception) as info:
        load_scenario(bad)
    assert str(info.value).startswith(f"{bad}:")
