"""The scenario commands of the ``emu`` command line: run, trace, validate, schema.

- ``emu validate FILE... [--quiet]``: load and compile each file; one line per file, ``FILE:
  ok (...)`` on stdout (not with ``--quiet``), or the error ``file:line:column: message [in
  path]`` on stderr. A replay file is checked field by field and its scenario loaded (``FILE:
  ok (replay of ...)``). Exit 0 when all are valid, 2 otherwise.
- ``emu schema``: the JSON Schema of the format on stdout.
- ``emu run FILE... [--seed N] [--quiet | --verbose | --json | --jsonl]``: load every file (an
  invalid one: its error on stderr, one line; the others still run), then run each to its
  declared verdict (a bug demonstration the canonical schedule does not show is explored within
  its ``explore:`` budget) and print its timeline, the threads' outcomes, the verdict (each
  violation with its property, sentence and story) and whether the expectation holds; the header
  names the strategy in words (``strategy random seed 7``). ``--quiet`` leaves out the timeline,
  ``--json`` prints one report object per scenario instead (docs/report.md). A replay file
  (written by ``emu explore``: a ``*.replay.json`` name, or any ``*.json`` file whose JSON
  object has format ``emu.replay``) reruns its schedule exactly and checks the trace against the
  recorded digests; any other ``*.json`` file is a scenario written as JSON. Exit 2 when a file
  is invalid, else 1 when an expectation does not hold (or a program failed in a way no Windows
  API reports, or a replay no longer fits), else 0.
- ``emu trace FILE [--format text|jsonl] [--seed N]``: run a scenario (or a replay) and print
  its trace: the readable timeline, or the JSON lines of docs/trace.md (no ``--quiet``: the
  trace is all it prints).

``--quiet`` means one thing wherever it is taken (``QUIET_HELP``): the results only, no
timeline, no progress line, no "ok" line for a valid file; errors, verdicts and PASS/FAIL lines
always print.

A scenario that names a Python program from outside the project needs ``--allow-python``.
No command prints a Python traceback for any file it is given: a bad scenario or replay file is
one line, ``file:line:column: message [in path]`` (``file: message`` when the whole file is
concerned, as when it cannot be read).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Final

from emu.errors import EmuError, ScenarioError, printable

if TYPE_CHECKING:
    from emu.explore.campaign import CampaignResult
    from emu.explore.declared import Outcome, Target


QUIET_HELP: Final = (
    "print the results only: no timeline, no progress line, no 'ok' line for a valid file "
    "(errors, verdicts and PASS/FAIL lines always print)"
)
"""What ``--quiet`` means, in every command that takes it (run, explore, validate)."""
SEED_HELP: Final = (
    "run one random schedule with this seed (default: the scenario's seed: or schedule:, "
    "else the canonical schedule, option 0 at every choice)"
)
FILES_HELP: Final = (
    "a scenario file (YAML; a .json file may hold a scenario written as JSON) or a replay "
    "file written by emu explore (JSON whose format is emu.replay)"
)


def add_run(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``emu run``."""
    run = commands.add_parser(
        "run",
        help="run scenarios (or replay files) to their verdicts",
        description="Run each file to its verdict: the timeline, the threads' outcomes, every "
        "property of the catalogue held, violated (with its sentence and the story of the calls "
        "that led there) or not exercised, and whether the scenario's expectation holds. A bug "
        "demonstration the canonical schedule does not show is explored within its explore: "
        "budget. A file that does not load is reported in one line and the others still run. "
        "Exit 0 when every expectation holds, 1 when one does not, 2 when a file is invalid.",
    )
    run.add_argument("files", nargs="+", metavar="FILE", help=FILES_HELP)
    run.add_argument("--seed", type=int, default=None, help=SEED_HELP)
    output = run.add_mutually_exclusive_group()
    output.add_argument(
        "--verbose",
        action="store_true",
        help="show the bookkeeping events too: scheduler choices, state changes, structure reads",
    )
    output.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    output.add_argument(
        "--json",
        action="store_true",
        help="print one JSON report object per scenario instead of text (docs/report.md)",
    )
    output.add_argument(
        "--jsonl",
        action="store_true",
        help="print each run's trace as JSON lines instead of text (docs/trace.md)",
    )
    allow_python_option(run)
    limits_options(run)
    run.set_defaults(handler=run_command)


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``emu trace``, ``emu validate`` and ``emu schema``."""
    trace = commands.add_parser(
        "trace",
        help="run one scenario (or replay file) and print its trace",
        description="Run one scenario (or replay file) and print its trace: the readable "
        "timeline, or one JSON object per event (docs/trace.md). No verdict: emu run gives "
        "that. There is no --quiet: the trace is all this command prints.",
    )
    trace.add_argument("file", metavar="FILE", help=FILES_HELP)
    trace.add_argument(
        "--format",
        choices=("text", "jsonl"),
        default="text",
        help="text: the readable timeline; jsonl: the JSON lines of docs/trace.md (default: text)",
    )
    trace.add_argument("--seed", type=int, default=None, help=SEED_HELP)
    trace.add_argument(
        "--verbose",
        action="store_true",
        help="text: show the bookkeeping events too (scheduler choices, state changes, "
        "structure reads)",
    )
    allow_python_option(trace)
    limits_options(trace)
    trace.set_defaults(handler=trace_command)

    validate = commands.add_parser(
        "validate",
        help="check scenario and replay files without running them",
        description="Load and check each file without running it: 'FILE: ok (...)' on stdout "
        "for a valid one, one line 'file:line:column: message [in path]' on stderr for an "
        "invalid one (a replay file is checked field by field and its scenario loaded). Exit 0 "
        "when every file is valid, 2 otherwise.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help=FILES_HELP)
    validate.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    allow_python_option(validate)
    validate.set_defaults(handler=validate_command)

    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of scenario files",
        description="Print the JSON Schema of the scenario format on stdout, for editors and "
        "linters (docs/scenarios.md describes the format).",
    )
    schema.set_defaults(handler=schema_command)


def allow_python_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-python",
        action="store_true",
        help="allow scenarios to run Python programs from outside the project (a python: "
        "program's module is imported when its scenario loads, validate included: only for "
        "files you trust)",
    )


def _duration(text: str) -> int:
    from emu.scenario.durations import DurationError, parse_duration

    try:
        ticks = parse_duration(text)
    except DurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if ticks < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a duration above 0")
    return ticks


def _count(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def limits_options(parser: argparse.ArgumentParser) -> None:
    """``--max-time``, ``--max-events``, ``--max-steps``, ``--max-apc-depth``: the run's
    bounds, over the scenario's ``limits:`` (docs/scenarios.md)."""
    group = parser.add_argument_group(
        "run bounds",
        "a runaway program ends with a report at the first bound it passes; each option "
        "overrides the scenario's limits: (default: the scenario's, else the one given)",
    )
    group.add_argument(
        "--max-time",
        type=_duration,
        default=None,
        metavar="DURATION",
        help="virtual time budget, such as 10s or 500ms (default: 3600s)",
    )
    group.add_argument(
        "--max-events",
        type=_count,
        default=None,
        metavar="N",
        help="trace event budget (default: 2,000,000)",
    )
    group.add_argument(
        "--max-steps",
        type=_count,
        default=None,
        metavar="N",
        help="API calls (or scripted loop rounds) at one instant before the run ends as a "
        "livelock (default: 100,000)",
    )
    group.add_argument(
        "--max-apc-depth",
        type=_count,
        default=None,
        metavar="N",
        help="nested APC deliveries on one thread (default: 10,000)",
    )


