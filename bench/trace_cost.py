"""What the trace costs: speed with the trace on against off, retained memory per event, and
the collection after a run.

For each workload of ``kernel_vs_simpy.py`` (pingpong, apc, iocp, workqueue) it runs the same
rounds with the trace off and on (CPU time, best of N), then measures with ``tracemalloc`` the
bytes a finished trace retains per event as recorded and after ``Trace.compact()`` (what
``Kernel.run`` does to a trace of ``COMPACT_FROM`` events or more), the time compaction takes,
and the time of the first garbage collection after a run (the collector is paused during
``Kernel.run``) with and without compaction. Targets (issue 12): trace on >= 0.8 x trace off,
retained memory <= 120 B/event.

    python bench/trace_cost.py [--quick] [--json] [--rounds N] [--repeat N]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import kernel_vs_simpy as workloads

from emu.kernel import Kernel, dispatcher


def compact_from(value: int) -> int:
    """Set ``Kernel.run``'s compaction threshold; returns the previous one."""
    namespace = vars(dispatcher)
    previous: int = namespace["COMPACT_FROM"]
    namespace["COMPACT_FROM"] = value
    return previous


WORKLOADS: dict[str, Callable[[int, bool], Kernel]] = {
    "pingpong": workloads.emu_pingpong,
    "apc": workloads.emu_apc,
    "iocp": workloads.emu_iocp,
    "workqueue": workloads.emu_workqueue,
}


def rate(
    run: Callable[[int, bool], Kernel], rounds: int, trace: bool, repeat: int, compact: bool
) -> float:
    saved = compact_from(0 if compact else sys.maxsize)
    best = float("inf")
    try:
        for _ in range(repeat):
            gc.collect()
            started = time.process_time()
            kernel = run(rounds, trace)
            gc.collect(0)  # the collection the run postponed is part of its cost
            best = min(best, time.process_time() - started)
            del kernel
    finally:
        compact_from(saved)
    return rounds / best


def retained(run: Callable[[int, bool], Kernel], rounds: int, compact: bool) -> dict[str, float]:
    """Bytes per event a finished trace keeps once the rest of the run is gone."""
    saved = compact_from(0 if compact else sys.maxsize)
    try:
        gc.collect()
        tracemalloc.start()
        kernel = run(rounds, True)
        events = kernel.trace.events
        kernel.trace.events = []
        del kernel
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    finally:
        compact_from(saved)
    count = len(events)
    del events
    return {"events": count, "bytes_per_event": round(kept / count, 1)}


def compaction_us_per_event(run: Callable[[int, bool], Kernel], rounds: int) -> float:
    saved = compact_from(sys.maxsize)
    try:
        kernel = run(rounds, True)
    finally:
        compact_from(saved)
    gc.disable()
    started = time.process_time()
    kernel.trace.compact()
    elapsed = time.process_time() - started
    gc.enable()
    return round(elapsed / len(kernel.trace.events) * 1e6, 3)


def measure(name: str, rounds: int, repeat: int) -> dict[str, Any]:
    run = WORKLOADS[name]
    off = rate(run, rounds, False, repeat, compact=False)
    on = rate(run, rounds, True, repeat, compact=False)
    compacted = rate(run, rounds, True, repeat, compact=True)
    return {
        "rounds": rounds,
        "rounds_per_s_trace_off": round(off),
        "rounds_per_s_trace_on": round(on),
        "rounds_per_s_trace_on_compacted": round(compacted),
        "on_over_off": round(on / off, 3),
        "compacted_over_off": round(compacted / off, 3),
        "as_recorded": retained(run, rounds, compact=False),
        "compacted": retained(run, rounds, compact=True),
        "compact_us_per_event": compaction_us_per_event(run, rounds),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (200 rounds, 1 repeat)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per workload (20000)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per timing, best kept (3)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (200 if args.quick else 20_000)
    repeat = args.repeat or (1 if args.quick else 3)
    rows = {name: measure(name, rounds, repeat) for name in WORKLOADS}
    if args.json:
        meta = {"python": platform.python_version(), "rounds": rounds, "repeat": repeat}
        print(json.dumps({"meta": meta, "workloads": rows}, indent=2))
        return 0
    print(f"trace_cost: {rounds} rounds, best of {repeat}, Python {platform.python_version()}")
    for name, row in rows.items():
        recorded, compacted = row["as_recorded"], row["compacted"]
        print(
            f"  {name:9s} off {row['rounds_per_s_trace_off']:>8,}/s  on "
            f"{row['rounds_per_s_trace_on']:>8,}/s  on/off {row['on_over_off']:.2f}  "
            f"B/event {recorded['bytes_per_event']:.0f} -> {compacted['bytes_per_event']:.0f} "
            f"compacted ({row['compact_us_per_event']:.2f} us/event; on/off compacted "
            f"{row['compacted_over_off']:.2f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
