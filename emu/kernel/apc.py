"""User-mode asynchronous procedure calls: a FIFO queue per thread, run only in alertable waits.

The rules, with their sources:

- QueueUserAPC appends to the target thread's queue; the APC runs only when the thread is in an
  alertable wait ("When a user-mode APC is queued, the thread to which it is queued is not
  directed to call the APC function unless it is in an alertable state", QueueUserAPC, MS docs).
  A thread in a non-alertable wait keeps its APCs queued (F5.17, F5.24).
- One alertable wait runs every queued APC in FIFO order, then returns WAIT_IO_COMPLETION
  ("After the thread is in an alertable state, the thread handles all pending APCs in first in,
  first out (FIFO) order, and the wait operation returns WAIT_IO_COMPLETION", MS docs; F5.24).
  APCs queued while the queue drains, including by an APC to its own thread, run in the same
  drain: NT delivers the next APC from NtContinue with TestAlert each time one returns.
- Nested delivery is real: "If you perform an alertable wait inside an APC, it will recursively
  dispatch the APCs" (QueueUserAPC, MS docs). An APC routine here is a generator (plain
  functions are wrapped) that may call APIs, including another alertable wait, which drains the
  rest of the queue one level deeper (``depth`` in the trace). Beyond the first few levels
  (``nest.INLINE_DEPTH``) the routine runs nested on the thread (``Nest``): each deeper level
  is one entry of the thread's ``stack``, never Python frames, so the depth does not meet
  Python's recursion limit. It is bounded by the APC depth limit (10,000 levels by default,
  ``emu.kernel.limits``), far deeper than a real thread's stack allows: a runaway that queues
  an APC to itself and waits alertably in it ends the run with a report
  (``kernel.apc_depth_limit``).
- Queueing to a thread that has exited fails with STATUS_UNSUCCESSFUL, which QueueUserAPC
  reports as ERROR_GEN_FAILURE (Wine kernel32 sync test_QueueUserAPC; MS docs).
- "If an application queues an APC before the thread begins running, the thread begins by
  calling the APC function" (QueueUserAPC, MS docs): see ``Thread._lifetime``.
- A thread's exit discards its pending APCs (``apc.discard``); an APC still queued when the run
  ends, because its thread never waited alertably, is reported (``apc.undelivered``). Nothing is
  lost without a trace event that says which rule disposed of it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from types import GeneratorType
from typing import TYPE_CHECKING, Any, cast

from emu.codes.ntstatus import STATUS_SUCCESS, STATUS_UNSUCCESSFUL, STATUS_USER_APC
from emu.errors import ApcDepthLimit
from emu.kernel.actor import Park
from emu.kernel.limits import apc_depth_message
from emu.kernel.nest import INLINE_DEPTH, Nest
from emu.kernel.trace import trace_kind
from emu.kernel.waits import abort_wait

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel
    from emu.kernel.thread import Thread

APC_QUEUE = trace_kind(
    "apc.queue",
    ("apc", "routine", "data", "pending"),
    state=("pending",),
    text="queue APC #{apc} {routine}({data}) to {o0}, {pending} pending",
    doc="A user-mode APC was appended to objects[0]'s queue; `pending` is the new queue length.",
)
APC_DELIVER = trace_kind(
    "apc.deliver",
    ("apc", "routine", "data", "pending", "depth", "at"),
    state=("pending",),
    text="run APC #{apc} {routine}({data}) on {o0} ({at}, depth {depth}), {pending} pending",
    doc='The thread dequeued the APC and calls its routine, `at` an "alertable wait" or at '
    '"thread start" (queued before the thread began running); `cause` is the apc.queue '
    "event; `depth` counts nested deliveries.",
)

AT_WAIT = "alertable wait"
AT_START = "thread start"
APC_RETURN = trace_kind(
    "apc.return",
    ("apc", "routine", "depth"),
    text="APC #{apc} {routine} returns on {o0}",
    doc="The APC routine returned.",
)
APC_DISCARD = trace_kind(
    "apc.discard",
    ("apc", "routine", "reason", "pending"),
    state=("pending",),
    text="discard APC #{apc} {routine} on {o0}: {reason}",
    doc="A queued APC was dropped by a documented rule (the thread exited).",
)
APC_UNDELIVERED = trace_kind(
    "apc.undelivered",
    ("apc", "routine", "reason"),
    text="APC #{apc} {routine} never ran on {o0}: {reason}",
    doc="At the end of the run the APC was still queued: its thread never waited alertably.",
)


class Apc:
    """A queued user-mode APC: the routine, its arguments and where it was queued."""

    __slots__ = ("aid", "args", "data", "label", "routine", "seq")

    def __init__(
        self, aid: int, routine: Callable[..., Any], args: tuple[Any, ...], data: Any
    ) -> None:
        self.aid = aid
        self.routine = routine
        self.args = args
        self.data = data
        self.label = routine_label(routine)
        self.seq = -1


def routine_label(routine: Callable[..., Any]) -> str:
    """A stable name for a callback (never an address): its qualified name."""
    name = getattr(routine, "__name__", None) or getattr(routine, "__qualname__", None)
    return str(name) if name else type(routine).__name__


def queue_user_apc(
    k: Kernel, thread: Thread, routine: Callable[..., Any], args: tuple[Any, ...], data: Any
) -> int:
    """Queue ``routine(*args)`` to ``thread``; abort its alertable wait if it is in one."""
    if thread.terminated:
        return STATUS_UNSUCCESSFUL
    apc = Apc(k.new_apc_id(), routine, args, data)
    queue = thread.apcs
    queue.append(apc)
    if k.tracing:
        apc.seq = k.emit(
            k.actor_id(), APC_QUEUE, (thread.oid,), (apc.aid, apc.label, data, len(queue))
        )
    if thread.wait_alertable:
        abort_wait(k, thread, STATUS_USER_APC, apc.seq)
    return STATUS_SUCCESS


def deliver(k: Kernel, thread: Thread, at: str = AT_WAIT) -> Generator[Park, None, None]:
    """Run every queued APC, FIFO, on ``thread``'s stack (in an alertable wait, or as the
    thread starts); a routine that is a generator runs inline, or nested (``Nest``) beyond
    the first levels."""
    queue = thread.apcs
    thread.apc_depth += 1
    depth = thread.apc_depth
    if depth > k.apc_depth_limit:
        thread.apc_depth -= 1
        raise ApcDepthLimit(apc_depth_message(k, depth))
    tracing = k.tracing
    try:
        while queue:
            apc = queue.popleft()
            k.emit(
                thread.oid,
                APC_DELIVER,
                (thread.oid,),
                (apc.aid, apc.label, apc.data, len(queue), depth, at),
                apc.seq,
            )
            result = apc.routine(*apc.args)
            if isinstance(result, GeneratorType) and depth <= INLINE_DEPTH:
                yield from result  # the common case: a shallow nesting, at full speed
            elif isinstance(result, GeneratorType):
                nested = Nest(result)
                result = None  # only the thread's stack holds the routine: no chain of levels
                # Passed up the chain of `yield from` to the dispatcher, which runs the routine
                # and resumes this generator with its result: for the types, a park.
                yield cast(Park, nested)
            if tracing:
                k.emit(thread.oid, APC_RETURN, (thread.oid,), (apc.aid, apc.label, depth))
    finally:
        thread.apc_depth -= 1


def discard_all(k: Kernel, thread: Thread, reason: str) -> None:
    """Drop every queued APC (the thread is exiting), each with a trace event."""
    queue = thread.apcs
    while queue:
        apc = queue.popleft()
        k.emit(
            k.actor_id(),
            APC_DISCARD,
            (thread.oid,),
            (apc.aid, apc.label, reason, len(queue)),
            apc.seq,
        )


def report_undelivered(k: Kernel, thread: Thread) -> None:
    """At the end of a run: one event per APC still queued (it was never delivered)."""
    for apc in thread.apcs:
        k.emit(
            0,
            APC_UNDELIVERED,
            (thread.oid,),
            (apc.aid, apc.label, "still queued at the end: no alertable wait after it was queued"),
            apc.seq,
        )
