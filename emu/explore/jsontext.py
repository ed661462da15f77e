"""JSON text read for one-line errors: decoding it, and where a value is in it.

A replay file is JSON that emu wrote, but a user can hand emu any file. ``parse_json(data,
file)`` turns every way the bytes can fail to be JSON into a ``ScenarioError`` at a line and a
column: bytes that are not UTF-8 (at the first bad byte), a syntax error (at the decoder's
position), nesting deeper than ``MAX_NESTING`` levels (where it first goes deeper; Python's
decoder would otherwise exhaust its stack on 100,000 nested brackets), a number of more than
4,300 digits (Python's limit on integer conversion), ``NaN`` or ``Infinity`` (not JSON), and a
key given twice in one object (at the second; the decoder would keep the last silently).

``json`` keeps no positions, so an error found after parsing is located by its JSON path
(``("schedule", "steps", 12)``): ``locate(text, path)`` walks the text to that value, skipping
the values before it with the decoder's own ``raw_decode``, and returns its 1-based line and
column (characters). A path that leads nowhere (a key that is missing) stops at the deepest
value found, the object the key is missing from. Only error paths call it.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Sequence
from typing import Any, Final

from emu.errors import ScenarioError

MAX_NESTING: Final = 64
"""The deepest nesting of arrays and objects accepted (a replay file needs five)."""

JsonPath = Sequence[str | int]

_DECODER: Final = json.JSONDecoder()
_WHITESPACE: Final = re.compile(r"[ \t\n\r]*")
_TOKENS: Final = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]|-?\d{4301,}|NaN|-?Infinity', re.DOTALL)


_KEYS: Final = re.compile(r'("(?:[^"\\]|\\.)*")(\s*:)?|[\[\]{}]', re.DOTALL)


class _NotJson(ValueError):
    """A constant (NaN, Infinity) that JSON does not have."""


class _Duplicate(ValueError):
    """A key given twice in one object."""


def _refuse_constant(name: str) -> Any:
    raise _NotJson(name)


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _Duplicate
    return found


def parse_json(data: bytes, file: str) -> tuple[Any, str]:
    """The document in ``data`` and its text; a ``ScenarioError`` at a position if it is not
    UTF-8 JSON within the limits above."""
    data = data.removeprefix(codecs.BOM_UTF8)  # an editor's byte-order mark is not an error
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(data, exc.start)
        raise ScenarioError(
            f"byte {data[exc.start]:#04x} is not UTF-8: a replay file is UTF-8 JSON text",
            file=file,
            line=line,
            column=column,
        ) from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"JSON syntax error: {exc.msg}", file=file, line=exc.lineno, column=exc.colno
        ) from None
    except _Duplicate:
        offset, what = _first_duplicate(text)
        line, column = line_column(text, offset)
        raise ScenarioError(what, file=file, line=line, column=column) from None
    except (RecursionError, ValueError) as exc:  # nesting, a huge number, NaN, Infinity
        offset, what = _first_hazard(text)
        line, column = line_column(text, offset)
        raise ScenarioError(what, file=file, line=line, column=column) from exc
    return document, text


def _first_hazard(text: str) -> tuple[int, str]:
    """Where the decoder's non-syntax failure is, and what it is."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return match.start(), f"nesting deeper than {MAX_NESTING} levels"
        elif token in "]}":
            depth -= 1
        elif token[0] in "NI-" or token[0].isdigit():
            if token.lstrip("-")[0].isdigit():
                return match.start(), "a number of more than 4,300 digits"
            return match.start(), f"{token} is not a JSON number"
    return 0, "the JSON cannot be decoded"  # not reached: the decoder failed on one of these


def _first_duplicate(text: str) -> tuple[int, str]:
    """Where a key is given a second time in one object (the decoder keeps the last)."""
    frames: list[dict[str, int] | None] = []  # per open object, its keys and where; None: array
    for match in _KEYS.finditer(text):
        token = match.group()
        if token == "{":
            frames.append({})
        elif token == "[":
            frames.append(None)
        elif token in "]}":
            frames.pop()
        elif match.group(2) is not None and frames and frames[-1] is not None:
            key = json.loads(match.group(1))
            first = frames[-1].setdefault(key, match.start())
            if first != match.start():
                line = line_column(text, first)[0]
                return match.start(), f"duplicate key {key!r} (first at line {line})"
    return 0, "a duplicate key"  # not reached: the decoder found one


def check_nesting(value: Any, limit: int = MAX_NESTING) -> bool:
    """Whether ``value`` (decoded JSON) nests no deeper than ``limit`` arrays and objects."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return True


def line_column(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of character ``offset`` of ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", "replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def locate(text: str, path: JsonPath) -> tuple[int, int]:
    """The line and column where the value at ``path`` starts in ``text`` (parsed already)."""
    offset = _skip(text, 0)
    for part in path:
        try:
            found = _child(text, offset, part)
        except (ValueError, IndexError):  # not reached on text that parsed
            found = None
        if found is None:
            break
        offset = found
    return line_column(text, offset)


def crumb(path: JsonPath) -> str:
    """``schedule.steps[12]`` for ``("schedule", "steps", 12)``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _skip(text: str, offset: int) -> int:
    match = _WHITESPACE.match(text, offset)
    return match.end() if match is not None else offset


def _child(text: str, offset: int, part: str | int) -> int | None:
    """The offset of member ``part`` of the object or array at ``offset`` (the last one of a
    repeated key, as the decoder keeps), or None."""
    opening = text[offset : offset + 1]
    if opening == "{" and isinstance(part, str):
        return _member(text, offset, part)
    if opening == "[" and isinstance(part, int):
        offset = _skip(text, offset + 1)
        if text[offset] == "]":
            return None
        for _ in range(part):
            _, offset = _DECODER.raw_decode(text, offset)
            offset = _skip(text, offset)
            if text[offset] != ",":
                return None
            offset = _skip(text, offset + 1)
        return offset
    return None


def _member(text: str, offset: int, name: str) -> int | None:
    found = None
    offset = _skip(text, offset + 1)
    if text[offset] == "}":
        return None
    while True:
        key, offset = _DECODER.raw_decode(text, offset)
        offset = _skip(text, _skip(text, offset) + 1)  # past the colon
        if key == name:
            found = offset
        _, offset = _DECODER.raw_decode(text, offset)
        offset = _skip(text, offset)
        if text[offset] != ",":
            return found
        offset = _skip(text, offset + 1)
