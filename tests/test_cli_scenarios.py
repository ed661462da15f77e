"""emu/cli_scenarios.py: ``emu validate``, ``emu schema`` and ``emu run``."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from emu.cli import main
from emu.explore.declared import declared_verdict, open_target
from emu.explore.replay import write_replay
from emu.properties.catalogue import properties
from emu.properties.report import strategy_words
from emu.properties.verdict import applies

ROOT = Path(__file__).resolve().parents[1]
APC_REPORT = str(ROOT / "scenarios" / "kernel" / "apc-report.yaml")

BAD = """\
version: 1
name: bad
threads:
  main:
    steps:
      - SetEvnt: {hEvent: 0}
"""
GOOD = """\
version: 1
name: good
threads:
  main:
    steps:
      - return: 0
"""
FAILING = """\
version: 1
name: failing
threads:
  main:
    steps:
      - return: 0
expect:
  exit_codes: {main: 1}
"""
PYTHON = """\
version: 1
name: py
threads:
  main:
    python: mymod:main
run_until: all_done
expect:
  end: all_done
  exit_codes: {main: 4}
"""
MODULE = """\
def main(api):
    yield from api.Sleep(1)
    return 4
"""


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- emu validate -------------------------------------------------------------------------------


def test_validate_prints_ok_for_a_shipped_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    # One line per file, FILE: ok (...) on stdout; exit 0 when all are valid.
    assert main(["validate", APC_REPORT]) == 0
    captured = capsys.readouterr()
    assert captured.out == (
        f"{APC_REPORT}: ok (scenario apc-report: 1 thread(s), 0 driver(s), "
        "0 timeline event(s), 0 fault(s))\n"
    )
    assert captured.err == ""


def test_validate_prints_the_one_line_error_and_exits_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The error file:line:column: message [in path] on stderr; exit 2.
    bad = write(tmp_path, "bad.yaml", BAD)
    assert main(["validate", APC_REPORT, bad]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"{bad}:6:9: unknown function 'SetEvnt' (did you mean 'SetEvent'?): not one emu models "
        "here (`emu schema` lists them) [in threads.main.steps[0]]\n"
    )
    assert captured.out.startswith(f"{APC_REPORT}: ok (")
    assert "Traceback" not in captured.err


# -- emu schema ---------------------------------------------------------------------------------


def test_schema_prints_a_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "$defs" in schema


# -- emu run ------------------------------------------------------------------------------------


def test_run_prints_the_timeline_and_passes(capsys: pytest.CaptureFixture[str]) -> None:
    # Exit 0 when every expectation holds; the timeline, the outcomes, PASS.
    assert main(["run", APC_REPORT]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"== apc-report ({APC_REPORT}), strategy canonical"
    assert "0ms  kernel    create Event done" in lines
    assert "1ms  kernel    run ends: all threads done" in lines
    assert "   main: TERMINATED, exit code 0, last error ERROR_SUCCESS" in lines
    assert lines[-1] == "-- PASS: apc-report"


def test_run_quiet_prints_the_outcome_without_the_timeline(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # --quiet: the results only (the header, the outcome, the verdict, PASS), no timeline.
    assert main(["run", "--quiet", APC_REPORT]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5
    assert lines[0] == f"== apc-report ({APC_REPORT}), strategy canonical"
    assert lines[1].startswith("-- all threads done at 1ms: ")
    assert lines[2] == "   main: TERMINATED, exit code 0, last error ERROR_SUCCESS"
    verdict = re.fullmatch(
        r"   verdict: (\d+) held, 0 violated, (\d+) not exercised \(passed vacuously: .*\)",
        lines[3],
    )
    assert verdict is not None, lines[3]
    held, vacuous = int(verdict.group(1)), int(verdict.group(2))
    applying = [p for p in properties() if applies(p, "default")]
    assert held > 0 and held + vacuous == len(applying)  # every property, counted once
    assert lines[4] == "-- PASS: apc-report"


def test_run_jsonl_prints_the_trace(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--jsonl", APC_REPORT]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert json.loads(lines[0]) == {"schema": "emu.trace", "version": 2}
    assert json.loads(lines[-1])["kind"] == "run.end"
    assert json.loads(lines[-1])["payload"] == {"reason": "all threads done"}
    assert not any(line.startswith("-- PASS") for line in lines)


def test_run_with_a_seed_prints_the_random_strategy(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--quiet", "--seed", "3", APC_REPORT]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == f"== apc-report ({APC_REPORT}), strategy random seed 3"


def test_run_of_a_failing_expectation_exits_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Exit 1 when an expectation does not hold.
    failing = write(tmp_path, "failing.yaml", FAILING)
    assert main(["run", "--quiet", failing]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "   FAIL: thread main exited with 0, expected 1" in lines
    assert lines[-1] == "-- FAIL: failing"


def test_run_reports_an_invalid_file_runs_the_others_and_exits_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An invalid file: its error on stderr, one line; the others still run. Exit 2.
    bad = write(tmp_path, "bad.yaml", BAD)
    good = write(tmp_path, "good.yaml", GOOD)
    assert main(["run", "--quiet", bad, good]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"{bad}:6:9: unknown function 'SetEvnt' (did you mean 'SetEvent'?): not one emu models "
        "here (`emu schema` lists them) [in threads.main.steps[0]]"
    ]
    assert captured.out.rstrip().endswith("-- PASS: good")


def test_a_python_program_beside_the_scenario_needs_allow_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A scenario that names a Python program from outside the project needs --allow-python.
    write(tmp_path, "mymod.py", MODULE)
    path = write(tmp_path, "py.yaml", PYTHON)
    assert main(["run", path]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{path}:5:13: python program 'mymod:main' is outside")
    assert "--allow-python" in captured.err
    assert main(["validate", path]) == 2
    assert "--allow-python" in capsys.readouterr().err


def test_allow_python_runs_a_program_beside_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "mymod.py", MODULE)
    path = write(tmp_path, "py.yaml", PYTHON)
    assert main(["run", "--quiet", "--allow-python", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "   main: TERMINATED, exit code 4, last error ERROR_SUCCESS" in lines
    assert lines[-1] == "-- PASS: py"


def test_python_dash_m_emu_runs_a_scenario() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emu", "run", "--quiet", APC_REPORT],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "-- PASS: apc-report"
    assert done.stderr == ""


def test_validate_allow_python_accepts_a_program_beside_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # emu validate takes --allow-python as emu run does: the scenario loads and is valid.
    write(tmp_path, "mymod.py", MODULE)
    path = write(tmp_path, "py.yaml", PYTHON)
    assert main(["validate", "--allow-python", path]) == 0
    captured = capsys.readouterr()
    assert captured.out == (
        f"{path}: ok (scenario py: 1 thread(s), 0 driver(s), 0 timeline event(s), 0 fault(s))\n"
    )
    assert captured.err == ""


# -- --quiet: the results only, in every command that takes it -----------------------------------


def test_validate_quiet_prints_only_the_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, "bad.yaml", BAD)
    assert main(["validate", "--quiet", APC_REPORT]) == 0
    assert capsys.readouterr() == ("", "")
    assert main(["validate", "--quiet", APC_REPORT, bad]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{bad}:6:9: unknown function 'SetEvnt'")


def test_run_quiet_and_verbose_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    # One output mode at a time: --quiet, --verbose, --json, --jsonl (a usage error, exit 2).
    for pair in (["--quiet", "--verbose"], ["--quiet", "--json"], ["--json", "--jsonl"]):
        with pytest.raises(SystemExit) as info:
            main(["run", *pair, APC_REPORT])
        assert info.value.code == 2
        assert "not allowed with argument" in capsys.readouterr().err


def test_run_prints_no_python_repr(capsys: pytest.CaptureFixture[str]) -> None:
    # The header names the strategy in words, and --verbose's bookkeeping lines too.
    assert main(["run", "--verbose", APC_REPORT]) == 0
    out = capsys.readouterr().out
    for repr_mark in ("{'", "('", "(('", "None", " 1 processors"):
        assert repr_mark not in out, repr_mark
    assert "choice sched " in out


@pytest.mark.parametrize(
    ("description", "words"),
    [
        ({"strategy": "canonical"}, "canonical"),
        ({"strategy": "random", "seed": 7}, "random seed 7"),
        ({"strategy": "pct", "seed": 3, "depth": 3}, "pct seed 3 depth 3"),
        ({"strategy": "replay", "steps": 15, "strict": True}, "replay of 15 steps"),
        ({"strategy": "replay", "steps": 1, "strict": False}, "replay of 1 step, lenient"),
    ],
)
def test_strategies_print_as_words(description: dict[str, object], words: str) -> None:
    assert strategy_words(description) == words


# -- JSON files: a scenario written as JSON, or a replay, told apart by content -----------------


def _as_json(tmp_path: Path, name: str) -> str:
    document = yaml.safe_load(Path(APC_REPORT).read_text(encoding="utf-8"))
    return write(tmp_path, name, json.dumps(document, indent=1))


def test_a_scenario_written_as_json_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # YAML reads JSON: a .json file that is not a replay is a scenario; its strings read as the
    # same words written plainly ("INFINITE" is the constant, "$ev" the reference).
    path = _as_json(tmp_path, "apc-report.json")
    assert main(["run", "--quiet", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"== apc-report ({path}), strategy canonical"
    assert lines[-1] == "-- PASS: apc-report"
    assert main(["validate", path]) == 0
    assert capsys.readouterr().out.startswith(f"{path}: ok (scenario apc-report: 1 thread(s)")


def test_a_json_scenario_with_an_error_is_one_line_as_a_scenarios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = write(tmp_path, "broken.json", '{"version": 1, "name": "x" "threads": {}}\n')
    assert main(["validate", broken]) == 2
    assert capsys.readouterr().err == (
        f"{broken}:1:28: the {{ opened at line 1, column 1 is not closed: a ',' or '}}' was "
        "expected here\n"
    )
    typo = write(tmp_path, "typo.json", '{"version": 1, "nme": "x", "threads": {}}')
    assert main(["run", typo]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{typo}:1:16: unknown section 'nme' (did you mean 'name'?)")
    assert len(err.splitlines()) == 1
    unclosed = write(tmp_path, "unclosed.json", '{"version": 1, "name": "x", "threads": {')
    assert main(["run", unclosed]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_a_renamed_replay_is_still_a_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A .json file holding a JSON object whose format is emu.replay is a replay, whatever its
    # name; a .replay.json name is a replay whatever it holds.
    target = open_target(APC_REPORT)
    result = declared_verdict(target).assessment.result
    recorded = write_replay(
        tmp_path / "bug.json",
        scenario_file=APC_REPORT,
        scenario_sha256=None,
        schedule=result.schedule,
        events=result.k.trace.events,
        properties=[],
        found_by={"strategy": "canonical"},
    )
    assert main(["run", "--quiet", str(recorded)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0] == f"== apc-report ({APC_REPORT}), strategy replay of {len(result.schedule)} steps"
    )
    scenario_named_replay = _as_json(tmp_path, "s.replay.json")
    assert main(["validate", scenario_named_replay]) == 2
    assert capsys.readouterr().err == (
        f"{scenario_named_replay}:1:1: not a replay file: its format is not 'emu.replay' (a "
        "scenario written as JSON is named .json or .yaml, not .replay.json)\n"
    )


RUNAWAY = """\
version: 1
name: runaway
threads:
  main:
    steps:
      - repeat: 1000000
        steps:
          - Sleep: {dwMilliseconds: 1}
