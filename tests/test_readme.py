"""The README's example program runs as written, and its commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_python_example_runs() -> None:
    block = re.search(r"```python\n(.*?)```", README, re.S)
    assert block is not None
    namespace: dict[str, object] = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)
    k = namespace["k"]
    assert k.end_reason == "all threads done"  # type: ignore[attr-defined]


def test_the_reading_a_run_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert len(blocks) >= 2 and "emu.testing.run" in blocks[1]
    exec(compile(blocks[1], "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "VIOLATED kernel.lost_update (expected)" in out
    assert "-- PASS: bug-apc-counter-race" in out
    assert "<Status kernel.lost_update violated, 1 finding(s)>" in out


def test_the_two_setup_commands_are_the_ones_ci_runs() -> None:
    commands = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    assert commands[:2] == [
        "python3 -m pip install -e '.[dev]' && emu run scenarios/kernel/apc-report.yaml",
        "python3 -m pytest",
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install --quiet -e '.[dev]'" in ci
    assert "\npython -m pytest\n" in ci
