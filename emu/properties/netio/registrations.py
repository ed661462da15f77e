"""What the NETIO checkers share: every NotifyIpInterfaceChange registration of a run, the
notifications queued to it and the callbacks that ran them, read from the trace.

``Registrations`` folds the device's events into one record per registration
(``netio.register`` creates it, keyed by the registration's object id): its handle, family,
mode (kernel or user), whether InitialNotification was TRUE, the thread that registered it,
its NotificationHandle variable (the ``HANDLE`` structure the handle is written to), the
callbacks it ran and those in flight (``netio.callback`` to ``netio.return``, one per worker
thread), and its ``netio.cancel`` barrier. Each queued notification (``netio.queue``) is an
``Item`` until a callback delivers it or a cancellation drops it (``netio.drop``); each
callback is a ``Call``, with the MIB_IPINTERFACE_ROW it lent (the row's object id).

A checker feeds the fold the events it receives (``Registrations.KINDS``) and asks it
questions (the fold returns the registration an event concerns); the rule itself stays in the
checker. The events' payloads are those of ``emu.devices.nic`` (docs/trace.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Final

from emu.kernel.trace import TraceTuple
from emu.properties.checker import Fold, FoldChecker

KINDS: Final = (
    "netio.register",
    "netio.queue",
    "netio.callback",
    "netio.return",
    "netio.drop",
    "netio.cancel",
)
INITIAL: Final = "MibInitialNotification"
IDENTITY: Final = frozenset(("Family", "InterfaceLuid", "InterfaceIndex"))
"""The members of a notification's row that identify the interface (F3.10): the rest of the
row is incomplete, and GetIpInterfaceEntry fills it."""
FAMILY_OF_LABEL: Final = {"IPv4": "AF_INET", "IPv6": "AF_INET6"}


def interface_family(label: str) -> str:
    """The family of an interface label (``eth0/IPv4``: AF_INET; ``(none)``: empty)."""
    return FAMILY_OF_LABEL.get(label.rpartition("/")[2], "") if "/" in label else ""


def concerns(family: str, label: str) -> bool:
    """Whether a registration for ``family`` is notified of the interface ``label``: "AF_INET
    ... only for IPv4", "AF_INET6 ... only IPv6", "AF_UNSPEC ... for both" (the seed page)."""
    return family == "AF_UNSPEC" or interface_family(label) == family


@dataclass(slots=True)
class Call:
    """One callback: from its ``netio.callback`` to its ``netio.return`` (-1 while running)."""

    reg: int
    item: int
    type: str
    interface: str
    seq: int
    worker: int
    row: int  # the MIB_IPINTERFACE_ROW's object id (0: the NULL row)
    returned: int = -1


@dataclass(slots=True)
class Item:
    """One queued notification and how it ended (seqs; -1: not yet)."""

    number: int
    reg: int
    type: str
    interface: str
    seq: int
    cause: int
    delivered: int = -1  # its first callback
    dropped: int = -1  # its first netio.drop
    deliveries: int = 0
    drops: int = 0


@dataclass(slots=True)
class Registration:
    """One registration's life, as the trace shows it (seqs are trace positions)."""

    oid: int
    handle: int
    family: str
    mode: str
    initial: bool
    callback: str
    seq: int  # its netio.register
    thread: int  # the actor that called NotifyIpInterfaceChange
    cell: int  # the NotificationHandle variable's object id (0: not a traced structure)
    calls: list[Call] = field(default_factory=list)  # every callback started, in order
    running: dict[int, Call] = field(default_factory=dict)  # worker -> its callback in flight
    initials: int = 0  # MibInitialNotification callbacks
    initial_queued: bool = False
    cancelled: int = -1  # its netio.cancel

    @property
    def live(self) -> bool:
        return self.cancelled < 0

    def describe(self) -> str:
        return f"registration 0x{self.handle:X} ({self.family}, {self.mode} mode)"


class Registrations(Fold):
    """Every registration of a run, its notifications and its callbacks."""

    KINDS = KINDS

    def __init__(self) -> None:
        super().__init__()
        self.by_oid: dict[int, Registration] = {}
        self.items: dict[int, Item] = {}  # notification number -> item
        self.calls: dict[int, Call] = {}  # worker -> its callback in flight
        self.rows: dict[int, Call] = {}  # row object id -> the callback that lent it

    def feed(self, seq: int, event: TraceTuple) -> Registration | None:
        """Update the records; returns the registration the event concerns."""
        _t, actor, kind, objects, payload, cause = event
        if kind == "netio.register":
            new = Registration(
                objects[0],
                payload[0],
                str(payload[1]),
                str(payload[2]),
                bool(payload[3]),
                str(payload[4]),
                seq,
                actor,
                objects[1] if len(objects) > 1 else 0,
            )
            self.by_oid[new.oid] = new
            return new
        reg = self.by_oid.get(objects[0]) if objects else None
        if reg is None:
            return None
        if kind == "netio.queue":
            number = payload[3]
            self.items[number] = Item(number, reg.oid, payload[1], payload[2], seq, cause)
            if payload[1] == INITIAL:
                reg.initial_queued = True
        elif kind == "netio.callback":
            row = objects[1] if len(objects) > 1 else 0
            call = Call(reg.oid, payload[3], payload[1], payload[2], seq, actor, row)
            reg.calls.append(call)
            reg.running[actor] = call
            self.calls[actor] = call
            if row:
                self.rows[row] = call
            if call.type == INITIAL:
                reg.initials += 1
            item = self.items.get(call.item)
            if item is not None:
                item.deliveries += 1
                if item.delivered < 0:
                    item.delivered = seq
        elif kind == "netio.return":
            done = reg.running.pop(actor, None)
            if done is not None:
                done.returned = seq
                self.calls.pop(actor, None)
        elif kind == "netio.drop":
            item = self.items.get(payload[3])
            if item is not None:
                item.drops += 1
                if item.dropped < 0:
                    item.dropped = seq
        elif kind == "netio.cancel":
            reg.cancelled = seq
        return reg

    def live(self) -> list[Registration]:
        """The registrations not cancelled, in the order they were made."""
        return [reg for reg in self.by_oid.values() if reg.live]


class NetioChecker(FoldChecker):
    """A checker of NETIO's registrations: built only for a run in which
    NotifyIpInterfaceChange registered something (``TRIGGERS = ("netio.register",)``: every
    other netio.* event follows a registration), so it costs nothing in any other scenario. It
    reads the run's one ``Registrations`` fold (``records``, fed first, every event of the
    fold's kinds) and is fed only the kinds its rule looks at (``SEES``); ``see`` gets the
    registration the event concerns when it is one of the fold's."""

    TRIGGERS: ClassVar[tuple[str, ...] | None] = ("netio.register",)
    FOLD = Registrations
    RECORD = Registration
    records: Registrations

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        """One event, after the registration records were updated."""

    def call_of(self, actor: int) -> Call | None:
        """The callback ``actor`` (a worker thread) is running, if any."""
        return self.records.calls.get(actor)

    def name(self, oid: int) -> str:
        return self.context.name(oid)
