"""The exploration command of the ``emu`` command line.

- ``emu explore FILE... [--strategy random|pct] [--schedules N] [--seed S] [--depth D] [--out
  PATH] [--json] [--quiet]``: run schedules of each scenario until its expectation breaks (or,
  for a scenario that demonstrates a bug, until the bug shows) or the budget is spent, with a
  progress line on stderr (schedules, schedules per second, hits; none with ``--quiet``). On a
  hit the schedule is shrunk and written as a replay file that ``emu run`` reproduces exactly
  (``--out``: a file name ending in ``.json`` for one scenario, else a folder; default
  ``replays/``). ``--out`` is checked before any exploring: a ``.json`` name given with several
  files, a folder that is a file, a place that cannot be written are one line on stderr and exit
  2, nothing explored. Options not given come from the scenario's ``explore:`` section, else
  random, 1,000 schedules, seed 0, depth 3. Every report states the strategy, the budget and the
  schedules run. A file that does not load is reported (one line) and the others are explored.
  Exit 2 when a file is invalid or a replay cannot be written, else 1 when a scenario does not
  give its declared verdict over the campaign, else 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

from emu.errors import EmuError, printable

if TYPE_CHECKING:
    from emu.explore.campaign import CampaignResult


DEFAULT_OUT: Final = "replays"


def add_explore(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``emu explore``; the defaults named in the help are ``ExploreBudget``'s own."""
    from emu.cli_scenarios import FILES_HELP, QUIET_HELP, allow_python_option, limits_options
    from emu.scenario.model import ExploreBudget

    default = ExploreBudget()
    explore = commands.add_parser(
        "explore",
        help="search schedules for a broken expectation; shrink it and write a replay",
        description="Run schedules of each scenario until its expectation breaks (or, for a "
        "scenario that demonstrates a bug, until the bug shows) or the budget is spent, with a "
        "progress line on stderr. A hit is shrunk and written as a replay file that emu run "
        "reproduces exactly. An option not given comes from the scenario's explore: section, "
        "else from the default named in its help. Exit 0 when every scenario gives its "
        "declared verdict, 1 when one does not, 2 when a file is invalid or a replay cannot "
        "be written.",
    )
    explore.add_argument("files", nargs="+", metavar="FILE", help=FILES_HELP)
    explore.add_argument(
        "--strategy",
        choices=("random", "pct"),
        default=None,
        help="random: a seeded random option at every choice; pct: probabilistic concurrency "
        "testing, a few priority changes at random points (default: the scenario's explore: "
        f"strategy, else {default.strategy})",
    )
    explore.add_argument(
        "--schedules",
        type=_positive,
        default=None,
        metavar="N",
        help="the budget: at most N schedules per scenario (default: the scenario's explore: "
        f"schedules, else {default.schedules:,})",
    )
    explore.add_argument(
        "--seed",
        type=int,
        default=None,
        help="the campaign's seed: the same seed explores the same schedules (default: the "
        f"scenario's explore: seed, else {default.seed})",
    )
    explore.add_argument(
        "--depth",
        type=_positive,
        default=None,
        metavar="D",
        help="pct only: the bug depth, how many ordering constraints a bug needs (default: the "
        f"scenario's explore: depth, else {default.depth})",
    )
    explore.add_argument(
        "--out",
        default=None,
        metavar="PATH",
        help="where replays go: a NAME.json file (one scenario only) or a folder, created "
        f"when a replay is first written (default: {DEFAULT_OUT})",
    )
    explore.add_argument(
        "--json",
        action="store_true",
        help="print one JSON report object per scenario instead of text (docs/report.md)",
    )
    explore.add_argument("--quiet", action="store_true", help=QUIET_HELP)
    allow_python_option(explore)
    limits_options(explore)
    explore.set_defaults(handler=explore_command)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


