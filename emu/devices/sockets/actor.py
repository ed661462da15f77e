"""The network's own context: deliveries that fall due at an instant, as jobs of one actor.

A segment reaching its destination (data, a FIN, a reset, a connection request, a datagram)
is a job of this actor, not a timer callback, so that what the network does at an instant is
one more enabled actor the chooser orders against the threads (ARCHITECTURE.md: device
processes are actors), as the Service Control Manager's jobs are. Jobs due at one instant run
in the order they fell due; an idle network is settled (it never keeps a run from ending as
"all threads done").
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

from emu.kernel.actor import PARK, Actor, ActorState, Park

if TYPE_CHECKING:
    from emu.kernel.clock import Timer
    from emu.kernel.dispatcher import Kernel


class NetActor(Actor):
    """Runs the network's deliveries as they fall due, each ordered by the chooser."""

    __slots__ = ("due", "idle")

    TYPE = "Device"
    KIND = "device"
    SYSTEM = True

    def __init__(self, k: Kernel) -> None:
        super().__init__(k, "network", self._run())
        self.due: list[tuple[str, Callable[[], None]]] = []
        self.idle = False

    @property
    def settled(self) -> bool:
        return self.idle

    def later(self, delay: int, label: str, job: Callable[[], None]) -> Timer:
        """Run ``job`` on the network's context after ``delay`` ticks (0: at this instant)."""
        return self.k.call_later(delay, self._fall_due, (label, job))

    def _fall_due(self, entry: tuple[str, Callable[[], None]]) -> None:
        self.due.append(entry)
        if self.idle:
            self.idle = False
            self.k.set_state(self, ActorState.READY)
            self.k.make_ready(self)

    def _run(self) -> Generator[Park, None, None]:
        k = self.k
        while True:
            while not self.due:
                self.idle = True
                k.set_state(self, ActorState.WAITING)
                yield PARK
            label, job = self.due.pop(0)
            if k.ready:
                yield from k.preempt(f"net@{label}", ((self.oid, "w"),))
            job()
