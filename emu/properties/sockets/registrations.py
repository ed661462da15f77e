"""What the socket-notification checkers share: every SOCK_NOTIFY_REGISTRATION of a run, its
packets and its socket's readiness, read from the trace.

``Registrations`` folds the events into one record per registration (``sock.register`` creates
it with a number; the number is never reused): its socket, port, registering thread, completion
key, event filter and trigger flags, whether it is enabled (and what disabled it: a DISABLE or
its ONESHOT notification), the packet it has queued and the mask OR-ed into it
(``sock.notify``), the REMOVE packet, and how it ended (REMOVE, closesocket, replaced). It also
keeps each socket's readiness (``sock.state``), which SOCKET handle values name which socket
(``handle.open``/``handle.close``), whether it is in blocking mode (``sock.register`` records it,
a successful ioctlsocket(FIONBIO) changes it: the value the system read from argp), the
completion key each ENABLE asked for (the system's read of the SOCK_NOTIFY_REGISTRATION's
completionKey: ``sock.register`` records the registration's own), which ports ran down
(``iocp.close``), and counts the steps after which the device's reaction to an event is over
(a call returning, a thread blocking in a dequeue, a registration, the end) and the readiness
changes (``SettlingChecker``). The state is
re-derived from the operations, as SOCK_NOTIFY_REGISTRATION documents them, not read from the
device's own flags: ENABLE enables ("Enables the registration"), DISABLE disables, a ONESHOT
registration "will be disabled (not removed) upon delivery of the next notification" (when
its packet is queued: the assumption of docs/rules.md), REMOVE and closesocket end it.

A checker feeds the fold the events it receives (``Registrations.KINDS``) and asks it
questions; ``before`` is a copy of the registration an event concerns as it was just before
that event (what an operation found), ``old`` the socket's readiness before a ``sock.state``.
The rule itself stays in the checker.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar, Final

from emu.codes.winsock import (
    FIONBIO,
    SOCK_NOTIFY_EVENT_ERR,
    SOCK_NOTIFY_OP_DISABLE,
    SOCK_NOTIFY_OP_ENABLE,
    SOCK_NOTIFY_OP_REMOVE,
    SOCK_NOTIFY_TRIGGER_EDGE,
    SOCK_NOTIFY_TRIGGER_LEVEL,
    SOCK_NOTIFY_TRIGGER_ONESHOT,
    sock_notify_event_names,
)
from emu.kernel.trace import TraceTuple
from emu.properties.checker import Context, Fold, FoldChecker

KINDS: Final = (
    "sock.state",
    "sock.close",
    "sock.register",
    "sock.notify",
    "sock.deregister",
    "iocp.dequeue",
    "iocp.drop",
    "iocp.close",
    "iocp.block",
    "handle.open",
    "handle.close",
    "mem.read",
    "api",
    "run.end",
)
STEPS: Final = frozenset(("api", "iocp.block", "sock.register", "run.end"))
"""The events after which the device's reaction to an earlier event is over (``step``)."""
DEQUEUE_CALLS: Final = (
    "GetQueuedCompletionStatus",
    "GetQueuedCompletionStatusEx",
    "ProcessSocketNotifications",
)
PSN: Final = ("ProcessSocketNotifications",)
ALWAYS: Final = SOCK_NOTIFY_EVENT_ERR
"""Notified whatever the filter (SocketNotificationRetrieveEvents, F2.15)."""
ANY: Final = 0xFF
"""Every SOCK_NOTIFY_EVENT_* bit."""


def names(mask: int) -> str:
    """``IN|HANGUP`` for a SOCK_NOTIFY_EVENT_* mask."""
    return sock_notify_event_names(mask)


