"""The kernel's post-hoc properties for threads: checkers over the finished trace.

Guarantees (a violation means emu is wrong): APCs run only in alertable waits and in FIFO
order; an auto-reset event releases one waiter per signal; the callbacks of one work queue
never overlap; a DPC never blocks. Liveness (nothing lost): every APC is delivered, discarded
or reported; no thread ends blocked unless the scenario says it blocks for ever. Client rules
(bugs in the program under test): an APC queued to a thread that never waits alertably; an
unsynchronized read-modify-write that loses another thread's update. Completion ports and
I/O requests: ``emu.properties.io_checks``.
"""

from __future__ import annotations

from emu.codes.wait import WAIT_IO_COMPLETION
from emu.kernel.apc import AT_START, AT_WAIT
from emu.kernel.apc_sites import apc_site
from emu.kernel.trace import TraceTuple
from emu.kernel.tracestate import last_touch
from emu.properties.catalogue import CLIENT_RULE, GUARANTEE, LIVENESS, Property, register
from emu.properties.checker import Checker, Context

ALERTABLE_WAITS = frozenset(
    (
        "SleepEx",
        "WaitForSingleObjectEx",
        "WaitForMultipleObjectsEx",
        "GetQueuedCompletionStatusEx",
        "KeWaitForSingleObject",
    )
)
_QUEUE_APC = ("QueueUserAPC", "ReadFileEx", "WriteFileEx")
_DEQUEUE = ("GetQueuedCompletionStatus", "GetQueuedCompletionStatusEx")


class ApcOnlyInAlertableWaits(Checker):
    """User-mode APCs run only where the documentation says they may: in an alertable wait
    that then returns WAIT_IO_COMPLETION, as a thread starts, or at a delivery place a
    subsystem declared (``emu.kernel.apc_sites``: inside one of the functions documented to
    wait alertably themselves). A delivery is matched with the thread's next ``api`` event at
    the same nesting depth: the call it happened inside."""

    KINDS = ("apc.deliver", "apc.return", "api")
    TRIGGERS = ("apc.deliver",)  # only a delivery is judged

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.depth: dict[int, int] = {}
        # (thread, depth) -> (first delivery seq, where it ran)
        self.owed: dict[tuple[int, int], tuple[int, str]] = {}

    def feed(self, seq: int, event: TraceTuple) -> None:
        _time, actor, kind, objects, payload, _cause = event
        if kind == "apc.deliver":
            self.exercised = True
            thread = objects[0]
            depth = self.depth.get(thread, 0)
            at = str(payload[5])
            if at == AT_START:
                if depth:
                    self.found(seq, f"APC #{payload[0]} ran 'at thread start' inside another APC")
            else:
                self.owed.setdefault((thread, depth), (seq, at))
            self.depth[thread] = depth + 1
        elif kind == "apc.return":
            self.depth[objects[0]] = self.depth.get(objects[0], 1) - 1
        else:
            owed = self.owed.pop((actor, self.depth.get(actor, 0)), None)
            if owed is None:
                return
            first, at = owed
            name, result, error = payload[0], payload[2], payload[3]
            if at == AT_WAIT:
                # WAIT_IO_COMPLETION (0xC0) is also STATUS_USER_APC, what KeWaitForSingleObject
                # returns; GetQueuedCompletionStatusEx returns FALSE and sets it as the last
                # error.
                if name not in ALERTABLE_WAITS or WAIT_IO_COMPLETION not in (result, error):
                    self.found(
                        seq,
                        f"APCs ran during {name}, which is not an alertable wait that returned "
                        "WAIT_IO_COMPLETION",
                        first,
                    )
                return
            site = apc_site(at)
            if site is None:
                self.found(
                    seq, f"APCs ran during {name} at '{at}', no documented delivery place", first
                )
            elif name not in site.apis:
                self.found(
                    seq,
                    f"APCs ran at '{at}' during {name}, which is not documented to deliver there",
                    first,
                )


class ApcFifo(Checker):
    KINDS = ("apc.queue", "apc.deliver", "apc.discard")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.queues: dict[int, list[int]] = {}

    def feed(self, seq: int, event: TraceTuple) -> None:
        _t, _a, kind, objects, payload, _c = event
        queue = self.queues.setdefault(objects[0], [])
        apc = payload[0]
        if kind == "apc.queue":
            queue.append(apc)
            return
        if kind == "apc.deliver":
            self.exercised = True
            if queue and queue[0] != apc:
                self.found(seq, f"APC #{apc} ran before APC #{queue[0]}, queued earlier")
        if apc in queue:
            queue.remove(apc)