def load_targets(
    files: list[str], allow_python: bool, args: argparse.Namespace | None = None
) -> tuple[list[Target], int]:
    """The files that load, and 2 if any does not (each error on stderr, one line), else 0;
    with ``args``, the run bounds it gives (``limits_options``) replace the scenarios' own.

    The valid files still run: one bad file among many stops nothing else."""
    from dataclasses import replace

    from emu.explore.declared import open_target
    from emu.sim.simulation import with_limits

    loaded: list[Target] = []
    status = 0
    for file in files:
        try:
            target = open_target(file, allow_python=allow_python)
        except ScenarioError as exc:
            for line in exc.lines():  # every problem in the file, one line each
                print(line, file=sys.stderr)
            status = 2
            continue
        bounds = {
            "time": getattr(args, "max_time", None),
            "events": getattr(args, "max_events", None),
            "steps": getattr(args, "max_steps", None),
            "apc_depth": getattr(args, "max_apc_depth", None),
        }
        if any(value is not None for value in bounds.values()):
            target = replace(target, scenario=with_limits(target.scenario, **bounds))
        loaded.append(target)
    return loaded, status


def source_of(target: Target) -> str:
    """The file a target was given by: the replay's path, or the scenario's."""
    return target.replay.path if target.replay is not None else target.scenario.file