@dataclass(slots=True)
class Registration:
    """One registration's life, as the trace shows it (seqs are trace positions, -1: none)."""

    number: int
    seq: int  # the sock.register that created it
    socket: int
    port: int
    thread: int  # the thread that created it
    key: object
    event_filter: int
    trigger: int
    enabled: bool = True
    disabled_how: str = ""  # "DISABLE" or "ONESHOT" while disabled
    disabled_seq: int = -1
    enabled_seq: int = -1  # the last ENABLE
    pending: int = 0  # the packet queued and not yet taken (0: none)
    pending_seq: int = -1  # the sock.notify that queued it
    mask: int = 0  # the pending packet's mask, as notified
    remove_packet: int = 0
    remove_seq: int = -1  # the sock.notify that issued the REMOVE packet
    remove_taken: int = -1  # the iocp.dequeue of the REMOVE packet
    ended: str = ""  # removed, closed, replaced
    ended_seq: int = -1
    taken_by: int = 0  # the thread that took its last notification packet
    taken_seq: int = -1

    @property
    def level(self) -> bool:
        return bool(self.trigger & SOCK_NOTIFY_TRIGGER_LEVEL)

    @property
    def edge(self) -> bool:
        return bool(self.trigger & SOCK_NOTIFY_TRIGGER_EDGE)

    @property
    def oneshot(self) -> bool:
        return bool(self.trigger & SOCK_NOTIFY_TRIGGER_ONESHOT)

    @property
    def live(self) -> bool:
        return not self.ended

    @property
    def armed(self) -> bool:
        """Live and enabled: it may queue notifications."""
        return self.enabled and not self.ended

    def wanted(self, events: int) -> int:
        """The events of ``events`` this registration notifies: its filter's, and ERR unless
        the filter is SOCK_NOTIFY_REGISTER_EVENT_NONE ("Notifications should not be issued",
        an assumption of docs/rules.md)."""
        return events & (self.event_filter | ALWAYS) if self.event_filter else 0

    def kind(self) -> str:
        how = "edge" if self.edge else "level" if self.level else "?"
        return f"{how}{', oneshot' if self.oneshot else ''}"


_FIELDS: Final = tuple(f.name for f in fields(Registration))


def snapshot(reg: Registration) -> Registration:
    """A copy of ``reg`` as it is now (what an event found)."""
    return Registration(*[getattr(reg, name) for name in _FIELDS])


