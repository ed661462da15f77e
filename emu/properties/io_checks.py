"""The kernel's post-hoc properties for completion ports and I/O requests.

Guarantees: completion packets leave a port in FIFO order and go to the most recently blocked
dequeuer (LIFO); an I/O request completes exactly once. Liveness: every packet is dequeued,
dropped or reported. Client rules: one OVERLAPPED per request in flight; a failed completion
packet must not be taken for "no packet".
"""

from __future__ import annotations

from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import CLIENT_RULE, GUARANTEE, LIVENESS, Property, register
from emu.properties.checker import Checker, Context

_DEQUEUE = ("GetQueuedCompletionStatus", "GetQueuedCompletionStatusEx")
_IOCP_DOC = "I/O Completion Ports (MS doc); F5.4, F5.5, F5.19"


class PacketAccounted(Checker):
    KINDS = ("iocp.post", "iocp.dequeue", "iocp.drop", "iocp.pending")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.open: dict[int, int] = {}

    def feed(self, seq: int, event: TraceTuple) -> None:
        kind, packet = event[2], event[4][0]
        if kind == "iocp.post":
            self.exercised = True
            self.open[packet] = seq
        elif self.open.pop(packet, None) is None:
            self.found(seq, f"packet #{packet} disposed of twice, or never posted")

    def finish(self) -> None:
        for packet, seq in self.open.items():
            self.found(seq, f"packet #{packet} was neither dequeued, dropped nor reported")


class PacketsFifo(Checker):
    """Packets leave a port in the order they were queued: each dequeue takes the oldest
    packet still queued (a post handed straight to a released dequeuer never queues)."""

    KINDS = ("iocp.post", "iocp.dequeue", "iocp.drop")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.queues: dict[int, list[int]] = {}

    def feed(self, seq: int, event: TraceTuple) -> None:
        kind, port, packet = event[2], event[3][0], event[4][0]
        queue = self.queues.setdefault(port, [])
        if kind == "iocp.post":
            queue.append(packet)
            return
        if kind == "iocp.dequeue":
            if len(queue) > 1:
                self.exercised = True  # an order to keep: two packets or more were queued
            if queue and queue[0] != packet and packet in queue:
                name = self.context.name(port)
                self.found(seq, f"{name} gave packet #{packet} before #{queue[0]}, queued earlier")
        if packet in queue:
            queue.remove(packet)


class DequeuersLifo(Checker):
    KINDS = ("iocp.block", "thread.wake")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.stacks: dict[int, list[int]] = {}
        self.blocked_in: dict[int, int] = {}

    def feed(self, seq: int, event: TraceTuple) -> None:
        if event[2] == "iocp.block":
            port, thread = event[3][0], event[3][1]
            self.stacks.setdefault(port, []).append(thread)
            self.blocked_in[thread] = port
            return
        woken = event[3][0]
        held = self.blocked_in.pop(woken, None)
        if held is None:
            return
        stack = self.stacks[held]
        if event[4][1] == 0:  # released with a packet
            if len(stack) > 1:
                self.exercised = True
            if stack[-1] != woken:
                names = self.context.name
                self.found(
                    seq,
                    f"{names(held)} released {names(woken)} while {names(stack[-1])}, "
                    "blocked later, still waited",
                )
        stack.remove(woken)


class IoCompletesOnce(Checker):
    KINDS = ("io.start", "io.complete", "io.pending")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.open: dict[int, int] = {}

    def feed(self, seq: int, event: TraceTuple) -> None:
        kind, irp = event[2], event[4][0]
        if kind == "io.start":
            self.exercised = True
            self.open[irp] = seq
        elif self.open.pop(irp, None) is None:
            self.found(seq, f"request #{irp} completed twice, or was never started")

    def finish(self) -> None:
        for irp, seq in self.open.items():
            self.found(seq, f"request #{irp} neither completed nor reported pending")


class OverlappedUnique(Checker):
    """An OVERLAPPED passed to a new request while an earlier one using it is still pending."""

    KINDS = ("io.start", "io.complete")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.busy: dict[str, tuple[int, int]] = {}  # OVERLAPPED name -> (irp, io.start seq)
        self.requests: dict[int, str] = {}  # irp -> its OVERLAPPED name

    def feed(self, seq: int, event: TraceTuple) -> None:
        kind, payload = event[2], event[4]
        irp = payload[0]
        if kind == "io.complete":
            name = self.requests.pop(irp, None)
            if name is not None and self.busy.get(name, (None,))[0] == irp:
                del self.busy[name]
            return
        overlapped = payload[2]
        if not isinstance(overlapped, str):
            return
        self.exercised = True
        earlier = self.busy.get(overlapped)
        if earlier is not None:
            self.found(
                seq,
                f"{payload[1]} #{irp} was given {overlapped}, still in use by request "
                f"#{earlier[0]} (not completed yet)",
                earlier[1],
            )
        self.busy[overlapped] = (irp, seq)
        self.requests[irp] = overlapped


