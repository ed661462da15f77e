"""Replay files: a schedule that `emu run FILE.replay.json` reproduces exactly.

A replay file is JSON (docs/exploring.md)::

    {"format": "emu.replay", "version": 1,
     "scenario": {"file": "../scenarios/kernel/x.yaml", "name": "x", "sha256": "..."},
     "found_by": {...the exploration that found it...},
     "properties": ["kernel.lost_update"],
     "schedule": {"keys": [["thread", "main"], ...], "steps": [1, 0, 0, 1, ...]},
     "trace": {"events": 123, "checkpoints": [[1024, "9f2c..."], [123, "..."]]}}

The scenario path is relative to the replay file's folder (absolute if it was elsewhere on
another drive). Nothing in a trace depends on where the scenario is or where emu runs (positions
name the scenario file by its name alone), so a replay reproduces byte for byte from any working
directory, and after the replay and its scenario folder move together. The schedule is compact:
each distinct option key once in ``keys``, then the steps as a flat list of (index, key number)
pairs, so a million choices load in about a second. ``checkpoints`` are running digests of the
trace's JSON lines after every 1,024 events and at the end: a replay reports the first
checkpoint where the trace differs. The scenario's sha256 says whether the file changed since; a
changed scenario is still replayed (strictly), and the first step where it no longer fits is
reported.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from emu.errors import ScenarioError
from emu.kernel.chooser import OptionKey, Schedule, freeze_key
from emu.kernel.trace import TraceTuple, jsonl_lines

REPLAY_FORMAT: Final = "emu.replay"
REPLAY_VERSION: Final = 1
CHECKPOINT_EVERY: Final = 1024
DIGEST_CHARS: Final = 16


@dataclass(frozen=True, slots=True)
class Replay:
    """A loaded replay file."""

    path: str
    scenario_file: str  # where the scenario is, from the replay file's folder
    scenario_sha256: str | None
    schedule: Schedule
    checkpoints: tuple[tuple[int, str], ...]
    properties: tuple[str, ...]
    found_by: dict[str, Any]


def checkpoints(events: list[TraceTuple]) -> list[tuple[int, str]]:
    """Running digests of the trace's JSON lines: after every CHECKPOINT_EVERY events and at
    the end."""
    digest = hashlib.sha256()
    marks: list[tuple[int, str]] = []
    lines = jsonl_lines(events)
    digest.update(next(lines).encode())  # the header
    count = 0
    for line in lines:
        digest.update(line.encode())
        count += 1
        if count % CHECKPOINT_EVERY == 0:
            marks.append((count, digest.hexdigest()[:DIGEST_CHARS]))
    if not marks or marks[-1][0] != count:
        marks.append((count, digest.hexdigest()[:DIGEST_CHARS]))
    return marks


def first_difference(recorded: tuple[tuple[int, str], ...], events: list[TraceTuple]) -> str | None:
    """Where a replayed trace differs from the recorded checkpoints, or None."""
    got = checkpoints(events)
    for (count, digest), mine in zip(recorded, got, strict=False):
        if mine != (count, digest):
            return (
                f"the trace differs from the recorded one by event {count} (recorded digest "
                f"{digest}, got {mine[1]} after {mine[0]} events)"
            )
    if len(recorded) != len(got):
        return (
            f"the trace has {got[-1][0]} events; the recorded one had {recorded[-1][0]}"
            if recorded and got
            else "the trace is empty"
        )
    return None


def encode_schedule(schedule: Schedule) -> dict[str, Any]:
    keys: list[OptionKey] = []
    numbers: dict[str, int] = {}
    steps: list[int] = []
    for index, key in schedule:
        text = json.dumps(key)
        number = numbers.get(text)
        if number is None:
            number = numbers[text] = len(keys)
            keys.append(key)
        steps.extend((int(index), number))
    return {"keys": keys, "steps": steps}


def decode_schedule(data: Any, where: str) -> Schedule:
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ScenarioError("the schedule is not {keys: [...], steps: [...]}", file=where)
    keys = [freeze_key(k) for k in data["keys"]]
    steps = data.get("steps")
    if not isinstance(steps, list) or len(steps) % 2 or not all(type(s) is int for s in steps):
        raise ScenarioError("schedule.steps is not a flat list of integer pairs", file=where)
    out: Schedule = []
    for i in range(0, len(steps), 2):
        index, number = steps[i], steps[i + 1]
        if index < 0 or not 0 <= number < len(keys):
            raise ScenarioError(f"schedule step {i // 2} is out of range", file=where)
        out.append((index, keys[number]))
    return out


def write_replay(
    path: str | Path,
    *,
    scenario_file: str,
    scenario_sha256: str | None,
    schedule: Schedule,
    events: list[TraceTuple],
    properties: list[str],
    found_by: dict[str, Any],
) -> Path:
    """Write a replay file; its folder is created if needed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        relative = os.path.relpath(Path(scenario_file).resolve(), target.parent.resolve())
    except ValueError:  # another drive
        relative = str(Path(scenario_file).resolve())
    document = {
        "format": REPLAY_FORMAT,
        "version": REPLAY_VERSION,
        "scenario": {
            "file": Path(relative).as_posix(),
            "sha256": scenario_sha256,
        },
        "found_by": found_by,
        "properties": properties,
        "schedule": encode_schedule(schedule),
        "trace": {"events": len(events), "checkpoints": [list(c) for c in checkpoints(events)]},
    }
    target.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    return target


def is_replay_file(path: str | Path) -> bool:
    return str(path).endswith(".json")


def load_replay(path: str | Path) -> Replay:
    """Read a replay file; a malformed one is a one-line ScenarioError."""
    where = str(path)
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror}", file=where) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"not a JSON replay file: {exc}", file=where) from None
    if not isinstance(document, dict) or document.get("format") != REPLAY_FORMAT:
        raise ScenarioError(f"not a replay file (format is not {REPLAY_FORMAT!r})", file=where)
    if document.get("version") != REPLAY_VERSION:
        raise ScenarioError(
            f"replay format version {document.get('version')!r}; this emu reads {REPLAY_VERSION}",
            file=where,
        )
    scenario = document.get("scenario")
    if not isinstance(scenario, dict) or not isinstance(scenario.get("file"), str):
        raise ScenarioError("scenario.file is missing", file=where)
    trace = document.get("trace") or {}
    marks = tuple(
        (int(c[0]), str(c[1]))
        for c in trace.get("checkpoints", [])
        if isinstance(c, list) and len(c) == 2
    )
    sha = scenario.get("sha256")
    located = os.path.normpath(Path(path).parent / scenario["file"])
    return Replay(
        path=where,
        scenario_file=located,
        scenario_sha256=sha if isinstance(sha, str) else None,
        schedule=decode_schedule(document.get("schedule"), where),
        checkpoints=marks,
        properties=tuple(str(p) for p in document.get("properties", [])),
        found_by=dict(document.get("found_by") or {}),
    )
