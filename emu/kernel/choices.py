"""Choices: every decision the kernel asks its chooser for, and the scheduling points.

The dispatcher (``emu.kernel.dispatcher``) asks here whenever two or more actors are enabled
at one instant, and kernel objects and devices ask for the other kinds (a latency, a fault, a
value a program draws). Every answer comes from the one chooser of the run and, when the point
had two or more options, is recorded: a schedule step ``(index, option key)`` and a ``choice``
event (kind, label, index, the chosen key, the number of options).

A scheduling point costs only what the strategy reads (``Chooser.reads_keys``,
``Chooser.reads_footprints``): the canonical and random strategies pick from the number of
options (``pick_index``) and only the chosen option's key is looked up; a strategy that reads
keys gets a ``ChoicePoint`` with them, and footprints only if it reads those too. The points a
thread meets on its hot paths (``preempted``, ``yielded``) are plain functions: the caller
yields ``PARK`` itself when another actor runs first, so a point creates no generator.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Final

from emu.kernel.actor import PARK, Actor, ActorState, Park
from emu.kernel.chooser import (
    DATA,
    FAULT,
    LATENCY,
    NO_FAULT,
    SCHED,
    ChoicePoint,
    Chooser,
    Footprint,
    OptionKey,
    latency_options,
)
from emu.kernel.trace import CHOICE

if TYPE_CHECKING:
    from emu.kernel.clock import Clock
    from emu.kernel.trace import Emit

READY: Final = ActorState.READY
RUNNING: Final = ActorState.RUNNING


class Choices:
    """The decisions of a run (a base of ``Kernel``)."""

    chooser: Chooser
    clock: Clock
    current: Actor | None
    emit: Emit
    ready: list[Actor]
    tracing: bool
    _next: Actor | None

    if TYPE_CHECKING:  # the Kernel's

        def actor_id(self) -> int: ...

        def set_state(self, actor: Actor, state: ActorState, cause: int = ...) -> None: ...

    def choose(self, point: ChoicePoint) -> int:
        """Any decision, as a whole point: the index the chooser gives (recorded when the point
        has two or more options)."""
        index = self.chooser.choose(point)
        options = point.options
        if len(options) > 1 and self.tracing:
            self.emit(
                self.actor_id(),
                CHOICE,
                (),
                (point.kind, point.label, index, options[index], len(options)),
            )
        return index

    def choose_actor(
        self, label: str, actors: list[Actor], footprints: Callable[[], tuple[Footprint, ...]]
    ) -> int:
        """A scheduling point among ``actors`` (two or more; option i is ``actors[i]``):
        the index chosen. ``footprints`` gives each option's footprint, called only for a
        strategy that reads them; a strategy that reads only the count gets no options built."""
        chooser = self.chooser
        if chooser.reads_keys:
            fps = footprints() if chooser.reads_footprints else None
            return self.choose(ChoicePoint(SCHED, label, tuple([a.key for a in actors]), fps))
        n = len(actors)
        index = chooser.pick_index(n)
        key = actors[index].key
        chooser.schedule.append((index, key))
        if self.tracing:
            self.emit(self.actor_id(), CHOICE, (), (SCHED, label, index, key, n))
        return index

    def choose_latency(self, label: str, lo: int, hi: int) -> int:
        """A latency in ``[lo, hi]`` ticks: the bounds or an instant that crosses a timer
        (``latency_options``). A strategy that reads only the number of options is asked
        ``pick_index`` (the same answer ``pick`` gives a point without weights), and only the
        chosen latency is recorded, as ``choose`` records it."""
        options = latency_options(lo, hi, self.clock.pending_offsets())
        n = len(options)
        chooser = self.chooser
        if n < 2:
            return lo
        if chooser.reads_keys:
            return int(options[self.choose(ChoicePoint(LATENCY, label, options))])
        index = chooser.pick_index(n)
        latency = options[index]
        chooser.schedule.append((index, latency))
        if self.tracing:
            self.emit(self.actor_id(), CHOICE, (), (LATENCY, label, index, latency, n))
        return latency

    def choose_fault(self, label: str, faults: tuple[str, ...], probability: float) -> str:
        """``"none"`` or one of ``faults``; random strategies fire one with ``probability``."""
        options = (NO_FAULT, *faults)
        share = probability / len(faults) if faults else 0.0
        weights = (1.0 - probability, *[share] * len(faults))
        return str(options[self.choose(ChoicePoint(FAULT, label, options, None, weights))])

    def choose_data(self, label: str, options: tuple[OptionKey, ...]) -> int:
        """A value a program draws (``api.rand``): the index into ``options``."""
        return self.choose(ChoicePoint(DATA, label, options))

    def preempt(self, label: str, footprint: Footprint) -> Generator[Park, None, None]:
        """A scheduling point before the current actor's next visible step.

        Call only when ``self.ready`` is non-empty. Option 0 is the current actor going on.
        """
        if self.preempted(label, footprint):
            yield PARK

    def preempted(self, label: str, footprint: Footprint) -> bool:
        """``preempt`` without a generator, for the hot paths: the decision, and when another
        actor runs first the switch (the current actor is back in the ready list); the caller
        then yields ``PARK``. Call only when ``self.ready`` is non-empty::

            if k.ready and k.preempted("SetEvent", footprint):
                yield PARK
        """
        cur = self.current
        assert cur is not None
        ready = self.ready
        chooser = self.chooser
        n = len(ready) + 1
        if chooser.reads_keys:
            options: tuple[OptionKey, ...] = (cur.key, *[a.key for a in ready])
            footprints = (
                (footprint, *[a.footprint for a in ready]) if chooser.reads_footprints else None
            )
            index = chooser.choose(ChoicePoint(SCHED, label, options, footprints))
            key = options[index]
        else:  # only the count: no options built, the chosen key looked up
            index = chooser.pick_index(n)
            key = ready[index - 1].key if index else cur.key
            chooser.schedule.append((index, key))
        if index == 0:
            if self.tracing:
                self.emit(cur.oid, CHOICE, (), (SCHED, label, 0, key, n))
            return False
        nxt = ready.pop(index - 1)
        if self.tracing:  # the switch: the choice names both threads and implies their states
            self.emit(cur.oid, CHOICE, (cur.oid, nxt.oid), (SCHED, label, index, key, n))
        nxt.queued = False
        nxt.state = RUNNING
        cur.footprint = footprint
        cur.queued = True
        cur.state = READY
        ready.append(cur)
        self._next = nxt
        return True

    def yielded(self, label: str) -> bool:
        """Sleep(0)/SwitchToThread: another ready actor runs first unless the chooser says not
        (option 0 is the actor ready longest; the current actor going on is the last option).
        Returns whether another actor runs first; then the switch is made and the caller yields
        ``PARK``. Call only when ``self.ready`` is non-empty."""
        cur = self.current
        assert cur is not None
        ready = self.ready
        index = self.choose_actor(label, [*ready, cur], lambda: (*[a.footprint for a in ready], ()))
        if index == len(ready):
            return False
        nxt = ready.pop(index)
        nxt.queued = False
        cur.footprint = ()
        cur.queued = True
        ready.append(cur)
        self.set_state(cur, ActorState.READY)
        self._next = nxt
        return True

    def _ready_footprints(self) -> tuple[Footprint, ...]:
        return tuple([a.footprint for a in self.ready])
