"""Nothing queued to a NETIO registration is lost: every notification is delivered (its
callback starts) or dropped by CancelMibChangeNotify2 (``netio.drop``, reason cancelled),
exactly once.

"To deregister the driver for change notifications, call the CancelMibChangeNotify2
function" (the seed page): until then every change of an interface of the registration's
family is notified, and after it "the callback will NEVER be called" (F3.11), so what is still
queued then is dropped, and the trace says so. A notification neither delivered nor dropped
when the run ended with every program finished (``Context.programs_finished``: no thread left
blocked, nothing more can happen) and reported pending (``netio.pending``) was lost; one the
end does not even report was lost silently, however the run ended; one delivered twice, or
delivered and dropped, was counted twice. A run that ended at a limit, or with a thread
blocked (a callback that never returns holds its worker and everything queued behind it), did
not finish: what is pending then is not judged.
"""

from __future__ import annotations

from typing import Final

from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import LIVENESS, Property, register
from emu.properties.checker import Context
from emu.properties.netio.registrations import NetioChecker, Registration

SEED: Final = "NotifyIpInterfaceChange (MS doc)"


class NothingLost(NetioChecker):
    """Each queued notification ends once: delivered or dropped; one still queued when a
    finished run ended (``netio.pending``) was lost, and one the device did not even report
    was lost silently."""

    SEES = ("netio.callback", "netio.drop", "netio.pending", "run.end")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.pending: dict[int, int] = {}  # notification number -> its netio.pending
        self.ended = -1  # the run.end

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        kind = event[2]
        if kind == "run.end":
            self.ended = seq
            return
        if kind == "netio.pending":
            self.pending.setdefault(event[4][3], seq)
            return
        if reg is None:
            return
        item = self.records.items.get(event[4][3])
        if item is None:
            self.found(
                seq,
                f"{kind} of notification #{event[4][3]} for {reg.describe()}, which was never "
                "queued",
            )
            return
        what = f"notification #{item.number} ({item.type} for {item.interface}) to {reg.describe()}"
        if kind == "netio.callback":
            if item.drops:
                self.found(seq, f"{what} delivered after it was dropped", item.dropped)
            elif item.deliveries > 1:
                self.found(seq, f"{what} delivered a second time", item.delivered)
        elif item.deliveries:
            self.found(seq, f"{what} dropped after it was delivered", item.delivered)
        elif item.drops > 1:
            self.found(seq, f"{what} dropped a second time", item.dropped)

    def finish(self) -> None:
        items = self.records.items
        if not items or self.ended < 0:
            return
        finished = self.context.programs_finished()
        if finished:
            self.exercised = True
        for item in items.values():
            if item.deliveries or item.drops:
                continue
            what = (
                f"notification #{item.number} ({item.type} for {item.interface}) queued to "
                f"{self.records.by_oid[item.reg].describe()}"
            )
            related = () if item.cause < 0 else (item.cause,)
            reported = self.pending.get(item.number)
            if reported is None:
                self.exercised = True
                self.found(
                    item.seq,
                    f"{what} was neither delivered nor dropped, and the run's end does not "
                    "report it pending: it was lost silently",
                    *related,
                )
            elif finished:
                self.found(
                    reported,
                    f"{what} was still queued when every program had finished: its callback "
                    "never ran",
                    item.seq,
                )


register(
    Property(
        "netio.nothing_lost",
        LIVENESS,
        ("NotifyIpInterfaceChange", "CancelMibChangeNotify2"),
        "emu rule: nothing lost silently; F3.11",
        "(Every notification queued for a registration's callback is delivered, or dropped "
        "when CancelMibChangeNotify2 deregisters it, exactly once.)",
        checker=NothingLost,
        note="judged when the run ends with every program finished; a delivery or a drop of a "
        "notification already delivered or dropped is a finding whenever it happens",
    ),
)
