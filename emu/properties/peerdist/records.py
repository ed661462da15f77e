"""What the PeerDist checkers read off the trace: the sessions, the handles each opened, the
operations (I/O requests on the PeerDist file objects) and the service's status.

The ``Book`` is the family's one ``Fold``: the verdict builds it once per run and feeds it the
events of ``BOOK_KINDS`` (in trace order) before any checker judges them; it names an
operation by its file object and request number, as ``io.start``/``io.complete`` do. Every
checker of the family is a ``BookChecker`` (a ``FoldChecker`` of the book).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Final, cast

from emu.kernel.trace import TraceTuple
from emu.properties.checker import Context, Fold, FoldChecker

FILE_TYPES: Final = frozenset(
    ("PeerDistStream", "PeerDistContentInfo", "PeerDistContent", "PeerDistStatusRequest")
)
"""The types of the file objects PeerDist operations run on."""
CANCELS: Final = ("PeerDistServerCancelAsyncOperation", "PeerDistClientCancelAsyncOperation")
BOOK_KINDS: Final = (
    "peerdist.startup",
    "peerdist.shutdown",
    "peerdist.open",
    "peerdist.close",
    "peerdist.register",
    "peerdist.notify",
    "peerdist.status",
    "io.start",
    "io.complete",
    "obj.create",
)
DISABLED: Final = "DISABLED"
"""The baseline a session's first registration is compared with (F4.14)."""


@dataclass(slots=True)
class Op:
    """One operation: its ``io.start`` and, once it came, its ``io.complete``."""

    file: int
    irp: int
    op: str
    overlapped: object
    thread: int
    seq: int
    session: int = 0
    completed: int = -1
    status: int = -1


@dataclass(slots=True)
class Session:
    oid: int
    handle: int
    seq: int
    actor: int
    last_notified: str = DISABLED
    before: str = DISABLED  # what was last notified before its latest notification
    notified: int = -1  # the seq of its last peerdist.notify
    shut: int = -1
    registration: Op | None = None  # the latest status registration


class Book(Fold):
    """The records; fed every event of ``BOOK_KINDS``."""

    KINDS = BOOK_KINDS

    def __init__(self) -> None:
        super().__init__()
        self.sessions: dict[int, Session] = {}
        self.owner: dict[int, int] = {}  # handle object or request -> session
        self.ops: dict[tuple[int, int], Op] = {}
        self.by_file: dict[int, list[Op]] = {}
        self.files: set[int] = set()  # the PeerDist file objects (membership only)
        self.overlappeds: set[str] = set()  # the OVERLAPPEDs of operations (membership only)
        self.status = ""  # the service's status as last seen ("" before any)

    def feed(self, seq: int, event: TraceTuple) -> Op | Session | None:
        kind = event[2]
        objects, payload = event[3], event[4]
        if kind == "obj.create":
            if payload[0] in FILE_TYPES:
                self.files.add(objects[0])
            return None
        if kind == "io.start":
            if objects[0] not in self.files:
                return None
            op = Op(objects[0], payload[0], str(payload[1]), payload[2], objects[1], seq)
            op.session = self.owner.get(objects[0], 0)
            self.ops[objects[0], payload[0]] = op
            self.by_file.setdefault(objects[0], []).append(op)
            self.overlappeds.add(str(payload[2]))
            return op
        if kind == "io.complete":
            found = self.ops.get((objects[0], payload[0]))
            if found is not None and found.completed < 0:
                found.completed = seq
                found.status = int(payload[2])
            return found
        if kind == "peerdist.startup":
            session = Session(objects[0], int(payload[0]), seq, event[1])
            self.sessions[objects[0]] = session
            return session
        if kind == "peerdist.open":
            self.owner[objects[0]] = objects[1]
            return self.sessions.get(objects[1])
        if kind == "peerdist.register":
            self.owner[objects[1]] = objects[0]
            self.status = str(payload[4])
            known = self.sessions.get(objects[0])
            if known is not None:
                for op in self.by_file.get(objects[1], ()):
                    op.session = objects[0]
                    known.registration = op
            return known
        if kind == "peerdist.notify":
            known = self.sessions.get(objects[0])
            if known is not None:
                known.before = known.last_notified
                known.last_notified = str(payload[1])
                known.notified = seq
            return known
        if kind == "peerdist.status":
            self.status = str(payload[1])
            return None
        if kind == "peerdist.shutdown":
            known = self.sessions.get(objects[0])
            if known is not None:
                known.shut = seq
            return known
        return None

    def pending(self, session: int | None = None) -> list[Op]:
        return [
            op
            for op in self.ops.values()
            if op.completed < 0 and (session is None or op.session == session)
        ]

    def registration_pending(self, session: Session) -> bool:
        reg = session.registration
        return reg is not None and reg.completed < 0


class BookChecker(FoldChecker):
    """A checker of the book: it sees the book's kinds plus ``MORE``; ``see`` gets each event
    after the book took it, with what the book says it concerns."""

    FOLD = Book
    MORE: ClassVar[tuple[str, ...]] = ()
    TRIGGERS = ("peerdist.*",)

    def __init_subclass__(cls, **kwargs: object) -> None:
        cls.SEES = BOOK_KINDS + tuple(k for k in cls.MORE if k not in BOOK_KINDS)
        super().__init_subclass__(**kwargs)

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.calls: dict[int, int] = {}  # actor -> seq of its latest api event

    @property
    def book(self) -> Book:
        return cast(Book, self.records)

    def previous_call(self, seq: int, event: TraceTuple) -> int:
        """For an ``api`` event: the seq of the same thread's call before it (-1 for its
        first), what tells a call that may have begun before some event from one that began
        after. Call it once per ``api`` event."""
        actor = event[1]
        previous = self.calls.get(actor, -1)
        self.calls[actor] = seq
        return previous

    def name(self, oid: int) -> str:
        return self.context.name(oid)

    def describe(self, op: Op) -> str:
        return f"{op.op} #{op.irp} on {self.name(op.file)} ({op.overlapped})"
