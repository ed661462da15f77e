"""What a run left behind: things a program started and never saw through, read off the trace.

The kernel reports, event by event, what no one will ever see: an APC discarded when its thread
exited (``apc.discard``), and, when the run ends, the packets still in a port (``iocp.pending``)
and the I/O requests still pending (``io.pending``). The trace says which rule disposed of each
(nothing is lost without a trace event); these properties make it a verdict, not only text:

- ``kernel.apc_discarded`` (liveness): an APC lost when its thread exited, whenever it happens
  ("When the thread is terminated using the ExitThread function or TerminateThread function,
  the APCs in its APC queue are lost. The APC functions are not called.", QueueUserAPC);
- ``kernel.iocp_packets_left`` and ``kernel.io_outstanding`` (liveness): a packet still queued,
  a request still pending, when the run ended with every program finished
  (``Context.programs_finished``: no thread left to dequeue or wait for it);
- ``kernel.handle_leak`` (client rule): a handle a program opened and never closed, when every
  program finished: in every handle namespace the trace names (kernel handles, SC_HANDLEs and
  any namespace a subsystem adds), from the ``handle.open``/``handle.close`` events alone.
  Handles the world opened (a scenario's ``devices:`` objects) are not a program's. NETIO
  notification handles are not counted: an application's registrations end with it ("If the
  application terminates, the system will automatically deregister", F3.13), and a driver's
  left at unload are ``netio.registration_at_unload``.

A scenario that demonstrates one of these on purpose declares it ``intended``
(docs/scenarios.md). A run that ends at a time or step limit, or with a thread still blocked,
did not finish: what is pending then may still be seen through, and only the discards count.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Final

from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import CLIENT_RULE, LIVENESS, Property, register
from emu.properties.checker import Checker, Context

UNCOUNTED: Final = frozenset(("netio", "peerdist"))
"""Handle namespaces whose handles a program need not close (see the module docstring)."""
PROGRAM: Final = "Thread"
"""The object type of the actors that run programs (threads, and drivers' entry points)."""


class ApcDiscarded(Checker):
    KINDS = ("apc.queue", "apc.discard")

    def feed(self, seq: int, event: TraceTuple) -> None:
        self.exercised = True
        if event[2] == "apc.discard":
            thread = self.context.name(event[3][0])
            payload = event[4]
            self.found(
                seq,
                f"APC #{payload[0]} {payload[1]} queued to {thread} was lost: {payload[2]} "
                "before it waited alertably",
                event[5],
            )


class LeftAtEnd(Checker):
    """The base of the checks of what a finished run left pending: the events of ``PENDING``
    at the end, once ``START`` showed the situation can arise."""

    START: str = ""
    PENDING: str = ""

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.started = False
        self.left: list[tuple[int, TraceTuple]] = []

    def feed(self, seq: int, event: TraceTuple) -> None:
        if event[2] == self.START:
            self.started = True
        else:
            self.left.append((seq, event))

    def finish(self) -> None:
        if not self.started or not self.context.programs_finished():
            return
        self.exercised = True
        for seq, event in self.left:
            self.found(seq, self.message(event), *(() if event[5] < 0 else (event[5],)))

    @abstractmethod
    def message(self, event: TraceTuple) -> str:
        """What the finding says about the started thing left pending."""


class PacketsLeft(LeftAtEnd):
    KINDS = ("iocp.post", "iocp.pending")
    START = "iocp.post"
    PENDING = "iocp.pending"

    def message(self, event: TraceTuple) -> str:
        port = self.context.name(event[3][0])
        return (
            f"packet #{event[4][0]} (key {event[4][1]}) was still queued in {port} when every "
            "program had finished: nobody will dequeue it"
        )


class IoOutstanding(LeftAtEnd):
    KINDS = ("io.start", "io.pending")
    START = "io.start"
    PENDING = "io.pending"

    def message(self, event: TraceTuple) -> str:
        file = self.context.name(event[3][0])
        return (
            f"{event[4][1]} #{event[4][0]} on {file} was still pending when every program had "
            "finished: nobody will see it complete"
        )


class HandleLeak(Checker):
    """Handles a program opened and left open, once every program finished."""

    KINDS = ("handle.open", "handle.close")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        # (namespace, handle value) -> (object, handle.open seq, opener)
        self.open: dict[tuple[str, object], tuple[int, int, int]] = {}
        self.opened = False  # a program opened a handle

    def feed(self, seq: int, event: TraceTuple) -> None:
        _t, actor, kind, objects, payload, _c = event
        key = (str(payload[0]), payload[1])
        if key[0] in UNCOUNTED:
            return
        if kind == "handle.close":
            self.open.pop(key, None)
        elif self.context.types.get(actor) == PROGRAM:
            self.open[key] = (objects[0], seq, actor)
            self.opened = True
        else:  # opened by the world (a scenario's devices) or the system: not a program's
            self.open.pop(key, None)

    def finish(self) -> None:
        if not self.opened or not self.context.programs_finished():
            return
        self.exercised = True
        name = self.context.name
        for (namespace, value), (oid, seq, actor) in self.open.items():
            shown = f"0x{value:X}" if isinstance(value, int) else str(value)
            call = self._call(seq, actor)
            where = f" in {call[1]} (#{call[0]})" if call is not None else ""
            self.found(
                seq,
                f"{name(actor)} opened {name(oid)} ({namespace} handle {shown}){where} and no "
                "program closed it",
                *(() if call is None else (call[0],)),
            )

    def _call(self, seq: int, actor: int) -> tuple[int, str] | None:
        """The call that opened the handle: the opener's next ``api`` event."""
        events = self.context.events
        for after in range(seq + 1, min(seq + 64, len(events))):
            event = events[after]
            if event[2] == "api" and event[1] == actor:
                return after, str(event[4][0])
        return None


register(
    Property(
        "kernel.apc_discarded",
        LIVENESS,
        ("QueueUserAPC", "ReadFileEx", "WriteFileEx", "ExitThread"),
        "QueueUserAPC (MS doc), Remarks",
        "When the thread is terminated using the ExitThread function or TerminateThread "
        "function, the APCs in its APC queue are lost. The APC functions are not called.",
        checker=ApcDiscarded,
        note="documented, and still something the program started and never saw through: a "
        "scenario that shows the discard on purpose declares it intended",
    ),
    Property(
        "kernel.iocp_packets_left",
        LIVENESS,
        ("PostQueuedCompletionStatus", "GetQueuedCompletionStatus", "CreateIoCompletionPort"),
        "I/O Completion Ports (MS doc); emu rule: nothing lost silently",
        "When an asynchronous I/O operation on one of these file handles completes, an I/O "
        "completion packet is queued in first-in-first-out (FIFO) order to the associated I/O "
        "completion port.",
        checker=PacketsLeft,
        note="checked when the run ends with every program finished: a packet still queued "
        "then was never dequeued, and the port was never closed to drop it",
    ),
    Property(
        "kernel.io_outstanding",
        LIVENESS,
        ("ReadFile", "WriteFile", "ReadFileEx", "WriteFileEx", "ConnectNamedPipe"),
        "F5.16, F5.26; emu rule: nothing lost silently",
        "(An asynchronous request a program started completes, or is cancelled, before every "
        "program has finished: otherwise nobody ever sees its result.)",
        checker=IoOutstanding,
        note="checked when the run ends with every program finished; I/O on a file associated "
        "with a completion port survives its thread, other I/O is cancelled when it exits",
    ),
    Property(
        "kernel.handle_leak",
        CLIENT_RULE,
        ("CloseHandle", "CloseServiceHandle"),
        "CloseHandle (MS doc), Remarks",
        "In general, an application should call CloseHandle once for each handle it opens.",
        checker=HandleLeak,
        note="checked when the run ends with every program finished, in every handle "
        "namespace (kernel handles, SC_HANDLEs closed with CloseServiceHandle, and those of "
        "later subsystems); a scenario that leaves handles open on purpose declares it "
        "intended",
    ),
)
