"""The guarantees of NotifyIpInterfaceChange's callbacks, checked on the finished trace (a
violation means emu is wrong). That nothing queued is lost: ``netio.liveness``.

The sentences (NotifyIpInterfaceChange, the seed page, unless noted):

- InitialNotification: "A value that indicates whether the callback should be invoked
  immediately after registration for change notification completes"; the Row "is a NULL
  pointer when the MIB_NOTIFICATION_TYPE value ... is set to MibInitialNotification. This
  situation can occur only if the InitialNotification parameter ... was set to TRUE" (F3.7,
  ``netio.initial_notification``): at most one MibInitialNotification, only when asked for,
  the registration's first callback, with a NULL row; every other callback has a row.
- Family: AF_INET "registers the driver to be notified only for IPv4 change notifications",
  AF_INET6 "for only IPv6 change notifications", AF_UNSPEC "for both IPv4 and IPv6 changes"
  (F3.5, ``netio.family_filter``).
- Callbacks run on system worker threads, never on the thread that registered (F3.9,
  ``netio.worker_thread``).
- "The invocation of the callback function that is specified in the Callback parameter is
  serialized." (F3.8, ``netio.serialized``; not under profile ``netio-overlap``, which
  reproduces the field report that saw them overlap).
- CancelMibChangeNotify2 "Blocks until all callback have returned" and afterwards "the
  callback will NEVER be called" (F3.11, ``netio.cancel_barrier``).
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import GUARANTEE, Property, register
from emu.properties.checker import Context
from emu.properties.netio.registrations import (
    INITIAL,
    NetioChecker,
    Registration,
    concerns,
    interface_family,
)
from emu.scenario.format import PROFILES

SEED: Final = "NotifyIpInterfaceChange (MS doc)"
NOTIFY: Final = ("NotifyIpInterfaceChange",)
CANCEL: Final = ("CancelMibChangeNotify2",)
SERIALIZED_PROFILES: Final = tuple(p for p in PROFILES if p != "netio-overlap")
"""Every profile but ``netio-overlap``, under which a registration's callbacks may overlap."""


class InitialNotification(NetioChecker):
    """MibInitialNotification only for a registration made with InitialNotification TRUE, once,
    as its first callback, with a NULL row; a NULL row for no other notification; and a
    registration that asked for it has it queued."""

    SEES = ("netio.callback",)

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        if reg is None:
            return
        self.exercised = True
        call = reg.calls[-1]
        what = f"callback of {reg.describe()} for notification #{call.item}"
        if call.type != INITIAL:
            if not call.row:
                self.found(seq, f"{what} ({call.type}) has a NULL row", reg.seq)
            return
        if not reg.initial:
            self.found(
                seq,
                f"{what} is a MibInitialNotification, but NotifyIpInterfaceChange was called "
                "with InitialNotification FALSE",
                reg.seq,
            )
        if reg.initials > 1:
            first = next(c for c in reg.calls if c.type == INITIAL)
            self.found(seq, f"{what} is a second MibInitialNotification", first.seq)
        elif len(reg.calls) > 1:
            self.found(
                seq,
                f"{what} is a MibInitialNotification after {len(reg.calls) - 1} other callback(s): "
                "the initial notification comes first",
                reg.calls[0].seq,
            )
        if call.row:
            self.found(
                seq, f"{what} is a MibInitialNotification with a row ({self.name(call.row)})"
            )

    def finish(self) -> None:
        for reg in self.records.by_oid.values():
            if reg.initial and not reg.initial_queued:
                self.exercised = True
                self.found(
                    reg.seq,
                    f"{reg.describe()} asked for the initial notification, and none was queued",
                )


class FamilyFilter(NetioChecker):
    """A registration's callbacks are for interfaces of its family only; and one change
    notifies every live registration of a family alike: the same interfaces, each once (those
    of its family among all the interfaces the change notified to anyone)."""

    SEES = ("netio.callback", "netio.queue", "nic.change")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.change = -1  # the nic.change whose notifications are being collected
        self.eligible: list[Registration] = []  # registrations sure to hear of it
        self.queued: dict[int, list[str]] = {}  # registration -> interfaces queued to it

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        kind = event[2]
        if kind == "nic.change":
            self.settle()
            self.change = seq
            # a registration with a callback in flight may be inside CancelMibChangeNotify2
            # (which waits only for a callback in flight); the others are sure to hear of it
            self.eligible = [r for r in self.records.live() if not r.running]
            self.queued = {}
            return
        if reg is None:
            return
        label = str(event[4][2])
        if kind == "netio.queue":
            if event[5] == self.change and self.change >= 0:
                self.queued.setdefault(reg.oid, []).append(label)
            return
        if not interface_family(label):
            return  # the initial notification names no interface
        self.exercised = True
        if not concerns(reg.family, label):
            self.found(
                seq,
                f"callback of {reg.describe()} for {label} ({event[4][1]}, notification "
                f"#{event[4][3]}): a registration for {reg.family} is not notified of it",
                reg.seq,
            )

    def settle(self) -> None:
        if self.change < 0:
            return
        notified = sorted({label for labels in self.queued.values() for label in labels})
        if notified:
            for reg in self.eligible:
                self.exercised = True
                expected = Counter(label for label in notified if concerns(reg.family, label))
                got = Counter(self.queued.get(reg.oid, ()))
                if got != expected:
                    missing = sorted((expected - got).elements())
                    extra = sorted((got - expected).elements())
                    parts = [f"not {', '.join(missing)}"] if missing else []
                    parts += [f"{', '.join(extra)} too many times"] if extra else []
                    self.found(
                        self.change,
                        f"this change notified {', '.join(notified)}, and {reg.describe()} "
                        f"was queued {'; '.join(parts)}",
                        reg.seq,
                    )
        self.change = -1

    def finish(self) -> None:
        self.settle()


