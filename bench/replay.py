"""Writing and replaying a long schedule: a replay file of about 10^6 choices, recorded, written,
loaded, rerun and verified against its trace checkpoints.

The scenario (written to a temporary folder, or ``--keep DIR``): two threads each call
``InterlockedIncrement`` on one shared counter ``N`` times (``repeat:``), every call a
scheduling point between the two; ``N`` is half the choices asked for. A seeded random chooser
records the schedule (each call is a choice until one thread is done, so the count is close to
``2N``; the report gives the exact count), a few trace events per choice (the choice, the
call, its memory event and, on a switch, the threads' state events; the report gives the
count).

Phases, CPU time (``time.process_time``), the median of ``--repeat`` runs (the recording once):

- ``record``: the random run that makes the schedule (not part of either target);
- ``write``: ``write_replay`` of that run, split into ``digest`` (the trace checkpoints,
  ``checkpoints``) and ``encode`` (the rest: the compact schedule, the JSON text, the file);
- ``replay``, what ``emu run FILE.replay.json`` does: ``load`` (``open_target``: the replay
  file, checked field by field, and its scenario), ``run`` (the simulation under a strict
  ``ReplayChooser``, the chooser's construction included), ``verdict`` (``assess``: the
  catalogue's checkers over the trace) and ``verify`` (``first_difference``: the running
  digests against the recorded checkpoints, which must all match).

``--cli`` also times the whole ``emu run --quiet FILE`` in this process (its output dropped).
Targets (issue 12): writing and replaying 10^6 choices each under 10 s, the verification
included; a digest at least 5x cheaper per event than the JSON-lines digest it replaced
(6 us/event).

    python bench/replay.py [--quick] [--json] [--choices N] [--repeat R] [--cli] [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from emu.cli import main as emu_main
from emu.explore.declared import open_target
from emu.explore.replay import checkpoints, first_difference, write_replay
from emu.kernel.chooser import RandomChooser, ReplayChooser
from emu.properties.expectation import assess
from emu.scenario import load_scenario
from emu.sim.simulation import Simulation

TARGET_S = 10.0
SCENARIO = """\
version: 1
name: long-replay
description: Two threads increment one counter; every call is a choice between them.
limits:
  events: 1000000000
  steps_per_instant: 1000000000
shared:
  n: {{type: LONG}}
threads:
  a:
    steps:
      - repeat: {repeat}
        steps:
          - InterlockedIncrement: {{Addend: $n}}
  b:
    steps:
      - repeat: {repeat}
        steps:
          - InterlockedIncrement: {{Addend: $n}}
