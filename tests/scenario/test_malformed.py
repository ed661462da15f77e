"""The corpus of malformed scenario files: each gives exactly this one line, and the CLI exits 2
without a traceback.

Each file in ``tests/scenario/malformed/`` is broken in one way (syntax, tabs, wrong types,
unknown keys and functions, bad and negative durations, missing threads, dangling references,
huge numbers, alias bombs, duplicate keys, a python tag, an empty file, binary garbage, ...).
The message names the file, the line and the column, says what is wrong (with a "did you
mean" where one fits) and the breadcrumb to the node. The messages are pinned, one line per
file, in ``malformed/expected.txt``: a change to a message is a deliberate edit there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emu.errors import ScenarioError
from emu.scenario import load_bytes

CORPUS = Path(__file__).parent / "malformed"

EXPECTED = {
    line.split(":", 1)[0]: line
    for line in (CORPUS / "expected.txt").read_text(encoding="utf-8").splitlines()
}
"""The exact message of each file, pinned in ``expected.txt`` (one line per file)."""


def test_the_corpus_is_large_and_fully_listed() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.yaml"))
    assert len(files) >= 30
    assert files == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_malformed_file_gives_its_one_line(name: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_bytes((CORPUS / name).read_bytes(), name)
    message = str(info.value)
    assert message == EXPECTED[name]
    assert "\n" not in message
    assert message.startswith(f"{name}:")
    line, column = message.split(":")[1:3]
    assert int(line) >= 1 and int(column) >= 1


def test_the_cli_exits_2_with_one_line_per_file_and_no_traceback() -> None:
    files = [str(CORPUS / name) for name in sorted(EXPECTED)]
    result = subprocess.run(
        [sys.executable, "-m", "emu", "validate", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == len(files)
    assert "Traceback" not in result.stderr
    for file, line in zip(files, lines, strict=True):
        assert line.startswith(f"{file}:")


def test_emu_run_reports_an_invalid_file_and_still_runs_the_valid_one(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("version: 1\nname: good\nthreads: {main: {steps: [return: 0]}}\n")
    bad = str(CORPUS / "unknown-function.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "emu", "run", "--quiet", bad, str(good)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    expected = EXPECTED["unknown-function.yaml"].split(":", 1)[1]
    assert result.stderr.splitlines() == [f"{bad}:{expected}"]
    assert result.stdout.rstrip().endswith("-- PASS: good")
