"""The emu command line."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from emu.cli import build_parser, main
from emu.cli_scenarios import QUIET_HELP
from emu.scenario.model import ExploreBudget

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_demo_prints_a_timeline_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "emu demo: 3 threads on 2 processors, strategy canonical"
    assert "QueueUserAPC(on_report, 0x8, 1) -> TRUE" in out
    assert "WaitForSingleObjectEx(0x4, 1, TRUE) -> WAIT_IO_COMPLETION" in out
    assert "main exited with 0" in out


def test_demo_with_a_seed_runs_another_schedule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seed", "5"]) == 0
    assert "strategy random seed 5\n" in capsys.readouterr().out


def test_demo_jsonl_is_the_trace(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert json.loads(lines[0]) == {"schema": "emu.trace", "version": 2}
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


# -- --help: every command and argument described, with its default ----------------------------


def _commands() -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def _described(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        a
        for a in parser._actions
        if not isinstance(a, (argparse._HelpAction, argparse._VersionAction))
    ]


def test_every_command_has_a_one_line_help_and_a_description() -> None:
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {action.dest: action.help for action in sub._choices_actions}
    assert list(helps) == [
        "run", "explore", "trace", "validate", "schema", "properties", "functions", "demo"
    ]  # fmt: skip
    for name, parser in _commands().items():
        assert helps[name] and "\n" not in helps[name], name
        assert parser.description and len(parser.description) > len(helps[name]), name


def test_every_argument_has_a_help_naming_its_default() -> None:
    # An argument that takes a value and may be left out says what it is when left out; a
    # default that is a value (not None or False) appears in the help as it is.
    for name, parser in _commands().items():
        for action in _described(parser):
            where = f"emu {name} {action.option_strings or action.dest}"
            assert action.help and action.help != argparse.SUPPRESS, where
            optional = bool(action.option_strings) or action.nargs in ("?", "*")
            takes_value = action.nargs != 0
            if optional and takes_value:
                assert "(default: " in action.help, where
            if action.default not in (None, False, argparse.SUPPRESS):
                assert f"(default: {action.default})" in action.help, where


def test_explore_help_names_the_defaults_and_where_they_come_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Options not given come from the scenario's explore: section, else ExploreBudget's own.
    with pytest.raises(SystemExit):
        main(["explore", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    default = ExploreBudget()
    assert "An option not given comes from the scenario's explore: section" in text
    assert f"explore: strategy, else {default.strategy})" in text
    assert f"explore: schedules, else {default.schedules:,})" in text
    assert f"explore: seed, else {default.seed})" in text
    assert f"explore: depth, else {default.depth})" in text
    assert "(default: replays)" in text


def test_emu_help_lists_every_command_and_the_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for name in _commands():
        assert f"\n    {name}" in text, name
    flat = " ".join(text.split())
    assert "exit codes: 0 success; 1 a run failed" in flat
    assert "3 an internal error" in flat


def test_quiet_is_one_option_with_one_meaning() -> None:
    # --quiet means the same wherever it is taken: the same help text, the same dest.
    quiet = {
        name: action.help
        for name, parser in _commands().items()
        for action in parser._actions
        if "--quiet" in action.option_strings
    }
    assert sorted(quiet) == ["explore", "run", "validate"]
    assert set(quiet.values()) == {QUIET_HELP}
    assert "no timeline, no progress line, no 'ok' line for a valid file" in QUIET_HELP


def test_readme_lists_every_command() -> None:
    # The README's commands list matches the CLI: each command, named as `emu NAME`.
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    for name in _commands():
        assert f"`emu {name}" in section, name
    flat = " ".join(section.split())
    assert "Exit codes: 0 success; 1 a run failed" in flat
    assert "2 invalid input" in flat and "3 an internal error" in flat