class ApcAccounted(Checker):
    KINDS = ("apc.queue", "apc.deliver", "apc.discard", "apc.undelivered")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.open: dict[int, int] = {}  # apc -> its apc.queue seq

    def feed(self, seq: int, event: TraceTuple) -> None:
        kind, apc = event[2], event[4][0]
        if kind == "apc.queue":
            self.exercised = True
            self.open[apc] = seq
        elif self.open.pop(apc, None) is None:
            self.found(seq, f"APC #{apc} disposed of twice, or never queued")

    def finish(self) -> None:
        for apc, seq in self.open.items():
            self.found(seq, f"APC #{apc} was neither delivered, discarded nor reported")


class ApcNeverDelivered(Checker):
    KINDS = ("apc.queue", "apc.undelivered")

    def feed(self, seq: int, event: TraceTuple) -> None:
        self.exercised = True
        if event[2] == "apc.undelivered":
            thread = self.context.name(event[3][0])
            self.found(
                seq,
                f"APC #{event[4][0]} {event[4][1]} to {thread} never ran: {thread} did not wait "
                "alertably after it was queued",
            )


class AutoResetReleasesOne(Checker):
    """An auto-reset event satisfies one wait per signal: it is consumed (cleared) by the wait
    it satisfies, only while signalled, and a set of an auto-reset event wakes at most one
    waiter through it."""

    KINDS = ("event.state", "thread.wake")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.signaled: dict[int, int] = {}
        self.auto: set[int] = set()  # events seen consumed: auto-reset ones
        self.sets: dict[int, int] = {}  # set seq -> event
        self.woken: dict[int, int] = {}  # set seq -> wakes it caused

    def feed(self, seq: int, event: TraceTuple) -> None:
        if event[2] == "thread.wake":
            cause = event[5]
            if cause in self.sets:
                count = self.woken[cause] = self.woken.get(cause, 0) + 1
                if count > 1 and self.sets[cause] in self.auto:
                    name = self.context.name(self.sets[cause])
                    self.found(seq, f"one set of {name} released {count} waiters", cause)
            return
        oid, (op, value) = event[3][0], event[4]
        if op == "consume":
            self.exercised = True
            self.auto.add(oid)
            if self.signaled.get(oid) != 1:
                name = self.context.name(oid)
                self.found(seq, f"{name} released a waiter while not signalled")
        elif op == "set":
            self.sets[seq] = oid
        self.signaled[oid] = value


class WorkSerialized(Checker):
    KINDS = ("work.run", "work.return")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.running: dict[int, int] = {}

    def feed(self, seq: int, event: TraceTuple) -> None:
        queue = event[3][0]
        if event[2] == "work.run":
            self.exercised = True
            if self.running.get(queue, 0):
                self.found(seq, f"two callbacks of {self.context.name(queue)} overlap")
            self.running[queue] = self.running.get(queue, 0) + 1
        else:
            self.running[queue] = self.running.get(queue, 1) - 1


class DpcNeverBlocks(Checker):
    KINDS = ("dpc.run", "thread.wait")

    def feed(self, seq: int, event: TraceTuple) -> None:
        if event[2] == "dpc.run":
            self.exercised = True
        elif self.context.types.get(event[1]) == "Processor":
            self.found(seq, f"{self.context.name(event[1])} blocked in a wait")


class LostWakeup(Checker):
    KINDS = ("thread.wait", "actor.blocked")

    def feed(self, seq: int, event: TraceTuple) -> None:
        if event[2] == "thread.wait":
            self.exercised = True
            return
        actor = event[3][0]
        name = self.context.name(actor)
        if name in self.context.blocks_forever or self.context.types.get(actor) != "Thread":
            return
        waited = frozenset(event[3][1:])
        on = ", ".join(self.context.name(o) for o in event[3][1:]) or "nothing (a sleep)"
        touch = last_touch(self.context.events, seq, waited, actor)
        if touch is None:
            why = "nothing else ever touched what it waits on"
            related: tuple[int, ...] = ()
        else:
            _t, by_actor, touch_kind = self.context.events[touch][:3]
            by = self.context.name(by_actor)
            why = f"the last event on it was #{touch} ({touch_kind} by {by})"
            related = (touch,)
        self.found(seq, f"{name} is still {event[4][0]} on {on} at the end: {why}", *related)


