"""A campaign: schedules of one scenario until its expectation breaks or the budget is spent.

Schedule 0 is the canonical one (every choice option 0); schedule ``i`` is drawn by the
strategy from the seed ``derive(seed, i)``. Each run is judged as ``emu run`` judges it
(``assess``). What a campaign looks for depends on the scenario:

- a scenario that demonstrates a bug (``expect: violated: [...]``) is *confirmed* by the first
  run that violates every property it names;
- any other scenario is *broken* by the first run whose expectation does not hold.

``sometimes:`` notes count over the whole campaign: each must be seen in at least one run.
A campaign also checks that its runs are independent (``emu.explore.carried``): a program that
changes module-level state, or a canonical schedule whose rerun gives another trace, fails the
campaign with a message saying so (``carried``).
On a hit, the schedule is shrunk (``emu.explore.shrink``) and the campaign's result carries
the shrunk run, ready to be written as a replay file. ``on_progress`` is called every
``progress_every`` schedules with the count so far (the command line prints a progress line);
the campaign itself reads no clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emu.explore.carried import StateWatch, rerun_differs
from emu.explore.judge import is_hit, run_once
from emu.explore.shrink import ShrinkResult, shrink
from emu.explore.strategies import derive, make_chooser
from emu.kernel.chooser import CanonicalChooser, Chooser
from emu.properties.expectation import Assessment
from emu.scenario.model import ExploreBudget, Scenario

Progress = Callable[[int, int], None]  # (schedules run, hits so far)


@dataclass(slots=True)
class CampaignResult:
    """What a campaign did and found."""

    scenario: Scenario
    budget: ExploreBudget
    schedules_run: int = 0
    hit_at: int | None = None  # the index of the first schedule that hit
    hit_seed: int | None = None
    found: Assessment | None = None  # the shrunk run that hits
    first: Assessment | None = None  # schedule 0, the canonical run
    shrunk: ShrinkResult | None = None
    notes_seen: dict[str, int] = field(default_factory=dict)  # note text -> first schedule
    choices_total: int = 0
    carried: list[str] = field(default_factory=list)  # state carried between runs, if any

    @property
    def demonstrates(self) -> bool:
        """Whether the scenario demonstrates a bug (``violated:``)."""
        return bool(self.scenario.expect.violated)

    @property
    def missing_sometimes(self) -> list[str]:
        return [t for t in self.scenario.expect.sometimes if t not in self.notes_seen]

    @property
    def ok(self) -> bool:
        """The declared verdict holds over the campaign: a bug demonstration was confirmed, or
        no schedule broke the expectation; and every ``sometimes:`` note was seen."""
        confirmed = self.found is not None if self.demonstrates else self.found is None
        return confirmed and not self.missing_sometimes and not self.carried

    def describe(self) -> dict[str, Any]:
        """The exploration section of a report."""
        budget = self.budget
        shrunk = self.shrunk
        return {
            "strategy": budget.strategy,
            "seed": budget.seed,
            "depth": budget.depth if budget.strategy == "pct" else None,
            "budget": budget.schedules,
            "schedules_run": self.schedules_run,
            "hit_at": self.hit_at,
            "hit_seed": self.hit_seed,
            "shrink": None
            if shrunk is None
            else {
                "runs": shrunk.runs,
                "choices_before": shrunk.choices_before,
                "choices_after": shrunk.choices_after,
                "nonzero_before": shrunk.nonzero_before,
                "nonzero_after": shrunk.nonzero_after,
            },
            "sometimes_seen": dict(self.notes_seen),
            "carried_state": list(self.carried),
        }


class Campaign:
    """One scenario, one budget; ``run()`` explores and returns a ``CampaignResult``."""

    def __init__(
        self,
        scenario: Scenario,
        budget: ExploreBudget,
        *,
        on_progress: Progress | None = None,
        progress_every: int = 250,
        shrink_runs: int = 2000,
    ) -> None:
        self.scenario = scenario
        self.budget = budget
        self.on_progress = on_progress
        self.progress_every = max(1, progress_every)
        self.shrink_runs = shrink_runs

    def chooser(self, index: int, steps: int) -> Chooser:
        if index == 0:
            return CanonicalChooser()
        budget = self.budget
        return make_chooser(
            budget.strategy, derive(budget.seed, index), depth=budget.depth, steps=steps
        )

    def run(self) -> CampaignResult:
        out = CampaignResult(self.scenario, self.budget)
        steps = 100  # PCT's estimate of scheduling points per run: the canonical run's count
        watch = StateWatch(self.scenario)
        for index in range(self.budget.schedules):
            chooser = self.chooser(index, steps)
            assessment = run_once(self.scenario, chooser)
            if not out.carried:
                out.carried.extend(watch.changes(index))
            out.schedules_run = index + 1
            out.choices_total += len(chooser.schedule)
            if index == 0:
                steps = max(1, len(chooser.schedule))
                out.first = assessment
            for text in assessment.notes_seen:
                out.notes_seen.setdefault(text, index)
            if self.on_progress is not None and out.schedules_run % self.progress_every == 0:
                self.on_progress(out.schedules_run, 0)
            if is_hit(assessment):
                out.hit_at = index
                out.hit_seed = chooser.describe().get("seed")
                out.shrunk = shrink(self.scenario, list(chooser.schedule), budget=self.shrink_runs)
                out.found = out.shrunk.assessment
                break
            if index:  # schedule 0 is kept (out.first); the others are judged and dropped
                assessment.result.release()
        if out.schedules_run > 1 and not out.carried and out.first is not None:
            problem = rerun_differs(self.scenario, out.first.result.k.trace.to_jsonl())
            if problem is not None:
                out.carried.append(problem)
        if self.on_progress is not None:
            self.on_progress(out.schedules_run, 0 if out.found is None else 1)
        return out


def explore(
    scenario: Scenario,
    budget: ExploreBudget | None = None,
    *,
    on_progress: Progress | None = None,
) -> CampaignResult:
    """Explore ``scenario`` under ``budget`` (default: its ``explore:`` section, else 1,000
    random schedules from seed 0)."""
    chosen = budget or scenario.explore or ExploreBudget()
    return Campaign(scenario, chosen, on_progress=on_progress).run()
