"""The guarantees of BranchCache's calls, checked on the finished trace (a violation means emu
is wrong).

The sentences (the status page: PeerDistRegisterForStatusChangeNotification's; the cancel page:
PeerDistServerCancelAsyncOperation's; facts F4.x of docs/sources.md):

- every operation completes at most once, and none is lost: each completes or is reported
  pending at the end (``peerdist.exactly_once``); a status registration may stay pending only
  while the status equals the one last notified to its session ("The notification will be sent
  only if the current status is changed from the previous notification", the status page);
- "Only one active registration for each session is allowed." (the status page,
  ``peerdist.one_registration``);
- a notification differs from the one before, reports the status now, and the first compares
  with PEERDIST_STATUS_DISABLED (the status page, F4.14, ``peerdist.notify_on_change``);
- "If the new status is disabled or unavailable ... any API that uses these handles will fail
  with error PEERDIST_ERROR_INVALIDATED" (the status page, F4.15, ``peerdist.invalidated``);
- a cancel "will not return until the cancelation result is posted", and GetLastError after a
  successful one is ERROR_OPERATION_ABORTED (the cancel page, F4.17, ``peerdist.cancel_posted``);
- PeerDistShutdown "removes all publications" of the instance and cancels its pending
  operations (F4.10, ``peerdist.shutdown_cancels``).
"""

from __future__ import annotations

from typing import Final

from emu.codes.winerror import (
    ERROR_OPERATION_ABORTED,
    PEERDIST_ERROR_INVALIDATED,
    PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS,
)
from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import GUARANTEE, Property, register
from emu.properties.checker import Context
from emu.properties.peerdist.records import CANCELS, BookChecker, Op, Session

SEED_REGISTER: Final = "PeerDistRegisterForStatusChangeNotification (MS doc)"
SEED_CANCEL: Final = "PeerDistServerCancelAsyncOperation (MS doc)"
REGISTER: Final = (
    "PeerDistRegisterForStatusChangeNotification",
    "PeerDistRegisterForStatusChangeNotificationEx",
)
HANDLE_KINDS: Final = {
    "PeerDistServerPublishAddToStream": "stream",
    "PeerDistServerPublishCompleteStream": "stream",
    "PeerDistServerRetrieveContentInformation": "content information",
    "PeerDistClientAddContentInformation": "content",
    "PeerDistClientCompleteContentInformation": "content",
    "PeerDistClientBlockRead": "content",
    "PeerDistClientStreamRead": "content",
    "PeerDistClientCancelAsyncOperation": "content",
}
"""The kind of handle each function takes as its second argument (peerdist.open's kinds)."""
CLOSES: Final = frozenset(
    (
        "PeerDistServerCloseStreamHandle",
        "PeerDistServerCloseContentInformation",
        "PeerDistClientCloseContent",
    )
)
"""The calls that close a content, content information or stream handle."""
BAD: Final = ("DISABLED", "UNAVAILABLE")


class ExactlyOnce(BookChecker):
    """Every operation completes at most once; at the end each is completed or reported
    ``io.pending``; a registration pending at the end has a session whose last notified status
    is the status now."""

    MORE = ("io.pending", "run.end")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.reported: set[tuple[int, int]] = set()
        self.completions: dict[tuple[int, int], int] = {}

    def see(self, seq: int, event: TraceTuple, record: object) -> None:
        kind = event[2]
        if kind == "io.complete" and isinstance(record, Op):
            self.exercised = True
            key = (record.file, record.irp)
            if key in self.completions:
                self.found(
                    seq, f"{self.describe(record)} completes a second time", self.completions[key]
                )
            else:
                self.completions[key] = seq
        elif kind == "io.pending":
            self.reported.add((event[3][0], event[4][0]))
        elif kind == "run.end":
            self.settle(seq)

    def settle(self, end: int) -> None:
        book = self.book
        for op in book.pending():
            self.exercised = True
            if (op.file, op.irp) not in self.reported:
                self.found(
                    op.seq, f"{self.describe(op)} neither completed nor was reported pending"
                )
                continue
            session = book.sessions.get(op.session)
            if (
                op.op == "status"
                and session is not None
                and session.registration is op
                and book.status not in ("", session.last_notified)
            ):
                self.found(
                    end,
                    f"the status registration {self.describe(op)} of session "
                    f"0x{session.handle:X} is still pending at the end while the status is "
                    f"{book.status} and the last notified {session.last_notified}",
                    op.seq,
                )


class OneRegistration(BookChecker):
    """A session never has two status registrations pending at once."""

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.previous: dict[int, Op] = {}

    def see(self, seq: int, event: TraceTuple, record: object) -> None:
        if event[2] != "peerdist.register" or not isinstance(record, Session):
            return
        self.exercised = True
        earlier = self.previous.get(record.oid)
        if earlier is not None and earlier.completed < 0:
            self.found(
                seq,
                f"session 0x{record.handle:X} registers for status change while its "
                f"registration {self.describe(earlier)} is still active",
                earlier.seq,
            )
        if record.registration is not None:
            self.previous[record.oid] = record.registration


