"""What the SCM checkers share: the life of each NotifyServiceStatusChange request, read from
the trace (``scm.*`` events, the APC that carried it, the handles of the ``sc`` namespace).

``Requests`` folds the events into one record per request: its handle, buffer, thread, mask,
module, what it fired with, the APC that delivered it and how it ended. A checker feeds it the
events it receives (``Requests.KINDS``) and asks it questions; the rule itself stays in the
checker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final

from emu.codes.services import ServiceState, notify_bit
from emu.kernel.trace import TraceTuple
from emu.properties.checker import Checker, Fold

KINDS: Final = (
    "scm.register",
    "scm.fire",
    "scm.deliver",
    "scm.cancel",
    "scm.replace",
    "scm.drop",
    "scm.outstanding",
    "apc.return",
    "apc.discard",
    "apc.undelivered",
    "handle.open",
    "handle.close",
)
NOTIFY_API: Final = ("NotifyServiceStatusChangeW",)


class ScmChecker(Checker):
    """A checker of the SCM: built only for a run in which the SCM device recorded something
    (``TRIGGERS = ("scm.*",)``: a service created, a state changed, a request registered),
    so it costs nothing in a scenario without the SCM. Nearly every SCM rule is about a
    service, a request or a notification, each recorded as an ``scm.*`` event; a rule that a
    call's return alone can break adds that call (``"api:Name"``), since a program may call
    it on an SCM with no service at all."""

    TRIGGERS: ClassVar[tuple[str, ...] | None] = ("scm.*",)


_NO_END: Final = ("", -1)
STATE_BIT: Final = {member.name: notify_bit(int(member)) for member in ServiceState}
"""dwCurrentState by name (as ``scm.*`` events carry it) -> its SERVICE_NOTIFY_* bit."""


@dataclass(slots=True)
class Request:
    number: int
    seq: int
    handle: int
    buffer: int
    thread: int
    service: int  # 0 for an SCM handle
    mask: int
    module: str | None
    fired: int = -1  # seq of scm.fire
    status: int = 0
    triggered: int = 0
    apc: int = 0
    delivered: int = -1  # seq of scm.deliver
    status_struct: int = 0
    names_block: int = 0
    ended: str = ""  # done, cancelled, replaced, dropped, discarded, undelivered, outstanding
    ended_seq: int = -1

    @property
    def live(self) -> bool:
        return not self.ended


class Requests(Fold):
    """Every request of a run, by number, with the indexes the checkers need."""

    KINDS = KINDS

    def __init__(self) -> None:
        super().__init__()
        self.by_number: dict[int, Request] = {}
        self.by_apc: dict[int, Request] = {}
        self.sc_values: dict[int, int] = {}  # open SC_HANDLE value -> object id
        self.closed: dict[int, int] = {}  # SC_HANDLE object id -> seq of its handle.close
        # how the request the last event concerns had ended before it ('' and -1: not ended)
        self.prior: tuple[str, int] = _NO_END

    def feed(self, seq: int, event: TraceTuple) -> Request | None:
        """Update the records; returns the request the event concerns, if any."""
        _t, _actor, kind, objects, payload, _c = event
        self.prior = _NO_END
        if kind == "scm.register":
            new = Request(
                payload[0],
                seq,
                objects[0],
                objects[1],
                objects[2],
                objects[3] if len(objects) > 3 else 0,
                payload[2],
                payload[5],
            )
            self.by_number[new.number] = new
            return new
        if kind == "handle.open":
            if payload[0] == "sc":
                self.sc_values[payload[1]] = objects[0]
            return None
        if kind == "handle.close":
            if payload[0] == "sc":
                self.sc_values.pop(payload[1], None)
                self.closed[objects[0]] = seq
            return None
        if kind.startswith("apc."):
            req = self.by_apc.get(payload[0])
            self.prior = (req.ended, req.ended_seq) if req is not None else _NO_END
            if req is not None and not req.ended:
                reason = {"apc.return": "done", "apc.discard": "discarded"}.get(kind, "undelivered")
                req.ended, req.ended_seq = reason, seq
            return req
        req = self.by_number.get(payload[0])
        if req is None:
            self.prior = _NO_END
            return None
        self.prior = (req.ended, req.ended_seq)
        if kind == "scm.fire":
            req.fired, req.status, req.triggered = seq, payload[1], payload[3]
        elif kind == "scm.deliver":
            req.delivered, req.apc = seq, payload[1]
            req.status_struct, req.names_block = objects[3], objects[4]
            self.by_apc[req.apc] = req
        elif not req.ended:
            req.ended = {
                "scm.cancel": "cancelled",
                "scm.replace": "replaced",
                "scm.drop": "dropped",
            }.get(kind, "outstanding")
            req.ended_seq = seq
        return req

    def live_on(self, handle: int) -> Request | None:
        """The request outstanding (not fired, not ended) on an SC_HANDLE object."""
        for req in self.by_number.values():
            if req.handle == handle and req.fired < 0 and not req.ended:
                return req
        return None

    def handle_of(self, value: object) -> int:
        """The object id an SC_HANDLE value names now (0: none)."""
        return self.sc_values.get(value, 0) if isinstance(value, int) else 0