def validate_command(args: argparse.Namespace) -> int:
    targets, status = load_targets(args.files, args.allow_python)
    for target in targets:
        scenario = target.scenario
        what = (
            f"scenario {scenario.name}: {len(scenario.threads)} thread(s), "
            f"{len(scenario.drivers)} driver(s), {len(scenario.timeline)} timeline event(s), "
            f"{len(scenario.faults)} fault(s)"
        )
        replay = target.replay
        if replay is not None:
            changed = "; it changed since the recording" if target.changed else ""
            what = (
                f"replay of {printable(replay.scenario_file)}: {len(replay.schedule):,} "
                f"choice(s), {replay.checkpoints[-1][0]:,} event(s){changed}; {what}"
            )
        if not args.quiet:
            print(f"{printable(source_of(target))}: ok ({what})")
    return status


def schema_command(args: argparse.Namespace) -> int:
    from emu.scenario.schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


def run_command(args: argparse.Namespace) -> int:
    from emu.explore.declared import declared_verdict

    targets, invalid = load_targets(args.files, args.allow_python, args)
    status = 0
    for target in targets:
        source = printable(source_of(target))
        if target.changed:
            print(
                f"{source}: warning: {printable(target.scenario.file)} changed since this "
                "replay was recorded",
                file=sys.stderr,
            )
        try:
            outcome = declared_verdict(target, seed=args.seed)
        except EmuError as exc:
            print(f"{source}: the run failed: {exc}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            print(json.dumps(report_of(outcome), ensure_ascii=False))
        elif args.jsonl:
            sys.stdout.write(outcome.assessment.result.k.trace.to_jsonl())
        else:
            print_outcome(outcome, quiet=args.quiet, verbose=args.verbose)
        if not outcome.ok:
            status = 1
    return invalid or status


def report_of(outcome: Outcome) -> dict[str, object]:
    from emu.properties.report import report_object

    exploration = outcome.campaign.describe() if outcome.campaign is not None else None
    report = report_object(outcome.assessment, exploration)
    if outcome.replay_problem is not None:
        report["ok"] = False
        report["failures"] = [*report["failures"], outcome.replay_problem]
    return report


def print_outcome(outcome: Outcome, *, quiet: bool = False, verbose: bool = False) -> None:
    from emu.properties.report import outcome_lines

    campaign = outcome.campaign
    lines = outcome_lines(
        outcome.assessment,
        timeline=not quiet,
        verbose=verbose,
        exploration=exploration_line(campaign) if campaign is not None else None,
        replay_problem=outcome.replay_problem,
    )
    print("\n".join(lines))


def exploration_line(campaign: CampaignResult) -> str:
    budget = campaign.budget
    how = f"strategy {budget.strategy}" + (
        f" depth {budget.depth}" if budget.strategy == "pct" else ""
    )
    head = (
        f"explored {campaign.schedules_run} of {budget.schedules} schedules ({how}, seed "
        f"{budget.seed})"
    )
    if campaign.found is None or campaign.shrunk is None:
        return f"{head}: no schedule hit"
    shrunk = campaign.shrunk
    return (
        f"{head}: schedule {campaign.hit_at} hit; shrunk in {shrunk.runs} runs from "
        f"{shrunk.nonzero_before} to {shrunk.nonzero_after} non-default choices (the first "
        f"{shrunk.choices_after} of {len(campaign.found.result.schedule)} matter)"
    )


def trace_command(args: argparse.Namespace) -> int:
    from emu.explore.declared import declared_verdict
    from emu.timeline import render_timeline

    targets, invalid = load_targets([args.file], args.allow_python, args)
    if invalid:
        return invalid
    try:
        outcome = declared_verdict(targets[0], seed=args.seed)
    except EmuError as exc:
        print(f"{printable(args.file)}: the run failed: {exc}", file=sys.stderr)
        return 1
    trace = outcome.assessment.result.k.trace
    if args.format == "jsonl":
        sys.stdout.write(trace.to_jsonl())
    else:
        print(render_timeline(trace, verbose=args.verbose))
    return 0
