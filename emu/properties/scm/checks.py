"""The SCM's guarantees and liveness: what NotifyServiceStatusChange promises, checked on the
finished trace (a violation means emu is wrong). Client rules: ``scm.client``.

Each checker re-derives its rule from the events rather than trusting the device's own flags:
the immediate-queueing rule recomputes F1.12's per-handle "already notified" state from the
service's state changes and the notifications each handle received.
"""

from __future__ import annotations

from typing import Final

from emu.codes.services import (
    SERVICE_NOTIFY_SCM_MASK,
    SERVICE_NOTIFY_STATE_MASK,
)
from emu.codes.winerror import ERROR_ALREADY_REGISTERED, ERROR_SUCCESS
from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import GUARANTEE, LIVENESS, Property, register
from emu.properties.checker import Context
from emu.properties.scm.requests import (
    KINDS,
    NOTIFY_API,
    STATE_BIT,
    Request,
    Requests,
    ScmChecker,
)

SEED: Final = "NotifyServiceStatusChange (MS doc)"
_NOTIFY: Final = ("NotifyServiceStatusChangeW", "NotifyServiceStatusChangeA")


class ImmediateIfInState(ScmChecker):
    """Queued at once iff the service is in a requested state and this handle was not already
    notified of that state since it last changed (F1.6, F1.12)."""

    KINDS = ("scm.create", "scm.service", "scm.register", "scm.fire", "scm.replace", "api")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.state: dict[int, str] = {}  # service oid -> state name
        self.handles: dict[int, int] = {}  # handle oid -> service oid
        self.notified: dict[int, int] = {}  # handle oid -> state bit it was notified of
        self.expected: dict[int, tuple[int, bool, int]] = {}  # thread -> (request, due, seq)
        self.immediate: set[int] = set()

    def feed(self, seq: int, event: TraceTuple) -> None:
        _t, actor, kind, objects, payload, _c = event
        if kind == "api":  # the most frequent kind: a call returns
            if actor in self.expected and payload[0] in _NOTIFY:
                self._returned(actor)
        elif kind == "scm.create":
            self.state[objects[0]] = "SERVICE_STOPPED"
        elif kind == "scm.service":
            if self.state.get(objects[0]) != payload[0]:
                self.state[objects[0]] = payload[0]
                for handle, service in self.handles.items():
                    if service == objects[0]:
                        self.notified.pop(handle, None)
        elif kind == "scm.replace":
            self.notified.pop(objects[0], None)
        elif kind == "scm.register" and len(objects) > 3:
            self.exercised = True
            handle, service = objects[0], objects[3]
            self.handles[handle] = service
            bit = STATE_BIT.get(self.state.get(service, ""), 0)
            due = bool(payload[2] & bit) and self.notified.get(handle) != bit
            self.expected[objects[2]] = (payload[0], due, seq)
        elif kind == "scm.fire":
            if payload[1] == ERROR_SUCCESS and payload[3] & SERVICE_NOTIFY_STATE_MASK:
                self.notified[objects[0]] = payload[3]
            if payload[7]:
                self.immediate.add(payload[0])

    def _returned(self, thread: int) -> None:
        """NotifyServiceStatusChange returned on ``thread``: was its request queued at once?"""
        request, due, at = self.expected.pop(thread)
        fired = request in self.immediate
        if due and not fired:
            self.found(
                at,
                f"request #{request}: the service was in a requested state, "
                "yet the callback was not queued immediately",
            )
        elif fired and not due:
            self.found(
                at,
                f"request #{request} fired at once though this handle was "
                "already notified of the current state",
            )


class TriggeredStateBit(ScmChecker):
    """dwNotificationTriggered is the bit of the state that fired (F1.7, F1.17), in the mask;
    on an SCM handle, CREATED/DELETED bits with the names."""

    KINDS = ("scm.register", "scm.fire")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.masks: dict[int, tuple[int, bool]] = {}

    def feed(self, seq: int, event: TraceTuple) -> None:
        _t, _a, kind, objects, payload, _c = event
        if kind == "scm.register":
            self.masks[payload[0]] = (payload[2], len(objects) > 3)
            return
        mask, on_service = self.masks.get(payload[0], (0, True))
        status, triggered, state, names = payload[1], payload[3], payload[5], payload[6]
        if status != ERROR_SUCCESS:
            return
        self.exercised = True
        if on_service:
            if triggered & SERVICE_NOTIFY_STATE_MASK and triggered != STATE_BIT.get(state):
                self.found(
                    seq,
                    f"request #{payload[0]}: triggered 0x{triggered:X} is not the bit of {state}",
                )
        elif triggered & ~SERVICE_NOTIFY_SCM_MASK or not names:
            self.found(
                seq,
                f"request #{payload[0]}: an SCM-handle notification with "
                f"triggered 0x{triggered:X} and names {names}",
            )
        if not triggered or triggered & ~mask:
            self.found(
                seq, f"request #{payload[0]}: triggered 0x{triggered:X} outside the mask 0x{mask:X}"
            )


