"""The client rules of NotifyServiceStatusChange: what a correct monitor must do, checked on the
finished trace (a violation is a bug in the program under test). Three rules can only be seen
as the run happens and are recorded inline by the SCM (``scm.rules``): a SERVICE_NOTIFY lent
twice, an SCM call inside the callback, a callback whose module was unloaded.
"""

from __future__ import annotations

from typing import Final

from emu.codes.winerror import (
    ERROR_SERVICE_MARKED_FOR_DELETE,
    ERROR_SERVICE_NOTIFY_CLIENT_LAGGING,
    ERROR_SUCCESS,
)
from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import CLIENT_RULE, Property, register
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
_FOLDED: Final = frozenset(KINDS)


class RequestChecker(ScmChecker):
    """A checker that follows the requests: it reads the run's one ``Requests`` fold (fed
    first, every event of the fold's kinds) and is fed only the kinds its rule looks at
    (``SEES``); ``see`` gets the request the event concerns when it is one of the fold's."""

    FOLD = Requests
    SEES: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        cls.KINDS = cls.SEES
        super().__init_subclass__(**kwargs)

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.requests = context.fold(Requests)

    def feed(self, seq: int, event: TraceTuple) -> None:
        if event[2] in _FOLDED:
            req = self.requests.feed_once(seq, event)
            self.see(seq, event, req if isinstance(req, Request) else None)
        else:
            self.see(seq, event, None)

    def see(self, seq: int, event: TraceTuple, req: Request | None) -> None:
        """One event, after the request records were updated."""


class BufferFreedEarly(RequestChecker):
    """The SERVICE_NOTIFY must stay valid until its callback ran or the request was cancelled."""

    SEES = ("scm.register", "mem.end")

    def see(self, seq: int, event: TraceTuple, req: Request | None) -> None:
        _t, _a, kind, objects, payload, _c = event
        if kind == "scm.register":
            self.exercised = True
        if kind != "mem.end":
            return
        for other in self.requests.by_number.values():
            if other.buffer == objects[0] and other.live:
                self.found(
                    seq,
                    f"{self.context.name(objects[0])} {payload[0]} while request "
                    f"#{other.number} still holds it",
                    other.seq,
                )


class ReregisterAfterCallback(RequestChecker):
    """ "After the callback function is invoked, the caller must call NotifyServiceStatusChange
    to receive additional notifications": once a callback ran, its handle owes a new request.
    The service entering a state the last request asked for while the handle owes one is a
    missed change; a new request settles what is owed (it is evaluated afresh and fires at once
    if the service is in a requested state, F1.6), while closing the handle ends the obligation
    for later changes but not for those already missed. Nothing is owed for a callback that
    runs after its handle was closed, nor once the service is marked for deletion (a new
    request can only fail with ERROR_SERVICE_MARKED_FOR_DELETE: the handle must be closed)."""

    SEES = ("apc.return", "scm.register", "handle.close", "scm.service")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.idle: dict[int, Request] = {}  # handle -> the request whose callback ran last
        self.missed: dict[int, tuple[int, Request]] = {}  # handle -> first missed change
        self.marked: set[int] = set()  # services marked for deletion

    def see(self, seq: int, event: TraceTuple, req: Request | None) -> None:
        _t, _a, kind, objects, payload, _c = event
        if kind == "apc.return" and req is not None and req.ended == "done" and req.service:
            self.exercised = True
            if req.handle not in self.requests.closed and req.service not in self.marked:
                self.idle[req.handle] = req
        elif kind == "scm.register":
            self.idle.pop(objects[0], None)
            self.missed.pop(objects[0], None)
        elif kind == "handle.close":
            self.idle.pop(objects[0], None)
        elif kind == "scm.service" and payload[3]:  # marked for deletion
            self.marked.add(objects[0])
            for handle in [h for h, last in self.idle.items() if last.service == objects[0]]:
                del self.idle[handle]
        elif kind == "scm.service":
            bit = STATE_BIT.get(payload[0], 0)
            for handle, last in self.idle.items():
                if last.service == objects[0] and last.mask & bit:
                    self.missed.setdefault(handle, (seq, last))

    def finish(self) -> None:
        for handle, (seq, last) in self.missed.items():
            closed = handle in self.requests.closed
            after = "until it was closed" if closed else "and stayed open"
            self.found(
                seq,
                f"{self.context.name(handle)} had no new request after the callback of request "
                f"#{last.number} {after}: this change was missed",
                last.seq,
            )


