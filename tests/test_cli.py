"""The emu command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from emu.cli import main


def test_demo_prints_a_timeline_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "strategy {'strategy': 'canonical'}" in out
    assert "QueueUserAPC(on_report, 0x8, 1) -> TRUE" in out
    assert "WaitForSingleObjectEx(0x4, 1, TRUE) -> WAIT_IO_COMPLETION" in out
    assert "main exited with 0" in out


def test_demo_with_a_seed_runs_another_schedule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seed", "5"]) == 0
    assert "'strategy': 'random', 'seed': 5" in capsys.readouterr().out


def test_demo_jsonl_is_the_trace(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert json.loads(lines[0]) == {"schema": "emu.trace", "version": 1}
    assert json.loads(lines[-1])["kind"] == "run.end"


def test_the_console_script_is_installed() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emu.cli", "demo"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "run ends: all threads done" in result.stdout


def test_bad_usage_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == 2
