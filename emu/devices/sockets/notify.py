"""Socket state notifications: SOCK_NOTIFY_REGISTRATION's registrations and their packets.

What ProcessSocketNotifications registers, and how a registration turns a socket's readiness
(``emu.devices.sockets.readiness``) into completion packets on its port. Every rule cites the
SOCK_NOTIFY_REGISTRATION page (the seed) or a fact of docs/sources.md (F2.x):

- **One registration per socket**, on one port: "A socket handle can be registered to only one
  IOCP at a time. Re-registering a previously-registered socket handle overwrites the existing
  registration" (ProcessSocketNotifications). An ENABLE through the registration's port
  overwrites its event filter and trigger flags; its completion key stays the one of its
  creation ("This parameter is used upon registration creation. To change the completion key,
  remove the registration and re-register it"). An ENABLE through another port replaces the
  registration (``sock.deregister``, no REMOVE notification; a packet already queued on the
  old port stays queued): the new one has the new port and key. DISABLE and REMOVE act on the
  socket's registration whatever port the call names; the REMOVE notification goes to the
  registration's own port. Profile ``sock-rereg-replaces`` replaces the registration on its
  own port too when the key differs (assumptions, docs/rules.md).
- **Operations.** ENABLE creates or re-enables; DISABLE "merely suppresses queuing of new
  notifications" (a packet already queued may still be delivered); REMOVE "removes a
  previously-registered notification. Both enabled and disabled notifications may be removed.
  The SOCK_NOTIFY_EVENT_REMOVE notification is issued" (a packet of its own, 0x80, after any
  already queued: F2.22), "with the guarantee that no more notifications will be issued
  afterwards for that completion key". "At most one operation may be performed at a time": two
  operation bits, an unknown bit, DISABLE or REMOVE of a socket without a registration fail
  that registration alone (WSAEINVAL, 10022: the code is not documented, F2 preamble).
- **Triggers.** "One of edge- or level-triggered must be supplied" and they are "not
  compatible": neither or both fail the registration. Without ONESHOT the registration is
  persistent (Microsoft's SimplePollReplacement sample registers LEVEL alone and calls it
  persistent, F2.14); profile ``sock-strict-triggers`` requires ONESHOT or PERSISTENT.
  ONESHOT together with PERSISTENT is contradictory and fails the registration (assumption).
- **What is notified.** The filter's IN/OUT/HANGUP bits, and ERR "regardless of registered
  event filter" (SocketNotificationRetrieveEvents, F2.15) — but nothing at all with the filter
  SOCK_NOTIFY_REGISTER_EVENT_NONE: "Notifications should not be issued" (the more specific
  sentence; assumption). "Notifications are only supplied
  when the registration is enabled. Notifications are not queued up while the registration is
  disabled." Level-triggered: "supplied whenever the desired conditions hold": on enabling, on
  every readiness change, and when its packet is dequeued while they still hold (a persistent
  level registration keeps notifying while the condition holds). Edge-triggered: "whenever a
  condition changes from not holding to holding. The condition must change while the
  registration is enabled": enabling notifies nothing, so data already buffered gives no
  edge (the reader must drain).
- **Coalescing.** "As notifications are queued up for a given socket, they are coalesced into a
  single notification": a registration has at most one packet queued; new events are OR-ed
  into its mask (``sock.notify`` says ``coalesced``) until a thread takes it.
- **ONESHOT** "will be disabled (not removed) upon delivery of the next notification": when
  its packet is queued (assumption: the notification is delivered to the port then; events
  after it are not added to it).
- **Packets** are ordinary completion packets (F2.16): key = the completion key, bytes
  transferred = the event mask, lpOverlapped NULL (it is "reserved and must not be used as
  pointers"), status 0.
- **closesocket** "auto-deregisters but does NOT generate SOCK_NOTIFY_EVENT_REMOVE; already-
  queued notifications may still be delivered afterwards" (F2.23): ``sock.deregister``.
- "SOCK_NOTIFY_EVENT_DISABLE", which the page names, is defined by no header (F2.5): no
  notification is issued on DISABLE (a value would have to be invented).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from emu.codes.ntstatus import STATUS_SUCCESS
from emu.codes.winsock import (
    SOCK_NOTIFY_EVENT_ERR,
    SOCK_NOTIFY_EVENT_REMOVE,
    SOCK_NOTIFY_OP_DISABLE,
    SOCK_NOTIFY_OP_ENABLE,
    SOCK_NOTIFY_OP_NONE,
    SOCK_NOTIFY_OP_REMOVE,
    SOCK_NOTIFY_REGISTER_EVENTS_ALL,
    SOCK_NOTIFY_TRIGGER_ALL,
    SOCK_NOTIFY_TRIGGER_EDGE,
    SOCK_NOTIFY_TRIGGER_LEVEL,
    SOCK_NOTIFY_TRIGGER_ONESHOT,
    SOCK_NOTIFY_TRIGGER_PERSISTENT,
    WSAEINVAL,
)
from emu.kernel.iocp import IoCompletionPort, Packet
from emu.kernel.trace import NO_CAUSE, payload_value, trace_kind

if TYPE_CHECKING:
    from emu.devices.sockets.endpoint import Socket
    from emu.kernel.dispatcher import Kernel

SOCK_REGISTER = trace_kind(
    "sock.register",
    ("registration", "op", "filter", "trigger", "key", "result", "enabled", "nonblocking"),
    text="{o0} registration #{registration}: op {op} filter {filter} trigger {trigger} key "
    "{key} -> {result} (enabled {enabled}, nonblocking {nonblocking})",
    doc="ProcessSocketNotifications processed one SOCK_NOTIFY_REGISTRATION for the socket "
    "(objects: the socket, the port, the calling thread): the operation, event filter and "
    "trigger flags as given, the registration's completion key, the registrationResult "
    "(0: ERROR_SUCCESS), whether the registration is enabled afterwards (registration 0: "
    "none was made) and whether the socket is in non-blocking mode (FIONBIO).",
)
SOCK_NOTIFY = trace_kind(
    "sock.notify",
    ("registration", "events", "mask", "packet", "how"),
    text="{o0} registration #{registration}: events {events} -> packet #{packet} ({how}, "
    "mask {mask})",
    doc="The registration notified `events` (SOCK_NOTIFY_EVENT_* bits): in a new packet "
    "(`how`: queued), OR-ed into its packet still queued (coalesced), or the REMOVE packet "
    "(removed); `mask` is the packet's mask now. Objects: the socket, the port.",
)
SOCK_DEREGISTER = trace_kind(
    "sock.deregister",
    ("registration", "reason"),
    text="{o0} registration #{registration} ends: {reason}",
    doc="A registration ended without a REMOVE notification: its socket was closed "
    "(closesocket deregisters; a packet already queued may still be delivered), or a "
    "re-registration replaced it (through another port, or with another key under profile "
    "sock-rereg-replaces).",
)

VALID_OPS: Final = (
    SOCK_NOTIFY_OP_NONE,
    SOCK_NOTIFY_OP_ENABLE,
    SOCK_NOTIFY_OP_DISABLE,
    SOCK_NOTIFY_OP_REMOVE,
)
ALWAYS: Final = SOCK_NOTIFY_EVENT_ERR
"""Delivered whatever the filter (REMOVE is its own packet)."""


@dataclass(frozen=True, slots=True)
class Request:
    """One SOCK_NOTIFY_REGISTRATION as the program filled it (plain values)."""

    key: Any
    event_filter: int
    operation: int
    trigger: int


class Registration:
    """A socket's registration with a port (see the module docstring)."""

    __slots__ = (
        "enabled",
        "event_filter",
        "key",
        "live",
        "notifications",
        "number",
        "pending",
        "port",
        "sock",
        "trigger",
    )

    def __init__(
        self,
        notifications: Notifications,
        number: int,
        sock: Socket,
        port: IoCompletionPort,
        request: Request,
    ) -> None:
        self.notifications = notifications
        self.number = number
        self.sock = sock
        self.port = port
        self.key = request.key
        self.event_filter = request.event_filter
        self.trigger = request.trigger
        self.enabled = False
        self.live = True
        self.pending: Packet | None = None

    @property
    def level(self) -> bool:
        return bool(self.trigger & SOCK_NOTIFY_TRIGGER_LEVEL)

    @property
    def oneshot(self) -> bool:
        return bool(self.trigger & SOCK_NOTIFY_TRIGGER_ONESHOT)

    def wanted(self, events: int) -> int:
        """The events of ``events`` this registration notifies: its filter's, and ERR unless
        the filter is SOCK_NOTIFY_REGISTER_EVENT_NONE ("Notifications should not be
        issued")."""
        event_filter = self.event_filter
        if not event_filter:
            return 0
        return events & (event_filter | ALWAYS)

    # -- notifying ----------------------------------------------------------------------------

    def notify(self, events: int, cause: int) -> None:
        """Queue ``events`` (already filtered, non-zero) or OR them into the queued packet."""
        k = self.notifications.k
        packet = self.pending
        if packet is not None:
            packet.information |= events
            self._record(events, packet, "coalesced", cause)
            return
        packet = Packet(k.new_id("packet"), self.key, None, STATUS_SUCCESS, events, NO_CAUSE, self)
        self.pending = packet
        if self.oneshot:
            self.enabled = False  # "disabled (not removed) upon delivery of the next notification"
        self._record(events, packet, "queued", cause)
        self.port.post_packet(packet)

    def _record(self, events: int, packet: Packet, how: str, cause: int) -> None:
        k = self.notifications.k
        if k.tracing:
            k.emit(
                k.actor_id(),
                SOCK_NOTIFY,
                (self.sock.oid, self.port.oid),
                (self.number, events, packet.information, packet.number, how),
                cause,
            )

    def evaluate(self, cause: int) -> None:
        """Level-triggered and enabled: notify what holds now."""
        if self.enabled and self.live and self.level:
            events = self.wanted(self.sock.readiness())
            if events:
                self.notify(events, cause)

    def readiness_changed(self, sock: Socket, old: int, new: int, cause: int) -> None:
        if not self.enabled or not self.live:
            return
        if self.level:
            events = self.wanted(new)
        else:
            events = self.wanted(new & ~old)  # "changes from not holding to holding"
        if events:
            self.notify(events, cause)

    def socket_closed(self, sock: Socket, cause: int) -> None:
        """closesocket deregisters without a REMOVE notification (F2.23)."""
        self.notifications.forget(self, "the socket was closed (no REMOVE notification)", cause)

    def packet_left(self, packet: Packet, taken: bool) -> None:
        """The port gave the packet to a thread (or dropped it): the next events need a new
        packet; a persistent level registration notifies again if its conditions still hold."""
        if packet is self.pending:
            self.pending = None
            if taken:
                self.evaluate(packet.seq)


