"""The ``emu`` command line.

``emu run FILE...`` runs scenarios to their verdicts; ``emu trace FILE`` prints a run's trace;
``emu validate FILE...`` checks files; ``emu schema`` prints the JSON Schema of the format
(``emu.cli_scenarios``). ``emu explore FILE...`` searches schedules and writes replay files
(``emu.cli_explore``). ``emu properties`` lists the property catalogue and ``emu functions``
the modelled Windows functions (``emu.cli_functions``). ``emu demo [--seed N] [--verbose]
[--jsonl]`` runs the built-in Python demo. ``emu --help`` lists the commands, ``emu COMMAND
--help`` describes each argument with its default (a test walks the parser to keep it so).

``--quiet`` means one thing wherever it is taken (run, explore, validate): the results only,
no timeline, no progress line, no "ok" line for a valid file; errors, verdicts and PASS/FAIL
lines always print.

Exit codes: 0 success, 1 the run failed (an expectation does not hold), 2 invalid input (a bad
file or option: one line on stderr, never a traceback), 3 an internal error (a bug in emu: one
line asking for a report; ``EMU_TRACEBACK=1`` prints the traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Final

from emu import __version__, cli_explore, cli_functions, cli_scenarios
from emu.kernel.time import format_ticks


def _demo(args: argparse.Namespace) -> int:
    from emu.demo import run_demo
    from emu.properties.report import strategy_words
    from emu.timeline import render_timeline

    k = run_demo(args.seed)
    if args.jsonl:
        sys.stdout.write(k.trace.to_jsonl())
        return 0
    strategy = strategy_words(k.chooser.describe())
    print(f"emu demo: 3 threads on 2 processors, strategy {strategy}")
    print(render_timeline(k.trace, verbose=args.verbose))
    main = next(a for a in k.actors if a.name == "main")
    stats = k.statistics()
    print(
        f"-- {k.end_reason} at {format_ticks(k.now)}: {stats['trace_events']} trace events, "
        f"{stats['api_calls']} API calls, {stats['choices']} recorded choices; "
        f"main exited with {main.exit_code}"
    )
    return 0 if main.exit_code == 0 else 1


EXIT_CODES: Final = (
    "exit codes: 0 success; 1 a run failed (an expectation does not hold, a replay no longer "
    "fits); 2 invalid input (a bad file or option: one line on stderr, never a traceback); 3 an "
    "internal error (a bug in emu: one line; EMU_TRACEBACK=1 adds the traceback); 130 "
    "interrupted."
)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command, in the order ``emu --help`` lists them."""
    parser = argparse.ArgumentParser(
        prog="emu",
        description="A deterministic emulator of the Windows kernel-notification subsystem: "
        "run scenarios to their verdicts, explore their schedules, list what is modelled. "
        "'emu COMMAND --help' describes each command.",
        epilog=EXIT_CODES,
    )
    parser.add_argument("--version", action="version", version=f"emu {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, title="commands", metavar="COMMAND"
    )
    cli_scenarios.add_run(commands)
    cli_explore.add_explore(commands)
    cli_scenarios.add_commands(commands)
    cli_functions.add_properties(commands)
    cli_functions.add_commands(commands)
    demo = commands.add_parser(
        "demo",
        help="run the built-in Python demo and print its timeline",
        description="Run the built-in demo, a Python program (emu/demo.py): three threads on "
        "two processors, workers reporting to the main thread with APCs it collects in "
        "alertable waits; print its timeline and how it ended.",
    )
    demo.add_argument(
        "--seed",
        type=int,
        default=None,
        help="run one random schedule with this seed (default: the canonical schedule, "
        "option 0 at every choice)",
    )
    demo.add_argument(
        "--verbose",
        action="store_true",
        help="show the bookkeeping events too: scheduler choices, state changes",
    )
    demo.add_argument(
        "--jsonl", action="store_true", help="print the trace as JSON lines (docs/trace.md)"
    )
    demo.set_defaults(handler=_demo)
    return parser


INTERNAL_ERROR = 3
"""The exit code of a fault in emu itself (never of a bad file: that is 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a file name no terminal can show is escaped
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        code: int = args.handler(args)
    except BrokenPipeError:  # the reader went away (emu schema | head): not an error of ours
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("emu: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last resort: a bug in emu, said so
        return internal_error(exc)
    return code


def internal_error(exc: Exception) -> int:
    """Report an exception no command handled: a bug in emu, not in the files it was given.

    Every bad input has its own one-line error and exit 2 (tested by fuzzing scenario and
    replay files), so an exception that reaches here is emu's own fault: one line says so and
    asks for a report, ``EMU_TRACEBACK=1`` adds the traceback, and the exit code is 3.
    """
    text = " ".join(str(exc).split())
    print(
        f"emu: internal error (a bug in emu, not in your files): {type(exc).__name__}: "
        f"{text[:300]}; please report it with the command line and the files (EMU_TRACEBACK=1 "
        "shows the traceback)",
        file=sys.stderr,
    )
    if os.environ.get("EMU_TRACEBACK"):
        traceback.print_exception(exc)
    return INTERNAL_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
