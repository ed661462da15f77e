"""NotifyIpInterfaceChange's registrations: what each change notifies, and their cancellation.

Every rule cites the seed page (NotifyIpInterfaceChange, netio) or a fact of docs/sources.md:

- **Families.** "AF_INET ... registers the driver to be notified only for IPv4 change
  notifications", AF_INET6 only for IPv6, "AF_UNSPEC ... for both IPv4 and IPv6 changes": an
  adapter event touching both its interfaces gives an AF_UNSPEC registration two callbacks, one
  per family's row (F3.5).
- **Queueing.** A change queues one notification per registration it concerns, in the order the
  registrations were made (``netio.queue``); each registration's workers run them in order
  (``emu.devices.nic.callbacks``). Nothing is coalesced.
- **The initial notification.** With InitialNotification TRUE "the callback should be invoked
  immediately after registration for change notification completes", with
  MibInitialNotification and a NULL Row, which "can occur only if the InitialNotification
  parameter ... was set to TRUE" (F3.7). It is the registration's first notification.
- **Cancellation.** "To deregister the driver for change notifications, call the
  CancelMibChangeNotify2 function". After it returns "the callback will NEVER be called"; it
  "Blocks until all callback have returned" (netioapi.h; F3.11): notifications not yet started
  are dropped (``netio.drop``, reason ``cancelled``), a callback in flight is waited for, and
  ``netio.cancel`` marks the barrier. Called from the registration's own callback it waits for
  itself: "the thread executing that callback will result in deadlock" (F3.11), reported as
  ``netio.cancel_in_callback`` and then as the deadlock it is (the worker never returns). A
  caller at DISPATCH_LEVEL (``kernel.irql_too_high`` already) cannot wait and does not.
- **The end.** Notifications still queued when the run ends are reported (``netio.pending``);
  nothing is lost without a trace event.
- **Faults.** An injected allocation failure fails the next registration with the
  out-of-memory code, an injected internal error with the invalid-handle one ("An internal
  error occurred where an invalid handle was encountered").
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from emu.codes.netio import (
    KERNEL_MODE,
    MibInitialNotification,
    family_name,
    notification_type_name,
)
from emu.codes.winsock import AF_UNSPEC
from emu.devices.nic.callbacks import NotifyWorker
from emu.devices.nic.interfaces import AdapterConfig, IpInterface, Nics
from emu.kernel import waits
from emu.kernel.apc import routine_label
from emu.kernel.irql import DISPATCH_LEVEL
from emu.kernel.objects import DispatcherObject
from emu.kernel.trace import KERNEL_ACTOR, NO_CAUSE, trace_kind

if TYPE_CHECKING:
    from collections.abc import Generator

    from emu.kernel.actor import Actor, Park
    from emu.kernel.dispatcher import Kernel

NETIO_DEVICE: Final = "netio"
NETIO_HANDLE_BASE: Final = 0x1C0A50
NETIO_HANDLE_STEP: Final = 0x60
"""Notification handles are pointers to the registration's memory (not kernel handles:
CloseHandle fails on one, Wine's test_NotifyUnicastIpAddressChange)."""

FAULTS: Final = ("no_memory", "invalid_handle")

NETIO_REGISTER = trace_kind(
    "netio.register",
    ("handle", "family", "mode", "initial", "callback"),
    text="register 0x{handle:X} for {family} ({mode} mode, initial {initial}): {callback}",
    doc="NotifyIpInterfaceChange registered objects[0]; objects[1] is the NotificationHandle "
    "variable the handle is written to (when it is a traced structure).",
)
NETIO_REFUSE = trace_kind(
    "netio.refuse",
    ("mode", "status", "reason"),
    text="NotifyIpInterfaceChange refused ({mode} mode): {reason}",
    doc="A registration failed: the code it returns (`status`, in the caller's mode) and why; "
    "*NotificationHandle is NULL.",
)
NETIO_QUEUE = trace_kind(
    "netio.queue",
    ("handle", "type", "interface", "item", "queued"),
    text="queue {type} for {interface} to 0x{handle:X} (#{item}, {queued} queued)",
    doc="A notification (#`item`) was queued for a registration's callback; `cause` is the "
    "nic.change that gave it (or the registration's netio.register).",
)
NETIO_DROP = trace_kind(
    "netio.drop",
    ("handle", "type", "interface", "item", "reason"),
    text="drop {type} for {interface} queued to 0x{handle:X} (#{item}): {reason}",
    doc="A queued notification will never be delivered, and why (cancelled).",
)
NETIO_PENDING = trace_kind(
    "netio.pending",
    ("handle", "type", "interface", "item"),
    text="{type} for {interface} (#{item}) still queued to 0x{handle:X} at the end",
    doc="At the end of the run the notification was still queued for its callback.",
)
NETIO_CANCEL = trace_kind(
    "netio.cancel",
    ("handle", "dropped", "waited", "barrier"),
    text="0x{handle:X} deregistered ({dropped} dropped; waited {waited} ticks for callbacks; "
    "barrier {barrier})",
    doc="CancelMibChangeNotify2's barrier: from here no callback of objects[0] runs or will run. "
    "`barrier` is 0 when the caller ran at DISPATCH_LEVEL (kernel.irql_too_high) and could not "
    "wait for a callback in flight: then there is no barrier.",
)


