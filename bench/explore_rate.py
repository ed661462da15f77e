"""Schedules per second: what exploration pays per schedule, verdict included.

For each shipped scenario (``scenarios/**/*.yaml``) it runs the loop of ``emu explore``
without stopping at a hit: schedule ``i`` of a campaign (schedule 0 canonical, then the
strategy's draw from ``derive(seed, i)``), a fresh simulation with the trace on, the verdict
over the whole property catalogue and the comparison with ``expect:`` (``assess``), and the
hit test. It prints schedules per second per scenario and strategy, the mean trace length, and
how many schedules hit. The target (issue 5): at least 1,000 schedules per second on one core
for a scenario of about 100 trace events.

    python bench/explore_rate.py [--quick] [--json] [--schedules N] [--strategy random|pct]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

from emu.explore.campaign import Campaign
from emu.explore.judge import is_hit, run_once
from emu.scenario import load_scenario
from emu.scenario.model import ExploreBudget

ROOT = Path(__file__).resolve().parents[1]


def measure(path: Path, strategy: str, schedules: int) -> dict[str, Any]:
    scenario = load_scenario(path)
    campaign = Campaign(scenario, ExploreBudget(strategy, schedules, 0, 3))
    events = hits = 0
    steps = 100
    started = time.perf_counter()
    for index in range(schedules):
        chooser = campaign.chooser(index, steps)
        assessment = run_once(scenario, chooser)
        if index == 0:
            steps = max(1, len(chooser.schedule))
        events += len(assessment.result.k.trace.events)
        hits += is_hit(assessment)
    elapsed = time.perf_counter() - started
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
    args = parser.parse_args(argv)
    schedules = args.schedules or (20 if args.quick else 2000)
    strategies = args.strategy or ["random", "pct"]
    paths = sorted((ROOT / "scenarios").rglob("*.yaml"))
    rows = [
        {"scenario": str(p.relative_to(ROOT / "scenarios")), **measure(p, s, schedules)}
        for p in paths
        for s in strategies
    ]
    if args.json:
        meta = {"python": platform.python_version(), "schedules": schedules}
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