"""
T = TypeVar("T")


def timed(work: Callable[[], T]) -> tuple[float, T]:
    started = time.process_time()
    value = work()
    return time.process_time() - started, value


def record(folder: Path, choices: int, seed: int) -> tuple[float, Any]:
    """Write the scenario into ``folder``; run it once under a random chooser."""
    scenario_file = folder / "long-replay.yaml"
    scenario_file.write_text(SCENARIO.format(repeat=max(1, choices // 2)), encoding="utf-8")
    scenario = load_scenario(scenario_file)
    return timed(lambda: Simulation(scenario, chooser=RandomChooser(seed)).run())


def write_once(folder: Path, result: Any) -> dict[str, float]:
    events = result.k.trace.events
    digest, _ = timed(lambda: checkpoints(events))
    write, _ = timed(
        lambda: write_replay(
            folder / "long.replay.json",
            scenario_file=str(folder / "long-replay.yaml"),
            scenario_sha256=None,
            schedule=result.schedule,
            events=events,
            properties=[],
            found_by={"strategy": "random", "bench": "bench/replay.py"},
        )
    )
    return {"write": write, "digest": digest, "encode": write - digest}


def replay_once(path: Path) -> dict[str, float]:
    load, target = timed(lambda: open_target(path))
    replay = target.replay
    assert replay is not None

    def rerun() -> Any:
        chooser = ReplayChooser(replay.schedule)
        result = Simulation(target.scenario, chooser=chooser).run()
        chooser.finish()
        return result

    run, result = timed(rerun)
    events = result.k.trace.events
    verdict, _ = timed(lambda: assess(result))
    verify, problem = timed(lambda: first_difference(replay.checkpoints, events))
    if problem is not None:
        raise SystemExit(f"bench/replay.py: the replay did not verify: {problem}")
    return {
        "replay": load + run + verdict + verify,
        "load": load,
        "run": run,
        "verdict": verdict,
        "verify": verify,
    }


def cli_once(path: Path) -> float:
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        elapsed, code = timed(lambda: emu_main(["run", "--quiet", str(path)]))
    if code != 0:
        raise SystemExit(f"bench/replay.py: emu run exited {code}: {sink.getvalue()[-500:]}")
    return elapsed


def median(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(row[key] for row in rows), 3) for key in rows[0]}


def measure(folder: Path, choices: int, repeat: int, seed: int, cli: bool) -> dict[str, Any]:
    recording, result = record(folder, choices, seed)
    made = len(result.schedule)
    events = len(result.k.trace.events)
    writes = [write_once(folder, result) for _ in range(repeat)]
    del result
    gc.collect()
    path = folder / "long.replay.json"
    replays = []
    for _ in range(repeat):
        replays.append(replay_once(path))
        gc.collect()
    report: dict[str, Any] = {
        "choices": made,
        "events": events,
        "file_bytes": path.stat().st_size,
        "record_s": round(recording, 3),
        "write_s": median(writes),
        "replay_s": median(replays),
    }
    report["digest_us_per_event"] = round(report["write_s"]["digest"] / max(events, 1) * 1e6, 3)
    report["verify_us_per_event"] = round(report["replay_s"]["verify"] / max(events, 1) * 1e6, 3)
    if cli:
        report["emu_run_s"] = round(statistics.median(cli_once(path) for _ in range(repeat)), 3)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (10,000 choices)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--choices", type=int, default=None, help="choices (1,000,000)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per phase (3; quick 1)")
    parser.add_argument("--seed", type=int, default=1, help="the recording's seed (1)")
    parser.add_argument("--cli", action="store_true", help="also time emu run --quiet FILE")
    parser.add_argument("--keep", type=Path, default=None, help="write the files into DIR")
    args = parser.parse_args(argv)
    choices = args.choices or (10_000 if args.quick else 1_000_000)
    repeat = args.repeat or (1 if args.quick else 3)
    with tempfile.TemporaryDirectory(prefix="emu-bench-replay-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        report = measure(folder, choices, repeat, args.seed, args.cli)
    meta = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "repeat": repeat,
        "clock": "time.process_time (CPU), median of repeat",
        "targets": {"write_s": TARGET_S, "replay_s": TARGET_S},
    }
    if args.json:
        print(json.dumps({"meta": meta, **report}, indent=2))
        return 0
    write, replay = report["write_s"], report["replay_s"]
    print(
        f"replay: {report['choices']:,} choices, {report['events']:,} trace events, a "
        f"{report['file_bytes'] / 2**20:.1f} MiB file; Python {meta['python']}, CPU s, median "
        f"of {repeat}"
    )
    print(f"  record  {report['record_s']:7.2f} s  (the random run that makes the schedule)")
    print(
        f"  write   {write['write']:7.2f} s  = digest {write['digest']:.2f} "
        f"({report['digest_us_per_event']:.3f} us/event) + encode {write['encode']:.2f}"
    )
    print(
        f"  replay  {replay['replay']:7.2f} s  = load {replay['load']:.2f} + run "
        f"{replay['run']:.2f} + verdict {replay['verdict']:.2f} + verify {replay['verify']:.2f} "
        f"({report['verify_us_per_event']:.3f} us/event)"
    )
    if "emu_run_s" in report:
        print(f"  emu run {report['emu_run_s']:7.2f} s  (emu run --quiet FILE, end to end)")
    print(f"  targets: write and replay under {TARGET_S:.0f} s each for 10^6 choices")
    return 0


if __name__ == "__main__":
    sys.exit(main())