class OneNotificationPerRequest(ScmChecker):
    """One notification per call; a cancelled or replaced request is never delivered."""

    KINDS = ("scm.fire", "scm.deliver")
    FOLD = Requests

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.requests = context.fold(Requests)
        self.fires: dict[int, int] = {}
        self.delivers: dict[int, int] = {}

    def feed(self, seq: int, event: TraceTuple) -> None:
        kind = event[2]
        req = self.requests.feed_once(seq, event)
        if not isinstance(req, Request):
            return
        self.exercised = True
        table = self.fires if kind == "scm.fire" else self.delivers
        table[req.number] = table.get(req.number, 0) + 1
        if table[req.number] > 1:
            self.found(seq, f"request #{req.number}: a second {kind}")
        if kind == "scm.deliver" and req.ended in ("cancelled", "replaced"):
            self.found(seq, f"request #{req.number} was {req.ended}, yet delivered")


class NoApcAfterClose(ScmChecker):
    """ "After CloseServiceHandle succeeds, no more notification APCs will be queued.": checked
    on every service handle, exercised when a handle that had a request was closed."""

    KINDS = ("scm.register", "handle.close", "scm.deliver")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.closed: dict[int, int] = {}
        self.requested: set[int] = set()  # SC_HANDLE objects that had a request

    def feed(self, seq: int, event: TraceTuple) -> None:
        _t, _a, kind, objects, payload, _c = event
        if kind == "scm.register":
            self.requested.add(objects[0])
        elif kind == "handle.close":
            if payload[0] == "sc":
                self.exercised = self.exercised or objects[0] in self.requested
                self.closed[objects[0]] = seq
        elif objects[2] in self.closed:
            self.found(
                seq,
                f"request #{payload[0]}: APC queued after CloseServiceHandle",
                self.closed[objects[2]],
            )


class OnRegisteringThread(ScmChecker):
    """The callback is an APC queued to the thread that called NotifyServiceStatusChange."""

    KINDS = ("scm.register", "scm.deliver", "apc.deliver")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.thread: dict[int, int] = {}
        self.apcs: dict[int, tuple[int, int]] = {}

    def feed(self, seq: int, event: TraceTuple) -> None:
        _t, _a, kind, objects, payload, _c = event
        if kind == "scm.register":
            self.thread[payload[0]] = objects[2]
        elif kind == "scm.deliver":
            self.exercised = True
            registrant = self.thread.get(payload[0])
            if objects[0] != registrant:
                self.found(
                    seq,
                    f"request #{payload[0]} queued to {self.context.name(objects[0])}"
                    f", not to {self.context.name(registrant or 0)}",
                )
            self.apcs[payload[1]] = (objects[0], payload[0])
        elif payload[0] in self.apcs and self.apcs[payload[0]][0] != objects[0]:
            self.found(
                seq,
                f"the callback of request #{self.apcs[payload[0]][1]} ran on "
                f"{self.context.name(objects[0])}",
            )


class DeletedAfterLastHandle(ScmChecker):
    """A service leaves the database, and DELETED is reported, only once no handle to it is
    open: "An application cannot receive this notification if it has an open handle"."""

    KINDS = ("handle.open", "handle.close", "scm.delete", "scm.fire")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.open: dict[str, int] = {}  # service name (lower case) -> open service handles
        self.deleted: set[str] = set()

    def _service(self, oid: int) -> str | None:
        if self.context.types.get(oid) != "ServiceHandle":
            return None
        return self.context.name(oid).rsplit("#", 1)[0].lower()

    def feed(self, seq: int, event: TraceTuple) -> None:
        _t, _a, kind, objects, payload, _c = event
        if kind in ("handle.open", "handle.close"):
            name = self._service(objects[0])
            if name is not None:
                step = 1 if kind == "handle.open" else -1
                self.open[name] = self.open.get(name, 0) + step
        elif kind == "scm.delete":
            self.exercised = True
            name = str(payload[0]).lower()
            self.deleted.add(name)
            if self.open.get(name, 0):
                self.found(seq, f"{payload[0]} deleted with {self.open[name]} handle(s) open")
        elif payload[3] & 0x100 and payload[1] == ERROR_SUCCESS:
            for entry in payload[6]:
                if not entry.startswith("/") and entry.lstrip("\\").lower() not in self.deleted:
                    self.found(seq, f"DELETED reported for {entry}, which was not deleted")


