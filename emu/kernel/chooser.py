"""The chooser: the one place where every nondeterministic decision of a run is made.

A run is a function of its scenario and the answers the chooser gives. Every decision goes
through ``Chooser.choose(point)`` with a ``ChoicePoint`` carrying:

- its kind: ``sched`` (which enabled thread or device acts next), ``latency`` (how long an RPC or
  device operation takes), ``fault`` (whether an injected fault fires), ``swarm`` (which feature
  a swarm configuration enables) or ``data`` (a value a program draws with ``api.rand``);
- a stable label saying where it arose (``preempt@SetEvent``, ``release@Event#3``);
- the options as stable keys (``("thread", "monitor")``, a latency in ticks, ``"none"``);
- for scheduling points, each option's footprint: the objects its next step touches and how
  (``((object_id, "w"),)``), declared by the API layer, for partial-order reduction;
- optional weights for random strategies.

Index 0 is always the least surprising option: the current thread continues (no preemption),
else the thread ready longest; the minimum latency; no fault. Shrinking toward index 0 therefore
means fewer preemptions, shorter delays and fewer faults.

Only points with two or more options are recorded. The recorded schedule is a list of
``(index, option key)`` pairs; ``ReplayChooser`` plays one back and reports the first step where
the run no longer offers what was recorded.

What a strategy reads decides what a scheduling point costs. A strategy that picks from the
number of options alone (``reads_keys`` False: canonical, random) is asked ``pick_index(n)``,
and the kernel looks up only the chosen option's key, for the schedule and the ``choice`` event;
it builds no ``ChoicePoint`` for a scheduling point. Footprints are built only for a strategy
that reads them (``reads_footprints``; none of the shipped strategies does, partial-order
reduction would). A strategy that declares neither gets the whole point, as before.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Final, TypeAlias

from emu.errors import ReplayDivergence

OptionKey: TypeAlias = Any
"""A stable, JSON-representable key: str, int, or a tuple of them."""
Footprint: TypeAlias = tuple[tuple[int, str], ...]
"""What a step touches: (object id, "r" or "w") pairs."""
Schedule: TypeAlias = list[tuple[int, OptionKey]]

SCHED: Final = "sched"
LATENCY: Final = "latency"
FAULT: Final = "fault"
SWARM: Final = "swarm"
DATA: Final = "data"
POINT_KINDS: Final = (SCHED, LATENCY, FAULT, SWARM, DATA)

NO_FAULT: Final = "none"


class ChoicePoint:
    """One decision to make; ``options[0]`` is the least surprising answer."""

    __slots__ = ("footprints", "kind", "label", "options", "weights")

    def __init__(
        self,
        kind: str,
        label: str,
        options: tuple[OptionKey, ...],
        footprints: tuple[Footprint, ...] | None = None,
        weights: tuple[float, ...] | None = None,
    ) -> None:
        self.kind = kind
        self.label = label
        self.options = options
        self.footprints = footprints
        self.weights = weights

    def __repr__(self) -> str:
        return f"ChoicePoint({self.kind}, {self.label!r}, {self.options!r})"


class Chooser(ABC):
    """Base strategy: records the answer of every point with two or more options."""

    strategy: str = "base"
    reads_keys: ClassVar[bool] = True
    """Whether ``pick`` reads the options' keys. False: it needs only their number (and the
    weights, which scheduling points never have), so the kernel asks ``pick_index`` at a
    scheduling point instead of building its options."""
    reads_footprints: ClassVar[bool] = True
    """Whether ``pick`` reads the footprints of a scheduling point's options. False: the
    kernel passes none (``ChoicePoint.footprints`` is None)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A strategy that overrides pick or choose but inherits pick_index (a subclass of the
        # random or canonical chooser) must be asked at every point: its inherited "reads only
        # the count" would otherwise bypass it. It can declare otherwise in its own class body.
        own = vars(cls)
        if ("pick" in own or "choose" in own) and "pick_index" not in own:
            if "reads_keys" not in own:
                cls.reads_keys = True
            if "reads_footprints" not in own:
                cls.reads_footprints = True

    def __init__(self) -> None:
        self.schedule: Schedule = []

    def choose(self, point: ChoicePoint) -> int:
        options = point.options
        if len(options) < 2:
            return 0
        index = self.pick(point)
        self.schedule.append((index, options[index]))
        return index

    @abstractmethod
    def pick(self, point: ChoicePoint) -> int:
        """The index of the chosen option; ``len(point.options) >= 2``."""

    def pick_index(self, n: int) -> int:
        """The index chosen among ``n >= 2`` options of a scheduling point without weights,
        for a strategy that does not read keys (``reads_keys`` False; the kernel asks the
        others ``choose`` with the whole point). The caller records the step: it appends
        ``(index, key of the chosen option)`` to ``schedule``, as ``choose`` does. By default
        ``pick`` decides a point of ``n`` options known only by their positions."""
        return self.pick(ChoicePoint(SCHED, "by count", tuple(range(n))))

    def describe(self) -> dict[str, Any]:
        """The strategy and its parameters, for reports."""
        return {"strategy": self.strategy}

    def finish(self) -> None:  # noqa: B027 - optional hook
        """Called when the run ends; a replay checks that the whole schedule was used."""


class CanonicalChooser(Chooser):
    """Always option 0: no preemption, oldest ready thread, minimum latency, no fault."""

    strategy = "canonical"
    reads_keys = False
    reads_footprints = False

    def pick(self, point: ChoicePoint) -> int:
        return 0

    def pick_index(self, n: int) -> int:
        return 0


class RandomChooser(Chooser):
    """A seeded uniform (or weighted, when a point has weights) choice at every point."""

    strategy = "random"
    reads_keys = False
    reads_footprints = False

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.seed = seed
        self._rng = random.Random(seed)
        self._bits = self._rng.getrandbits

    def pick(self, point: ChoicePoint) -> int:
        n = len(point.options)
        if point.weights is not None:
            return self._rng.choices(range(n), weights=point.weights)[0]
        return self._rng.randrange(n)

    def pick_index(self, n: int) -> int:
        """``randrange(n)``, the draw ``pick`` makes for a point without weights, inlined:
        ``n.bit_length()`` random bits, drawn again until below ``n`` (the stream, and so
        every schedule of a seed, is the same; a test compares the two)."""
        bits = n.bit_length()
        index: int = self._bits(bits)
        while index >= n:
            index = self._bits(bits)
        return index

    def describe(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "seed": self.seed}


class ReplayChooser(Chooser):
    """Plays back a recorded schedule.

    Strict (the default) is for reproducing a run: at the first step where the option recorded
    is not the option the run offers at that index, or the schedule runs out, or the run ends
    with steps unused, it raises ``ReplayDivergence`` naming the step, what was expected and
    what was available. Lenient is for shrinking: a step that no longer fits takes the recorded
    key if the run offers it anywhere, else the recorded index if it exists, else 0; steps past
    the end take 0.
    """

    strategy = "replay"
    reads_footprints = False

    def __init__(self, recorded: Sequence[tuple[int, OptionKey]], *, strict: bool = True) -> None:
        super().__init__()
        self.recorded = [(int(i), freeze_key(k)) for i, k in recorded]
        self.strict = strict

    def pick(self, point: ChoicePoint) -> int:
        step = len(self.schedule)
        options = point.options
        if step >= len(self.recorded):
            if self.strict:
                raise ReplayDivergence(
                    f"replay diverged at step {step} ({point.kind} {point.label}): the "
                    f"schedule has only {len(self.recorded)} steps; the run offered "
                    f"{list(options)}",
                    step=step,
                    expected=None,
                    available=options,
                    label=point.label,
                )
            return 0
        index, key = self.recorded[step]
        if index < len(options) and options[index] == key:
            return index
        if self.strict:
            raise ReplayDivergence(
                f"replay diverged at step {step} ({point.kind} {point.label}): recorded "
                f"#{index} {key!r} but the run offered {list(options)}",
                step=step,
                expected=(index, key),
                available=options,
                label=point.label,
            )
        if key in options:
            return options.index(key)
        return index if index < len(options) else 0

    def finish(self) -> None:
        used = len(self.schedule)
        if self.strict and used < len(self.recorded):
            raise ReplayDivergence(
                f"replay diverged: the run ended after {used} of {len(self.recorded)} "
                f"recorded steps; next recorded step was {self.recorded[used]!r}",
                step=used,
                expected=self.recorded[used],
                available=(),
            )

    def describe(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "steps": len(self.recorded), "strict": self.strict}


def freeze_key(key: Any) -> OptionKey:
    """A key read back from JSON (lists) as the tuple the run offers."""
    if isinstance(key, list):
        return tuple(freeze_key(k) for k in key)
    return key


def latency_options(lo: int, hi: int, pending: Sequence[int]) -> tuple[int, ...]:
    """Representative latencies in ``[lo, hi]`` (ticks, relative to now).

    Not every tick: the bounds, and for every other pending timer due at relative time ``t``
    strictly inside the range, ``t`` (completing at the same instant, where a scheduling choice
    orders the two) and ``t + 1`` (just after it). Ascending, so option 0 is the minimum latency.
    """
    if hi < lo:
        raise ValueError(f"latency range [{lo}, {hi}] is empty")
    points = {lo, hi}
    for t in pending:
        if lo < t < hi:
            points.add(t)
            points.add(t + 1)
    return tuple(sorted(points))
