"""The delivery guarantees of the socket state notifications: what a registration notifies,
when, and in how many packets, checked on the finished trace (a violation means emu is wrong).
A registration's life (DISABLE, ONESHOT, REMOVE, closesocket): ``sockets.lifecycle``.

Each checker re-derives its rule from the events (``sock.state`` readiness, the operations of
``sock.register``, the ``sock.notify`` records and the packets taken) rather than trusting the
device's own flags. The sentences (SOCK_NOTIFY_REGISTRATION, the seed page, unless noted):

- "As notifications are queued up for a given socket, they are coalesced into a single
  notification. Therefore, multiple events may be described by a single event mask for the
  socket." (F2.18, ``sock.coalesced``)
- "Given the registration is enabled, level-triggered notifications are supplied whenever the
  desired conditions hold." (F2.20, ``sock.level_holds``)
- "Given the registration is enabled, edge-triggered notifications are supplied whenever a
  condition changes from not holding to holding. The condition must change while the
  registration is enabled for a notification to be queued." (F2.20, ``sock.edge_on_change``)
- "The SOCK_NOTIFY_EVENT_ERR and SOCK_NOTIFY_EVENT_REMOVE events might be indicated regardless
  of registered event filter." (SocketNotificationRetrieveEvents, F2.15:
  ``sock.err_regardless``); eventFilter is "A set of flags indicating the notifications being
  requested" (``sock.events_requested``).
"""

from __future__ import annotations

from typing import Final

from emu.codes.winsock import (
    SOCK_NOTIFY_EVENT_ERR,
    SOCK_NOTIFY_EVENT_REMOVE,
    SOCK_NOTIFY_OP_ENABLE,
)
from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import GUARANTEE, Property, register
from emu.properties.checker import Context
from emu.properties.sockets.registrations import (
    ANY,
    Registration,
    SettlingChecker,
    SockChecker,
    names,
)

SEED: Final = "SOCK_NOTIFY_REGISTRATION (MS doc)"
_PSN: Final = ("ProcessSocketNotifications",)


class Coalesced(SockChecker):
    """At most one notification packet of a registration is queued; the events notified while
    it waits are OR-ed into its mask, and the thread that takes it gets that mask."""

    SEES = ("sock.notify", "iocp.dequeue")

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        before = self.records.before
        if reg is None or before is None:
            return
        payload = event[4]
        if event[2] == "iocp.dequeue":
            if payload[0] == before.pending and payload[4] != before.mask:
                self.found(
                    seq,
                    f"packet #{payload[0]} of {self.describe(reg)} delivered "
                    f"{names(payload[4])}, but the events notified into it add up to "
                    f"{names(before.mask)}",
                    before.pending_seq,
                )
            return
        _number, events, mask, packet, how = payload
        if how == "removed":
            return
        held = before.pending
        if how == "queued":
            if held:
                self.exercised = True
                self.found(
                    seq,
                    f"{self.describe(reg)} queued packet #{packet} ({names(events)}) while its "
                    f"packet #{held} was still queued: two notifications, not one coalesced",
                    before.pending_seq,
                )
            elif mask != events:
                self.found(seq, f"packet #{packet} queued with {names(mask)}, not {names(events)}")
            return
        self.exercised = True
        if held != packet:
            where = f"its queued packet is #{held}" if held else "it has no packet queued"
            self.found(
                seq,
                f"{self.describe(reg)} coalesced {names(events)} into packet #{packet}, but "
                f"{where}: the events reach no thread",
                before.taken_seq if not held else before.pending_seq,
            )
        elif mask != before.mask | events:
            self.found(
                seq,
                f"{self.describe(reg)} coalesced {names(events)} into packet #{packet} "
                f"({names(before.mask)}) and got {names(mask)}, not their union",
                before.pending_seq,
            )


