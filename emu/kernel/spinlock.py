"""Spin locks: KeAcquireSpinLock raises to DISPATCH_LEVEL and spins until the lock is free.

"KeAcquireSpinLock first resets the IRQL to DISPATCH_LEVEL and then acquires the lock"; the
caller must run at IRQL <= DISPATCH_LEVEL. KeReleaseSpinLock "releases a spin lock and restores
the original IRQL at which the caller was running". A context that cannot take the lock spins
(it stays RUNNING on its processor, parked until the lock is handed to it; when several spin,
the chooser picks who gets it).

Misuse, recorded inline: releasing a spin lock that is not held (``kernel.spinlock_not_held``);
acquiring one the same context already holds, which spins forever on Windows
(``kernel.spinlock_recursive``; here too, the context never gets it). A context still spinning
when the run ends is reported as ``actor.blocked`` in state SPINNING. A thread that exits, or a
DPC or work item that returns, while holding a spin lock leaves it held for good
(``kernel.lock_orphaned``): every later acquirer spins.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

from emu.kernel.actor import PARK, Park
from emu.kernel.chooser import SCHED, ChoicePoint
from emu.kernel.objects import KernelObject
from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.actor import Actor
    from emu.kernel.dispatcher import Kernel

SPINLOCK_STATE = trace_kind(
    "spinlock.state",
    ("op", "owner", "spinning"),
    state=("owner", "spinning"),
    text="{o0} {op} by {o1}: owner #{owner}, {spinning} spinning",
    doc="A spin lock was acquired, released, or a context started spinning on it.",
)


class SpinLock(KernelObject):
    """KSPIN_LOCK."""

    __slots__ = ("owner", "spinners")

    TYPE = "SpinLock"

    def __init__(self, k: Kernel, name: str | None = None) -> None:
        super().__init__(k, name)
        self.owner: Actor | None = None
        self.spinners: list[Actor] = []
        self.reference()  # held by its KSPIN_LOCK storage
        k.end_reporters.append(self)

    def at_end(self) -> None:
        """A context still spinning when the run ends never gets the lock: report it."""
        for actor in self.spinners:
            self.k.report_blocked(actor, "SPINNING", (self,))

    def _trace(self, op: str, actor: Actor) -> None:
        k = self.k
        owner = self.owner.oid if self.owner is not None else 0
        k.emit(k.actor_id(), SPINLOCK_STATE, (self.oid, actor.oid), (op, owner, len(self.spinners)))

    def acquire(self, actor: Actor) -> Generator[Park, None, None]:
        k = self.k
        if self.owner is None:
            self.owner = actor
            actor.spinlocks.append(self)
            self._trace("acquire", actor)
            return
        if self.owner is actor:
            k.violation(
                "kernel.spinlock_recursive",
                f"{actor.name} acquires {self.name}, which it already holds: it spins forever",
                (self.oid, actor.oid),
            )
        self.spinners.append(actor)
        self._trace("spin", actor)
        yield PARK  # handed the lock by release(); it stays RUNNING while it spins

    def release(self, actor: Actor) -> bool:
        k = self.k
        if self.owner is None:
            k.violation(
                "kernel.spinlock_not_held",
                f"{actor.name} releases {self.name}, which nobody holds",
                (self.oid, actor.oid),
            )
            return False
        if self.owner is not actor:
            k.violation(
                "kernel.spinlock_not_held",
                f"{actor.name} releases {self.name}, held by {self.owner.name}",
                (self.oid, actor.oid),
            )
        if self in self.owner.spinlocks:
            self.owner.spinlocks.remove(self)
        self.owner = None
        self._trace("release", actor)
        spinners = [s for s in self.spinners if s is not actor]
        if spinners:
            index = 0
            if len(spinners) > 1:
                keys = tuple(s.key for s in spinners)
                point = ChoicePoint(SCHED, f"spin@{self.name}", keys, tuple(() for _ in keys))
                index = k.choose(point)
            chosen = spinners[index]
            self.spinners.remove(chosen)
            self.owner = chosen
            chosen.spinlocks.append(self)
            self._trace("acquire", chosen)
            k.make_ready(chosen)
        return True


def orphan_spinlocks(k: Kernel, actor: Actor, when: str) -> None:
    """``actor``'s code ended (``when``) holding spin locks: they stay held by nobody running."""
    for lock in actor.spinlocks:
        k.violation(
            "kernel.lock_orphaned",
            f"{when} holding {lock.name}; it is never released and every later acquirer spins",
            (lock.oid, actor.oid),
        )
    actor.spinlocks.clear()
