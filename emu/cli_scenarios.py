"""The scenario commands of the ``emu`` command line: validate, schema, run.

- ``emu validate FILE...``: load and compile each file; one line per file, ``FILE: ok (...)``
  on stdout, or the error ``file:line:column: message [in path]`` on stderr. Exit 0 when all
  are valid, 2 otherwise.
- ``emu schema``: the JSON Schema of the format on stdout.
- ``emu run FILE... [--seed N]``: load every file first (any invalid: exit 2, nothing runs),
  then run each and print its timeline (virtual time, thread, event, result codes by name),
  the violations, the threads' outcomes, possible lost wake-ups, and whether the scenario's
  ``expect:`` holds. Exit 0 when every expectation holds, 1 when one does not (or a program
  failed in a way no Windows API reports, or a replayed schedule no longer fits).

A scenario that names a Python program from outside the project needs ``--allow-python``.
No command prints a Python traceback for bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from emu.errors import EmuError, ScenarioError

if TYPE_CHECKING:
    from emu.scenario.model import Scenario
    from emu.sim.result import Result


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    validate = commands.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("files", nargs="+", metavar="FILE")
    _allow_python(validate)
    validate.set_defaults(handler=validate_command)

    schema = commands.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.set_defaults(handler=schema_command)

    run = commands.add_parser("run", help="run scenario files and print their timelines")
    run.add_argument("files", nargs="+", metavar="FILE")
    run.add_argument("--seed", type=int, default=None, help="a random schedule with this seed")
    run.add_argument("--verbose", action="store_true", help="show scheduler events too")
    run.add_argument("--jsonl", action="store_true", help="print the trace as JSON lines")
    run.add_argument("--quiet", action="store_true", help="no timeline: outcome lines only")
    _allow_python(run)
    run.set_defaults(handler=run_command)


def _allow_python(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-python",
        action="store_true",
        help="allow scenarios to run Python programs from outside the project",
    )


def _load_all(files: list[str], allow_python: bool) -> list[Scenario] | None:
    from emu.scenario import load_scenario

    loaded: list[Scenario] = []
    failed = False
    for file in files:
        try:
            loaded.append(load_scenario(file, allow_python=allow_python))
        except ScenarioError as exc:
            print(exc.one_line(), file=sys.stderr)
            failed = True
    return None if failed else loaded


def validate_command(args: argparse.Namespace) -> int:
    from emu.scenario import load_scenario

    status = 0
    for file in args.files:
        try:
            scenario = load_scenario(file, allow_python=args.allow_python)
        except ScenarioError as exc:
            print(exc.one_line(), file=sys.stderr)
            status = 2
            continue
        print(
            f"{file}: ok (scenario {scenario.name}: {len(scenario.threads)} thread(s), "
            f"{len(scenario.drivers)} driver(s), {len(scenario.timeline)} timeline event(s), "
            f"{len(scenario.faults)} fault(s))"
        )
    return status


def schema_command(args: argparse.Namespace) -> int:
    from emu.scenario.schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


def run_command(args: argparse.Namespace) -> int:
    from emu.sim import run_scenario

    scenarios = _load_all(args.files, args.allow_python)
    if scenarios is None:
        return 2
    status = 0
    for scenario in scenarios:
        try:
            result = run_scenario(scenario, seed=args.seed)
        except EmuError as exc:
            print(f"{scenario.file}: the run failed: {exc}", file=sys.stderr)
            status = 1
            continue
        if args.jsonl:
            sys.stdout.write(result.k.trace.to_jsonl())
        else:
            _report(result, args)
        if result.failures():
            status = 1
    return status


def _report(result: Result, args: argparse.Namespace) -> None:
    from emu.timeline import render_timeline

    scenario = result.scenario
    print(f"== {scenario.name} ({scenario.file}), strategy {result.strategy}")
    if not args.quiet:
        print(render_timeline(result.k.trace, verbose=args.verbose))
    print(f"-- {result.summary()}")
    for line in result.thread_lines():
        print(f"   {line}")
    for event in result.violations:
        print(
            f"   violation {event.payload['rule']} (event #{event.seq}): {event.payload['message']}"
        )
    for event in result.undone:
        print(f"   left undone (event #{event.seq}): {event.text()}")
    failures = result.failures()
    for failure in failures:
        print(f"   FAIL: {failure}")
    print(f"-- {'FAIL' if failures else 'PASS'}: {scenario.name}")