class ProgressLine:
    """``explore: name 1,250/5,000 schedules, 1,830/s, 0 hits`` on stderr (wall-clock rate for
    the reader only: nothing in a run reads a clock)."""

    def __init__(self, name: str, budget: int, enabled: bool) -> None:
        self.name = name
        self.budget = budget
        self.enabled = enabled
        self.start = time.perf_counter()
        self.rate = 0.0

    def __call__(self, done: int, hits: int) -> None:
        elapsed = max(time.perf_counter() - self.start, 1e-9)
        self.rate = done / elapsed
        if self.enabled:
            sys.stderr.write(
                f"\rexplore: {self.name} {done:,}/{self.budget:,} schedules, "
                f"{self.rate:,.0f}/s, {hits} hit{'s' if hits != 1 else ''}"
            )
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def explore_command(args: argparse.Namespace) -> int:
    from emu.cli_scenarios import exploration_line, load_targets, print_outcome, report_of
    from emu.explore import Campaign
    from emu.explore.declared import Outcome
    from emu.scenario.model import ExploreBudget

    problem = out_problem(args.out, len(args.files))
    if problem is not None:
        given = printable(args.out) if args.out is not None else f"{DEFAULT_OUT} (the default)"
        print(f"emu explore: --out {given}: {problem}", file=sys.stderr)
        return 2
    targets, invalid = load_targets(args.files, args.allow_python, args)
    status = 0
    written: set[Path] = set()
    for target in targets:
        scenario = target.scenario
        base = scenario.explore or ExploreBudget()
        budget = ExploreBudget(
            strategy=args.strategy or base.strategy,
            schedules=args.schedules or base.schedules,
            seed=base.seed if args.seed is None else args.seed,
            depth=args.depth or base.depth,
        )
        progress = ProgressLine(scenario.name, budget.schedules, not args.quiet and not args.json)
        try:
            campaign = Campaign(scenario, budget, on_progress=progress).run()
        except EmuError as exc:
            progress.close()
            print(f"{printable(scenario.file)}: the run failed: {exc}", file=sys.stderr)
            status = 1
            continue
        progress.close()
        if not campaign.ok:
            status = 1
        if campaign.found is not None and campaign.shrunk is not None:
            path = replay_path(campaign, args.out, len(args.files), written)
            try:
                write_found(campaign, path)
            except OSError as exc:
                print(
                    f"{printable(str(path))}: cannot write the replay: "
                    f"{exc.strerror or type(exc).__name__}",
                    file=sys.stderr,
                )
                invalid = 2
            else:
                written.add(path)
                print(f"replay written to {printable(str(path))}", file=sys.stderr)
        shown = campaign.found or campaign.first
        outcome = Outcome(shown) if shown is not None else None
        summary = f"{exploration_line(campaign)}; {progress.rate:,.0f} schedules/s"
        missing = campaign.missing_sometimes
        if args.json:
            report: dict[str, object] = (
                report_of(outcome) if outcome is not None else {"scenario": scenario.name}
            )
            report["exploration"] = campaign.describe()
            report["campaign_ok"] = campaign.ok
            print(json.dumps(report, ensure_ascii=False))
            continue
        if campaign.found is not None:
            print_outcome(Outcome(campaign.found, campaign), quiet=True)
        print(f"-- {scenario.name}: {summary}")
        if campaign.notes_seen:
            seen = sorted(campaign.notes_seen.items(), key=lambda item: (item[1], item[0]))
            reached = "; ".join(f"{text!r} (first in schedule {index})" for text, index in seen)
            print(f"   notes seen: {reached}")
        for text in missing:
            print(
                f"   FAIL: the note {text!r} was never seen in {campaign.schedules_run} schedules"
            )
        verdict = "PASS" if campaign.ok else "FAIL"
        what = (
            "the declared bug was shown"
            if campaign.demonstrates and campaign.found is not None
            else "the declared bug was not shown"
            if campaign.demonstrates
            else "the expectation broke"
            if campaign.found is not None
            else "the expectation held in every schedule"
        )
        print(f"-- {verdict}: {scenario.name}: {what}")
    return invalid or status


def names_a_file(out: str) -> bool:
    """``--out NAME.json`` names the replay file itself; any other ``--out`` is a folder."""
    return out.endswith(".json")


def out_problem(out: str | None, count: int) -> str | None:
    """What stops replays being written to ``--out`` (checked before exploring), or None.

    ``--out NAME.json`` names the one replay file of one scenario; any other ``--out`` (and the
    default, ``replays``) is a folder, created when a replay is first written."""
    if out is None:
        out = DEFAULT_OUT
    if "\0" in out:
        return "the path holds a NUL byte"
    try:
        os.fsencode(out)
    except UnicodeError:
        return "the path holds characters no file name can"
    target = Path(out)
    if names_a_file(out):
        if count > 1:
            return (
                f"a .json name is the replay file of one scenario, and {count} files are "
                "explored: give a folder"
            )
        if target.is_dir():
            return "a folder, where a replay file name was given (.json)"
        folder = target.parent
    else:
        if target.exists() and not target.is_dir():
            return "exists and is not a folder"
        folder = target
    existing = folder.absolute()
    while not existing.exists():  # the folders to create: the first one that exists decides
        existing = existing.parent
    if not existing.is_dir():
        return f"{printable(str(existing))} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot write in {printable(str(existing))}"
    return None


def replay_path(campaign: CampaignResult, out: str | None, count: int, taken: set[Path]) -> Path:
    """Where the replay of ``campaign`` goes: ``--out`` itself for one scenario and a .json
    name, else ``<folder>/<scenario>-<strategy>-<seed>.replay.json`` (numbered ``-2``, ``-3``
    when two scenarios of one command share a name, so none overwrites another)."""
    if out is not None and count == 1 and names_a_file(out):
        return Path(out)
    budget = campaign.budget
    stem = f"{campaign.scenario.name}-{budget.strategy}-{budget.seed}"
    folder = Path(out or DEFAULT_OUT)
    path = folder / f"{stem}.replay.json"
    number = 1
    while path in taken:
        number += 1
        path = folder / f"{stem}-{number}.replay.json"
    return path


def write_found(campaign: CampaignResult, path: Path) -> Path:
    """Write the shrunk schedule of a campaign's hit to ``path``; OSError if it cannot be."""
    from emu.explore.replay import write_replay
    from emu.properties.report import scenario_digest

    assert campaign.found is not None and campaign.shrunk is not None
    scenario = campaign.scenario
    result = campaign.found.result
    return write_replay(
        path,
        scenario_file=scenario.file,
        scenario_sha256=scenario_digest(scenario.file),
        schedule=campaign.shrunk.schedule,
        events=result.k.trace.events,
        properties=[s.property.id for s in campaign.found.verdict.violated],
        found_by=campaign.describe(),
    )
