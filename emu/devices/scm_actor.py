"""The SCM's own context: the jobs of services.exe that fall due at an instant.

A service reaching the end of its pending time and a fired notification reaching its client
are jobs of this actor, not timer callbacks, so that what the SCM does at an instant is one
more enabled actor the chooser orders against the threads (ARCHITECTURE.md: device processes
are actors). Jobs due at one instant run in the order they fell due; an idle SCM is settled.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

from emu.kernel.actor import PARK, Actor, ActorState, Park

if TYPE_CHECKING:
    from emu.devices.scm_notify import Notifier
    from emu.kernel.clock import Timer
    from emu.kernel.dispatcher import Kernel


class ScmActor(Actor):
    """The SCM's own context: runs the jobs that fall due (service transitions, notification
    deliveries), each ordered against the threads enabled at that instant by the chooser."""

    __slots__ = ("due", "idle", "notifier")

    TYPE = "Device"
    KIND = "device"
    SYSTEM = True

    def __init__(self, k: Kernel) -> None:
        super().__init__(k, "scm", self._run())
        self.due: list[tuple[str, Callable[[], None]]] = []
        self.idle = False
        self.notifier: Notifier | None = None

    def at_end(self) -> None:
        if self.notifier is not None:
            self.notifier.at_end()

    @property
    def settled(self) -> bool:
        return self.idle

    def later(self, delay: int, label: str, job: Callable[[], None]) -> Timer:
        """Run ``job`` on the SCM's context after ``delay`` ticks (0: at this instant)."""
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
                yield from k.preempt(f"scm@{label}", ((self.oid, "w"),))
            job()