class Registrations(Fold):
    """Every registration of a run, by number, with the indexes the checkers need."""

    KINDS = KINDS

    def __init__(self) -> None:
        super().__init__()
        self.by_number: dict[int, Registration] = {}
        self.live: dict[int, Registration] = {}  # socket -> its live registration
        self.last_ended: dict[int, Registration] = {}  # socket -> its last ended registration
        self.packets: dict[int, Registration] = {}  # packet number -> its registration
        self.by_key: dict[object, list[Registration]] = {}  # completion key -> registrations
        self.readiness: dict[int, int] = {}  # socket -> readiness mask
        self.state_seq: dict[int, int] = {}  # socket -> its last sock.state
        self.received: dict[int, int] = {}  # socket -> bytes received and not yet read
        self.backlog: dict[int, int] = {}  # socket -> connections waiting to be accepted
        self.closed: dict[int, int] = {}  # socket -> its sock.close
        self.handles: dict[object, int] = {}  # SOCKET handle value -> socket
        self.closed_ports: dict[int, int] = {}  # port -> its iocp.close
        self.blocking: dict[int, bool] = {}  # socket -> in blocking mode (FIONBIO off)
        self.asked: object = None  # the completionKey the last sock.register was given
        self.read: dict[tuple[int, str], object] = {}  # (thread, field) -> the system read it
        self.before: Registration | None = None  # the registration before the last event
        self.old = 0  # the socket's readiness before the last sock.state
        self.step = 0  # counts the events of STEPS
        self.change = 0  # counts the sock.state events

    def feed(self, seq: int, event: TraceTuple) -> Registration | None:
        """Update the records; returns the registration the event concerns, if any."""
        _t, actor, kind, objects, payload, _c = event
        self.before = None
        if kind == "mem.read":
            if payload[2] == "system":
                self.read[actor, payload[0]] = payload[1]
            return None
        if kind in STEPS:
            self.step += 1
            if kind == "api":
                self._call(actor, payload)
                return None
            if kind != "sock.register":
                return None
        if kind == "sock.state":
            sock = objects[0]
            self.change += 1
            self.old = self.readiness.get(sock, 0)
            self.readiness[sock] = payload[6]
            self.received[sock] = payload[3]
            self.backlog[sock] = payload[5]
            self.state_seq[sock] = seq
            return self.live.get(sock)
        if kind == "sock.register":
            self.asked = self.read.pop((objects[2], "completionKey"), payload[4])
            return self._register(seq, objects, payload)
        if kind == "sock.notify":
            return self._notify(seq, payload)
        if kind in ("iocp.dequeue", "iocp.drop"):
            return self._taken(seq, kind, objects, payload[0])
        if kind == "sock.deregister":
            reg = self.by_number.get(payload[0])
            if reg is not None:
                self.before = snapshot(reg)
                self._end(reg, "closed" if "closed" in str(payload[1]) else "replaced", seq)
            return reg
        if kind == "sock.close":
            self.closed[objects[0]] = seq
            return self.live.get(objects[0])
        if kind == "iocp.close":
            self.closed_ports[objects[0]] = seq
        elif kind == "handle.open" and objects[0] in self.readiness:
            self.handles[payload[1]] = objects[0]
        elif kind == "handle.close" and self.handles.get(payload[1]) == objects[0]:
            del self.handles[payload[1]]
        return None

    def _call(self, thread: int, payload: tuple[Any, ...]) -> None:
        """A successful ioctlsocket(FIONBIO) sets the socket's mode (the value the system read
        from argp)."""
        args = payload[1]
        if payload[0] != "ioctlsocket" or payload[2] != 0 or len(args) < 2:
            return
        sock = self.handles.get(args[0]) if isinstance(args[0], int) else None
        if sock is not None and isinstance(args[1], int) and args[1] & 0xFFFFFFFF == FIONBIO:
            self.blocking[sock] = self.read.get((thread, "value")) == 0

    def _register(
        self, seq: int, objects: tuple[int, ...], payload: tuple[Any, ...]
    ) -> Registration | None:
        number, op, event_filter, trigger, key, result = payload[:6]
        reg = self.by_number.get(number)
        self.before = snapshot(reg) if reg is not None else None
        if result == 0 and number:
            self.blocking[objects[0]] = not payload[7]
        if result != 0 or not number:
            return reg
        if reg is None:
            sock, port, thread = objects[0], objects[1], objects[2]
            reg = Registration(number, seq, sock, port, thread, key, event_filter, trigger)
            reg.enabled_seq = seq
            self.by_number[number] = reg
            self.live[sock] = reg
            self.by_key.setdefault(key, []).append(reg)
            return reg
        if op == SOCK_NOTIFY_OP_ENABLE:
            reg.event_filter, reg.trigger = event_filter, trigger
            reg.enabled, reg.disabled_how, reg.disabled_seq = True, "", -1
            reg.enabled_seq = seq
        elif op == SOCK_NOTIFY_OP_DISABLE:
            reg.enabled, reg.disabled_how, reg.disabled_seq = False, "DISABLE", seq
        elif op == SOCK_NOTIFY_OP_REMOVE:
            self._end(reg, "removed", seq)
        return reg

    def _notify(self, seq: int, payload: tuple[Any, ...]) -> Registration | None:
        number, _events, mask, packet, how = payload
        reg = self.by_number.get(number)
        if reg is None:
            return None
        self.before = snapshot(reg)
        self.packets[packet] = reg
        if how == "removed":
            reg.remove_packet, reg.remove_seq = packet, seq
        elif how == "queued":
            reg.pending, reg.pending_seq, reg.mask = packet, seq, mask
            if reg.oneshot and reg.enabled:
                reg.enabled, reg.disabled_how, reg.disabled_seq = False, "ONESHOT", seq
        else:
            reg.mask = mask
        return reg

    def _taken(
        self, seq: int, kind: str, objects: tuple[int, ...], packet: int
    ) -> Registration | None:
        reg = self.packets.pop(packet, None)
        if reg is None:
            return None
        self.before = snapshot(reg)
        if packet == reg.remove_packet:
            reg.remove_taken = seq
            return reg
        if packet == reg.pending:
            reg.pending, reg.pending_seq = 0, -1
        if kind == "iocp.dequeue":
            reg.taken_by, reg.taken_seq = objects[1], seq
        return reg

    def _end(self, reg: Registration, how: str, seq: int) -> None:
        if reg.ended:
            return
        reg.ended, reg.ended_seq = how, seq
        reg.enabled = False
        if self.live.get(reg.socket) is reg:
            del self.live[reg.socket]
        self.last_ended[reg.socket] = reg

    def packet_of(self, packet: int) -> Registration | None:
        """The registration whose packet (notification or REMOVE) is still on its port."""
        return self.packets.get(packet)

    def port_closed(self, reg: Registration) -> bool:
        return reg.port in self.closed_ports


