"""Shrinking a schedule that hits: fewer preemptions, faults and delays first, then fewer
choices.

Index 0 is always the least surprising option (no preemption, the shortest latency, no
fault), so shrinking moves choices toward 0. Candidates are replayed leniently (a recorded
step that no longer fits takes the recorded option where the run still offers it, else its
index, else 0; steps past the end take 0), and a candidate is kept when the run still hits.

1. each non-zero choice, left to right, is set to 0 (else, above 1, to 1); a candidate is kept
   when its run still hits and the schedule it recorded is smaller (fewer non-zero choices,
   then a smaller sum of indices, then a shorter meaningful length); passes repeat until one
   changes nothing;
2. the schedule is cut after its last non-zero choice: every later choice is 0, the canonical
   answer, so what remains is the part of the schedule that matters.

The result is the last run that hit, with the schedule it actually recorded (strictly
replayable) and the counts before and after. ``budget`` bounds the runs spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from emu.errors import EmulatorFault
from emu.explore.judge import is_hit, run_once
from emu.kernel.chooser import OptionKey, ReplayChooser, Schedule
from emu.properties.expectation import Assessment
from emu.scenario.model import Scenario

NO_KEY: Final = ("emu.shrink", "index")
"""A recorded key no run offers: the lenient replay then takes the recorded index."""


@dataclass(frozen=True, slots=True)
class ShrinkResult:
    assessment: Assessment
    schedule: Schedule
    runs: int
    choices_before: int
    choices_after: int
    nonzero_before: int
    nonzero_after: int


def needed(schedule: Schedule) -> int:
    """The length of the schedule up to its last non-zero choice."""
    for position in range(len(schedule) - 1, -1, -1):
        if schedule[position][0] != 0:
            return position + 1
    return 0


def nonzero(schedule: Schedule) -> int:
    return sum(1 for index, _key in schedule if index != 0)


def size(schedule: Schedule) -> tuple[int, int, int]:
    """What shrinking makes smaller, in order: non-zero choices, their sum, the length that
    matters."""
    return nonzero(schedule), sum(index for index, _key in schedule), needed(schedule)


def shrink(scenario: Scenario, schedule: Schedule, *, budget: int = 2000) -> ShrinkResult:
    """The smallest schedule found from ``schedule`` (which must hit) within ``budget`` runs."""
    runs = 0

    def attempt(candidate: list[tuple[int, OptionKey]]) -> Assessment | None:
        nonlocal runs
        runs += 1
        assessment = run_once(scenario, ReplayChooser(candidate, strict=False))
        return assessment if is_hit(assessment) else None

    best = attempt(list(schedule))
    if best is None:
        raise EmulatorFault(
            "a schedule that hit no longer hits when replayed: emu is not deterministic"
        )
    current = list(best.result.schedule)
    changed = True
    while changed and runs < budget:
        changed = False
        position = 0
        while position < needed(current) and runs < budget:
            index = current[position][0]
            for lower in (0, 1) if index > 1 else (0,):
                candidate = [*current[:position], (lower, NO_KEY), *current[position + 1 :]]
                found = attempt(candidate)
                if found is not None and size(found.result.schedule) < size(current):
                    best, current, changed = found, list(found.result.schedule), True
                    break
            position += 1
    return ShrinkResult(
        assessment=best,
        schedule=current,
        runs=runs,
        choices_before=needed(list(schedule)),
        choices_after=needed(current),
        nonzero_before=nonzero(list(schedule)),
        nonzero_after=nonzero(current),
    )