class RequestsAccounted(ScmChecker):
    """Nothing lost silently, nothing ended twice: every request ends exactly once — its
    callback ran, it was cancelled, replaced, dropped, its APC was discarded or undelivered,
    or it is reported outstanding — and nothing happens to it after its end."""

    KINDS = tuple(kind for kind in KINDS if not kind.startswith("handle."))
    ENDINGS: Final = frozenset(
        (
            *("scm.cancel", "scm.replace", "scm.drop", "scm.outstanding"),
            *("apc.return", "apc.discard", "apc.undelivered"),
        )
    )
    FOLD = Requests

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.requests = context.fold(Requests)

    def feed(self, seq: int, event: TraceTuple) -> None:
        kind = event[2]
        req = self.requests.feed_once(seq, event)
        if not isinstance(req, Request):
            return
        self.exercised = True
        ended = self.requests.prior  # how the request had ended before this event
        if not ended[0]:
            return
        if kind in self.ENDINGS:
            self.found(
                seq,
                f"request #{req.number} ended twice: {ended[0]} at #{ended[1]}, then {kind}",
                ended[1],
            )
        elif kind in ("scm.fire", "scm.deliver"):
            self.found(seq, f"request #{req.number}: {kind} after it ended ({ended[0]})", ended[1])

    def finish(self) -> None:
        for req in self.requests.by_number.values():
            if not req.ended:
                self.found(req.seq, f"request #{req.number} has no end in the trace")


class OutstandingAtEnd(ScmChecker):
    """A request still outstanding when the run ended with every program finished."""

    KINDS = ("scm.register", "scm.outstanding")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.left: list[tuple[int, TraceTuple]] = []
        self.registered = False

    def feed(self, seq: int, event: TraceTuple) -> None:
        if event[2] == "scm.register":
            self.registered = True
        else:
            self.left.append((seq, event))

    def finish(self) -> None:
        if not self.registered or not self.context.programs_finished():
            return
        self.exercised = True
        for seq, event in self.left:
            handle, thread = self.context.name(event[3][0]), self.context.name(event[3][2])
            self.found(
                seq,
                f"request #{event[4][0]} on {handle} (by {thread}) was still {event[4][1]} when "
                "every program had finished: the handle was never closed to cancel it",
            )


class NotificationDropped(ScmChecker):
    """A notification that fired and reached nobody: its thread had exited (``scm.drop``)."""

    KINDS = ("scm.fire", "scm.drop")

    def feed(self, seq: int, event: TraceTuple) -> None:
        self.exercised = True
        if event[2] == "scm.drop":
            self.found(
                seq,
                f"request #{event[4][0]} fired and was delivered to nobody: {event[4][1]}",
            )


class SecondRequest(ScmChecker):
    """A NotifyServiceStatusChange on a handle with a request outstanding: replaced, the old
    request dropped without an APC (win8plus, default), or refused with
    ERROR_ALREADY_REGISTERED (win7) — F1.9. Never two outstanding requests on one handle."""

    KINDS = ("scm.register", "scm.replace", "api")
    # ERROR_ALREADY_REGISTERED with no request outstanding is a finding even on an SCM with no
    # service, where no scm.* event is recorded (review finding)
    TRIGGERS = ("scm.*", *(f"api:{name}" for name in NOTIFY_API))
    FOLD = Requests
    REFUSED = False

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.requests = context.fold(Requests)

    def feed(self, seq: int, event: TraceTuple) -> None:
        _t, _actor, kind, objects, payload, _c = event
        if kind == "api":
            if payload[0] in NOTIFY_API and payload[2] == ERROR_ALREADY_REGISTERED:
                self.exercised = True
                handle = self.requests.handle_of(payload[1][0] if payload[1] else None)
                if not self.REFUSED or self.requests.live_on(handle) is None:
                    self.found(
                        seq,
                        "ERROR_ALREADY_REGISTERED with no request outstanding on "
                        "the handle, or under a profile that replaces",
                    )
            return
        if kind == "scm.replace":
            self.exercised = True
            if self.REFUSED:
                self.found(seq, f"request #{payload[0]} replaced under a profile that refuses")
        if kind == "scm.register":
            self.requests.feed_once(seq, event)  # the new request is recorded after any older one
            other = self.requests.live_on(objects[0])
            if other is not None and other.number != payload[0]:
                self.found(
                    seq,
                    f"request #{payload[0]} registered while #{other.number} is "
                    "still outstanding on the same handle",
                )


class SecondRequestRefused(SecondRequest):
    REFUSED = True


_ALL: Final = (*_NOTIFY, "CloseServiceHandle", "StartServiceW", "ControlService", "DeleteService")