class LaggingIgnored(RequestChecker):
    """On ERROR_SERVICE_NOTIFY_CLIENT_LAGGING "the client should close the handle to the SCM,
    open a new handle, and call this function again"."""

    SEES = ("handle.close", "api")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.lagging: dict[int, int] = {}  # SCM handle object -> seq of the LAGGING return

    def feed(self, seq: int, event: TraceTuple) -> None:
        if event[2] == "api" and event[4][0] not in NOTIFY_API:
            return  # the hot case: another call
        super().feed(seq, event)

    def see(self, seq: int, event: TraceTuple, req: Request | None) -> None:
        _t, _a, kind, objects, payload, _c = event
        if kind == "handle.close":
            self.lagging.pop(objects[0], None)
        if kind != "api" or payload[0] not in NOTIFY_API or not payload[1]:
            return
        handle = self.requests.handle_of(payload[1][0])
        if handle in self.lagging:
            self.found(
                seq,
                f"{self.context.name(handle)} used again after "
                "ERROR_SERVICE_NOTIFY_CLIENT_LAGGING instead of being closed and reopened",
                self.lagging[handle],
            )
        if payload[2] == ERROR_SERVICE_NOTIFY_CLIENT_LAGGING and handle:
            self.exercised = True
            self.lagging.setdefault(handle, seq)

    def finish(self) -> None:
        for handle, seq in self.lagging.items():
            self.found(seq, f"{self.context.name(handle)} lagged and was never closed")


class MarkedHandleKept(RequestChecker):
    """ "If the service has been marked for deletion, the return value is
    ERROR_SERVICE_MARKED_FOR_DELETE and the handle to the service must be closed" (returned,
    or delivered in dwNotificationStatus)."""

    SEES = ("handle.close", "apc.return", "api")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.marked: dict[int, int] = {}

    def feed(self, seq: int, event: TraceTuple) -> None:
        if event[2] == "api" and event[4][0] not in NOTIFY_API:
            return  # the hot case: another call
        super().feed(seq, event)

    def see(self, seq: int, event: TraceTuple, req: Request | None) -> None:
        _t, _a, kind, objects, payload, _c = event
        if kind == "handle.close":
            self.marked.pop(objects[0], None)
        elif kind == "apc.return" and req is not None:
            if req.status == ERROR_SERVICE_MARKED_FOR_DELETE:
                self.exercised = True
                self.marked.setdefault(req.handle, seq)
        elif (
            kind == "api"
            and payload[0] in NOTIFY_API
            and payload[1]
            and payload[2] == ERROR_SERVICE_MARKED_FOR_DELETE
        ):
            self.exercised = True
            handle = self.requests.handle_of(payload[1][0])
            if handle:
                self.marked.setdefault(handle, seq)

    def finish(self) -> None:
        for handle, seq in self.marked.items():
            self.found(
                seq,
                f"{self.context.name(handle)}: its service is marked for deletion "
                "and the handle was never closed (the service cannot go)",
            )


class StatusReadUnchecked(RequestChecker):
    """ServiceStatus is valid only when dwNotificationStatus is ERROR_SUCCESS (SERVICE_NOTIFY:
    "If this member is ERROR_SUCCESS, the notification has succeeded and the ServiceStatus
    member contains valid information")."""

    SEES = ("scm.deliver", "scm.register", "mem.read")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.invalid: dict[int, Request] = {}  # ServiceStatus struct oid -> failed request

    def feed(self, seq: int, event: TraceTuple) -> None:
        if event[2] == "mem.read" and (not self.invalid or event[3][0] not in self.invalid):
            return  # the hot case: a read of memory no failed notification wrote
        super().feed(seq, event)

    def see(self, seq: int, event: TraceTuple, req: Request | None) -> None:
        _t, _a, kind, objects, payload, _c = event
        if kind == "scm.deliver" and req is not None:
            self.exercised = True
            if req.status != ERROR_SUCCESS and req.status_struct:
                self.invalid[req.status_struct] = req
            else:
                self.invalid.pop(req.status_struct, None)
        elif kind == "scm.register":
            for oid, failed in list(self.invalid.items()):
                if failed.buffer == objects[1]:
                    del self.invalid[oid]
        elif kind == "mem.read" and payload[2] == "program" and objects[0] in self.invalid:
            failed = self.invalid[objects[0]]
            self.found(
                seq,
                f"the program read {self.context.name(objects[0])}.{payload[0]} "
                f"although request #{failed.number} delivered dwNotificationStatus "
                f"{failed.status}, not ERROR_SUCCESS",
                failed.delivered,
            )


class NamesNotFreed(RequestChecker):
    """pszServiceNames is allocated by the system; "the caller must free" it with LocalFree."""

    SEES = ("scm.deliver", "mem.end")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.blocks: dict[int, int] = {}

    def see(self, seq: int, event: TraceTuple, req: Request | None) -> None:
        _t, _a, kind, objects, _p, _c = event
        if kind == "scm.deliver" and req is not None and req.names_block:
            self.exercised = True
            self.blocks[req.names_block] = seq
        elif kind == "mem.end":
            self.blocks.pop(objects[0], None)

    def finish(self) -> None:
        for block, seq in self.blocks.items():
            self.found(seq, f"{self.context.name(block)} (pszServiceNames) was never freed")


class ThreadExitOutstanding(RequestChecker):
    """ "If the calling thread exits without closing the service handle or waiting until the APC
    is generated, a memory leak can occur."""

    SEES = ("scm.register", "actor.exit")

    def see(self, seq: int, event: TraceTuple, req: Request | None) -> None:
        _t, _a, kind, objects, _p, _c = event
        if kind == "scm.register":
            self.exercised = True
        if kind != "actor.exit":
            return
        for other in self.requests.by_number.values():
            if other.thread == objects[0] and other.live and other.ended_seq < 0:
                self.found(
                    seq,
                    f"{self.context.name(objects[0])} exited with request "
                    f"#{other.number} outstanding: it leaks",
                    other.seq,
                )


