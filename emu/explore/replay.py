"""Replay files: a schedule that `emu run FILE.replay.json` reproduces exactly.

A replay file is JSON (docs/exploring.md)::

    {"format": "emu.replay", "version": 3,
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
pairs, so a million choices load in well under a second. The scenario's sha256 says whether the
file changed since; a changed scenario is still replayed (strictly), and the first step where it
no longer fits is reported.

``checkpoints`` are running SHA-256 digests of the trace after every 1,024 events and at the
end (the first 16 hex digits): a replay reports the first checkpoint where its trace differs.
The digested bytes are the trace header line of the JSON-lines export and a newline, then each
event tuple ``(time, actor, kind, objects, payload, cause)`` (trace schema 2) as a compact
JSON array followed by a comma: tuples as arrays, ASCII only, no spaces
(``[10000,4,"api",[],["SleepEx",[4294967295,1],192,null],-1],``). The array holds exactly
what the event's JSON line holds (the line only adds the field names, which follow from
``kind``, and ``seq``, the event's position), so the digests agree exactly when the exports
would; and the C encoder writes 1,024
events at a time, so a digest costs under a microsecond per event, where digesting the JSON
lines cost six (they build a dict per event). The bytes depend on nothing of the process: not
on ``hash()`` or PYTHONHASHSEED; not on object identity (``pickle`` and ``marshal`` write a
value met twice as a back-reference, so a compacted trace, whose equal tuples are one object,
would encode differently, and ``marshal``'s format changes between Python versions); not on
the Unicode tables ``repr`` consults (a non-ASCII character is escaped as ``\\u`` and four
hex digits). JSON text for ints, strings, null and booleans is the same on every platform and
Python version. A change of the event tuple's layout changes the digests, and then
``REPLAY_VERSION`` must move (a test pins the digest of a fixed trace to its bytes).

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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from emu.errors import EmulatorFault, ScenarioError
from emu.explore.jsontext import locate, parse_json
from emu.explore.replay_check import (
    DIGEST_CHARS,
    REPLAY_FORMAT,
    REPLAY_VERSION,
    Fields,
    freeze,
    is_option_key,
)
from emu.kernel.chooser import OptionKey, Schedule
from emu.kernel.trace import TRACE_SCHEMA, TRACE_SCHEMA_VERSION, TraceTuple

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
    text: str = field(default="", repr=False, compare=False)  # the file's JSON, to locate

    @property
    def scenario_position(self) -> tuple[int, int]:
        """The line and column of ``scenario.file`` in the replay file (0, 0 without its
        text): found only when asked, for an error, as it walks the whole document."""
        return locate(self.text, ("scenario", "file")) if self.text else (0, 0)


_HEADER: Final = (
    json.dumps({"schema": TRACE_SCHEMA, "version": TRACE_SCHEMA_VERSION}, separators=(",", ":"))
    + "\n"
).encode("ascii")
_ENCODE: Final = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
"""Compact JSON of plain data (trace tuples hold ints, strings, None, booleans and tuples of
them, never a cycle, so the encoder's cycle check is skipped)."""


def running_digests(events: list[TraceTuple], counts: Iterable[int]) -> Iterator[str]:
    """The trace's running digest after each of ``counts`` events (going up, each at most
    ``len(events)``), encoded ``CHECKPOINT_EVERY`` events at a time."""
    digest = hashlib.sha256(_HEADER)
    done = 0
    for count in counts:
        while done < count:
            upto = min(count, done + CHECKPOINT_EVERY)
            # "[e1,...,en]" -> "e1,...,en," : each event's array followed by a comma
            digest.update(_ENCODE(events[done:upto])[1:-1].encode("ascii") + b",")
            done = upto
        yield digest.hexdigest()[:DIGEST_CHARS]


def checkpoint_counts(events: int) -> list[int]:
    """Where checkpoints are taken: after every CHECKPOINT_EVERY events and at the end."""
    counts = list(range(CHECKPOINT_EVERY, events + 1, CHECKPOINT_EVERY))
    if not counts or counts[-1] != events:
        counts.append(events)
    return counts


def checkpoints(events: list[TraceTuple]) -> list[tuple[int, str]]:
    """The running digests of the trace: after every CHECKPOINT_EVERY events and at the end."""
    counts = checkpoint_counts(len(events))
    return list(zip(counts, running_digests(events, counts), strict=True))


def first_difference(recorded: tuple[tuple[int, str], ...], events: list[TraceTuple]) -> str | None:
    """Where a replayed trace differs from the recorded checkpoints, or None.

    Each recorded checkpoint within the replayed trace is checked in order, and the first that
    differs is reported (the events after the one before it are where the traces part); then
    the lengths are compared."""
    within = [mark for mark in recorded if mark[0] <= len(events)]
    counts = [count for count, _ in within]
    before = 0
    for (count, digest), mine in zip(within, running_digests(events, counts), strict=True):
        if mine != digest:
            return (
                f"the trace differs from the recorded one by event {count} (in events "
                f"{before} to {count - 1}: recorded digest {digest}, got {mine})"
            )
        before = count
    if recorded and recorded[-1][0] != len(events):
        return f"the trace has {len(events):,} events; the recorded one had {recorded[-1][0]:,}"
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
        text=text,
    )


def scenario_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