class SockChecker(FoldChecker):
    """A checker of the socket state notifications: built only for a run in which a program
    processed a SOCK_NOTIFY_REGISTRATION (``TRIGGERS = ("sock.register",)``: without one there
    is no registration to judge), so it costs nothing in any other scenario, socket scenarios
    included. It reads the run's one ``Registrations`` fold (``records``, fed first, every
    event of the fold's kinds) and is fed only the kinds its rule looks at (``SEES``); ``see``
    gets the registration the event concerns when it is one of the fold's."""

    TRIGGERS: ClassVar[tuple[str, ...] | None] = ("sock.register",)
    FOLD = Registrations
    RECORD = Registration
    records: Registrations

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        """One event, after the registration records were updated."""

    def describe(self, reg: Registration) -> str:
        """``registration #2 of Socket#9`` (how a finding names it)."""
        return f"registration #{reg.number} of {self.context.name(reg.socket)}"


class SettlingChecker(SockChecker):
    """A checker whose rule says what must follow an event at once: the device reacts to a
    readiness change, an ENABLE, a packet taken or a close inside the same step (the
    ``sock.notify``, ``iocp.post`` or ``sock.deregister`` right after it). The checker records
    what it expects when it sees the event (``expect``: the registration, the event's seq and
    the SOCK_NOTIFY_EVENT_* bits, stamped with the fold's ``step`` and ``change``), and
    ``discharge`` removes what came. Whatever is still expected once the fold counted a later
    step (a call returning, a thread blocking in a dequeue, a registration, the end of the run)
    or, if ``CHANGES`` says so, a later readiness change, is a finding (``overdue``): the
    reaction was over by then. It is judged before each event the checker sees and at the end
    of the trace, from the stamps alone, so the checker is not fed the events that settle."""

    CHANGES: ClassVar[bool] = True

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.due: dict[int, tuple[int, int, int, int]] = {}  # number -> seq, bits, stamps

    def feed(self, seq: int, event: TraceTuple) -> None:
        reg = self.record_of(seq, event)
        if self.due:
            self.settle()
        self.see(seq, event, reg)

    def expect(self, reg: Registration, seq: int, bits: int) -> None:
        """``reg`` owes a reaction to the event at ``seq`` (``bits``: what it must notify)."""
        held = self.due.get(reg.number)
        if held is not None:
            seq, bits = held[0], held[1] | bits
        self.due[reg.number] = (seq, bits, self.records.step, self.records.change)

    def discharge(self, reg: Registration, bits: int) -> None:
        held = self.due.get(reg.number)
        if held is not None:
            left = held[1] & ~bits
            if left:
                self.due[reg.number] = (held[0], left, held[2], held[3])
            else:
                del self.due[reg.number]

    def settle(self, everything: bool = False) -> None:
        """Report what is overdue (``everything``: the trace ended)."""
        step, change = self.records.step, self.records.change
        for number, (seq, bits, stamp, changed) in list(self.due.items()):
            if everything or step > stamp or (self.CHANGES and change > changed):
                del self.due[number]
                self.overdue(self.records.by_number[number], seq, bits)

    def overdue(self, reg: Registration, seq: int, bits: int) -> None:
        """``reg`` did not react to the event at ``seq`` as it had to."""

    def finish(self) -> None:
        self.settle(everything=True)