class LostUpdate(Checker):
    KINDS = ("mem.read", "mem.write", "mem.rmw")
    MANY = -1  # two actors or more touched the field (actor ids are never negative)

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.reads: dict[tuple[int, str, int], int] = {}  # (object, field, actor) -> read seq
        self.writes: dict[tuple[int, str], tuple[int, int]] = {}  # -> (seq, actor) of last write
        self.actors: dict[tuple[int, str], int] = {}  # -> the one actor that touched it, or MANY

    def feed(self, seq: int, event: TraceTuple) -> None:
        _t, actor, kind, objects, payload, _c = event
        field = payload[0]
        key = (objects[0], field if type(field) is str else str(field))
        actors = self.actors
        seen = actors.get(key)
        if seen is None:
            actors[key] = actor
        elif seen != actor:
            actors[key] = self.MANY
        if kind == "mem.read":
            if payload[2] == "program":
                self.reads[(key[0], key[1], actor)] = seq
            return
        read = self.reads.pop((key[0], key[1], actor), None)
        last = self.writes.get(key)
        if kind == "mem.write" and payload[2] == "program" and read is not None:
            if actors[key] == self.MANY:
                self.exercised = True
            if last is not None and last[0] > read and last[1] != actor:
                names = self.context.name
                self.found(
                    seq,
                    f"{names(actor)} wrote {names(key[0])}.{key[1]} from a value it read at "
                    f"#{read}, losing the write {names(last[1])} made at #{last[0]} in between",
                    read,
                    last[0],
                )
        self.writes[key] = (seq, actor)


register(
    Property(
        "kernel.apc_alertable_only",
        GUARANTEE,
        ("QueueUserAPC", *sorted(ALERTABLE_WAITS)),
        "QueueUserAPC (MS doc); F5.17",
        "When a user-mode APC is queued, the thread is not directed to call the APC function "
        "unless it is in an alertable state. After the thread is in an alertable state, the "
        "thread handles all pending APCs in first in, first out (FIFO) order, and the wait "
        "operation returns WAIT_IO_COMPLETION.",
        checker=ApcOnlyInAlertableWaits,
        note="also at a thread's start (queued before it ran) and inside a function whose "
        "documentation says it may wait alertably itself, as its subsystem declares "
        "(emu.kernel.apc_sites)",
    ),
    Property(
        "kernel.apc_fifo",
        GUARANTEE,
        _QUEUE_APC,
        "QueueUserAPC (MS doc); F5.24",
        "After the thread is in an alertable state, the thread handles all pending APCs in "
        "first in, first out (FIFO) order.",
        checker=ApcFifo,
    ),
    Property(
        "kernel.apc_accounted",
        LIVENESS,
        _QUEUE_APC,
        "emu rule: nothing lost silently; F5.24",
        "(Every queued APC is delivered, discarded when its thread exits, or reported still "
        "queued at the end.)",
        checker=ApcAccounted,
    ),
    Property(
        "kernel.apc_never_delivered",
        CLIENT_RULE,
        _QUEUE_APC,
        "QueueUserAPC (MS doc)",
        "When a user-mode APC is queued, the thread is not directed to call the APC function "
        "unless it is in an alertable state.",
        checker=ApcNeverDelivered,
        note="an APC still queued at the end: its thread never waited alertably",
    ),
    Property(
        "kernel.auto_reset_one",
        GUARANTEE,
        ("SetEvent", "CreateEventW", "KeSetEvent"),
        "SetEvent (MS doc)",
        "The state of an auto-reset event object remains signaled until a single waiting "
        "thread is released, at which time the system automatically sets the state to "
        "nonsignaled.",
        checker=AutoResetReleasesOne,
    ),
    Property(
        "kernel.workqueue_serialized",
        GUARANTEE,
        ("IoQueueWorkItem", "ExQueueWorkItem"),
        "System Worker Threads (MS doc)",
        "(The callbacks of one work queue run one at a time, in the order they were queued.)",
        checker=WorkSerialized,
        note="emu serves each work-queue type with one worker thread (docs/rules.md, assumptions)",
    ),
    Property(
        "kernel.dpc_never_blocks",
        GUARANTEE,
        ("KeInsertQueueDpc", "KeWaitForSingleObject"),
        "KeWaitForSingleObject (MS doc)",
        "(A DPC never blocks: a wait with a non-zero timeout at DISPATCH_LEVEL is a bug check, "
        "recorded as kernel.wait_at_dispatch and performed as a poll.)",
        checker=DpcNeverBlocks,
    ),
    Property(
        "kernel.lost_wakeup",
        LIVENESS,
        ("WaitForSingleObject", "WaitForMultipleObjects", "SleepEx", *_DEQUEUE),
        "emu rule: a run ends",
        "(A thread still blocked when the run ends, that the scenario does not declare "
        "blocks_forever, is a possible lost wake-up.)",
        checker=LostWakeup,
    ),
    Property(
        "kernel.lost_update",
        CLIENT_RULE,
        ("InterlockedIncrement", "EnterCriticalSection", "AcquireSRWLockExclusive"),
        "Interlocked Variable Access (MS doc)",
        "However, access is not guaranteed to be synchronized. If two threads are reading and "
        "writing from the same variable, you cannot determine if one thread will perform its "
        "read operation before the other performs its write operation.",
        checker=LostUpdate,
        note="a read, another thread's write, then this thread's write from the stale value",
    ),
)