class NotifyOnChange(BookChecker):
    """Each notification differs from the session's last (DISABLED before the first) and
    equals the status now; no registration is left pending at the end while the status differs
    from the one last notified (``peerdist.exactly_once`` reports that too, as a loss)."""

    MORE = ("run.end",)

    def see(self, seq: int, event: TraceTuple, record: object) -> None:
        kind = event[2]
        if kind == "peerdist.notify" and isinstance(record, Session):
            self.exercised = True
            status, previous = str(event[4][1]), str(event[4][2])
            expected = record.before
            what = f"session 0x{record.handle:X} is notified of {status}"
            if status == expected:
                self.found(seq, f"{what}, the status it was last notified: no change")
            if previous != expected:
                self.found(
                    seq, f"{what} with previous {previous}, but it was last notified {expected}"
                )
            if self.book.status and status != self.book.status:
                self.found(seq, f"{what} while the status is {self.book.status}")
        elif kind == "peerdist.register":
            self.exercised = True
        elif kind == "run.end":
            for session in self.book.sessions.values():
                if (
                    self.book.registration_pending(session)
                    and self.book.status
                    and self.book.status != session.last_notified
                ):
                    assert session.registration is not None
                    self.found(
                        seq,
                        f"session 0x{session.handle:X}'s registration is pending at the end "
                        f"while the status ({self.book.status}) differs from the one last "
                        f"notified ({session.last_notified}): it was never notified",
                        session.registration.seq,
                    )


class Invalidated(BookChecker):
    """After a transition to DISABLED or UNAVAILABLE, every later call on a handle it
    invalidated, other than its close, returns PEERDIST_ERROR_INVALIDATED. A cancel may block:
    it is judged only when the caller made another call after the invalidation before it (so
    it certainly began after)."""

    MORE = ("peerdist.invalidate", "api")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        # handle -> (its peerdist.invalidate, its session's handle, its kind)
        self.invalid: dict[int, tuple[int, int, str]] = {}

    def see(self, seq: int, event: TraceTuple, record: object) -> None:
        kind = event[2]
        if kind == "peerdist.invalidate":
            owner = self.book.sessions.get(event[3][1])
            if owner is not None:
                self.invalid[int(event[4][0])] = (seq, owner.handle, str(event[4][1]))
            return
        if kind == "peerdist.close":
            self.invalid.pop(int(event[4][0]), None)
            return
        if kind != "api":
            return
        previous = self.previous_call(seq, event)
        name, args, result = event[4][0], event[4][1], event[4][2]
        if not str(name).startswith("PeerDist") or name in CLOSES or len(args) < 2:
            return
        handle = args[1]
        if not isinstance(handle, int) or handle not in self.invalid:
            return
        when, session, handle_kind = self.invalid[handle]
        if args[0] != session or result == PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS:
            return  # the session check comes first (another session; a shutdown under way)
        if HANDLE_KINDS.get(str(name)) != handle_kind:
            return  # a handle of another kind: ERROR_INVALID_HANDLE, not this rule
        if name in CANCELS and previous < when:
            return  # it may have begun before the invalidation
        self.exercised = True
        if result != PEERDIST_ERROR_INVALIDATED:
            self.found(
                seq,
                f"{name} on handle 0x{handle:X}, invalidated by the status change, returns "
                f"{result}, not PEERDIST_ERROR_INVALIDATED",
                when,
            )


class CancelPosted(BookChecker):
    """A successful PeerDist cancel returns only after the completion of each operation it
    cancelled is in the trace, and leaves the last error at ERROR_OPERATION_ABORTED. The
    operations a call cancelled are the ``io.cancel`` events naming that function since the
    caller's previous call (two threads cancelling at once are not told apart)."""

    MORE = ("io.cancel", "api")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.cancels: list[tuple[int, str, tuple[int, int]]] = []

    def see(self, seq: int, event: TraceTuple, record: object) -> None:
        kind = event[2]
        if kind == "io.cancel":
            if str(event[4][2]) in CANCELS:
                self.cancels.append((seq, str(event[4][2]), (event[3][0], event[4][0])))
            return
        if kind != "api":
            return
        previous = self.previous_call(seq, event)
        name, result, last_error = event[4][0], event[4][2], event[4][3]
        if name not in CANCELS or result != 0:
            return
        self.exercised = True
        if last_error != ERROR_OPERATION_ABORTED:
            self.found(seq, f"{name} succeeded and left the last error at {last_error}, not 995")
        for at, by, key in self.cancels:
            if by != name or at < previous:
                continue
            op = self.book.ops.get(key)
            if op is not None and op.completed < 0:
                self.found(
                    seq,
                    f"{name} returns before the cancelled {self.describe(op)} completed",
                    at,
                )


