"""Replay files reproduce their run from anywhere, and check it against digests of its trace
(emu/explore/replay.py).

Nothing in a trace may depend on the working directory, the path a scenario was given by, the
user or the machine: positions compiled into a run name the scenario file by its name alone.
A replay recorded in one directory passes its digest check when run from others, and after
the replay and the scenario folder move elsewhere together.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from enum import IntEnum
from pathlib import Path
from typing import Any, cast

import pytest

from emu.cli import main
from emu.explore.replay import checkpoints, first_difference, load_replay
from emu.explore.replay_check import REPLAY_VERSION
from emu.kernel.chooser import RandomChooser
from emu.kernel.trace import TraceTuple
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


# -- trace checkpoints ---------------------------------------------------------------------------
# docs/exploring.md, "Trace checkpoints": the SHA-256 of the export's header line and a newline,
# then each event tuple as a compact ASCII JSON array followed by a comma; the first 16 hex
# digits, after every 1,024 events and at the end.

HEADER = b'{"schema":"emu.trace","version":2}\n'


def synthetic(count: int) -> list[TraceTuple]:
    """Events of every value type a trace holds (ints, strings, booleans, None, tuples)."""
    kinds = ("api", "choice", "mem.rmw")
    return [
        (
            i // 7 * 10_000,
            1 + i % 3,
            kinds[i % 3],
            (i % 5,) if i % 2 else (),
            ("SetEvent", (4, i), i % 2 == 0, None, "caf\u00e9"),
            i - 1,
        )
        for i in range(count)
    ]


def test_a_checkpoint_digests_the_events_as_the_format_says() -> None:
    events: list[TraceTuple] = [
        (0, 0, "obj.create", (1,), ("Event", 'd\u00e9j\u00e0 "vu"\n'), -1),
        (5, 1, "api", (), ("SetEvent", (4, (1, "x")), True, None), 0),
    ]
    encoded = (
        HEADER + b'[0,0,"obj.create",[1],["Event","d\\u00e9j\\u00e0 \\"vu\\"\\n"],-1],'
        b'[5,1,"api",[],["SetEvent",[4,[1,"x"]],true,null],0],'
    )
    assert checkpoints(events) == [(2, hashlib.sha256(encoded).hexdigest()[:16])]
    assert checkpoints([]) == [(0, hashlib.sha256(HEADER).hexdigest()[:16])]


def test_the_digests_of_a_fixed_trace_are_pinned() -> None:
    # If this fails, the digest's bytes changed (the encoder, or the event tuple's layout):
    # replay files written before no longer verify, so REPLAY_VERSION must move with it.
    assert REPLAY_VERSION == 3
    assert checkpoints(synthetic(2500)) == [
        (1024, "bab443f5541fc6b4"),
        (2048, "e6bcd9f526dda46b"),
        (2500, "f5c3780a5d6f18b1"),
    ]
    assert [count for count, _ in checkpoints(synthetic(2048))] == [1024, 2048]


SEEDED_RUN = """
import json, sys
from emu.explore.replay import checkpoints
from emu.kernel.chooser import RandomChooser
from emu.scenario.loader import load_scenario
from emu.sim.simulation import Simulation
result = Simulation(load_scenario(sys.argv[1]), chooser=RandomChooser(5)).run()
sys.stdout.write(json.dumps(checkpoints(result.k.trace.events)))
"""


def test_the_digests_are_the_same_in_fresh_processes_under_any_hash_seed() -> None:
    scenario = load_scenario(KERNEL / RACE)
    here = checkpoints(Simulation(scenario, chooser=RandomChooser(5)).run().k.trace.events)
    for seed in ("0", "4242"):
        out = subprocess.run(
            [sys.executable, "-c", SEEDED_RUN, str(KERNEL / RACE)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        ).stdout
        assert [tuple(mark) for mark in json.loads(out)] == here


@pytest.mark.parametrize(
    ("changed", "checkpoint", "part"),
    [
        (0, 1024, "0 to 1023"),
        (1023, 1024, "0 to 1023"),
        (1024, 2048, "1024 to 2047"),
        (2499, 2500, "2048 to 2499"),
    ],
)
def test_a_changed_event_is_reported_at_the_first_checkpoint_after_it(
    changed: int, checkpoint: int, part: str
) -> None:
    events = synthetic(2500)
    recorded = tuple(checkpoints(events))
    assert first_difference(recorded, events) is None
    time, actor, kind, objects, payload, cause = events[changed]
    events[changed] = (time, actor, kind, objects, (*payload[:2], 1, *payload[3:]), cause)
    problem = first_difference(recorded, events)
    mine = dict(checkpoints(events))[checkpoint]
    assert problem == (
        f"the trace differs from the recorded one by event {checkpoint} (in events {part}: "
        f"recorded digest {dict(recorded)[checkpoint]}, got {mine})"
    )


class Actor(IntEnum):
    THIRD = 3


def replaced(event: TraceTuple, field: int, value: Any) -> TraceTuple:
    return cast(TraceTuple, (*event[:field], value, *event[field + 1 :]))


def test_every_field_of_an_event_is_digested_as_the_export_holds_it() -> None:
    events = synthetic(10)
    recorded = checkpoints(events)
    for field, value in enumerate([99, 99, "other", (9,), (9, 9), 99]):
        changed = [*events[:5], replaced(events[5], field, value), *events[6:]]
        assert checkpoints(changed) != recorded, field
    # what the JSON-lines export cannot tell apart, the digest does not either: a list for a
    # tuple, an int subclass for its value
    same = replaced(replaced(events[5], 3, list(events[5][3])), 1, Actor.THIRD)
    assert same[1] == events[5][1] and type(same[1]) is not int
    assert checkpoints([*events[:5], same, *events[6:]]) == recorded


def test_a_trace_longer_or_shorter_than_the_recorded_one_is_reported() -> None:
    events = synthetic(2500)
    recorded = tuple(checkpoints(events))
    assert first_difference(recorded, events[:2499]) == (
        "the trace has 2,499 events; the recorded one had 2,500"
    )
    longer = [*events, (2500, 0, 0, "run.end", (), ("done",), -1)]
    assert first_difference(recorded, longer) == (
        "the trace has 2,501 events; the recorded one had 2,500"
    )
    # a shorter trace that differs before its end: the difference is reported first
    events[3] = (*events[3][:6], 77)
    assert first_difference(recorded, events[:2000]) is not None
    assert str(first_difference(recorded, events[:2000])).startswith(
        "the trace differs from the recorded one by event 1024 (in events 0 to 1023"
    )


PLAIN = (int, str, bool, type(None))


def _plain(value: object) -> bool:
    if type(value) is tuple:
        return all(_plain(v) for v in value)
    return type(value) in PLAIN


def test_shipped_traces_hold_only_plain_values() -> None:
    # The digest writes what JSON writes; the traces hold only exact ints, strings, booleans,
    # None and tuples of them, so nothing reaches it that the export would write otherwise.
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")):
        for seed in (None, 1):
            result = Simulation(load_scenario(path), seed=seed).run()
            odd = [event for event in result.k.trace.events if not _plain(event)]
            assert odd == [], f"{path.name}: {odd[:3]}"
