"""Fuzzing replay files: whatever a replay file holds, ``emu validate``, ``run``, ``trace`` and
``explore`` either take it or refuse it in one line that names it, and never print a traceback.

The properties (docs/exploring.md, "Replay files"; emu.errors):

- every command exits 0, 1 or 2: never 3, the internal error of ``emu.cli.main``, and never an
  exception;
- exit 2 is exactly one line on stderr, ``file:line:column: message`` (or ``file: message``
  for a file that cannot be read), naming the replay file;
- the four commands agree: a file ``validate`` refuses, ``run``, ``trace`` and ``explore``
  refuse with the same line; a file it accepts, they run (exit 0 or 1: a schedule that no
  longer fits, or a changed trace, is a failed run, not a bad file).

Inputs: a real replay file (``tests/explore/helpers.record``), mutated as a document (a value
anywhere replaced by a wrong type, a huge or negative number, a path with NUL or a lone
surrogate, 100,000 nested brackets, a 5,000-digit number, NaN; a key deleted, added or
wrapped) and as bytes (NUL and non-UTF-8 bytes inserted, the text cut short). The ``ci``
Hypothesis profile (tests/conftest.py) keeps the examples bounded and the same on every run.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import event, given

from emu.cli import main
from tests.explore.helpers import record

COMMANDS = ("validate", "run", "trace", "explore")
_ERROR_LINE = re.compile(r"(?P<file>.+?)(:(?P<line>[0-9]+):(?P<column>[0-9]+))?: (?P<message>.+)\Z")
_RAW = "\x01raw\x01"
"""A placeholder in the document, replaced by raw JSON text after encoding."""


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("fuzz")
    path = record(folder)
    return path, json.loads(path.read_text(encoding="utf-8"))


def _paths(value: Any, here: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every JSON path in ``value``, the root included."""
    found = [here]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*here, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*here, index)))
    return found


RAW_TEXT = st.sampled_from(
    [
        "[" * 100_000 + "]" * 100_000,
        "[" * 70 + "]" * 70,
        "9" * 5000,
        "-" + "9" * 400,
        "NaN",
        "-Infinity",
        "1e999",
        "[]",
        "{}",
    ]
)
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([-1, 0, 1, 2, 2**31, 2**63, 10**30, 999_999, 1_000_000]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            ".",
            "..",
            "\x00",
            "a\x00b.yaml",
            "\ud800",
            "\udcff.yaml",
            "/",
            "racing.yaml/",
            "racing.yaml",
            "emu.replay",
            "0" * 64,
            "f" * 16,
            "thread",
            "x" * 5000,
        ]
    ),
    st.lists(st.one_of(st.integers(-3, 3), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
    RAW_TEXT.map(lambda text: (_RAW, text)),
)


def _encode(document: Any) -> str:
    """The document as JSON text, with a raw placeholder (``(_RAW, text)``) written as is."""
    raw: list[str] = []

    def swap(value: Any) -> Any:
        if isinstance(value, tuple) and len(value) == 2 and value[0] == _RAW:
            raw.append(value[1])
            return _RAW
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(document), indent=1)
    for piece in raw:
        text = text.replace(json.dumps(_RAW), piece, 1)
    return text


def _set(document: Any, path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return value
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return document


@st.composite
def mutated_documents(draw: st.DrawFn, original: dict[str, Any]) -> str:
    document = json.loads(json.dumps(original))
    path = draw(st.sampled_from(_paths(document)))
    kind = draw(st.sampled_from(["replace", "replace", "delete", "add", "wrap"]))
    event(f"mutation: {kind} at depth {len(path)}")
    if kind == "delete" and path and isinstance(_get(document, path[:-1]), dict):
        del _get(document, path[:-1])[path[-1]]
    elif kind == "add" and isinstance(_get(document, path), dict):
        _get(document, path)[draw(st.text(max_size=8))] = draw(JUNK)
    elif kind == "wrap":
        old = _get(document, path)
        document = _set(document, path, draw(st.sampled_from([[old], {"value": old}])))
    else:
        document = _set(document, path, draw(JUNK))
    return _encode(document)


def _get(document: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        document = document[part]
    return document


@st.composite
def mutated_bytes(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "insert", "cut", "flip"]))
        event(f"bytes: {kind}")
        if kind == "insert":
            data[at:at] = draw(
                st.one_of(
                    st.sampled_from([b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\\u0000"]),
                    st.binary(min_size=1, max_size=4),
                )
            )
        elif kind == "cut":
            del data[at:]
        elif at < len(data):
            data[at] = draw(st.integers(0, 255))
    return bytes(data)


def _invoke(command: str, file: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    extra = ["--quiet", "--schedules", "2", "--out", str(file.parent / "out")]
    args = [command, str(file), *(extra if command == "explore" else [])]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def _check(file: Path) -> None:
    scenario = str(file.parent / "racing.yaml")
    verdicts = {command: _invoke(command, file) for command in COMMANDS}
    valid_code, _, valid_err = verdicts["validate"]
    event(f"validate: exit {valid_code}")
    assert valid_code in (0, 2), valid_err
    for command, (code, _, err) in verdicts.items():
        assert code in (0, 1, 2), (command, err)  # 3 is an internal error: a bug in emu
        assert "Traceback" not in err, (command, err)
        lines = err.splitlines()
        if valid_code == 2:
            # one line, naming the replay file; every command refuses the file alike
            assert code == 2 and lines == valid_err.splitlines(), (command, err, valid_err)
            assert len(lines) == 1, err
            match = _ERROR_LINE.match(lines[0])
            assert match is not None and match["file"] == str(file), lines[0]
            if match["line"] is not None:
                assert int(match["line"]) >= 1 and int(match["column"]) >= 1, lines[0]
        else:
            assert code in (0, 1), (command, err)  # a valid file runs
            for line in lines:
                assert line.startswith((str(file), scenario, "replay written to ")), line


@given(data=st.data())
def test_a_mutated_replay_document_is_run_or_refused_in_one_line(
    recorded: tuple[Path, dict[str, Any]], data: st.DataObject
) -> None:
    path, document = recorded
    target = path.parent / "mutated.replay.json"
    target.write_text(
        data.draw(mutated_documents(document)), encoding="utf-8", errors="surrogatepass"
    )
    _check(target)


@given(data=st.data())
def test_replay_bytes_mutated_are_run_or_refused_in_one_line(
    recorded: tuple[Path, dict[str, Any]], data: st.DataObject
) -> None:
    path, _ = recorded
    target = path.parent / "mutated.replay.json"
    target.write_bytes(data.draw(mutated_bytes(path.read_bytes())))
    _check(target)


def test_the_unmutated_replay_passes_every_command(recorded: tuple[Path, dict[str, Any]]) -> None:
    path, _ = recorded
    for command in ("validate", "run", "trace"):
        code, _, err = _invoke(command, path)
        assert (command, code, err) == (command, 0, "")