class ShutdownCancels(BookChecker):
    """When PeerDistShutdown has run (``peerdist.shutdown``), no operation of the session is
    pending and none of its publications is left."""

    MORE = ("peerdist.publish",)

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.published: dict[int, dict[str, int]] = {}  # session -> content -> seq

    def see(self, seq: int, event: TraceTuple, record: object) -> None:
        kind = event[2]
        if kind == "peerdist.publish":
            contents = self.published.setdefault(event[3][0], {})
            if event[4][2] in ("unpublished", "removed"):
                contents.pop(str(event[4][0]), None)
            else:
                contents[str(event[4][0])] = seq
            return
        if kind == "io.start" and isinstance(record, Op):
            session = self.book.sessions.get(record.session)
            if session is not None and session.shut >= 0:
                self.found(seq, f"{self.describe(record)} starts after its session's shutdown")
            return
        if kind != "peerdist.shutdown" or not isinstance(record, Session):
            return
        self.exercised = True
        for op in self.book.pending(record.oid):
            self.found(
                seq,
                f"PeerDistShutdown of 0x{record.handle:X} returns with {self.describe(op)} "
                "still pending",
                op.seq,
            )
        for content, at in sorted(self.published.get(record.oid, {}).items()):
            self.found(
                seq,
                f"PeerDistShutdown of 0x{record.handle:X} leaves the publication {content}",
                at,
            )


register(
    Property(
        "peerdist.exactly_once",
        GUARANTEE,
        REGISTER + CANCELS,
        SEED_REGISTER + ", Remarks; F4.13, F4.14",
        "The notification will be sent only if the current status is changed from the "
        "previous notification.",
        checker=ExactlyOnce,
        note="every PeerDist operation and status registration completes at most once, and "
        "none is lost: at the end each completed or is reported pending (io.pending); a "
        "registration still pending at the end is fine only while the service's status equals "
        "the one last notified to its session",
    ),
    Property(
        "peerdist.one_registration",
        GUARANTEE,
        REGISTER,
        SEED_REGISTER + ", Remarks; F4.13",
        "Only one active registration for each session is allowed.",
        checker=OneRegistration,
        note="no session ever has two status registrations pending at once",
    ),
    Property(
        "peerdist.notify_on_change",
        GUARANTEE,
        REGISTER,
        SEED_REGISTER + ", Remarks; F4.14",
        "The notification will be sent only if the current status is changed from the "
        "previous notification. After the first call of the "
        "PeerDistRegisterForStatusChangeNotification function for the Peer Distribution "
        "session, the first notification will trigger only if the status is no longer equal to "
        "PEERDIST_STATUS_DISABLED.",
        checker=NotifyOnChange,
        note="each notification differs from the session's last notified status (DISABLED "
        "before the first), names it as previous and equals the service's status then; no "
        "registration is left pending at the end while the status differs from the last "
        "notified",
    ),
    Property(
        "peerdist.invalidated",
        GUARANTEE,
        ("PeerDistRegisterForStatusChangeNotification",),
        SEED_REGISTER + ", Remarks; F4.15",
        "If the new status is disabled or unavailable, the content, content information, or "
        "stream handles the caller has access to will no longer function. In this case, any "
        "API that uses these handles will fail with error PEERDIST_ ERROR_INVALIDATED.",
        checker=Invalidated,
        note="after peerdist.invalidate of a handle, every later PeerDist call on it other "
        "than its close returns 4057 (a cancel that may have begun before the invalidation is "
        "not judged)",
    ),
    Property(
        "peerdist.cancel_posted",
        GUARANTEE,
        CANCELS,
        SEED_CANCEL + ", Remarks; F4.17",
        "This function will synchronously cancel the operation, but will not return until the "
        "cancelation result is posted to the completion port or wait event is set to the "
        "'signaled' state. ... Additionally, calling GetLastError immediately after a "
        "successful PeerDistServerCancelAsyncOperation will return the "
        "ERROR_OPERATION_ABORTED error code.",
        checker=CancelPosted,
        note="a successful cancel (either function) returns after the io.complete of each "
        "operation it cancelled, with the last error 995",
    ),
    Property(
        "peerdist.shutdown_cancels",
        GUARANTEE,
        ("PeerDistShutdown",),
        "PeerDistShutdown (MS doc), Remarks; F4.10",
        "PeerDistShutdown cancel all pending Peer Distribution client and server operations "
        "associated with the supplied PEERDIST_INSTANCE_HANDLE. ... will remove all "
        "publications that were created with the specified hPeerDist handle.",
        checker=ShutdownCancels,
        note="at peerdist.shutdown no operation of the session is pending and each of its "
        "publications was unpublished or removed; none starts on it afterwards",
    ),
)
