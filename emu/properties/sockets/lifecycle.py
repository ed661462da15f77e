"""The guarantees of a registration's life: what DISABLE, ONESHOT, REMOVE and closesocket
promise, checked on the finished trace (a violation means emu is wrong). What is notified and
when: ``sockets.delivery``.

The sentences (SOCK_NOTIFY_REGISTRATION, the seed page, unless noted):

- "Notifications are only supplied when the registration is enabled. Notifications are not
  queued up while the registration is disabled." SOCK_NOTIFY_OP_DISABLE "merely suppresses
  queuing of new notifications. Notifications that have already been queued might still be
  delivered" (F2.19, ``sock.none_while_disabled``).
- SOCK_NOTIFY_OP_REMOVE: "The SOCK_NOTIFY_EVENT_REMOVE notification is issued, with the
  guarantee that no more notifications will be issued afterwards for that completion key
  unless it is re-registered." (F2.22, ``sock.nothing_after_remove``)
- SOCK_NOTIFY_TRIGGER_ONESHOT: "The registration will be disabled (not removed) upon delivery
  of the next notification." (F2.21, ``sock.oneshot_disables``; disabled when its packet is
  queued, an assumption of docs/rules.md)
- "When the socket descriptor used to register for notifications is closed using the
  closesocket function, its notifications are automatically deregistered. ... An automatic
  deregistration via closesocket won't generate a SOCK_NOTIFY_EVENT_REMOVE notification."
  (Winsock socket state notifications, F2.23: ``sock.no_remove_on_close``)
"""

from __future__ import annotations

from typing import ClassVar, Final