"""


@pytest.mark.parametrize(
    ("option", "rule"),
    [
        (["--max-time", "50ms"], "kernel.time_budget"),
        (["--max-events", "500"], "kernel.event_budget"),
    ],
)
def test_run_bounds_on_the_command_line_end_a_runaway_with_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str], rule: str
) -> None:
    path = tmp_path / "runaway.yaml"
    path.write_text(RUNAWAY, encoding="utf-8")
    out_dir = str(tmp_path / "replays")  # never the project's own replays/ folder
    explore = ["explore", "--quiet", "--schedules", "2", "--out", out_dir]
    for command in (["run", "--quiet"], explore):
        assert main([*command, *option, str(path)]) == 1
        out = capsys.readouterr().out
        assert f"VIOLATED {rule} (liveness)" in out or f"{rule} violated" in out
        assert "runaway.yaml:8:13" in out  # the program position


def test_run_bounds_are_checked_as_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runaway.yaml"
    path.write_text(RUNAWAY, encoding="utf-8")
    for bad in (["--max-time", "1h"], ["--max-events", "0"], ["--max-steps", "x"]):
        with pytest.raises(SystemExit) as info:
            main(["run", *bad, str(path)])
        assert info.value.code == 2
        assert f"argument {bad[0]}" in capsys.readouterr().err


def test_validate_reports_every_problem_of_a_file_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(
        "version: 1\nname: two\nthreads:\n  main:\n    steps:\n      - Sleepp: {}\n"
        "  other:\n    steps:\n      - SetEvnt: {}\n",
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": ", 1)[0] for line in err] == [f"{path}:6:9", f"{path}:9:9"]
