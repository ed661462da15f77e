"""Shrinking a schedule that hits: fewer preemptions, faults and delays first, then fewer
choices.

Index 0 is always the least surprising option (no preemption, the shortest latency, no
fault), so shrinking moves choices toward 0. Candidates are replayed leniently (a recorded
step that no longer fits takes the recorded option where the run still offers it, else its
index, else 0; steps past the end take 0), and a candidate is kept when the run still hits.

1. each non-zero choice alone: every other choice set to 0, the one kept by its option, then
   by its index (a race that one preemption shows is found in at most twice as many runs as
   the schedule has non-zero choices);
2. sets of non-zero choices set to 0 together, halves first, then quarters, ... (delta
   debugging): lowering one scheduling choice alone can move the recorded choices after it
   onto other scheduling points, so a run that needs fewer choices is often reached only by
   dropping several at once;
3. each non-zero choice, left to right, is set to 0 (else, above 1, to 1);

a candidate is kept when its run still hits and the schedule it recorded is smaller (fewer
non-zero choices, then a smaller sum of indices, then a shorter meaningful length); the passes
repeat until none changes anything. Last, the schedule is cut after its last non-zero choice:
every later choice is 0, the canonical answer, so what remains is the part that matters.

The result is the last run that hit, with the schedule it actually recorded (strictly
replayable) and the counts before and after. ``budget`` bounds the runs spent.
"""

from __future__ import annotations

from collections.abc import Callable
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


Candidate = list[tuple[int, OptionKey]]


def _zeroed(schedule: Schedule, positions: set[int]) -> Candidate:
    """``schedule`` up to what matters, with the choices at ``positions`` set to 0. Every
    choice that is 0 is written as the index 0, not by its option: where a run's scheduling
    points have shifted, the canonical answer there is option 0, whatever thread it names."""
    return [
        (0, NO_KEY) if position in positions or choice[0] == 0 else choice
        for position, choice in enumerate(schedule[: needed(schedule)])
    ]


def _nonzero_positions(schedule: Schedule) -> list[int]:
    return [position for position, (index, _key) in enumerate(schedule) if index != 0]


def _alone(
    current: Schedule, smaller: Callable[[Candidate], bool], go_on: Callable[[], bool]
) -> bool:
    """Pass 1: keep one non-zero choice only, for each in turn; True if one was kept."""
    positions = _nonzero_positions(current)
    if len(positions) < 2:
        return False
    for keep in positions:
        alone = _zeroed(current, set(positions) - {keep})
        by_index = [*alone[:keep], (current[keep][0], NO_KEY), *alone[keep + 1 :]]
        for candidate in (alone, by_index):  # the same option, or the same index, there
            if not go_on():
                return False
            if smaller(candidate):
                return True
    return False


def _drop_sets(
    current: Schedule, smaller: Callable[[Candidate], bool], go_on: Callable[[], bool]
) -> bool:
    """Pass 2: set chunks of the non-zero choices to 0 together, the chunks halving in size;
    True if a smaller schedule was kept."""
    positions = _nonzero_positions(current)
    parts = 2
    while len(positions) >= 2 and parts <= len(positions):
        step = -(-len(positions) // parts)
        for start in range(0, len(positions), step):
            if not go_on():
                return False
            if smaller(_zeroed(current, set(positions[start : start + step]))):
                return True
        parts *= 2
    return False


def shrink(scenario: Scenario, schedule: Schedule, *, budget: int = 2000) -> ShrinkResult:
    """The smallest schedule found from ``schedule`` (which must hit) within ``budget`` runs."""
    runs = 0

    def attempt(candidate: list[tuple[int, OptionKey]]) -> Assessment | None:
        nonlocal runs
        runs += 1
        assessment = run_once(scenario, ReplayChooser(candidate, strict=False))
        if is_hit(assessment):
            return assessment
        assessment.result.release()  # a miss is dropped: free it now (Kernel.release)
        return None

    best = attempt(list(schedule))
    if best is None:
        raise EmulatorFault(
            "a schedule that hit no longer hits when replayed: emu is not deterministic"
        )
    current = list(best.result.schedule)

    def smaller(candidate: list[tuple[int, OptionKey]]) -> bool:
        """Try ``candidate``; keep it (and say so) when it hits with a smaller schedule."""
        nonlocal best, current
        found = attempt(candidate)
        if found is not None and size(found.result.schedule) < size(current):
            assert best is not None
            best.result.release()  # the smaller hit replaces it
            best, current = found, list(found.result.schedule)
            return True
        if found is not None:
            found.result.release()
        return False

    changed = True
    while changed and runs < budget:
        changed = _alone(current, smaller, lambda: runs < budget)
        changed = _drop_sets(current, smaller, lambda: runs < budget) or changed
        position = 0
        while position < needed(current) and runs < budget:
            index = current[position][0]
            for lower in (0, 1) if index > 1 else (0,):
                if smaller([*current[:position], (lower, NO_KEY), *current[position + 1 :]]):
                    changed = True
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