class LevelHolds(SettlingChecker):
    """An enabled level-triggered registration whose wanted conditions hold has a notification
    queued: it is evaluated when enabled, on every readiness change and when its packet is
    taken (a persistent one notifies again while the conditions hold). And a level-triggered
    notification names only conditions that hold."""

    SEES = ("sock.state", "sock.register", "sock.notify", "iocp.dequeue")

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        if reg is None:
            return
        kind, payload = event[2], event[4]
        if kind == "sock.notify":
            if payload[4] == "removed":
                return
            self.discharge(reg, ANY)
            holds = self.records.readiness.get(reg.socket, 0)
            if reg.level and payload[1] & ~holds:
                self.found(
                    seq,
                    f"{self.describe(reg)} (level-triggered) notified {names(payload[1])}, but "
                    f"{names(payload[1] & ~holds)} does not hold (readiness {names(holds)})",
                    self.records.state_seq.get(reg.socket, -1),
                )
            return
        before = self.records.before
        if kind == "iocp.dequeue" and (before is None or payload[0] != before.pending):
            return  # not its notification packet
        if kind == "sock.register" and (payload[1] != SOCK_NOTIFY_OP_ENABLE or payload[5] != 0):
            return
        if not reg.level or not reg.armed or self.records.port_closed(reg):
            return
        holds = reg.wanted(self.records.readiness.get(reg.socket, 0))
        if holds:
            self.exercised = True
            if not reg.pending:
                self.expect(reg, seq, holds)

    def overdue(self, reg: Registration, seq: int, bits: int) -> None:
        self.found(
            seq,
            f"{self.describe(reg)} is level-triggered and enabled and {names(bits)} holds, yet "
            "no notification is queued: level-triggered notifications are supplied whenever "
            "the desired conditions hold",
            reg.enabled_seq,
        )


class EdgeOnChange(SettlingChecker):
    """An edge-triggered notification is caused by a readiness change and names only
    conditions that changed from not holding to holding; every wanted condition that so
    changes while the registration is enabled is notified (ERR: ``sock.err_regardless``)."""

    SEES = ("sock.state", "sock.notify")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.rose: dict[int, tuple[int, int]] = {}  # socket -> (its last sock.state, bits rose)

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        kind, payload = event[2], event[4]
        if kind == "sock.state":
            rose = payload[6] & ~self.records.old
            self.rose[event[3][0]] = (seq, rose)
            if reg is not None and reg.edge and reg.armed and rose & reg.event_filter:
                self.exercised = True
                self.expect(reg, seq, rose & reg.event_filter)
            return
        if reg is None or payload[4] == "removed" or not reg.edge:
            return
        self.exercised = True
        events, cause = payload[1], event[5]
        change, rose = self.rose.get(reg.socket, (-1, 0))
        if cause < 0 or cause != change:
            self.found(
                seq,
                f"{self.describe(reg)} (edge-triggered) notified {names(events)} with no "
                "readiness change causing it: a condition that already held gives no edge",
                change,
            )
        elif events & ~rose:
            self.found(
                seq,
                f"{self.describe(reg)} (edge-triggered) notified {names(events)}, but only "
                f"{names(rose)} changed from not holding to holding at #{change}",
                change,
            )
        self.discharge(reg, events)

    def overdue(self, reg: Registration, seq: int, bits: int) -> None:
        self.found(
            seq,
            f"{names(bits)} changed from not holding to holding on "
            f"{self.context.name(reg.socket)} while edge-triggered registration #{reg.number} "
            "was enabled, and it was not notified",
            reg.enabled_seq,
        )


class ErrRegardless(SettlingChecker):
    """ERR (the socket is in an error state) is notified by an enabled registration whatever
    its event filter (but SOCK_NOTIFY_REGISTER_EVENT_NONE: "Notifications should not be
    issued"): when it rises, a notification carries it."""

    SEES = ("sock.state", "sock.notify")

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        if reg is None:
            return
        payload = event[4]
        if event[2] == "sock.notify":
            self.discharge(reg, payload[1])
            return
        if reg.wanted(payload[6] & ~self.records.old & SOCK_NOTIFY_EVENT_ERR) and reg.armed:
            self.exercised = True
            self.expect(reg, seq, SOCK_NOTIFY_EVENT_ERR)

    def overdue(self, reg: Registration, seq: int, bits: int) -> None:
        self.found(
            seq,
            f"ERR rose on {self.context.name(reg.socket)} while registration #{reg.number} "
            f"(filter {names(reg.event_filter)}) was enabled, and it was not notified: ERR is "
            "indicated regardless of the registered event filter",
            reg.enabled_seq,
        )


