"""BranchCache's client rules, read off the trace (a violation is a bug in the program).

The sentences (the status page: PeerDistRegisterForStatusChangeNotification's; the cancel page:
PeerDistServerCancelAsyncOperation's):

- "The caller must register for notification each time after it signals." (the status page, F4.13):
  a session that was notified and then goes on using the service (or is open at the run's
  end) with no registration pending while the status differs from the last one it learnt
  missed that change (``peerdist.missed_change``);
- "The caller must explicitly close the handles by calling the appropriate Peer Distribution
  API." (the status page, F4.15): a handle a call reported PEERDIST_ERROR_INVALIDATED is used again
  or never closed (``peerdist.invalidated_handle_used``);
- the OVERLAPPED and the status buffer (the status page's lpOverlapped, pPeerDistStatus) must live
  until the operation completed and its packet was taken (``peerdist.overlapped_freed``);
- "Upon successful completion, the pPeerDistStatus parameter will contain a valid
  PEERDIST_STATUS value." (the status page): reading it before is reading nothing
  (``peerdist.status_read_early``);
- "This function does not guarantee that the operation will complete as canceled. ... To
  confirm successfully canceled operations, a call should be made to GetOverlappedResult"
  (the cancel page, F4.17, ``peerdist.cancel_unconfirmed``);
- every PeerDistStartup handle "needs a matching PeerDistShutdown" (F4.9,
  ``peerdist.no_shutdown``).
"""

from __future__ import annotations

from typing import Final

from emu.codes.winerror import PEERDIST_ERROR_INVALIDATED
from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import CLIENT_RULE, Property, register
from emu.properties.checker import Context
from emu.properties.peerdist.guarantees import CLOSES, REGISTER, SEED_CANCEL, SEED_REGISTER
from emu.properties.peerdist.records import CANCELS, BookChecker, Op, Session

EXAMINE: Final = frozenset(
    ("GetOverlappedResult", "GetOverlappedResultEx", "PeerDistGetOverlappedResult")
)
"""The calls that read an OVERLAPPED's result (its first argument)."""


STATUS_CALLS: Final = frozenset(
    (
        "PeerDistGetStatus",
        "PeerDistGetStatusEx",
        "PeerDistRegisterForStatusChangeNotification",
        "PeerDistRegisterForStatusChangeNotificationEx",
        "PeerDistUnregisterForStatusChangeNotification",
        "PeerDistShutdown",
        "PeerDistGetOverlappedResult",
    )
)
"""The calls that do not act on the service's status: asking it, (un)registering, ending."""
POLLS: Final = ("PeerDistGetStatus", "PeerDistGetStatusEx")


class MissedChange(BookChecker):
    """A notified session that goes on using the service (a PeerDist call on it other than
    the status calls and PeerDistShutdown), or is still open when the run ends, while it has no
    registration pending and the service's status differs from the last status it learnt (its
    last notification, or a later successful PeerDistGetStatus): it did not register again
    after the notification and acts on a status that is no longer true. A session that only
    shuts down is not judged (a monitor that stops need not hear of later changes)."""

    MORE = ("api", "run.end")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.sessions: dict[int, Session] = {}  # session handle value -> its session
        self.polled: dict[int, str] = {}  # session -> status a later PeerDistGetStatus gave
        self.reported: set[int] = set()  # sessions already reported (membership only)

    def check(self, seq: int, session: Session, when: str) -> None:
        if session.notified < 0 or session.oid in self.reported:
            return
        self.exercised = True
        book = self.book
        learnt = self.polled.get(session.oid, session.last_notified)
        if book.registration_pending(session) or book.status in ("", learnt):
            return
        self.reported.add(session.oid)
        self.found(
            seq,
            f"session 0x{session.handle:X} was last notified {session.last_notified} and has no "
            f"registration pending {when} while the status is {book.status}: it did not "
            "register again after the notification and missed the change",
            session.notified,
        )

    def see(self, seq: int, event: TraceTuple, record: object) -> None:
        kind = event[2]
        if kind == "peerdist.startup" and isinstance(record, Session):
            self.sessions[record.handle] = record
        elif kind == "peerdist.notify" and isinstance(record, Session):
            self.polled.pop(record.oid, None)
        elif kind == "api":
            name, args, result = event[4][0], event[4][1], event[4][2]
            if not str(name).startswith("PeerDist") or not args or not isinstance(args[0], int):
                return
            session = self.sessions.get(args[0])
            if session is None or session.shut >= 0:
                return
            if name in POLLS:
                if result == 0:
                    self.polled[session.oid] = self.book.status
            elif name not in STATUS_CALLS:
                self.check(seq, session, f"when it calls {name}")
        elif kind == "run.end":
            for session in self.book.sessions.values():
                if session.shut < 0:
                    self.check(seq, session, "at the end")


