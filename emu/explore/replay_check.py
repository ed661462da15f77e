"""The fields of a replay file, checked for type and range before anything uses them.

A replay file is JSON that ``emu explore`` (or a failing test) wrote, but a user can hand emu
any file, so every field is checked the way a scenario's are: a problem is one
``ScenarioError``, ``file:line:column: message [in json.path]``, at the value that is wrong (or
the object a required key is missing from). The rules, which docs/exploring.md lists:

- the document is an object with exactly ``format`` (``"emu.replay"``), ``version`` (3),
  ``scenario``, ``schedule`` and ``trace``, and optionally ``found_by`` and ``properties``;
  any other key is an error (with a "did you mean"). A file of an earlier version (version
  1's checkpoints digest the JSON-lines export; version 2's the events of trace schema 1,
  which carried each event's number) is refused with the command that records it again: the
  digests cannot be recomputed without the recorded trace, so it is not migrated;
- ``scenario``: ``file``, a non-empty path of at most 4,096 characters with no NUL (relative to
  the replay's folder, or absolute), and optionally ``sha256``, 64 lowercase hex digits or null;
- ``found_by``: an object (how the run was found: shown, never interpreted), nesting no deeper
  than the file's limit;
- ``properties``: a list of property ids (non-empty strings of at most 200 characters);
- ``schedule``: ``keys``, a list of option keys (a string, an integer within 64 bits, or a list
  of option keys, nested at most ``MAX_KEY_NESTING`` deep), and ``steps``, a flat list of
  integer pairs: an option index from 0 to ``MAX_OPTION_INDEX`` and a key number into ``keys``
  (checked a whole list at a time; the step-by-step walk runs only to locate a problem);
- ``trace``: ``events``, a count, and ``checkpoints``, a non-empty list of
  ``[events, digest]`` pairs whose counts go up and end at ``events``, each digest 16 lowercase
  hex digits.
"""

from __future__ import annotations

import os
import re
import shlex
from typing import Any, Final, NoReturn

from emu.errors import ScenarioError, printable
from emu.explore.jsontext import MAX_NESTING, JsonPath, check_nesting, crumb, locate
from emu.kernel.chooser import OptionKey, Schedule
from emu.scenario.shape import did_you_mean

REPLAY_FORMAT: Final = "emu.replay"
REPLAY_VERSION: Final = 3
RETIRED_VERSIONS: Final = {
    1: "its trace checkpoints are digests of the JSON lines",
    2: "its trace checkpoints digest the events of trace schema 1",
}
"""Versions this emu refuses with the way to a new file, and why (version 3's checkpoints
digest the events of trace schema 2 themselves, emu.explore.replay)."""
DIGEST_CHARS: Final = 16
MAX_OPTION_INDEX: Final = 999_999
"""The largest option index a step may name: no choice point offers a million options."""
MAX_KEY_NESTING: Final = 4
MAX_PATH_CHARS: Final = 4096
MAX_ID_CHARS: Final = 200
KEY_INT_BOUND: Final = 1 << 63

TOP_KEYS: Final = ("format", "version", "scenario", "found_by", "properties", "schedule", "trace")
REQUIRED: Final = ("format", "version", "scenario", "schedule", "trace")
_HEX: Final = re.compile(r"[0-9a-f]+\Z")