class UnloadOutstanding(RequestChecker):
    """ "If the calling thread is in a DLL and the DLL is unloaded before the thread receives
    the notification or calls CloseServiceHandle, the notification will cause unpredictable
    results and might cause the process to stop responding.\""""

    SEES = ("module.unload",)

    def see(self, seq: int, event: TraceTuple, req: Request | None) -> None:
        _t, _a, kind, _o, payload, _c = event
        if kind != "module.unload":
            return
        for other in self.requests.by_number.values():
            module = other.module
            if module is not None and module.lower() == str(payload[0]).lower():
                self.exercised = True
                if other.live:
                    self.found(
                        seq,
                        f"{payload[0]} unloaded with request #{other.number} "
                        "outstanding (its callback is in the module)",
                        other.seq,
                    )


class CallbackNeverRuns(RequestChecker):
    """ "The calling thread must enter an alertable wait (for example, by calling the SleepEx
    function) to receive notification": a callback queued to a thread that never waited
    alertably again."""

    SEES = ("scm.deliver", "apc.discard", "apc.undelivered")

    def see(self, seq: int, event: TraceTuple, req: Request | None) -> None:
        kind = event[2]
        if kind == "scm.deliver":
            self.exercised = True
        if kind in ("apc.discard", "apc.undelivered") and req is not None:
            self.found(
                seq,
                f"the callback of request #{req.number} never ran: "
                f"{self.context.name(req.thread)} did not wait alertably after it was "
                "queued",
                req.delivered,
            )


register(
    Property(
        "scm.buffer_freed_early",
        CLIENT_RULE,
        _NOTIFY,
        SEED + ", pNotifyBuffer",
        "This structure must remain valid until the callback function is invoked or the "
        "calling thread cancels the notification request.",
        checker=BufferFreedEarly,
    ),
    Property(
        "scm.reregister_after_callback",
        CLIENT_RULE,
        _NOTIFY,
        SEED + ", Remarks",
        "After the callback function is invoked, the caller must call "
        "NotifyServiceStatusChange to receive additional notifications.",
        checker=ReregisterAfterCallback,
    ),
    Property(
        "scm.lagging_ignored",
        CLIENT_RULE,
        _NOTIFY,
        SEED + ", Return value",
        "If service notification is lagging too far behind the system state, the function "
        "returns ERROR_SERVICE_NOTIFY_CLIENT_LAGGING. In this case, the client should close the "
        "handle to the SCM, open a new handle, and call this function again.",
        checker=LaggingIgnored,
    ),
    Property(
        "scm.marked_handle_kept",
        CLIENT_RULE,
        (*_NOTIFY, "DeleteService", "CloseServiceHandle"),
        SEED + ", Return value; SERVICE_NOTIFY (MS doc)",
        "If the service has been marked for deletion, the return value is "
        "ERROR_SERVICE_MARKED_FOR_DELETE and the handle to the service must be closed.",
        checker=MarkedHandleKept,
    ),
    Property(
        "scm.status_read_unchecked",
        CLIENT_RULE,
        _NOTIFY,
        "SERVICE_NOTIFY_2 (MS doc), dwNotificationStatus",
        "If this member is ERROR_SUCCESS, the notification has succeeded and the ServiceStatus "
        "member contains valid information.",
        checker=StatusReadUnchecked,
        note="reading ServiceStatus after a failed notification reads whatever an earlier "
        "notification left there",
    ),
    Property(
        "scm.names_not_freed",
        CLIENT_RULE,
        (*_NOTIFY, "LocalFree"),
        "SERVICE_NOTIFY_2 (MS doc), pszServiceNames",
        "The caller must free the buffer pointed to by pszServiceNames by calling LocalFree.",
        checker=NamesNotFreed,
    ),
    Property(
        "scm.thread_exit_outstanding",
        CLIENT_RULE,
        _NOTIFY,
        SEED + ", Remarks",
        "If the calling thread exits without closing the service handle or waiting until the "
        "APC is generated, a memory leak can occur.",
        checker=ThreadExitOutstanding,
    ),
    Property(
        "scm.unload_outstanding",
        CLIENT_RULE,
        _NOTIFY,
        SEED + ", Remarks (Important)",
        "If the calling thread is in a DLL and the DLL is unloaded before the thread receives "
        "the notification or calls CloseServiceHandle, the notification will cause "
        "unpredictable results and might cause the process to stop responding.",
        checker=UnloadOutstanding,
    ),
    Property(
        "scm.callback_never_runs",
        CLIENT_RULE,
        _NOTIFY,
        SEED + ", Remarks",
        "The calling thread must enter an alertable wait (for example, by calling the SleepEx "
        "function) to receive notification.",
        checker=CallbackNeverRuns,
        note="a monitor that registers from a thread that never waits alertably never sees "
        "its callbacks",
    ),
)