class Notifications:
    """Every registration of a simulation, by socket (one device per kernel)."""

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self.by_socket: dict[int, Registration] = {}
        self.count = 0

    def registration(self, sock: Socket) -> Registration | None:
        return self.by_socket.get(sock.oid)

    def forget(self, reg: Registration, reason: str, cause: int) -> None:
        reg.live = False
        reg.enabled = False
        if self.by_socket.get(reg.sock.oid) is reg:
            del self.by_socket[reg.sock.oid]
        reg.sock.unwatch(reg)
        k = self.k
        if k.tracing:
            k.emit(
                k.actor_id(),
                SOCK_DEREGISTER,
                (reg.sock.oid, reg.port.oid),
                (reg.number, reason),
                cause,
            )

    def apply(self, sock: Socket, port: IoCompletionPort, request: Request, thread: int) -> int:
        """Process one registration; its registrationResult (0: ERROR_SUCCESS)."""
        result, reg = self._apply(sock, port, request)
        k = self.k
        if k.tracing:
            k.emit(
                k.actor_id(),
                SOCK_REGISTER,
                (sock.oid, port.oid, thread),
                (
                    reg.number if reg is not None else 0,
                    request.operation,
                    request.event_filter,
                    request.trigger,
                    payload_value(reg.key if reg is not None else request.key),
                    result,
                    bool(
                        reg is not None
                        and reg.live
                        and reg.enabled
                        and not (result == 0 and request.operation == SOCK_NOTIFY_OP_REMOVE)
                    ),
                    sock.nonblocking,
                ),
            )
        if result == 0 and reg is not None:
            self._after(reg, request.operation)
        return result

    def _apply(
        self, sock: Socket, port: IoCompletionPort, request: Request
    ) -> tuple[int, Registration | None]:
        op = request.operation
        existing = self.registration(sock)
        if op not in VALID_OPS:  # two operations at once, or an unknown bit
            return WSAEINVAL, existing
        if op == SOCK_NOTIFY_OP_NONE:
            return 0, existing
        if op != SOCK_NOTIFY_OP_ENABLE:
            if existing is None:
                return WSAEINVAL, None
            if op == SOCK_NOTIFY_OP_DISABLE:
                existing.enabled = False
            return 0, existing
        problem = self._check_enable(request)
        if problem:
            return problem, existing
        if existing is not None and existing.port is not port:
            self.forget(existing, "re-registered with another port", NO_CAUSE)
            existing = None
        elif (
            existing is not None
            and self.k.profile == "sock-rereg-replaces"
            and existing.key != request.key
        ):
            self.forget(existing, "replaced by a new registration", NO_CAUSE)
            existing = None
        if existing is None:
            self.count += 1
            existing = Registration(self, self.count, sock, port, request)
            self.by_socket[sock.oid] = existing
            sock.watch(existing)
        else:
            existing.event_filter = request.event_filter
            existing.trigger = request.trigger
        existing.enabled = True
        return 0, existing

    def _check_enable(self, request: Request) -> int:
        trigger = request.trigger
        if request.event_filter & ~SOCK_NOTIFY_REGISTER_EVENTS_ALL:
            return WSAEINVAL
        if trigger & ~SOCK_NOTIFY_TRIGGER_ALL:
            return WSAEINVAL
        level_edge = trigger & (SOCK_NOTIFY_TRIGGER_LEVEL | SOCK_NOTIFY_TRIGGER_EDGE)
        if level_edge not in (SOCK_NOTIFY_TRIGGER_LEVEL, SOCK_NOTIFY_TRIGGER_EDGE):
            return WSAEINVAL  # "One of edge- or level-triggered must be supplied"
        lifetime = trigger & (SOCK_NOTIFY_TRIGGER_ONESHOT | SOCK_NOTIFY_TRIGGER_PERSISTENT)
        if lifetime == SOCK_NOTIFY_TRIGGER_ONESHOT | SOCK_NOTIFY_TRIGGER_PERSISTENT:
            return WSAEINVAL
        if not lifetime and self.k.profile == "sock-strict-triggers":
            return WSAEINVAL
        return 0

    def _after(self, reg: Registration, op: int) -> None:
        """What an operation that succeeded sets off: an enabled level registration notifies
        what holds; a removal issues its REMOVE packet and ends the registration."""
        if op == SOCK_NOTIFY_OP_ENABLE:
            reg.evaluate(NO_CAUSE)
        elif op == SOCK_NOTIFY_OP_REMOVE:
            self._remove(reg)

    def _remove(self, reg: Registration) -> None:
        k = self.k
        reg.live = False
        reg.enabled = False
        del self.by_socket[reg.sock.oid]
        reg.sock.unwatch(reg)
        packet = Packet(
            k.new_id("packet"), reg.key, None, STATUS_SUCCESS, SOCK_NOTIFY_EVENT_REMOVE, NO_CAUSE
        )
        reg._record(SOCK_NOTIFY_EVENT_REMOVE, packet, "removed", NO_CAUSE)
        reg.port.post_packet(packet)


def notifications_of(k: Kernel) -> Notifications:
    """The simulation's registrations."""
    return k.device("sock-notifications", lambda: Notifications(k))
