"""Replay files: a schedule that `emu run FILE.replay.json` reproduces exactly.

A replay file is JSON (docs/exploring.md)::

    {"format": "emu.replay", "version": 1,
     "scenario": {"file": "../scenarios/kernel/x.yaml", "sha256": "..."},
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

Reading one never raises anything but a one-line ``ScenarioError`` naming the file and where:
the file cannot be read (``file: cannot read the file: ...``), is not UTF-8 JSON within the
limits of ``emu.explore.jsontext`` (at the line and column), or a field has the wrong type or
range (``emu.explore.replay_check``: at the value, with its JSON path). Writing encodes the
whole document first (keys the format cannot hold, NaN or infinity are emu's own fault, an
``EmulatorFault``), then replaces the file in one step, so a failed write never leaves half a
replay.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from emu.errors import EmulatorFault, ScenarioError
from emu.explore.jsontext import parse_json
from emu.explore.replay_check import (
    DIGEST_CHARS,
    REPLAY_FORMAT,
    REPLAY_VERSION,
    Fields,
    freeze,
    is_option_key,
)
from emu.kernel.chooser import OptionKey, Schedule
from emu.kernel.trace import TraceTuple, jsonl_lines

CHECKPOINT_EVERY: Final = 1024
MAX_FILE_BYTES: Final = 256 << 20
"""The largest file emu reads as a replay or a scenario (a million choices take ~10 MiB)."""


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
    scenario_position: tuple[int, int] = (0, 0)  # of scenario.file in the replay file


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
    """``{keys, steps}``: each distinct option key once, then (index, key number) pairs.

    A step the format cannot hold (a key that is not a string, an integer within 64 bits or a
    tuple of keys; a negative index) is emu's own fault: ``EmulatorFault``."""
    keys: list[OptionKey] = []
    numbers: dict[OptionKey, int] = {}
    steps: list[int] = []
    for index, given in schedule:
        key = given
        try:
            number = numbers.get(key)
        except TypeError:  # a list: as the run would offer it, a tuple
            key = freeze(given)
            number = numbers.get(key)
        if number is None:
            if not is_option_key(key):
                raise EmulatorFault(f"an option key a replay file cannot hold: {given!r}")
            number = numbers[key] = len(keys)
            keys.append(key)
        if type(index) is not int or index < 0:
            raise EmulatorFault(f"an option index a replay file cannot hold: {index!r}")
        steps.append(index)
        steps.append(number)
    return {"keys": keys, "steps": steps}


def decode_schedule(data: Any, where: str, text: str | None = None) -> Schedule:
    """The schedule of a replay's ``schedule`` object; a one-line ScenarioError if malformed
    (located in ``text``, the file's JSON, when given)."""
    return Fields(where, text).schedule(data)


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
    """Write a replay file; its folder is created if needed. OSError if it cannot be."""
    target = Path(path)
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
    text = _json_text(document)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.partial")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


STEPS_PER_LINE: Final = 32
_STEPS: Final = "\0steps\0"
"""A placeholder for the steps in the encoded text (replaced by their rows)."""


def _json_text(document: dict[str, Any]) -> str:
    """The document as indented JSON, its schedule's steps as rows of ``STEPS_PER_LINE``
    numbers (a million choices write in well under a second, and stay readable)."""
    schedule = document["schedule"]
    steps: list[int] = schedule["steps"]
    try:
        text = json.dumps(
            {**document, "schedule": {**schedule, "steps": _STEPS}}, indent=1, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise EmulatorFault(f"a replay document that is not JSON: {exc}") from None
    token = json.dumps(_STEPS)
    if text.count(token) != 1:  # found_by held the placeholder: write the steps plainly
        return json.dumps(document, indent=1, allow_nan=False) + "\n"
    rows = [
        ", ".join(map(str, steps[i : i + STEPS_PER_LINE]))
        for i in range(0, len(steps), STEPS_PER_LINE)
    ]
    listing = "[\n   " + ",\n   ".join(rows) + "\n  ]" if rows else "[]"
    return text.replace(token, listing) + "\n"


REPLAY_SUFFIX: Final = ".replay.json"
"""The name ``emu explore`` gives a replay file: a file so named is read as a replay."""


def is_replay_file(path: str | Path, data: bytes | None = None) -> bool:
    """Whether a file is a replay, by its name and its content.

    A ``*.replay.json`` name is a replay whatever it holds (its errors are a replay's). Any
    other ``*.json`` file is a replay only when its ``data`` is a JSON object whose
    ``format`` is ``emu.replay``: anything else (a scenario written as JSON, which YAML
    reads, or text that is not JSON at all) is loaded as a scenario and its errors reported
    as a scenario's. Without ``data``, only the name decides."""
    name = str(path)
    if name.endswith(REPLAY_SUFFIX):
        return True
    if not name.endswith(".json") or data is None:
        return False
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):  # not JSON (or too deep for it): not a replay
        return False
    return isinstance(document, dict) and document.get("format") == REPLAY_FORMAT


def read_file(
    path: str | Path,
    *,
    file: str | None = None,
    what: str = "the file",
    line: int = 0,
    column: int = 0,
    at: str = "",
) -> bytes:
    """The bytes of ``path``, or a one-line ScenarioError, ``file: cannot read the file: why``
    (``file`` and the position name where the path came from, when not the command line)."""
    name = str(path)
    where = name if file is None else file

    def refuse(why: str) -> ScenarioError:
        return ScenarioError(
            f"cannot read {what}: {why}", file=where, line=line, column=column, path=at
        )

    if "\0" in name:
        raise refuse("its name holds a NUL byte")
    try:
        os.fsencode(name)
    except UnicodeError:
        raise refuse("its name holds characters no file name can") from None
    try:
        with open(name, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise refuse(exc.strerror or type(exc).__name__) from None
    if len(data) > MAX_FILE_BYTES:
        raise refuse(f"it is larger than {MAX_FILE_BYTES >> 20} MiB")
    return data


def load_replay(path: str | Path) -> Replay:
    """Read a replay file; a malformed one is a one-line ScenarioError."""
    where = str(path)
    document, text = parse_json(read_file(path), where)
    fields = Fields(where, text)
    top = fields.header(document)
    file, sha = fields.scenario(top["scenario"])
    found_by = fields.found_by(top.get("found_by"))
    properties = fields.properties(top.get("properties"))
    schedule = fields.schedule(top["schedule"])
    marks = fields.trace(top["trace"])
    return Replay(
        path=where,
        scenario_file=os.path.normpath(Path(path).parent / file),
        scenario_sha256=sha,
        schedule=schedule,
        checkpoints=marks,
        properties=properties,
        found_by=found_by,
        scenario_position=fields.position(("scenario", "file")),
    )


def scenario_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