register(
    Property(
        "scm.immediate_if_in_state",
        GUARANTEE,
        _NOTIFY,
        SEED + ", Remarks; F1.6, F1.12",
        "If the service is already in any of the requested states when "
        "NotifyServiceStatusChange is called, the callback function is queued immediately. If "
        "the service state has not changed by the next time the function is called with the "
        "same service and state, the callback function is not queued immediately; the callback "
        "function is queued the next time the service enters the requested state.",
        checker=ImmediateIfInState,
    ),
    Property(
        "scm.triggered_state_bit",
        GUARANTEE,
        _NOTIFY,
        "F1.7, F1.17 (Wine test_servicenotify: notify_cb)",
        "(dwNotificationTriggered is the single mask bit of the state that fired, in the "
        "requested mask; ServiceStatus.dwCurrentState is that state. On an SCM handle it holds "
        "SERVICE_NOTIFY_CREATED and/or SERVICE_NOTIFY_DELETED, with the names.)",
        checker=TriggeredStateBit,
    ),
    Property(
        "scm.one_notification_per_request",
        GUARANTEE,
        _NOTIFY,
        SEED + ", Remarks; F1.20",
        "After the callback function is invoked, the caller must call "
        "NotifyServiceStatusChange to receive additional notifications.",
        checker=OneNotificationPerRequest,
        note="one result per request, never coalesced; a cancelled or replaced request is "
        "never delivered",
    ),
    Property(
        "scm.no_apc_after_close",
        GUARANTEE,
        ("CloseServiceHandle", *_NOTIFY),
        SEED + ", Remarks; F1.13",
        "To cancel outstanding notifications, close the service handle using the "
        "CloseServiceHandle function. After CloseServiceHandle succeeds, no more notification "
        "APCs will be queued.",
        checker=NoApcAfterClose,
        note="an APC queued before the close still runs; exercised when a handle that had a "
        "request is closed (closing one that never had a request proves nothing)",
    ),
    Property(
        "scm.apc_to_registering_thread",
        GUARANTEE,
        _NOTIFY,
        SEED + ", Remarks; F1.15",
        "When the service status changes, the system invokes the specified callback function "
        "as an asynchronous procedure call (APC) queued to the calling thread.",
        checker=OnRegisteringThread,
    ),
    Property(
        "scm.deleted_after_last_handle",
        GUARANTEE,
        (*_NOTIFY, "DeleteService", "CloseServiceHandle"),
        SEED + ", SERVICE_NOTIFY_DELETED; F1.18",
        "Report when the service has been deleted. An application cannot receive this "
        "notification if it has an open handle to the service.",
        checker=DeletedAfterLastHandle,
    ),
    Property(
        "scm.requests_accounted",
        LIVENESS,
        _ALL,
        "emu rule: nothing lost silently; F1.9, F1.13, F1.20",
        "(Every notification request ends exactly once: its callback ran, it was cancelled by "
        "CloseServiceHandle, replaced, dropped because its thread exited, its APC was "
        "discarded or never delivered, or it is reported outstanding at the end; nothing "
        "happens to it after its end.)",
        checker=RequestsAccounted,
    ),
    Property(
        "scm.request_outstanding",
        LIVENESS,
        (*_NOTIFY, "CloseServiceHandle"),
        SEED + ", Remarks",
        "To cancel outstanding notifications, close the service handle using the "
        "CloseServiceHandle function.",
        checker=OutstandingAtEnd,
        note="checked when the run ends with every program finished: a request still "
        "outstanding then was neither delivered nor cancelled",
    ),
    Property(
        "scm.notification_dropped",
        LIVENESS,
        _NOTIFY,
        SEED + ", Remarks",
        "If the calling thread exits without closing the service handle or waiting until the "
        "APC is generated, a memory leak can occur.",
        checker=NotificationDropped,
        note="a request that fired after its thread exited: the notification is delivered to "
        "nobody (the thread's exit with the request outstanding is "
        "scm.thread_exit_outstanding)",
    ),
    Property(
        "scm.second_request_replaces",
        GUARANTEE,
        _NOTIFY,
        "F1.9 (Wine test_servicenotify, Windows 8 and later)",
        "(A second request on a handle with one outstanding succeeds and replaces it: only the "
        "second callback runs.)",
        checker=SecondRequest,
        profiles=("default", "win8plus"),
    ),
    Property(
        "scm.second_request_refused",
        GUARANTEE,
        _NOTIFY,
        "F1.9 (Wine test_servicenotify, Windows 7)",
        "(A second request on a handle with one outstanding fails with "
        "ERROR_ALREADY_REGISTERED, and neither callback runs for it.)",
        checker=SecondRequestRefused,
        profiles=("win7",),
    ),
)
