"""Callbacks that overlap race: under profile ``netio-overlap`` two callbacks of one
registration can run at once, as a field report observed on Windows (F3.8: "MSDN says that
calls to the NotifyIpInterfaceChange() callback are serialized, but that's not accurate"), so a
callback that relies on "serialized" to update the program's state without a lock loses
updates or reads half-made ones.

``netio.overlap_race``: two callbacks of one registration whose runs overlap (each from its
``netio.callback`` to its ``netio.return``) access the same field of the program's memory
(``mem.read``/``mem.write`` by the program, ``mem.rmw``), at least one of the two a plain write
(an Interlocked operation is atomic: it races only with a plain write), and no lock is held by
both threads at their accesses, exclusively by at least one of them: a critical section, an
SRW lock (``lock.state``) or a spin lock (``spinlock.state``). The two accesses may come in
either order; the runs overlapping is what makes them unordered (nothing orders one
callback's worker after the other's). Accesses outside callbacks are not judged here.
"""

from __future__ import annotations

from typing import Final

from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import CLIENT_RULE, Property, register
from emu.properties.checker import Context
from emu.properties.netio.registrations import Call, NetioChecker, Registration

READ: Final = "read"
WRITE: Final = "write"
RMW: Final = "rmw"

Held = frozenset[tuple[int, bool]]
"""The locks a thread holds: (lock object id, held exclusively)."""
NONE: Final[Held] = frozenset()


def conflict(first: str, second: str) -> bool:
    """Whether two accesses of one field race: at least one is a plain write."""
    return WRITE in (first, second)


def guarded(a: Held, b: Held) -> bool:
    """Whether one lock orders the two accesses: both threads held it, at least one of them
    exclusively (two shared holders of an SRW lock are not ordered)."""
    modes: dict[int, bool] = {}
    for lock, exclusive in b:
        modes[lock] = modes.get(lock, False) or exclusive
    return any(lock in modes and (exclusive or modes[lock]) for lock, exclusive in a)


Accesses = dict[tuple[int, str], dict[tuple[str, Held], int]]
"""One callback's accesses: (object, field) -> {(access, locks held): its first seq} (a dict:
iterated in the order the accesses came)."""


class OverlapRace(NetioChecker):
    """Unsynchronized conflicting accesses by overlapping callbacks of one registration."""

    SEES = (
        "netio.callback",
        "netio.return",
        "mem.read",
        "mem.write",
        "mem.rmw",
        "lock.state",
        "spinlock.state",
    )

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.held: dict[int, Held] = {}  # thread -> the locks it holds
        self.exclusive: dict[int, int] = {}  # lock -> its exclusive holder
        # registration -> its callbacks since it last had none in flight, with their accesses
        self.groups: dict[int, dict[int, tuple[Call, Accesses]]] = {}
        self.reported: set[tuple[int, int, str]] = set()

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        kind = event[2]
        if kind == "netio.callback":
            if reg is not None:
                if len(reg.running) > 1:
                    self.exercised = True
                self.groups.setdefault(reg.oid, {})[event[4][3]] = (reg.calls[-1], {})
            return
        if kind == "netio.return":
            if reg is not None and not reg.running:
                self.groups.pop(reg.oid, None)  # none in flight: no later one overlaps these
            return
        if kind == "lock.state":
            self._lock(event)
            return
        if kind == "spinlock.state":
            self._spinlock(event)
            return
        payload = event[4]
        if kind != "mem.rmw" and payload[2] != "program":
            return
        call = self.call_of(event[1])
        if call is None:
            return
        access = RMW if kind == "mem.rmw" else READ if kind == "mem.read" else WRITE
        self._access(seq, call, event[3][0], str(payload[0]), access, event[1])

    def _access(
        self, seq: int, call: Call, obj: int, member: str, access: str, thread: int
    ) -> None:
        group = self.groups.get(call.reg)
        if group is None:
            return
        held = self.held.get(thread, NONE)
        key = (obj, member)
        reg = self.records.by_oid[call.reg]
        for other, accesses in group.values():
            if other is call or 0 <= other.returned < call.seq:
                continue  # itself, or one that returned before it started: no overlap
            for (theirs, their_locks), at in accesses.get(key, {}).items():
                if conflict(access, theirs) and not guarded(held, their_locks):
                    self._report(seq, reg, call, other, obj, member, (access, theirs, at))
                    break
        group[call.item][1].setdefault(key, {}).setdefault((access, held), seq)

    def _report(
        self,
        seq: int,
        reg: Registration,
        call: Call,
        other: Call,
        obj: int,
        member: str,
        how: tuple[str, str, int],
    ) -> None:
        if (reg.oid, obj, member) in self.reported:
            return
        self.reported.add((reg.oid, obj, member))
        access, theirs, at = how
        first, second = sorted((other.item, call.item))
        self.found(
            seq,
            f"the callbacks of {reg.describe()} for notifications #{first} and #{second} run "
            f"at once and both use {self.name(obj)}.{member} ({theirs} by "
            f"{self.name(other.worker)} at #{at}, {access} by {self.name(call.worker)}) with no "
            "lock held by both: the callbacks are not serialized under this profile",
            at,
            *sorted((other.seq, call.seq)),  # the two callbacks' netio.callback events
        )

    def _lock(self, event: TraceTuple) -> None:
        """Critical sections (enter/leave) and SRW locks (acquire/release, each mode)."""
        lock, thread = event[3][0], event[3][1]
        op, owner = str(event[4][0]), event[4][1]
        if op == "enter":
            self._hold(thread, lock, True)
        elif op == "leave":
            if owner == 0:
                self._drop(thread, lock)
        elif op.startswith("acquire"):
            self._hold(thread, lock, op.endswith("exclusive"))
        elif op == "release exclusive":
            holder = self.exclusive.get(lock, thread)
            self._drop(holder, lock)
        elif op == "release shared":
            self._drop(thread, lock)

    def _spinlock(self, event: TraceTuple) -> None:
        lock, actor = event[3][0], event[3][1]
        op = event[4][0]
        if op == "acquire":
            self._hold(actor, lock, True)
        elif op == "release":
            self._drop(self.exclusive.get(lock, actor), lock)

    def _hold(self, thread: int, lock: int, exclusive: bool) -> None:
        self.held[thread] = self.held.get(thread, NONE) | {(lock, exclusive)}
        if exclusive:
            self.exclusive[lock] = thread

    def _drop(self, thread: int, lock: int) -> None:
        held = self.held.get(thread, NONE)
        self.held[thread] = frozenset(h for h in held if h[0] != lock)
        if self.exclusive.get(lock) == thread:
            del self.exclusive[lock]


register(
    Property(
        "netio.overlap_race",
        CLIENT_RULE,
        ("NotifyIpInterfaceChange",),
        "F3.8",
        "MSDN says that calls to the NotifyIpInterfaceChange() callback are serialized, but "
        "that's not accurate.",
        checker=OverlapRace,
        profiles=("netio-overlap",),
        note="under netio-overlap only: two callbacks of one registration in flight at once "
        "access the same program field, one of them with a plain write, and no lock (critical "
        "section, SRW lock, spin lock) is held by both (exclusively by one); exercised when two "
        "callbacks of one registration overlapped",
    ),
)
