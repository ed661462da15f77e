"""Kernel objects and dispatcher objects.

Every object the kernel manages has an id from the simulation's own counter (never ``id()``), a
display name, a handle count and a pointer count, as NT's object manager keeps them: the object
lives while either is non-zero, and its destruction is a trace event.

A *dispatcher object* is one a thread can wait on (events, threads, and later I/O completion
ports and the subsystems' waitable objects). It keeps a FIFO wait list and answers two questions
for the wait machinery in ``emu.kernel.waits``: is it signalled for this waiter, and what does
satisfying a wait do to it (an auto-reset event clears itself, a lock takes an owner). Objects
that release only one waiter per signal (``RELEASE_ONE``) let the chooser pick which: the
documentation promises no order ("If more than one thread is waiting, a waiting thread is
selected. Do not assume a first-in, first-out (FIFO) order."), and option 0 is the FIFO one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from emu.codes.access import map_generic_access
from emu.kernel.trace import OBJ_CREATE, OBJ_DESTROY

if TYPE_CHECKING:
    from emu.kernel.actor import Actor
    from emu.kernel.dispatcher import Kernel


class KernelObject:
    """An object with an id, a name, and NT's two reference counts."""

    __slots__ = ("alive", "handle_count", "k", "name", "oid", "ref_count")

    TYPE: ClassVar[str] = "Object"
    GENERIC_MAPPING: ClassVar[tuple[int, int, int, int]] = (0, 0, 0, 0x001F0000)
    """GenericRead, GenericWrite, GenericExecute, GenericAll of the object type."""

    def __init__(self, k: Kernel, name: str | None = None) -> None:
        self.k = k
        self.oid = k.new_oid()
        self.name = name if name is not None else f"{self.TYPE}#{self.oid}"
        self.handle_count = 0
        self.ref_count = 0
        self.alive = True
        k.emit(k.actor_id(), OBJ_CREATE, (self.oid,), (self.TYPE, self.name))

    @classmethod
    def map_access(cls, access: int) -> int:
        """A requested access mask with the generic rights mapped for this object type."""
        return map_generic_access(access, cls.GENERIC_MAPPING)

    def reference(self) -> None:
        """Take a pointer reference (a running thread, a wait in progress, a queued APC)."""
        self.ref_count += 1

    def dereference(self) -> None:
        self.ref_count -= 1
        self.maybe_destroy()

    def maybe_destroy(self) -> None:
        if self.handle_count == 0 and self.ref_count <= 0 and self.alive:
            self.alive = False
            self.on_destroy()
            self.k.emit(self.k.actor_id(), OBJ_DESTROY, (self.oid,), ("last reference",))

    def on_last_handle_closed(self) -> None:
        """The object's close procedure: its last handle is gone (references may remain).

        A completion port runs down here; a file cancels its I/O and closes its connection.
        """

    def at_end(self) -> None:
        """Report what the object leaves undone when the run ends (queued packets)."""

    def on_destroy(self) -> None:
        """Release what the object holds; called once, before the destroy event."""
        self.k.forget_name(self)

    def __repr__(self) -> str:
        return f"<{self.name}>"


class DispatcherObject(KernelObject):
    """A waitable object: a signal state and a FIFO list of waiting actors."""

    __slots__ = ("waiters",)

    TYPE = "DispatcherObject"
    RELEASE_ONE: ClassVar[bool] = False
    """True when one signal satisfies at most one waiter (auto-reset event, free lock)."""

    def __init__(self, k: Kernel, name: str | None = None) -> None:
        super().__init__(k, name)
        self.waiters: list[Actor] = []

    def is_signaled_for(self, waiter: Actor) -> bool:
        """Whether a wait by ``waiter`` on this object could be satisfied now."""
        return False

    def consume(self, waiter: Actor) -> None:
        """The side effect of satisfying ``waiter``'s wait (none for a manual-reset event)."""

    def state_payload(self) -> tuple[object, ...]:
        """The object's state as trace payload (for subclasses that trace their state)."""
        return ()