class InvalidatedHandleUsed(BookChecker):
    """After a call on a handle returned PEERDIST_ERROR_INVALIDATED, the program called a
    PeerDist function on it again (other than its close), or never closed it."""

    MORE = ("api", "run.end")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.told: dict[int, int] = {}  # handle value -> the api event that returned 4057
        self.reused: set[int] = set()

    def see(self, seq: int, event: TraceTuple, record: object) -> None:
        kind = event[2]
        if kind == "peerdist.close":
            self.told.pop(int(event[4][0]), None)
        elif kind == "api":
            name, args, result = event[4][0], event[4][1], event[4][2]
            if not str(name).startswith("PeerDist") or len(args) < 2 or name in CLOSES:
                return
            handle = args[1]
            if not isinstance(handle, int):
                return
            if handle in self.told:
                self.found(
                    seq,
                    f"{name} uses handle 0x{handle:X} again after a call on it returned "
                    "PEERDIST_ERROR_INVALIDATED: it no longer functions, only its close",
                    self.told[handle],
                )
                self.reused.add(handle)
            elif result == PEERDIST_ERROR_INVALIDATED:
                self.exercised = True
                self.told[handle] = seq
        elif kind == "run.end":
            for handle, at in sorted(self.told.items()):
                if handle not in self.reused and self.context.programs_finished():
                    self.found(
                        at,
                        f"handle 0x{handle:X} was reported PEERDIST_ERROR_INVALIDATED and never "
                        "closed: the caller must explicitly close it",
                    )


class OverlappedFreed(BookChecker):
    """An OVERLAPPED or status buffer whose lifetime ended (``mem.end``) while its PeerDist
    operation was pending, or while a completion packet carrying it was queued in a port."""

    MORE = ("mem.end", "iocp.post", "iocp.dequeue", "iocp.drop")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.buffers: dict[int, Op] = {}  # status buffer oid -> its registration
        self.packets: dict[tuple[int, int], tuple[str, int]] = {}  # (port, packet) -> (value, seq)

    def see(self, seq: int, event: TraceTuple, record: object) -> None:
        kind = event[2]
        if kind == "peerdist.register" and isinstance(record, Session):
            if record.registration is not None and len(event[3]) > 2:
                self.buffers[event[3][2]] = record.registration
        elif kind == "iocp.post":
            if str(event[4][2]) in self.book.overlappeds:
                self.packets[event[3][0], event[4][0]] = (str(event[4][2]), seq)
        elif kind in ("iocp.dequeue", "iocp.drop"):
            self.packets.pop((event[3][0], event[4][0]), None)
        elif kind == "mem.end":
            self.ended(seq, event[3][0], str(event[4][0]))

    def ended(self, seq: int, oid: int, reason: str) -> None:
        name = self.name(oid)
        for op in self.book.pending():
            if str(op.overlapped) == name or self.buffers.get(oid) is op:
                self.exercised = True
                self.found(
                    seq,
                    f"{name}'s lifetime ends ({reason}) while {self.describe(op)} is pending: "
                    "the system will write it after it is gone",
                    op.seq,
                )
        for (port, packet), (value, at) in sorted(self.packets.items()):
            if value == name:
                self.exercised = True
                self.found(
                    seq,
                    f"{name}'s lifetime ends ({reason}) while packet #{packet} carrying it is "
                    f"still queued in {self.name(port)}",
                    at,
                )
        if name in self.book.overlappeds:
            self.exercised = True