class FailedPacketIgnored(Checker):
    KINDS = ("api", "mem.write", "mem.read", "mem.rmw")
    TRIGGERS = ("iocp.dequeue",)  # a failed I/O's packet in *lpOverlapped was dequeued

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.written: dict[int, str] = {}  # actor -> OVERLAPPED name just stored in *lpOverlapped
        self.ignored: dict[str, int] = {}  # OVERLAPPED name -> the GetQueuedCompletionStatus seq

    def feed(self, seq: int, event: TraceTuple) -> None:
        _t, actor, kind, objects, payload, _c = event
        if kind == "mem.write" and payload[2] == "system" and payload[0] == "value":
            if isinstance(payload[1], str):
                self.written[actor] = payload[1]
            else:
                self.written.pop(actor, None)
            return
        if kind == "api":
            stored = self.written.pop(actor, None)
            if payload[0] == "GetQueuedCompletionStatus" and payload[2] == 0 and stored:
                self.exercised = True
                self.ignored[stored] = seq
                return
            for arg in payload[1]:
                if isinstance(arg, str):
                    self.ignored.pop(arg, None)
            return
        if (kind in ("mem.read", "mem.write") and payload[2] == "program") or kind == "mem.rmw":
            self.ignored.pop(self.context.name(objects[0]), None)

    def finish(self) -> None:
        for name, seq in self.ignored.items():
            self.found(
                seq,
                f"GetQueuedCompletionStatus returned FALSE with {name} in *lpOverlapped (a failed "
                f"I/O's packet), and the program never looked at {name} again",
            )


register(
    Property(
        "kernel.iocp_accounted",
        LIVENESS,
        ("PostQueuedCompletionStatus", *_DEQUEUE, "CloseHandle"),
        "F5.8; emu rule: nothing lost silently",
        "(Every completion packet is dequeued, dropped when the port is closed, or reported "
        "still queued at the end.)",
        checker=PacketAccounted,
    ),
    Property(
        "kernel.iocp_fifo",
        GUARANTEE,
        _DEQUEUE,
        _IOCP_DOC,
        "The next completion packet is pulled from the port's FIFO queue.",
        checker=PacketsFifo,
    ),
    Property(
        "kernel.iocp_lifo",
        GUARANTEE,
        _DEQUEUE,
        _IOCP_DOC,
        "Threads that block on a completion port are released in last-in-first-out (LIFO) order.",
        checker=DequeuersLifo,
    ),
    Property(
        "kernel.io_completes_once",
        GUARANTEE,
        ("ReadFile", "WriteFile", "ReadFileEx", "WriteFileEx", "ConnectNamedPipe", "CancelIoEx"),
        "F5.16, F5.26, F5.27",
        "(An asynchronous request completes exactly once, with a status and a byte count, or "
        "is reported still pending at the end.)",
        checker=IoCompletesOnce,
    ),
    Property(
        "kernel.overlapped_unique",
        CLIENT_RULE,
        (
            "ReadFile",
            "WriteFile",
            "ReadFileEx",
            "WriteFileEx",
            "ConnectNamedPipe",
            "WSARecv",
            "WSASend",
        ),
        "ReadFile (MS doc), lpOverlapped",
        "If hFile is opened with FILE_FLAG_OVERLAPPED, the lpOverlapped parameter must point "
        "to a valid and unique OVERLAPPED structure, otherwise the function can incorrectly "
        "report that the read operation is complete.",
        checker=OverlappedUnique,
        note="one OVERLAPPED per request in flight: reusing it before its request completed "
        "makes the two completions indistinguishable",
    ),
    Property(
        "kernel.iocp_failed_packet_ignored",
        CLIENT_RULE,
        ("GetQueuedCompletionStatus",),
        "GetQueuedCompletionStatus (MS doc)",
        "If *lpOverlapped is not NULL and the function dequeues a completion packet for a "
        "failed I/O operation from the completion port, the return value is zero. The function "
        "stores information in the variables pointed to by lpNumberOfBytes, lpCompletionKey, "
        "and lpOverlapped. To get extended error information, call GetLastError.",
        checker=FailedPacketIgnored,
        note="FALSE with a non-NULL OVERLAPPED is a packet: code that reads FALSE as 'no "
        "packet' never looks at the OVERLAPPED of the failed operation again",
    ),
)
