"""The strategies a campaign draws schedules from.

- **random**: every choice uniformly at random (or by the point's weights), from a seed;
- **pct**: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
  "A Randomized Scheduler with Probabilistic Guarantees of Finding Bugs", ASPLOS 2010). Every
  thread gets a random priority when it first appears; at a scheduling point the highest
  priority ready thread runs; at ``depth - 1`` change points, drawn uniformly among the
  scheduling points a run is expected to have, the thread about to run drops below every
  initial priority. A bug that needs ``d`` ordering constraints is found by one run with
  probability at least ``1 / (n * k^(d-1))`` for ``n`` threads and ``k`` steps. Choices that
  are not scheduling (latencies, faults, data) are drawn at random from the same seed.

Schedule ``i`` of a campaign seeded ``s`` uses the seed ``derive(s, i)``: any schedule of a
campaign can be rerun alone, and two campaigns with different seeds share none.
"""

from __future__ import annotations

import random
from typing import Any, Final

from emu.kernel.chooser import SCHED, ChoicePoint, Chooser, OptionKey, RandomChooser

STRATEGIES: Final = ("random", "pct")


def derive(seed: int, index: int) -> int:
    """The seed of schedule ``index`` of a campaign seeded ``seed`` (a fixed 64-bit mix)."""
    x = (seed * 0x9E3779B97F4A7C15 + index * 0xBF58476D1CE4E5B9 + 1) & (1 << 64) - 1
    x ^= x >> 31
    x = (x * 0x94D049BB133111EB) & (1 << 64) - 1
    return x ^ (x >> 29)


class PctChooser(Chooser):
    """PCT over the scheduling points; random elsewhere."""

    strategy = "pct"
    reads_footprints = False  # priorities are per option key

    def __init__(self, seed: int, depth: int = 3, steps: int = 100) -> None:
        super().__init__()
        self.seed = seed
        self.depth = depth
        self.steps = max(1, steps)
        self._rng = random.Random(seed)
        self._priority: dict[OptionKey, float] = {}
        count = min(depth - 1, self.steps)
        self._changes = sorted(self._rng.sample(range(1, self.steps + 1), count))
        self._sched = 0
        self._lowered = 0

    def pick(self, point: ChoicePoint) -> int:
        options = point.options
        if point.kind != SCHED:
            if point.weights is not None:
                return self._rng.choices(range(len(options)), weights=point.weights)[0]
            return self._rng.randrange(len(options))
        self._sched += 1
        priority = self._priority
        for key in options:
            if key not in priority:
                priority[key] = self.depth + self._rng.random()
        best = _highest(priority, options)
        if self._lowered < len(self._changes) and self._sched == self._changes[self._lowered]:
            self._lowered += 1
            priority[options[best]] = self.depth - self._lowered  # below every initial priority
            best = _highest(priority, options)
        return best

    def describe(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "seed": self.seed, "depth": self.depth}


def _highest(priority: dict[OptionKey, float], options: tuple[OptionKey, ...]) -> int:
    """The index of the option with the highest priority (the first of equals)."""
    best = 0
    top = priority[options[0]]
    for index in range(1, len(options)):
        value = priority[options[index]]
        if value > top:
            best, top = index, value
    return best


def make_chooser(strategy: str, seed: int, *, depth: int = 3, steps: int = 100) -> Chooser:
    """A fresh chooser of ``strategy`` for one schedule."""
    if strategy == "random":
        return RandomChooser(seed)
    if strategy == "pct":
        return PctChooser(seed, depth, steps)
    raise ValueError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")
