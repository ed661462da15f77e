"""Where an explored schedule's time goes: choosing, building, running, judging.

For each shipped scenario (or those matching ``--match``) it runs ``--schedules`` random
schedules of an ``emu explore`` campaign and times each part in CPU time: making the chooser,
building the ``Simulation``, running it (trace on), and assessing the run (the verdict over
the catalogue and the comparison with ``expect:``, then ``Result.release`` as a campaign drops
a judged run; the garbage collection the run postponed falls in this part). It also times the
verdict alone, repeated on one canonical trace (no collection, warm caches), and counts the
checkers built and the events they were fed (the plan of ``emu.properties.verdict``). Medians
of ``--repeat`` passes. Targets (issue 12): the verdict at most 120 us for a kernel scenario
of about 100 events.

    python bench/schedule_cost.py [--quick] [--json] [--schedules N] [--repeat N] [--match TEXT]
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
from emu.kernel.chooser import CanonicalChooser
from emu.properties.expectation import assess, run_verdict
from emu.properties.verdict import plan_for
from emu.scenario import load_scenario
from emu.scenario.model import ExploreBudget
from emu.sim.simulation import Simulation

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("chooser", "build", "run", "assess")


def one_pass(path: Path, schedules: int) -> dict[str, float]:
    scenario = load_scenario(path)
    campaign = Campaign(scenario, ExploreBudget("random", schedules, 0, 3))
    clock = time.process_time
    totals = dict.fromkeys(PARTS, 0.0)
    events = 0
    for index in range(schedules):
        t0 = clock()
        chooser = campaign.chooser(index, 100)
        t1 = clock()
        simulation = Simulation(scenario, chooser=chooser)
        t2 = clock()
        result = simulation.run()
        chooser.finish()
        t3 = clock()
        assess(result)
        events += len(result.k.trace.events)
        result.release()  # as a campaign drops a judged run (Kernel.release)
        t4 = clock()
        for part, spent in zip(PARTS, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
            totals[part] += spent
    out = {part: totals[part] / schedules * 1e6 for part in PARTS}
    out["events"] = events / schedules
    return out


def verdict_alone(path: Path, loops: int) -> dict[str, float]:
    result = Simulation(load_scenario(path), chooser=CanonicalChooser()).run()
    events = result.k.trace.events
    plan = plan_for(events, result.scenario.machine.profile)
    started = time.process_time()
    for _ in range(loops):
        run_verdict(result)
    spent = (time.process_time() - started) / loops * 1e6
    return {
        "verdict_us": spent,
        "canonical_events": len(events),
        "checkers_built": len(plan.checkers),
        "feeds": plan.feeds(events),
    }


def measure(path: Path, schedules: int, repeat: int) -> dict[str, Any]:
    passes = [one_pass(path, schedules) for _ in range(repeat)]
    row: dict[str, Any] = {
        f"{part}_us": round(statistics.median(p[part] for p in passes), 1) for part in PARTS
    }
    row["events"] = round(passes[0]["events"], 1)
    total = sum(row[f"{part}_us"] for part in PARTS)
    row["schedules_per_s"] = round(1e6 / total, 1)
    alone = [verdict_alone(path, max(20, schedules // 2)) for _ in range(repeat)]
    row["verdict_alone_us"] = round(statistics.median(a["verdict_us"] for a in alone), 1)
    for key in ("canonical_events", "checkers_built", "feeds"):
        row[key] = alone[0][key]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (20 schedules)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--schedules", type=int, default=None, help="per pass (500)")
    parser.add_argument("--repeat", type=int, default=None, help="passes, median (3)")
    parser.add_argument("--match", default="", help="only scenarios whose path contains TEXT")
    args = parser.parse_args(argv)
    schedules = args.schedules or (20 if args.quick else 500)
    repeat = args.repeat or (1 if args.quick else 3)
    paths = [p for p in sorted((ROOT / "scenarios").rglob("*.yaml")) if args.match in str(p)]
    rows = {str(p.relative_to(ROOT / "scenarios")): measure(p, schedules, repeat) for p in paths}
    if args.json:
        meta = {"python": platform.python_version(), "schedules": schedules, "repeat": repeat}
        print(json.dumps({"meta": meta, "scenarios": rows}, indent=2))
        return 0
    print(
        f"schedule_cost: {schedules} random schedules, median of {repeat}, CPU time, "
        f"Python {platform.python_version()} (us per schedule)"
    )
    for name, row in rows.items():
        print(
            f"  {name:<38} {row['events']:>5.0f} ev  chooser {row['chooser_us']:>5.1f}  build "
            f"{row['build_us']:>6.1f}  run {row['run_us']:>7.1f}  assess {row['assess_us']:>6.1f}"
            f"  = {row['schedules_per_s']:>6,.0f}/s | verdict alone {row['verdict_alone_us']:.0f}"
            f" us ({row['checkers_built']} checkers, {row['feeds']} feeds)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