class EventsRequested(SockChecker):
    """A notification names only events of the registration's filter and ERR; the REMOVE
    packet names SOCK_NOTIFY_EVENT_REMOVE alone."""

    SEES = ("sock.notify",)

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        if reg is None:
            return
        self.exercised = True
        events, how = event[4][1], event[4][4]
        if how == "removed":
            if events != SOCK_NOTIFY_EVENT_REMOVE:
                self.found(seq, f"the REMOVE packet of {self.describe(reg)} names {names(events)}")
        elif not events or events != reg.wanted(events):
            self.found(
                seq,
                f"{self.describe(reg)} notified {names(events)}; its filter asks for "
                f"{names(reg.event_filter)} (and ERR)",
            )


register(
    Property(
        "sock.coalesced",
        GUARANTEE,
        (*_PSN, "GetQueuedCompletionStatus", "GetQueuedCompletionStatusEx"),
        SEED + ", triggerFlags; F2.18",
        "As notifications are queued up for a given socket, they are coalesced into a single "
        "notification. Therefore, multiple events may be described by a single event mask for "
        "the socket.",
        checker=Coalesced,
        note="at most one packet of a registration is queued at a time; events notified while "
        "it waits are OR-ed into it, and its taker gets their union. Exercised when a "
        "registration notified while its packet was queued. The REMOVE packet is a packet of "
        "its own (an assumption)",
    ),
    Property(
        "sock.level_holds",
        GUARANTEE,
        (*_PSN, "GetQueuedCompletionStatus", "GetQueuedCompletionStatusEx"),
        SEED + ", triggerFlags; F2.20",
        "Given the registration is enabled, level-triggered notifications are supplied "
        "whenever the desired conditions hold.",
        checker=LevelHolds,
        note="an enabled level-triggered registration whose wanted conditions (its filter, and "
        "ERR) hold has a packet queued once the step that made them hold (a readiness change, "
        "its ENABLE, its packet taken) is over; and it names only conditions that hold",
    ),
    Property(
        "sock.edge_on_change",
        GUARANTEE,
        _PSN,
        SEED + ", triggerFlags; F2.20",
        "Given the registration is enabled, edge-triggered notifications are supplied whenever "
        "a condition changes from not holding to holding. The condition must change while the "
        "registration is enabled for a notification to be queued.",
        checker=EdgeOnChange,
        note="an edge-triggered notification follows a readiness change and names only "
        "conditions that rose there; every filtered condition that rises while the "
        "registration is enabled is notified",
    ),
    Property(
        "sock.err_regardless",
        GUARANTEE,
        _PSN,
        "F2.15 (SocketNotificationRetrieveEvents, Remarks)",
        "The SOCK_NOTIFY_EVENT_ERR and SOCK_NOTIFY_EVENT_REMOVE events might be indicated "
        "regardless of registered event filter.",
        checker=ErrRegardless,
        note="when ERR rises on a socket whose registration is enabled, a notification "
        "carries it, whatever the filter; a filter of SOCK_NOTIFY_REGISTER_EVENT_NONE asks "
        'for nothing at all, ERR included ("Notifications should not be issued": an '
        "assumption)",
    ),
    Property(
        "sock.events_requested",
        GUARANTEE,
        _PSN,
        SEED + ", eventFilter; F2.15",
        "A set of flags indicating the notifications being requested.",
        checker=EventsRequested,
        note="a notification names events of the registration's filter, and ERR (none at all "
        "with the filter NONE); the REMOVE packet names SOCK_NOTIFY_EVENT_REMOVE alone",
    ),
)
