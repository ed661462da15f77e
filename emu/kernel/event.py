"""Event objects: NotificationEvent (manual reset) and SynchronizationEvent (auto reset).

NT's two event types (EVENT_TYPE: NotificationEvent = 0, SynchronizationEvent = 1, F5.28):

- A notification (manual-reset) event stays signalled until reset; setting it releases every
  waiter ("The state of a manual-reset event object remains signaled until it is set explicitly
  to the nonsignaled state by the ResetEvent function. Any number of waiting threads ... can be
  released while the object's state is signaled", CreateEvent, MS docs).
- A synchronization (auto-reset) event releases exactly one waiter and clears itself ("The state
  of an auto-reset event object remains signaled until a single waiting thread is released, at
  which time the system automatically sets the state to nonsignaled"); with several waiters the
  chooser picks which (the docs promise no FIFO order), option 0 being the longest waiting.
- Set and reset return the previous state (F5.29; KeSetEvent returns the previous state).

Every change of the signal state is an ``event.state`` trace event carrying the new state,
including the clear done by an auto-reset event when it satisfies a wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emu.codes.access import EVENT_GENERIC_MAPPING
from emu.kernel import waits
from emu.kernel.objects import DispatcherObject
from emu.kernel.trace import NO_CAUSE, trace_kind

if TYPE_CHECKING:
    from emu.kernel.actor import Actor
    from emu.kernel.dispatcher import Kernel

EVENT_STATE = trace_kind(
    "event.state",
    ("op", "signaled"),
    state=("signaled",),
    text="{o0} {op} -> signaled={signaled}",
    doc="An event's signal state changed (op: init, set, reset, consume — the clear an "
    "auto-reset event does when it satisfies a wait).",
)


class KEvent(DispatcherObject):
    """An event; ``NotificationEvent`` and ``SynchronizationEvent`` are its two types."""

    __slots__ = ("as_objects", "signaled")

    TYPE = "Event"
    GENERIC_MAPPING = EVENT_GENERIC_MAPPING
    MANUAL_RESET = True

    def __init__(self, k: Kernel, initial: bool, name: str | None = None) -> None:
        super().__init__(k, name)
        self.as_objects: tuple[int] = (self.oid,)  # the objects of its events, shared
        self.signaled = bool(initial)
        k.emit(k.actor_id(), EVENT_STATE, (self.oid,), ("init", int(self.signaled)))

    def is_signaled_for(self, waiter: Actor) -> bool:
        return self.signaled

    def set(self) -> int:
        """Signal the event and satisfy the waits it can; returns the previous state (0/1)."""
        previous = int(self.signaled)
        self.signaled = True
        k = self.k
        seq = (
            k.emit(k.actor_id(), EVENT_STATE, self.as_objects, ("set", 1))
            if k.tracing
            else NO_CAUSE
        )
        if self.waiters:
            waits.signal(k, self, seq)
        return previous

    def reset(self) -> int:
        """Clear the event; returns the previous state (0/1)."""
        previous = int(self.signaled)
        self.signaled = False
        k = self.k
        if k.tracing:
            k.emit(k.actor_id(), EVENT_STATE, self.as_objects, ("reset", 0))
        return previous


class NotificationEvent(KEvent):
    """Manual reset: stays signalled, releases every waiter."""

    __slots__ = ()


class SynchronizationEvent(KEvent):
    """Auto reset: one waiter per signal, and the event clears itself when it satisfies it."""

    __slots__ = ()

    MANUAL_RESET = False
    RELEASE_ONE = True

    def consume(self, waiter: Actor) -> None:
        self.signaled = False
        k = self.k
        if k.tracing:
            k.emit(k.actor_id(), EVENT_STATE, self.as_objects, ("consume", 0))


def create_event(k: Kernel, manual_reset: bool, initial: bool, name: str | None = None) -> KEvent:
    """NtCreateEvent: a NotificationEvent when ``manual_reset``, else a SynchronizationEvent."""
    cls = NotificationEvent if manual_reset else SynchronizationEvent
    return cls(k, initial, name)