@dataclass(slots=True)
class Notification:
    """One notification queued to a registration."""

    number: int
    type: int
    interface: str
    identity: dict[str, int]
    seq: int


class Registration(DispatcherObject):
    """One NotifyIpInterfaceChange registration; signalled while no callback of it runs."""

    __slots__ = (
        "at_dispatch",
        "awaiting_initial",
        "callback",
        "cancelled",
        "context",
        "family",
        "handle",
        "initial_pending",
        "mode",
        "pending",
        "running",
        "workers",
    )

    TYPE = "NetioNotification"

    def __init__(
        self,
        k: Kernel,
        family: int,
        callback: Callable[..., Any],
        context: Any,
        mode: str,
    ) -> None:
        super().__init__(k)
        self.family = family
        self.callback = callback
        self.context = context
        self.mode = mode
        self.handle = 0
        self.pending: deque[Notification] = deque()
        self.running = 0
        self.initial_pending = False
        self.awaiting_initial: Actor | None = None
        self.cancelled = False
        self.at_dispatch = mode == KERNEL_MODE and k.profile == "netio-dispatch"
        self.workers: list[NotifyWorker] = []

    def is_signaled_for(self, waiter: Actor) -> bool:
        """For the thread in NotifyIpInterfaceChange: its initial notification was delivered or
        dropped. For CancelMibChangeNotify2: that, and no callback runs."""
        if waiter is self.awaiting_initial:
            return not self.initial_pending
        return self.running == 0 and not self.initial_pending

    def concerns(self, iface: IpInterface) -> bool:
        return not self.cancelled and self.family in (AF_UNSPEC, iface.family)

    def callback_returned(self, type_: int, cause: int) -> None:
        """A callback returned (``cause``: its netio.return): release the waits it ends."""
        if type_ == MibInitialNotification:
            self.initial_pending = False
        if self.waiters:
            waits.signal(self.k, self, cause)  # those it can satisfy (is_signaled_for)

    def at_end(self) -> None:
        """Report the notifications still queued when the run ends (nothing lost silently)."""
        k = self.k
        for note in self.pending:
            k.emit(
                KERNEL_ACTOR,
                NETIO_PENDING,
                (self.oid,),
                (self.handle, notification_type_name(note.type), note.interface, note.number),
                note.seq,
            )

    def running_on(self, actor: Actor) -> bool:
        """Whether ``actor`` is one of this registration's workers inside its callback."""
        return any(w is actor and w.current is not None for w in self.workers)