class WorkerThread(NetioChecker):
    """A callback never runs on the thread that called NotifyIpInterfaceChange."""

    SEES = ("netio.callback",)

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        if reg is None:
            return
        self.exercised = True
        if event[1] == reg.thread:
            self.found(
                seq,
                f"callback of {reg.describe()} for notification #{event[4][3]} "
                f"({event[4][1]}) runs on {self.name(reg.thread)}, the thread that registered "
                "it, not on a system worker thread",
                reg.seq,
            )


class Serialized(NetioChecker):
    """Two callbacks of one registration never run at once."""

    SEES = ("netio.callback",)

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        if reg is None:
            return
        self.exercised = True
        for worker, other in reg.running.items():
            if worker != event[1]:
                self.found(
                    seq,
                    f"callback of {reg.describe()} for notification #{event[4][3]} starts "
                    f"while its callback for notification #{other.item} (on "
                    f"{self.name(worker)}) has not returned: the invocations are serialized",
                    other.seq,
                )


class CancelBarrier(NetioChecker):
    """When CancelMibChangeNotify2 returns (``netio.cancel``), no callback of the registration
    runs, and none starts afterwards. A cancel made at DISPATCH_LEVEL cannot wait (its
    ``barrier`` is 0; the caller's bug is ``kernel.irql_too_high``): no callback may start after
    it, but one in flight is not emu's fault."""

    SEES = ("netio.cancel", "netio.callback")

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        if reg is None:
            return
        if event[2] == "netio.cancel":
            self.exercised = True
            if not event[4][3]:
                return  # called at DISPATCH_LEVEL, it could not wait: the client's bug (IRQL)
            for worker, call in reg.running.items():
                self.found(
                    seq,
                    f"CancelMibChangeNotify2 of {reg.describe()} returns while its callback "
                    f"for notification #{call.item} still runs on {self.name(worker)}: it "
                    "blocks until every callback has returned",
                    call.seq,
                )
        elif reg.cancelled >= 0:
            self.found(
                seq,
                f"callback of {reg.describe()} for notification #{event[4][3]} starts after "
                "CancelMibChangeNotify2 deregistered it: the callback is never called again",
                reg.cancelled,
            )


register(
    Property(
        "netio.initial_notification",
        GUARANTEE,
        NOTIFY,
        SEED + ", InitialNotification and Remarks; F3.7",
        "This parameter is a NULL pointer when the MIB_NOTIFICATION_TYPE value that is passed "
        "in the NotificationType parameter to the callback function is set to "
        "MibInitialNotification. This situation can occur only if the InitialNotification "
        "parameter that is passed to NotifyIpInterfaceChange was set to TRUE when registering "
        "the driver for change notifications.",
        checker=InitialNotification,
        note="with InitialNotification TRUE the callback is invoked once, first, with "
        "MibInitialNotification and a NULL row; without it never; every other callback has a "
        "row",
    ),
    Property(
        "netio.family_filter",
        GUARANTEE,
        NOTIFY,
        SEED + ", Family; F3.5",
        "AF_INET: When this value is specified, this function registers the driver to be "
        "notified only for IPv4 change notifications. AF_INET6: When this value is specified, "
        "this function registers the driver for only IPv6 change notifications. AF_UNSPEC: "
        "When this value is specified, this function registers the driver to be notified for "
        "both IPv4 and IPv6 changes.",
        checker=FamilyFilter,
        note="a callback is for an interface of the registration's family; one change gives "
        "every live registration the interfaces of its family among those it notified, once "
        "each (a registration with a callback in flight at the change is not compared: it may "
        "be inside CancelMibChangeNotify2)",
    ),
    Property(
        "netio.worker_thread",
        GUARANTEE,
        NOTIFY,
        "F3.9",
        "IP Helper invokes every callback (including the MibInitialNotification confirmation) "
        "on arbitrary OS threads.",
        checker=WorkerThread,
        note="no Microsoft page says which thread; consumers observe system worker threads, "
        "never the registering thread",
    ),
    Property(
        "netio.serialized",
        GUARANTEE,
        NOTIFY,
        SEED + ", Remarks; F3.8",
        "The invocation of the callback function that is specified in the Callback parameter is "
        "serialized.",
        checker=Serialized,
        profiles=SERIALIZED_PROFILES,
        note="per registration (both families of an AF_UNSPEC registration together); not "
        "under netio-overlap, which reproduces the field report of overlapping callbacks",
    ),
    Property(
        "netio.cancel_barrier",
        GUARANTEE,
        CANCEL,
        "F3.11; " + SEED + ", Remarks",
        "Blocks until all callback have returned.",
        checker=CancelBarrier,
        note="the SDK header's note on CancelMibChangeNotify2 (netioapi.h); after it returns no "
        "callback of the handle runs or will run (netio.cancel marks the barrier)",
    ),
)
