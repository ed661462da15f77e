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


def _crash(args: object) -> int:
    raise RuntimeError("a bug\nover two lines")


def test_an_exception_no_command_handled_is_an_internal_error_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A bad file is exit 2 with its own line; what escapes a command is emu's own fault: exit 3,
    # one line that says so, the traceback only on request.
    monkeypatch.setattr("emu.cli_scenarios.schema_command", _crash)
    monkeypatch.delenv("EMU_TRACEBACK", raising=False)
    assert main(["schema"]) == 3
    err = capsys.readouterr().err
    assert err == (
        "emu: internal error (a bug in emu, not in your files): RuntimeError: a bug over two "
        "lines; please report it with the command line and the files (EMU_TRACEBACK=1 shows the "
        "traceback)\n"
    )
    monkeypatch.setenv("EMU_TRACEBACK", "1")
    assert main(["schema"]) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "RuntimeError: a bug" in err


def test_an_interrupt_ends_quietly_with_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr("emu.cli_scenarios.schema_command", interrupted)
    assert main(["schema"]) == 130
    assert capsys.readouterr().err == "emu: interrupted\n"
