"""How fast a loaded scenario is built and run: the cost exploration pays per schedule.

For each shipped scenario (``scenarios/**/*.yaml``): the time to load and compile it once, then
the rate of ``Simulation(scenario, seed=i).run()`` with the trace on (a fresh world, a random
schedule, the expectation checked), and its trace length. Exploration runs thousands of
schedules; the founding design asks for construction, run and verdict in about a millisecond for a
scenario of about 100 trace events.

    python bench/scenario_rate.py [--quick] [--json] [--runs N] [--match TEXT]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from emu.properties.expectation import assess
from emu.scenario import load_scenario
from emu.sim import Simulation

ROOT = Path(__file__).resolve().parents[1]


def measure(path: Path, runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    scenario = load_scenario(path)
    load_ms = (time.perf_counter() - started) * 1e3
    events = 0
    failures = 0
    started = time.perf_counter()
    for seed in range(runs):
        result = Simulation(scenario, seed=seed).run()
        events += len(result.k.trace.events)
        failures += not assess(result).ok
    elapsed = time.perf_counter() - started
    return {
        "load_ms": round(load_ms, 2),
        "runs": runs,
        "runs_per_s": round(runs / elapsed, 1),
        "ms_per_run": round(elapsed / runs * 1e3, 3),
        "events_per_run": round(events / runs, 1),
        "failing_runs": failures,  # runs whose expectation does not hold by themselves
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (20 runs each)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs", type=int, default=None, help="runs per scenario (500)")
    parser.add_argument("--match", default="", help="only the scenarios whose path has TEXT")
    args = parser.parse_args(argv)
    runs = args.runs or (20 if args.quick else 500)
    paths = [
        p
        for p in sorted((ROOT / "scenarios").rglob("*.yaml"))
        if args.match in str(p.relative_to(ROOT / "scenarios"))
    ]
    rows = {str(p.relative_to(ROOT / "scenarios")): measure(p, runs) for p in paths}
    if args.json:
        meta = {"python": platform.python_version(), "runs": runs}
        print(json.dumps({"meta": meta, "scenarios": rows}, indent=2))
        return 0
    python = platform.python_version()
    print(f"scenario_rate: {runs} runs each (random schedules, trace on), Python {python}")
    for name, row in rows.items():
        print(
            f"  {name:<40} load {row['load_ms']:>6.2f} ms | {row['runs_per_s']:>8,.0f} runs/s "
            f"({row['ms_per_run']:.3f} ms, {row['events_per_run']:.0f} events per run) | "
            f"{row['failing_runs']} failing"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
