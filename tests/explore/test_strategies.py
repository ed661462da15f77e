"""The strategies: seeded, reproducible, PCT's priorities and change points."""

from __future__ import annotations

import pytest

from emu.explore.strategies import PctChooser, derive, make_chooser
from emu.kernel.chooser import LATENCY, SCHED, ChoicePoint, RandomChooser


def sched(*names: str) -> ChoicePoint:
    return ChoicePoint(SCHED, "t", tuple(("thread", n) for n in names))


def test_derive_is_a_fixed_mix_distinct_per_index_and_seed() -> None:
    assert derive(0, 1) == derive(0, 1)
    assert len({derive(s, i) for s in range(5) for i in range(50)}) == 250


def test_pct_runs_the_highest_priority_thread_until_a_change_point() -> None:
    # No change point (depth 1): the same thread wins every time it is offered.
    chooser = PctChooser(seed=5, depth=1, steps=10)
    picks = [sched("a", "b", "c").options[chooser.choose(sched("a", "b", "c"))] for _ in range(8)]
    assert len(set(picks)) == 1


def test_pct_change_points_lower_the_running_thread() -> None:
    # depth 2 over 3 steps: one change point; after it the first winner never wins again.
    for seed in range(20):
        chooser = PctChooser(seed=seed, depth=2, steps=3)
        winners = [sched("a", "b").options[chooser.choose(sched("a", "b"))][1] for _ in range(3)]
        change = chooser._changes[0]
        assert winners[change - 1] != winners[0] or change == 1
        assert winners[change - 1 :] == [winners[change - 1]] * (4 - change)


def test_pct_draws_non_scheduling_choices_at_random_from_its_seed() -> None:
    point = ChoicePoint(LATENCY, "rpc", (1, 2, 3, 4))
    a = [PctChooser(seed=9).choose(point) for _ in range(1)]
    b = [PctChooser(seed=9).choose(point) for _ in range(1)]
    assert a == b


def test_make_chooser_knows_the_strategies() -> None:
    assert isinstance(make_chooser("random", 1), RandomChooser)
    assert isinstance(make_chooser("pct", 1, depth=4), PctChooser)
    assert make_chooser("pct", 1, depth=4).describe() == {"strategy": "pct", "seed": 1, "depth": 4}
    with pytest.raises(ValueError, match="unknown strategy"):
        make_chooser("dfs", 1)


def test_pct_runs_the_highest_priority_and_the_first_of_equals() -> None:
    # The highest priority thread runs; between equal priorities, the option offered first
    # (the current thread, else the one ready longest).
    for options, priorities, expected in [
        (("a", "b", "c"), {"a": 3.2, "b": 3.9, "c": 3.5}, 1),
        (("a", "b", "c"), {"a": 2.0, "b": 2.0, "c": 1.0}, 0),
        (("a", "b", "c"), {"a": 1.0, "b": 2.0, "c": 2.0}, 1),
    ]:
        chooser = PctChooser(seed=1, depth=1, steps=10)
        chooser._priority.update(priorities)
        assert chooser.choose(ChoicePoint(SCHED, "t", options)) == expected