class Netio:
    """The NETIO device: the adapters, the registrations and their notifications."""

    def __init__(self, k: Kernel, configs: tuple[AdapterConfig, ...] = ()) -> None:
        self.k = k
        self.nics = Nics(k, configs, self.notify)
        # Never reused: a double cancel after a new registration is reported on the call that
        # makes it, not taken for the new registration's cancel.
        self.handles = k.namespace("netio", NETIO_HANDLE_BASE, NETIO_HANDLE_STEP, reuse=False)
        self.registrations: list[Registration] = []
        self.issued: dict[int, Registration] = {}
        self.faults: deque[str] = deque()
        self.items = 0

    # -- registering --------------------------------------------------------------------------

    def register(
        self,
        family: int,
        callback: Callable[..., Any],
        context: Any,
        initial: bool,
        mode: str,
        cell: int,
    ) -> Registration:
        """A new registration (its handle in the netio namespace), its initial notification
        queued when ``initial``. ``cell`` is the NotificationHandle variable's object id."""
        k = self.k
        reg = Registration(k, family, callback, context, mode)
        handle = reg.handle = self.handles.insert(reg, 0)
        for number in range(2 if k.profile == "netio-overlap" else 1):
            worker = NotifyWorker(reg, number + 1)
            reg.workers.append(worker)
            reg.reference()  # the worker's, until it exits
            k.spawn(worker)
        self.registrations.append(reg)
        self.issued[handle] = reg
        objects = (reg.oid, cell) if cell else (reg.oid,)
        seq = k.emit(
            k.actor_id(),
            NETIO_REGISTER,
            objects,
            (handle, family_name(family), mode, int(initial), routine_label(callback)),
        )
        k.end_reporters.append(reg)
        if initial:
            reg.initial_pending = True
            self._queue(reg, MibInitialNotification, "(none)", {}, seq)
        return reg

    def refuse(self, mode: str, status: int, reason: str) -> None:
        """Record a NotifyIpInterfaceChange that registered nothing."""
        k = self.k
        k.emit(k.actor_id(), NETIO_REFUSE, (), (mode, status, reason))

    def injected_fault(self) -> str | None:
        """The fault armed for this registration, if any (consumed)."""
        return self.faults.popleft() if self.faults else None

    # -- notifying ----------------------------------------------------------------------------

    def notify(self, iface: IpInterface, type_: int, cause: int) -> None:
        identity = {name: iface.row[name] for name in ("Family", "InterfaceLuid", "InterfaceIndex")}
        for reg in self.registrations:
            if reg.concerns(iface):
                self._queue(reg, type_, iface.label, identity, cause)

    def _queue(
        self, reg: Registration, type_: int, label: str, identity: dict[str, int], cause: int
    ) -> None:
        k = self.k
        self.items += 1
        note = Notification(self.items, type_, label, identity, -1)
        reg.pending.append(note)
        note.seq = k.emit(
            k.actor_id(),
            NETIO_QUEUE,
            (reg.oid,),
            (reg.handle, notification_type_name(type_), label, note.number, len(reg.pending)),
            cause,
        )
        for worker in reg.workers:
            if worker.idle:
                worker.wake()
                break

    # -- cancelling ---------------------------------------------------------------------------

    def find(self, handle: int) -> Registration | None:
        entry = self.handles.get(handle)
        return entry.obj if entry is not None and isinstance(entry.obj, Registration) else None

    def cancel(self, actor: Actor, reg: Registration) -> Generator[Park, None, None]:
        """CancelMibChangeNotify2's work: drop what is queued, wait for what runs."""
        k = self.k
        reg.cancelled = True
        self.handles.remove(reg.handle)
        self.registrations.remove(reg)
        dropped = len(reg.pending)
        reg.initial_pending = False
        while reg.pending:
            note = reg.pending.popleft()
            k.emit(
                k.actor_id(),
                NETIO_DROP,
                (reg.oid,),
                (
                    reg.handle,
                    notification_type_name(note.type),
                    note.interface,
                    note.number,
                    "cancelled",
                ),
                note.seq,
            )
        for worker in reg.workers:
            worker.wake()  # an idle worker sees the cancellation and exits
        if reg.waiters:
            # A NotifyIpInterfaceChange waiting for the initial notification just dropped.
            waits.signal(k, reg, NO_CAUSE)
        started = k.now
        can_wait = actor.irql < DISPATCH_LEVEL
        if reg.running_on(actor):
            outcome = (
                "it waits for the callback to return, which waits for it (deadlock)"
                if can_wait
                else "at DISPATCH_LEVEL it cannot wait for the callback it is in (a bug check "
                "on Windows; emu goes on without the barrier)"
            )
            k.violation(
                "netio.cancel_in_callback",
                f"CancelMibChangeNotify2(0x{reg.handle:X}) called from that registration's own "
                f"callback: {outcome}",
                (reg.oid, actor.oid),
            )
        barrier = 1
        if not reg.is_signaled_for(actor):
            if can_wait:
                reg.reference()
                yield from waits.wait(k, actor, (reg,), False, None, False)
                reg.dereference()
            else:
                barrier = 0
        k.emit(
            k.actor_id(),
            NETIO_CANCEL,
            (reg.oid,),
            (reg.handle, dropped, k.now - started, barrier),
        )


def netio_of(k: Kernel) -> Netio:
    """This simulation's NETIO device (without adapters unless a scenario declared them)."""
    return k.device(NETIO_DEVICE, lambda: Netio(k))