class StatusReadEarly(BookChecker):
    """The program read a registration's status buffer after the registration started and
    before it completed."""

    MORE = ("mem.read",)

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.buffers: dict[int, Op] = {}

    def see(self, seq: int, event: TraceTuple, record: object) -> None:
        kind = event[2]
        if kind == "peerdist.register" and isinstance(record, Session):
            if record.registration is not None and len(event[3]) > 2:
                self.buffers[event[3][2]] = record.registration
                self.exercised = True
        elif kind == "mem.read" and event[4][2] == "program":
            op = self.buffers.get(event[3][0])
            if op is not None and op.completed < 0:
                self.found(
                    seq,
                    f"the program reads {self.name(event[3][0])}.{event[4][0]} while "
                    f"{self.describe(op)} is pending: it holds a valid status only once the "
                    "registration completed",
                    op.seq,
                )


class CancelUnconfirmed(BookChecker):
    """A successful cancel whose operation then completed normally (``io.late`` of the
    cancel, or an ``io.complete`` with status 0), and the program never examined that
    OVERLAPPED's result: no GetOverlappedResult or PeerDistGetOverlappedResult on it, no
    dequeue of its packet, no program read of its Internal, after the completion and before
    the run ended or the OVERLAPPED was used again."""

    MORE = ("io.cancel", "io.late", "api", "iocp.dequeue", "mem.read", "run.end")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.cancelled: list[tuple[int, str, Op]] = []  # (seq, by, op) io.cancel / io.late
        self.open: dict[str, tuple[int, Op]] = {}  # overlapped -> (cancel api seq, op)

    def see(self, seq: int, event: TraceTuple, record: object) -> None:
        kind = event[2]
        if kind == "io.cancel" and str(event[4][2]) in CANCELS:
            op = self.book.ops.get((event[3][0], event[4][0]))
            if op is not None:
                self.cancelled.append((seq, str(event[4][2]), op))
        elif kind == "io.late" and event[4][2] == "cancel":
            op = self.book.ops.get((event[3][0], event[4][0]))
            if op is not None:
                self.cancelled.append((seq, "", op))
        elif kind == "io.start" and isinstance(record, Op):
            self.close_out(seq, str(record.overlapped), "is used again")
        elif kind == "api":
            self.call(seq, event)
        elif kind == "iocp.dequeue":
            self.open.pop(str(event[4][2]), None)
        elif kind == "mem.read" and event[4][2] == "program" and event[4][0] == "Internal":
            self.open.pop(self.name(event[3][0]), None)
        elif kind == "run.end":
            for name in sorted(self.open):
                self.close_out(seq, name, "was never examined before the run ended")

    def call(self, seq: int, event: TraceTuple) -> None:
        previous = self.previous_call(seq, event)
        name, args, result = event[4][0], event[4][1], event[4][2]
        if name in EXAMINE and args:
            self.open.pop(str(args[0]), None)
            return
        if name not in CANCELS or result != 0:
            return
        self.exercised = True
        for at, by, op in self.cancelled:
            if at < previous or by not in ("", name):
                continue
            normal = op.completed >= 0 and op.status == 0
            if normal:
                self.open[str(op.overlapped)] = (seq, op)

    def close_out(self, seq: int, overlapped: str, what: str) -> None:
        found = self.open.pop(overlapped, None)
        if found is None:
            return
        at, op = found
        self.found(
            seq,
            f"the cancel of {self.describe(op)} succeeded, the operation completed normally "
            f"anyway, and {overlapped} {what}: the program never confirmed the cancel with "
            "GetOverlappedResult",
            at,
        )


