"""The world: the actors that play a scenario's timeline and inject its faults.

The timeline is one actor ("world") that sleeps until each entry's time and performs it. Each
fault is its own actor, since its window may overlap the others. They are actors, not timer
callbacks, so that what the world does at an instant is ordered against the threads enabled
at that instant by the chooser (ARCHITECTURE.md, the execution model): the world's step is one
more enabled actor.

A fault with a probability below 1 first asks the chooser whether it happens (option 0: it
does not); a fault with ``between: [a, b]`` then asks when (the bounds, or the instants where
it would cross another pending timer). Every action is recorded (``world.action``); one that
could not act (a closed port, an exited thread) is recorded as ``world.skip`` with the reason,
and a fault the chooser did not inject as ``world.no_fault``: nothing the scenario asked for
disappears silently.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

from emu.kernel import waits
from emu.kernel.actor import Actor, Park
from emu.kernel.chooser import NO_FAULT
from emu.kernel.trace import trace_kind
from emu.scenario.model import SimContext, TimedAction

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel

WORLD_ACTION = trace_kind(
    "world.action",
    ("action", "line", "fault"),
    text="world: {action} (line {line})",
    doc="The timeline or an injected fault acts on a device; `line` is where the scenario "
    "file declares it.",
)
WORLD_SKIP = trace_kind(
    "world.skip",
    ("action", "line", "reason"),
    text="world: {action} does nothing: {reason}",
    doc="A timeline action or fault that could not act, and why (a port already closed, a "
    "thread that has exited).",
)
FAULT_NOT_INJECTED = trace_kind(
    "world.no_fault",
    ("action", "line"),
    text="world: fault {action} (line {line}) not injected in this run",
    doc="The chooser decided that a fault with a probability below 1 does not happen.",
)


class WorldActor(Actor):
    """Plays timed actions in order; settled once they are all done."""

    __slots__ = ("ctx", "done", "entries")

    TYPE = "World"
    KIND = "world"
    SYSTEM = True

    def __init__(self, k: Kernel, name: str, ctx: SimContext, entries: tuple[TimedAction, ...]):
        super().__init__(k, name, self._play())
        self.ctx = ctx
        self.entries = entries
        self.done = False

    @property
    def settled(self) -> bool:
        return self.done

    def _sleep_until(self, when: int) -> Generator[Park, None, None]:
        delay = when - self.k.now
        if delay > 0:
            yield from waits.wait(self.k, self, (), False, delay, False)

    def _play(self) -> Generator[Park, None, None]:
        k = self.k
        for entry in self.entries:
            yield from self._sleep_until(entry.at)
            if entry.fault and not (yield from self._decide(entry)):
                continue
            if k.ready:
                yield from k.preempt(f"world@{entry.label}", ())
            where = entry.position.line
            seq = k.emit(self.oid, WORLD_ACTION, (), (entry.label, where, entry.fault))
            reason = entry.run(self.ctx)
            if reason is not None:
                k.emit(self.oid, WORLD_SKIP, (), (entry.label, where, reason), seq)
        self.done = True

    def _decide(self, entry: TimedAction) -> Generator[Park, None, bool]:
        """Whether (and when) a fault fires; False if it does not."""
        k = self.k
        label = f"fault@line{entry.position.line}"
        if (
            entry.probability < 1.0
            and k.choose_fault(label, (entry.label,), entry.probability) == NO_FAULT
        ):
            k.emit(self.oid, FAULT_NOT_INJECTED, (), (entry.label, entry.position.line))
            return False
        if entry.until is not None and entry.until > entry.at:
            delay = k.choose_latency(label, 0, entry.until - entry.at)
            yield from self._sleep_until(k.now + delay)
        return True