from emu.codes.winsock import (
    SOCK_NOTIFY_OP_DISABLE,
    SOCK_NOTIFY_OP_ENABLE,
    SOCK_NOTIFY_OP_REMOVE,
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


class NoneWhileDisabled(SockChecker):
    """Nothing is queued or coalesced for a registration disabled by SOCK_NOTIFY_OP_DISABLE, nor
    for one that closesocket (or a re-registration) ended. A ONESHOT registration disabled by
    its own notification is ``sock.oneshot_disables``; one that REMOVE ended,
    ``sock.nothing_after_remove``."""

    SEES = ("sock.register", "sock.notify", "sock.deregister")

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        kind, payload = event[2], event[4]
        if reg is None:
            return
        if kind == "sock.register":
            if payload[1] == SOCK_NOTIFY_OP_DISABLE and payload[5] == 0:
                self.exercised = True
            return
        if kind == "sock.deregister":
            self.exercised = True
            return
        before = self.records.before
        if before is None or payload[4] == "removed":
            return
        what = (
            f"{self.describe(reg)} notified {names(payload[1])} ({payload[4]}, "
            f"packet #{payload[3]})"
        )
        if before.ended in ("closed", "replaced"):
            how = "its socket was closed" if before.ended == "closed" else "it was replaced"
            self.found(
                seq,
                f"{what} after it ended ({how} at #{before.ended_seq}): nothing is queued for "
                "a registration that no longer exists",
                before.ended_seq,
            )
        elif not before.enabled and before.disabled_how == "DISABLE":
            self.found(
                seq,
                f"{what} while SOCK_NOTIFY_OP_DISABLE (#{before.disabled_seq}) had it "
                "disabled: notifications are not queued up while the registration is disabled",
                before.disabled_seq,
            )


class NothingAfterRemove(SockChecker):
    """A REMOVE that succeeded issues one SOCK_NOTIFY_EVENT_REMOVE notification, and nothing
    more is notified for that registration afterwards: no packet queued or coalesced after
    the REMOVE, none taken after the REMOVE packet was taken."""

    SEES = ("sock.register", "sock.notify", "iocp.dequeue")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.removing: dict[int, int] = {}  # registration -> its REMOVE (no packet yet)

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        before = self.records.before
        if reg is None or before is None:
            return
        kind, payload = event[2], event[4]
        if kind == "sock.register":
            if payload[1] == SOCK_NOTIFY_OP_REMOVE and payload[5] == 0 and not before.ended:
                self.removing[reg.number] = seq
            return
        if kind == "iocp.dequeue":
            if before.remove_taken >= 0 and payload[0] != before.remove_packet:
                self.found(
                    seq,
                    f"{self.context.name(event[3][1])} took packet #{payload[0]} of "
                    f"{self.describe(reg)} after its REMOVE notification was taken",
                    before.remove_taken,
                )
            return
        if payload[4] == "removed":
            self.exercised = True
            if self.removing.pop(reg.number, None) is None:
                self.found(seq, f"a second REMOVE notification for {self.describe(reg)}")
            return
        if before.ended == "removed":
            self.found(
                seq,
                f"{self.describe(reg)} notified {names(payload[1])} (packet #{payload[3]}) after "
                f"SOCK_NOTIFY_OP_REMOVE (#{before.ended_seq}): no more notifications are issued "
                "for it afterwards",
                before.ended_seq,
            )

    def finish(self) -> None:
        for number, seq in self.removing.items():
            reg = self.records.by_number[number]
            self.found(
                seq,
                f"SOCK_NOTIFY_OP_REMOVE of {self.describe(reg)} succeeded, but no "
                "SOCK_NOTIFY_EVENT_REMOVE notification was issued",
            )


class OneshotDisables(SockChecker):
    """A ONESHOT registration whose notification was queued notifies nothing more (no new
    packet, nothing OR-ed into that one) until an ENABLE."""

    SEES = ("sock.register", "sock.notify")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.fired: dict[int, tuple[int, int]] = {}  # registration -> (sock.notify, packet)

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        before = self.records.before
        if reg is None or before is None:
            return
        payload = event[4]
        if event[2] == "sock.register":
            if payload[5] == 0 and payload[1] in (SOCK_NOTIFY_OP_ENABLE, SOCK_NOTIFY_OP_REMOVE):
                self.fired.pop(reg.number, None)
            return
        if payload[4] == "removed":
            return
        fired = self.fired.get(reg.number)
        if fired is not None:
            self.found(
                seq,
                f"ONESHOT {self.describe(reg)} notified {names(payload[1])} ({payload[4]}, "
                f"packet #{payload[3]}) after its notification (packet #{fired[1]}) disabled "
                "it, with no ENABLE since",
                fired[0],
            )
        elif payload[4] == "queued" and before.oneshot and before.enabled:
            self.exercised = True
            self.fired[reg.number] = (seq, payload[3])


class NoRemoveOnClose(SettlingChecker):
    """closesocket ends the socket's registration (``sock.deregister``) without a
    SOCK_NOTIFY_EVENT_REMOVE notification."""

    SEES = ("sock.close", "sock.deregister", "sock.notify")
    CHANGES: ClassVar[bool] = False  # the close's own readiness change comes before it

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        if reg is None:
            return
        kind = event[2]
        if kind == "sock.close":
            self.exercised = True
            self.expect(reg, seq, ANY)
        elif kind == "sock.deregister":
            self.discharge(reg, ANY)
        elif event[4][4] == "removed":
            before = self.records.before
            if before is not None and before.ended == "closed":
                self.found(
                    seq,
                    f"a REMOVE notification for {self.describe(reg)}, which closesocket ended "
                    f"at #{before.ended_seq}: automatic deregistration generates none",
                    before.ended_seq,
                )

    def overdue(self, reg: Registration, seq: int, bits: int) -> None:
        self.found(
            seq,
            f"{self.context.name(reg.socket)} was closed, but {self.describe(reg)} was not "
            "deregistered",
            reg.seq,
        )


register(
    Property(
        "sock.none_while_disabled",
        GUARANTEE,
        _PSN,
        SEED + ", triggerFlags and operation; F2.19",
        "Notifications are only supplied when the registration is enabled. Notifications are "
        "not queued up while the registration is disabled.",
        checker=NoneWhileDisabled,
        note="nothing queued or coalesced after SOCK_NOTIFY_OP_DISABLE (until an ENABLE), nor "
        "after closesocket ended the registration; a packet queued before DISABLE may still "
        "arrive. Exercised by a DISABLE or a registration ended by closesocket",
    ),
    Property(
        "sock.nothing_after_remove",
        GUARANTEE,
        (*_PSN, "GetQueuedCompletionStatus", "GetQueuedCompletionStatusEx"),
        SEED + ", operation; F2.22",
        "SOCK_NOTIFY_OP_REMOVE. Removes a previously-registered notification. Both enabled and "
        "disabled notifications may be removed. The SOCK_NOTIFY_EVENT_REMOVE notification is "
        "issued, with the guarantee that no more notifications will be issued afterwards for "
        "that completion key unless it is re-registered.",
        checker=NothingAfterRemove,
        note="a successful REMOVE issues one REMOVE packet, after any packet already queued; "
        "nothing is queued for the registration afterwards",
    ),
    Property(
        "sock.oneshot_disables",
        GUARANTEE,
        _PSN,
        SEED + ", triggerFlags; F2.21",
        "SOCK_NOTIFY_TRIGGER_ONESHOT. The registration will be disabled (not removed) upon "
        "delivery of the next notification.",
        checker=OneshotDisables,
        note="once its notification is queued, a ONESHOT registration notifies nothing more "
        "(events are not OR-ed into that packet either) until an ENABLE",
    ),
    Property(
        "sock.no_remove_on_close",
        GUARANTEE,
        ("closesocket", *_PSN),
        "Winsock socket state notifications (MS doc), Recommendations; F2.23",
        "When the socket descriptor used to register for notifications is closed using the "
        "closesocket function, its notifications are automatically deregistered. However, "
        "already-queued notifications might still be delivered. An automatic deregistration "
        "via closesocket won't generate a SOCK_NOTIFY_EVENT_REMOVE notification.",
        checker=NoRemoveOnClose,
        note="exercised when a socket with a registration is closed",
    ),
)
