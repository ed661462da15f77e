"""A device's own context: the jobs that fall due at an instant, as steps of one actor.

A device's work that falls due (a service reaching the end of its pending time, a notification
reaching its client, a segment reaching a socket) is a job of the device's actor, not a timer
callback, so what the device does at an instant is one more enabled actor the chooser orders
against the threads (ARCHITECTURE.md: device processes are actors). Jobs due at one instant
run in the order they fell due, each after a scheduling point labelled ``<prefix>@<label>``;
an idle device is settled (it never keeps a run from ending as "all threads done").
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

from emu.kernel.actor import PARK, Actor, ActorState, Park

if TYPE_CHECKING:
    from emu.kernel.clock import Timer
    from emu.kernel.dispatcher import Kernel


class JobActor(Actor):
    """Runs a device's jobs as they fall due, each ordered by the chooser."""

    __slots__ = ("due", "idle", "prefix")

    TYPE = "Device"
    KIND = "device"
    SYSTEM = True

    def __init__(self, k: Kernel, name: str, prefix: str) -> None:
        super().__init__(k, name, self._run())
        self.prefix = prefix
        self.due: list[tuple[str, Callable[[], None]]] = []
        self.idle = False

    @property
    def settled(self) -> bool:
        return self.idle

    def later(self, delay: int, label: str, job: Callable[[], None]) -> Timer:
        """Run ``job`` on the device's context after ``delay`` ticks (0: at this instant)."""
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
                yield from k.preempt(f"{self.prefix}@{label}", ((self.oid, "w"),))
            job()