def describe(value: Any) -> str:
    """A JSON value as a message names it: ``the string 'x'``, ``a list``, ``null``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) >= 10**30:
            return f"a {len(str(abs(value))):,}-digit number"
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else f"{value[:37]}..."
        return f"the string {shown!r}"
    if isinstance(value, list):
        return "an empty list" if not value else "a list"
    return "an object"


def is_option_key(key: Any, depth: int = 1) -> bool:
    """A key a choice point can offer, as JSON holds it: a string, an integer within 64 bits,
    or a list of keys (a tuple in a run), nested at most ``MAX_KEY_NESTING`` deep."""
    if isinstance(key, str):
        return True
    if isinstance(key, int) and not isinstance(key, bool):
        return -KEY_INT_BOUND <= key < KEY_INT_BOUND
    if isinstance(key, list | tuple):
        return depth < MAX_KEY_NESTING and all(is_option_key(k, depth + 1) for k in key)
    return False


def freeze(key: Any) -> OptionKey:
    """A checked key as the run offers it (lists become tuples)."""
    return tuple(freeze(k) for k in key) if isinstance(key, list) else key


class Fields:
    """Checks the fields of one decoded replay document; ``text`` locates errors (None: the
    document did not come from text, and errors carry only their JSON path)."""

    def __init__(self, file: str, text: str | None) -> None:
        self.file = file
        self.text = text

    def fail(self, message: str, path: JsonPath) -> NoReturn:
        line, column = self.position(path)
        raise ScenarioError(message, file=self.file, line=line, column=column, path=crumb(path))

    def position(self, path: JsonPath) -> tuple[int, int]:
        return locate(self.text, path) if self.text is not None else (0, 0)

    def object(
        self,
        value: Any,
        path: JsonPath,
        what: str,
        keys: tuple[str, ...],
        required: tuple[str, ...],
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(f"expected {what}, found {describe(value)}", path)
        for key in value:
            if key not in keys:
                shown = key if len(key) <= 40 else f"{key[:37]}..."
                hint = did_you_mean(key, keys) if len(key) <= 64 else ""
                self.fail(
                    f"unknown key {shown!r}{hint} in {what}; its keys: {', '.join(keys)}",
                    (*path, key),
                )
        for key in required:
            if key not in value:
                self.fail(f"missing key {key!r} in {what}", path)
        return value

    def header(self, document: Any) -> dict[str, Any]:
        """The document's object, format and version; the other keys are checked after."""
        if not isinstance(document, dict):
            self.fail(
                f"expected a replay file: a JSON object with format {REPLAY_FORMAT!r}, found "
                f"{describe(document)}",
                (),
            )
        fmt = document.get("format")
        if fmt != REPLAY_FORMAT:
            hint = (
                " (a scenario written as JSON is named .json or .yaml, not .replay.json)"
                if fmt is None and "threads" in document
                else ""
            )
            where = ("format",) if "format" in document else ()
            self.fail(f"not a replay file: its format is not {REPLAY_FORMAT!r}{hint}", where)
        version = document.get("version")
        if "version" not in document:
            self.fail(f"missing key 'version' (this emu reads version {REPLAY_VERSION})", ())
        if type(version) is not int:
            self.fail(
                f"expected the replay format version {REPLAY_VERSION}, found {describe(version)}",
                ("version",),
            )
        if version in RETIRED_VERSIONS:
            self.fail(self._retired(version, document.get("scenario")), ("version",))
        if version != REPLAY_VERSION:
            self.fail(
                f"replay format version {describe(version).removeprefix('the number ')}: this "
                f"emu reads version {REPLAY_VERSION}",
                ("version",),
            )
        return self.object(document, (), "a replay file", TOP_KEYS, REQUIRED)

    def _retired(self, version: int, scenario: Any) -> str:
        """Why a file of an earlier version is refused, and the command that records it again
        (its scenario named as from the working directory, when the file names one)."""
        file = scenario.get("file") if isinstance(scenario, dict) else None
        target = "its scenario"
        if isinstance(file, str) and file and len(file) <= MAX_PATH_CHARS and "\0" not in file:
            where = os.path.normpath(os.path.join(os.path.dirname(self.file), file))
            target = shlex.quote(printable(where))
        return (
            f"replay format version {version} is no longer read ({RETIRED_VERSIONS[version]}; "
            f"version {REPLAY_VERSION} digests the events of trace schema 2): "
            f"re-run emu explore {target} to record it again"
        )

    def scenario(self, value: Any) -> tuple[str, str | None]:
        """``scenario``: the file (as written) and its sha256."""
        fields = self.object(
            value,
            ("scenario",),
            "the scenario {file: ..., sha256: ...}",
            ("file", "sha256"),
            ("file",),
        )
        file = fields["file"]
        at = ("scenario", "file")
        if not isinstance(file, str) or not file:
            self.fail(f"expected the scenario's path, found {describe(file)}", at)
        if len(file) > MAX_PATH_CHARS:
            self.fail(f"the scenario's path is longer than {MAX_PATH_CHARS:,} characters", at)
        if "\0" in file:
            self.fail("the scenario's path holds a NUL byte", at)
        try:
            os.fsencode(file)
        except UnicodeError:
            self.fail("the scenario's path holds characters no file name can", at)
        sha = fields.get("sha256")
        if sha is not None and not (
            isinstance(sha, str) and len(sha) == 64 and _HEX.match(sha) is not None
        ):
            self.fail(
                f"expected the scenario's sha256 (64 lowercase hex digits) or null, found "
                f"{describe(sha)}",
                ("scenario", "sha256"),
            )
        return file, sha

    def found_by(self, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(
                f"expected an object (how the run was found), found {describe(value)}",
                ("found_by",),
            )
        if not check_nesting(value, MAX_NESTING - 1):
            self.fail(f"nesting deeper than {MAX_NESTING} levels", ("found_by",))
        return value

    def properties(self, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(f"expected a list of property ids, found {describe(value)}", ("properties",))
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item or len(item) > MAX_ID_CHARS:
                self.fail(
                    f"expected a property id (such as 'kernel.lost_update'), found "
                    f"{describe(item)}",
                    ("properties", index),
                )
        return tuple(value)

    def schedule(self, value: Any) -> Schedule:
        """``schedule``: the pairs (option index, option key) it encodes."""
        fields = self.object(
            value,
            ("schedule",),
            "the schedule {keys: [...], steps: [...]}",
            ("keys", "steps"),
            ("keys", "steps"),
        )
        keys = fields["keys"]
        if not isinstance(keys, list):
            self.fail(
                f"expected a list of option keys, found {describe(keys)}", ("schedule", "keys")
            )
        for number, key in enumerate(keys):
            if not is_option_key(key):
                self.fail(
                    "expected an option key (a string, an integer within 64 bits, or a list of "
                    f"them nested at most {MAX_KEY_NESTING} deep), found {describe(key)}",
                    ("schedule", "keys", number),
                )
        frozen = [freeze(k) for k in keys]
        steps = fields["steps"]
        if not isinstance(steps, list):
            self.fail(
                f"expected a flat list of integer pairs, found {describe(steps)}",
                ("schedule", "steps"),
            )
        if len(steps) % 2:
            self.fail(
                f"expected a flat list of integer pairs, found {len(steps):,} integers (an odd "
                "count)",
                ("schedule", "steps"),
            )
        indices, numbers = steps[0::2], steps[1::2]
        if not steps or (
            set(map(type, steps)) == {int}  # no bool, float or string among them
            and min(indices) >= 0
            and max(indices) <= MAX_OPTION_INDEX
            and min(numbers) >= 0
            and max(numbers) < len(frozen)
        ):  # all well: built in C, a million steps in a fraction of a second
            return list(zip(indices, map(frozen.__getitem__, numbers), strict=True))
        out: Schedule = []
        for i in range(0, len(steps), 2):  # a problem: find the first, at its place
            index, number = steps[i], steps[i + 1]
            if type(index) is not int or not 0 <= index <= MAX_OPTION_INDEX:
                self.fail(
                    f"expected an option index, 0 to {MAX_OPTION_INDEX:,}, found {describe(index)}",
                    ("schedule", "steps", i),
                )
            if type(number) is not int or not 0 <= number < len(frozen):
                self.fail(
                    f"expected a key number, 0 to {len(frozen) - 1} (schedule.keys has "
                    f"{len(frozen)}), found {describe(number)}",
                    ("schedule", "steps", i + 1),
                )
            out.append((index, frozen[number]))
        return out

    def trace(self, value: Any) -> tuple[tuple[int, str], ...]:
        """``trace``: its checkpoints (the count of events, the digest after them)."""
        fields = self.object(
            value,
            ("trace",),
            "the trace {events: N, checkpoints: [...]}",
            ("events", "checkpoints"),
            ("events", "checkpoints"),
        )
        events = fields["events"]
        if type(events) is not int or not 0 <= events < KEY_INT_BOUND:
            self.fail(f"expected a count of events, found {describe(events)}", ("trace", "events"))
        marks = fields["checkpoints"]
        at: JsonPath = ("trace", "checkpoints")
        if not isinstance(marks, list) or not marks:
            self.fail(f"expected a list of [events, digest] pairs, found {describe(marks)}", at)
        out: list[tuple[int, str]] = []
        for index, mark in enumerate(marks):
            here = (*at, index)
            if not isinstance(mark, list) or len(mark) != 2:
                self.fail(f"expected an [events, digest] pair, found {describe(mark)}", here)
            count, digest = mark
            if type(count) is not int or not 0 <= count <= events:
                self.fail(
                    f"expected a count of events, 0 to {events:,} (trace.events), found "
                    f"{describe(count)}",
                    (*here, 0),
                )
            if out and count <= out[-1][0]:
                self.fail(f"checkpoint counts go up: {count} comes after {out[-1][0]}", (*here, 0))
            if not (isinstance(digest, str) and len(digest) == DIGEST_CHARS and _HEX.match(digest)):
                self.fail(
                    f"expected a digest ({DIGEST_CHARS} lowercase hex digits), found "
                    f"{describe(digest)}",
                    (*here, 1),
                )
            out.append((count, digest))
        if out[-1][0] != events:
            self.fail(
                f"the last checkpoint is after {out[-1][0]:,} events; the trace has {events:,} "
                "(trace.events)",
                (*at, len(out) - 1, 0),
            )
        return tuple(out)