class NoShutdown(BookChecker):
    """A session PeerDistStartup opened and PeerDistShutdown never closed, once the thread
    that opened it exited or every program finished."""

    MORE = ("actor.exit", "run.end")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.exited: set[int] = set()

    def see(self, seq: int, event: TraceTuple, record: object) -> None:
        if event[2] == "actor.exit":
            self.exited.add(event[3][0])
        elif event[2] == "run.end":
            finished = self.context.programs_finished()
            for session in self.book.sessions.values():
                self.exercised = True
                if session.shut < 0 and (finished or session.actor in self.exited):
                    self.found(
                        seq,
                        f"session 0x{session.handle:X} (PeerDistStartup by "
                        f"{self.name(session.actor)}) was never shut down",
                        session.seq,
                    )


CANCEL_APIS: Final = (*CANCELS, "GetOverlappedResult", "PeerDistGetOverlappedResult")

register(
    Property(
        "peerdist.missed_change",
        CLIENT_RULE,
        REGISTER,
        SEED_REGISTER + ", Remarks; F4.13",
        "The caller must register for notification each time after it signals.",
        checker=MissedChange,
        note="a session that was notified goes on using the service (or is open at the run's "
        "end) with no registration pending while the service's status differs from the last "
        "status it learnt (notified, or asked with PeerDistGetStatus): it forgot to register "
        "again and acts on a status that is no longer true",
    ),
    Property(
        "peerdist.invalidated_handle_used",
        CLIENT_RULE,
        REGISTER,
        SEED_REGISTER + ", Remarks; F4.15",
        "In this case, any API that uses these handles will fail with error PEERDIST_ "
        "ERROR_INVALIDATED. The caller must explicitly close the handles by calling the "
        "appropriate Peer Distribution API.",
        checker=InvalidatedHandleUsed,
        note="a call on a handle returned 4057 and the program called a PeerDist function on "
        "it again (other than its close), or, in a run where every program finished, never "
        "closed it",
    ),
    Property(
        "peerdist.overlapped_freed",
        CLIENT_RULE,
        REGISTER + CANCELS,
        SEED_REGISTER + ", Parameters (lpOverlapped, pPeerDistStatus); F4.12",
        "Pointer to an OVERLAPPED structure. If the hEvent member of the structure is not "
        "NULL, it will be signaled via SetEvent() used in order to signal the notification.",
        checker=OverlappedFreed,
        note="an OVERLAPPED or status buffer whose lifetime ended (mem.end) while its PeerDist "
        "operation was pending, or while a completion packet carrying it was still queued in a "
        "port; read buffers are not tracked (the trace does not name them)",
    ),
    Property(
        "peerdist.status_read_early",
        CLIENT_RULE,
        REGISTER,
        SEED_REGISTER + ", Remarks",
        "Upon successful completion, the pPeerDistStatus parameter will contain a valid "
        "PEERDIST_STATUS value.",
        checker=StatusReadEarly,
        note="a program read (mem.read by program) of a registration's status buffer after "
        "the registration started and before it completed",
    ),
    Property(
        "peerdist.cancel_unconfirmed",
        CLIENT_RULE,
        CANCEL_APIS,
        SEED_CANCEL + ", Remarks; F4.17",
        "This function does not guarantee that the operation will complete as canceled. The "
        "cancellation result will be posted only if no other results have been posted. To "
        "confirm successfully canceled operations, a call should be made to "
        "GetOverlappedResult with an expected return of FALSE.",
        checker=CancelUnconfirmed,
        note="a successful cancel whose operation then completed normally (io.late of the "
        "cancel, or io.complete with status 0) and whose OVERLAPPED's result the program "
        "never examined (GetOverlappedResult(Ex), PeerDistGetOverlappedResult, a dequeue of "
        "its packet, a program read of Internal) before the run ended or the OVERLAPPED was "
        "used again",
    ),
    Property(
        "peerdist.no_shutdown",
        CLIENT_RULE,
        ("PeerDistStartup", "PeerDistShutdown"),
        "PeerDistStartup (MS doc), Remarks; F4.9",
        "[The handle] should be closed via a call to PeerDistShutdown.",
        checker=NoShutdown,
        note="a session PeerDistStartup opened and PeerDistShutdown never closed, once the "
        "thread that opened it exited or every program finished",
    ),
)
