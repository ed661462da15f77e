"""Scheduling decisions per second: every API call a choice among N ready threads.

N threads (8 by default) are started together; each creates its own auto-reset event and then
calls ``SetEvent`` on it ``calls`` times. SetEvent never blocks, and every other thread is
enabled at the same instant, so each call is a scheduling point offering N options (the
caller going on, or one of the N - 1 others) until threads start to finish. Two choosers:

- ``random`` (seeded): the next thread is drawn at random, so most decisions are a context
  switch (the preempted thread goes back to the ready list as READY, the chosen one RUNNING);
- ``canonical``: option 0 every time, so the caller goes on and no decision switches.

Printed per chooser, with the trace on and off: decisions per second (the choices recorded by
the chooser over the CPU time of ``Kernel.run``, best of ``repeat``), the CPU time per decision,
and the trace events per decision. Target (issue 12): at least 200,000 decisions/s with the
trace on.

    python bench/decisions.py [--quick] [--json] [--threads N] [--calls C] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable, Generator
from typing import Any

from emu.kernel import Kernel
from emu.kernel.chooser import CanonicalChooser, Chooser, RandomChooser
from emu.win32 import Api, Process

TARGET_TRACE_ON = 200_000
CHOOSERS: dict[str, Callable[[], Chooser]] = {
    "random": lambda: RandomChooser(12),
    "canonical": CanonicalChooser,
}


def build(threads: int, calls: int, trace: bool, chooser: Chooser) -> Kernel:
    """A kernel with ``threads`` threads ready, each about to make ``calls`` SetEvent calls."""

    def program(api: Api) -> Generator[Any, None, None]:
        event = yield from api.CreateEventW(None, False, False, None)
        for _ in range(calls):
            yield from api.SetEvent(event)

    k = Kernel(trace=trace, chooser=chooser, step_limit=10**9, event_budget=None)
    process = Process(k)
    for i in range(threads):
        process.start(f"t{i}", program)
    return k


def run_once(threads: int, calls: int, trace: bool, chooser: str) -> tuple[float, Kernel]:
    """The CPU time of one run (the build excluded) and its kernel."""
    k = build(threads, calls, trace, CHOOSERS[chooser]())
    start = time.process_time()
    k.run()
    return time.process_time() - start, k


def measure(threads: int, calls: int, repeat: int) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for chooser in CHOOSERS:
        for trace in (True, False):
            best = float("inf")
            k: Kernel | None = None
            for _ in range(repeat):
                seconds, k = run_once(threads, calls, trace, chooser)
                best = min(best, seconds)
            assert k is not None
            decisions = len(k.chooser.schedule)
            best = max(best, 1e-9)
            report[f"{chooser}_trace_{'on' if trace else 'off'}"] = {
                "chooser": chooser,
                "trace": trace,
                "threads": threads,
                "api_calls": k.calls,
                "decisions": decisions,
                "decisions_per_s": round(decisions / best),
                "us_per_decision": round(best / decisions * 1e6, 3) if decisions else None,
                "trace_events_per_decision": (
                    round(len(k.trace) / decisions, 2) if decisions and trace else 0
                ),
            }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--calls", type=int, default=None, help="SetEvent calls per thread")
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args(argv)
    calls = args.calls or (20 if args.quick else 20_000)
    repeat = args.repeat or (1 if args.quick else 3)
    report = measure(args.threads, calls, repeat)
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "threads": args.threads,
        "calls_per_thread": calls,
        "repeat": repeat,
        "target_decisions_per_s_trace_on": TARGET_TRACE_ON,
    }
    if args.json:
        print(json.dumps({"meta": meta, "runs": report}, indent=2, sort_keys=True))
        return 0
    print(
        f"decisions: {args.threads} threads x {calls} SetEvent calls, best of {repeat} "
        f"(CPU time of Kernel.run), Python {meta['python']}"
    )
    for name, row in report.items():
        print(
            f"  {name:20} {row['decisions_per_s']:>10,} decisions/s "
            f"({row['us_per_decision']} us each, {row['decisions']:,} decisions, "
            f"{row['trace_events_per_decision']} trace events each)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
