"""Schedules per second: what exploration pays per schedule, verdict included.

For each shipped scenario (``scenarios/**/*.yaml``) it runs the loop of ``emu explore``
without stopping at a hit: schedule ``i`` of a campaign (schedule 0 canonical, then the
strategy's draw from ``derive(seed, i)``), a fresh simulation with the trace on, the verdict
over the whole property catalogue and the comparison with ``expect:`` (``assess``), and the
hit test. It prints schedules per second per scenario and strategy (CPU time of this process,
the median of ``--repeat`` campaigns), the mean trace length, and how many schedules hit, then
the lowest rate and how many scenarios reach 1,000 schedules/s. Targets (issue 12): every
shipped scenario at least 1,000 schedules per second, bug-apc-counter-race at least 2,500.

    python bench/explore_rate.py [--quick] [--json] [--schedules N] [--repeat N]
                                 [--strategy random|pct] [--match TEXT]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from emu.explore.campaign import Campaign
from emu.explore.judge import is_hit, run_once
from emu.scenario import load_scenario
from emu.scenario.model import ExploreBudget

ROOT = Path(__file__).resolve().parents[1]


def campaign_time(path: Path, strategy: str, schedules: int) -> tuple[float, int, int]:
    """CPU seconds for ``schedules`` schedules of one campaign, with its events and hits."""
    scenario = load_scenario(path)
    campaign = Campaign(scenario, ExploreBudget(strategy, schedules, 0, 3))
    events = hits = 0
    steps = 100
    started = time.process_time()
    for index in range(schedules):
        chooser = campaign.chooser(index, steps)
        assessment = run_once(scenario, chooser)
        if index == 0:
            steps = max(1, len(chooser.schedule))
        events += len(assessment.result.k.trace.events)
        hits += is_hit(assessment)
        assessment.result.release()  # as a campaign drops a judged run (Kernel.release)
    return time.process_time() - started, events, hits


def measure(path: Path, strategy: str, schedules: int, repeat: int = 1) -> dict[str, Any]:
    runs = [campaign_time(path, strategy, schedules) for _ in range(repeat)]
    elapsed = statistics.median(run[0] for run in runs)
    _, events, hits = runs[0]
    return {
        "strategy": strategy,
        "schedules": schedules,
        "schedules_per_s": round(schedules / elapsed, 1),
        "ms_per_schedule": round(elapsed / schedules * 1e3, 3),
        "events_per_schedule": round(events / schedules, 1),
        "hits": hits,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (20 schedules each)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--schedules", type=int, default=None, help="per scenario (2000)")
    parser.add_argument("--strategy", choices=("random", "pct"), action="append", default=None)
    parser.add_argument("--repeat", type=int, default=1, help="campaigns per row, median (1)")
    parser.add_argument("--match", default="", help="only scenarios whose path contains TEXT")
    args = parser.parse_args(argv)
    schedules = args.schedules or (20 if args.quick else 2000)
    strategies = args.strategy or ["random", "pct"]
    paths = [p for p in sorted((ROOT / "scenarios").rglob("*.yaml")) if args.match in str(p)]
    rows = [
        {
            "scenario": str(p.relative_to(ROOT / "scenarios")),
            **measure(p, s, schedules, max(1, args.repeat)),
        }
        for p in paths
        for s in strategies
    ]
    if args.json:
        meta = {
            "python": platform.python_version(),
            "schedules": schedules,
            "repeat": args.repeat,
            "clock": "process CPU time",
        }
        print(json.dumps({"meta": meta, "rows": rows}, indent=2))
        return 0
    print(
        f"explore_rate: {schedules} schedules per scenario and strategy (trace on, verdict "
        f"and expectation included), Python {platform.python_version()}"
    )
    for row in rows:
        print(
            f"  {row['scenario']:<36} {row['strategy']:<6} {row['schedules_per_s']:>8,.0f} "
            f"schedules/s ({row['ms_per_schedule']:.3f} ms, {row['events_per_schedule']:.0f} "
            f"events) | {row['hits']} hits"
        )
    if rows:
        slowest = min(rows, key=lambda row: row["schedules_per_s"])
        reach = sum(row["schedules_per_s"] >= 1000 for row in rows)
        print(
            f"lowest: {slowest['scenario']} {slowest['strategy']} "
            f"{slowest['schedules_per_s']:,.0f}/s; {reach} of {len(rows)} rows at 1,000/s or more"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
