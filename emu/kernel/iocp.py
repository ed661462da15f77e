"""I/O completion ports: a FIFO packet queue, LIFO waiters, and a concurrency value.

What real Windows was observed to do (the F5 facts of docs/sources.md, Wine's ntdll tests), and
how:

- Packets are dequeued FIFO (F5.4); threads blocked in a dequeue are released LIFO, the most
  recent waiter getting the oldest packet (F5.5, F5.19).
- The concurrency value (F5.20): a packet releases a waiter only while fewer associated threads
  than the value are running. ``active`` counts the associated threads that are not blocked: a
  thread becomes associated on its first dequeue (F5.21) and counts while it runs; when it
  blocks in any other wait it stops counting (``thread_blocked``) and a waiter may be released;
  when that wait ends it counts again, so ``active`` can overshoot the value. A running thread
  that calls again has finished its previous packet: its own slot is free for the check, so it
  takes a queued packet without blocking even while others wait (F5.20).
- Alertable dequeue (F5.13, F5.14): for a thread not associated with this port, a pending user
  APC takes priority over a queued packet and the thread does not become associated ("Previous
  call resulted in STATUS_USER_APC did not associate the thread with the port"); once
  associated, a queued packet takes priority and the APC stays queued (F5.25). With nothing
  queued, an alertable dequeue runs the APCs and returns STATUS_USER_APC; a non-alertable one
  never runs them (F5.12).
- The port is a waitable object (F5.6): a packet left in the queue signals it without being
  consumed, waking every thread waiting on the port handle; a packet handed straight to a
  blocked dequeuer does not (F5.7).
- Rundown (F5.8, F5.23): when the last handle to the port closes, blocked dequeuers return
  STATUS_ABANDONED_WAIT_0, threads waiting on the handle are released (the port is signalled),
  queued packets are dropped (``iocp.drop``), and associations end. The object lives on while
  files associated with it hold references; their completions are dropped too.
- A dequeue that asks for several entries gets up to that many already queued (F5.11); one
  released from a wait gets the packet that released it plus what else is queued.

Every packet has a number, and the trace says where each went: dequeued (``iocp.dequeue``),
dropped by rundown (``iocp.drop``), or still queued at the end (``iocp.pending``).

A device that must know when its packet leaves the queue (a socket notification registration
keeps at most one packet queued and ORs new events into it, SOCK_NOTIFY_REGISTRATION) posts a
``Packet`` it built with an ``owner`` through ``post_packet``; the port calls
``owner.packet_left(packet, taken)`` once, when a thread takes the packet (``taken`` True) or
the port drops it (False). Until then the owner may change the packet's ``information``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import TYPE_CHECKING, Any, Protocol

from emu.codes.access import IO_COMPLETION_GENERIC_MAPPING
from emu.codes.ntstatus import (
    STATUS_ABANDONED_WAIT_0,
    STATUS_SUCCESS,
    STATUS_TIMEOUT,
    STATUS_USER_APC,
)
from emu.kernel import waits
from emu.kernel.actor import Park
from emu.kernel.objects import DispatcherObject
from emu.kernel.trace import NO_CAUSE, payload_value, trace_kind

if TYPE_CHECKING:
    from emu.kernel.actor import Actor
    from emu.kernel.dispatcher import Kernel
    from emu.kernel.thread import Thread

IOCP_POST = trace_kind(
    "iocp.post",
    ("packet", "key", "value", "status", "information", "queued"),
    state=("queued",),
    text="post packet #{packet} key {key} status {status} to {o0} ({queued} queued)",
    doc="A completion packet was queued to the port (`queued`: the new queue length), or "
    "handed to a blocked dequeuer (then `queued` is unchanged and an iocp.dequeue follows).",
)
IOCP_DEQUEUE = trace_kind(
    "iocp.dequeue",
    ("packet", "key", "value", "status", "information", "queued"),
    state=("queued",),
    text="{o1} dequeues packet #{packet} key {key} status {status} from {o0} ({queued} left)",
    doc="The packet left the port for a thread (objects[1]): the thread took it, or a post or "
    "an activation handed it over as it released the blocked thread; `cause` is its iocp.post.",
)
IOCP_BLOCK = trace_kind(
    "iocp.block",
    ("waiting",),
    text="{o1} blocks in a dequeue on {o0} ({waiting} blocked there)",
    doc="A thread (objects[1]) found nothing to take and blocks in GetQueuedCompletionStatus(Ex) "
    "on the port; `waiting` counts the port's blocked dequeuers, released last in, first out.",
)
IOCP_DROP = trace_kind(
    "iocp.drop",
    ("packet", "key", "reason", "queued"),
    state=("queued",),
    text="drop packet #{packet} of {o0}: {reason}",
    doc="A packet was dropped by a documented rule (the port was closed).",
)
IOCP_PENDING = trace_kind(
    "iocp.pending",
    ("packet", "key"),
    text="packet #{packet} still queued on {o0} at the end",
    doc="At the end of the run the packet was still in the port's queue.",
)
IOCP_ACTIVE = trace_kind(
    "iocp.active",
    ("active", "concurrency", "op"),
    state=("active",),
    text="{o0} active {active}/{concurrency} ({op} {o1})",
    doc="The number of running threads associated with the port changed: a thread "
    "(objects[1]) was associated or disassociated, blocked or resumed.",
)
IOCP_CLOSE = trace_kind(
    "iocp.close",
    ("abandoned", "dropped"),
    state=("abandoned",),
    text="{o0} runs down: {abandoned} waiters abandoned, {dropped} packets dropped",
    doc="The last handle to the port was closed.",
)


class PacketOwner(Protocol):
    """A device told when its packet leaves the port (``IoCompletionPort.post_packet``)."""

    def packet_left(self, packet: Packet, taken: bool) -> None:
        """A thread took ``packet`` (``taken``), or the port dropped it."""


class Packet:
    """A completion packet: key, value (the OVERLAPPED pointer), status and information;
    ``owner`` (usually None) is told when it leaves the port."""

    __slots__ = ("information", "key", "number", "owner", "seq", "status", "value")

    def __init__(
        self,
        number: int,
        key: Any,
        value: Any,
        status: int,
        information: int,
        seq: int,
        owner: PacketOwner | None = None,
    ) -> None:
        self.number = number
        self.key = key
        self.value = value
        self.status = status
        self.information = information
        self.seq = seq
        self.owner = owner


class IoCompletionPort(DispatcherObject):
    """KQUEUE and the I/O completion object around it."""

    __slots__ = ("active", "closed", "concurrency", "dequeuers", "packets", "threads", "wants")

    TYPE = "IoCompletion"
    GENERIC_MAPPING = IO_COMPLETION_GENERIC_MAPPING

    def __init__(self, k: Kernel, concurrency: int, name: str | None = None) -> None:
        super().__init__(k, name)
        self.concurrency = concurrency if concurrency > 0 else k.processors
        self.packets: deque[Packet] = deque()
        self.dequeuers: list[Thread] = []  # blocked in a dequeue; the last one is released first
        self.threads: list[Thread] = []  # associated threads
        self.wants: dict[int, int] = {}  # a blocked dequeuer's oid -> entries it asked for
        self.active = 0
        self.closed = False
        k.end_reporters.append(self)

    def is_signaled_for(self, waiter: Actor) -> bool:
        return bool(self.packets) or self.closed

    # -- association and the running count ---------------------------------------------------

    def _count(self, thread: Thread, delta: int, op: str) -> None:
        self.active += delta
        k = self.k
        if k.tracing:
            k.emit(
                k.actor_id(),
                IOCP_ACTIVE,
                (self.oid, thread.oid),
                (self.active, self.concurrency, op),
            )

    def associate(self, thread: Thread) -> None:
        """The thread dequeues from this port: it leaves any other port and counts here."""
        if thread.port is self:
            return
        if thread.port is not None:
            thread.port.disassociate(thread)
        thread.port = self
        thread.port_counted = True
        self.threads.append(thread)
        self._count(thread, +1, "associate")

    def disassociate(self, thread: Thread) -> None:
        """The thread exits, moves to another port, or the port runs down."""
        if thread.port is not self:
            return
        self.threads.remove(thread)
        thread.port = None
        if thread.port_counted:
            thread.port_counted = False
            self._count(thread, -1, "disassociate")
            self.activate()

    def thread_blocked(self, thread: Thread) -> None:
        if thread.port_counted:
            thread.port_counted = False
            self._count(thread, -1, "block")
            self.activate()

    def thread_unblocked(self, thread: Thread) -> None:
        if not thread.port_counted:
            thread.port_counted = True
            self._count(thread, +1, "resume")

    # -- packets ------------------------------------------------------------------------------

    def post(self, key: Any, value: Any, status: int, information: int) -> int:
        """Queue a packet (or hand it to the most recent blocked dequeuer); its number."""
        packet = Packet(self.k.new_id("packet"), key, value, status, information, NO_CAUSE)
        self.post_packet(packet)
        return packet.number

    def post_packet(self, packet: Packet) -> None:
        """``post`` for a packet a device built (its number from ``k.new_id("packet")``),
        usually to be told when it leaves (``Packet.owner``)."""
        k = self.k
        number, key, value = packet.number, packet.key, packet.value
        status, information = packet.status, packet.information
        if self.closed:
            payload = (number, payload_value(key), payload_value(value), status, information)
            seq = k.emit(k.actor_id(), IOCP_POST, (self.oid,), (*payload, len(self.packets)))
            k.emit(
                k.actor_id(),
                IOCP_DROP,
                (self.oid,),
                (number, payload_value(key), "the port is closed", len(self.packets)),
                seq,
            )
            if packet.owner is not None:
                packet.owner.packet_left(packet, False)
            return
        dequeuer = self._next_dequeuer() if self.active < self.concurrency else None
        if dequeuer is None:
            self.packets.append(packet)
        if k.tracing:
            packet.seq = k.emit(
                k.actor_id(),
                IOCP_POST,
                (self.oid,),
                (
                    number,
                    payload_value(key),
                    payload_value(value),
                    status,
                    information,
                    len(self.packets),
                ),
            )
        if dequeuer is not None:
            self.dequeuers.pop()
            self._release(dequeuer, [packet])
            return
        if self.waiters:
            waits.signal(k, self, packet.seq)

    def _next_dequeuer(self) -> Thread | None:
        """The most recent dequeuer still waiting (one whose wait an APC or its timeout ended
        has not run yet to remove itself, and is skipped)."""
        dequeuers = self.dequeuers
        while dequeuers:
            thread = dequeuers[-1]
            if waits.is_waiting(thread):
                return thread
            dequeuers.pop()
        return None

    def activate(self) -> None:
        """KiActivateWaiterQueue: release blocked dequeuers while packets and slots allow."""
        while self.packets and self.active < self.concurrency:
            dequeuer = self._next_dequeuer()
            if dequeuer is None:
                return
            self.dequeuers.pop()
            self._release(dequeuer, [self.packets.popleft()])

    def _take(self, thread: Thread, packets: list[Packet], actor: int) -> list[Packet]:
        """Record that ``packets`` left the port for ``thread``: when it takes them itself, or
        when a post or an activation hands them to it as it is released (the entry leaves the
        queue at that moment, not when the thread next runs)."""
        if self.k.tracing:
            self._trace_take(thread, packets, actor)
        self._tell_owners(packets)
        return packets

    @staticmethod
    def _tell_owners(packets: list[Packet]) -> None:
        """After the dequeue is recorded, and after a released thread counts as running again:
        an owner may post at once (a level-triggered registration whose condition still
        holds), and that packet must see the port's running count as it now is."""
        for packet in packets:
            if packet.owner is not None:
                packet.owner.packet_left(packet, True)

    def _trace_take(self, thread: Thread, packets: list[Packet], actor: int) -> None:
        k = self.k
        for packet in packets:
            k.emit(
                actor,
                IOCP_DEQUEUE,
                (self.oid, thread.oid),
                (
                    packet.number,
                    payload_value(packet.key),
                    payload_value(packet.value),
                    packet.status,
                    packet.information,
                    len(self.packets),
                ),
                packet.seq,
            )

    def _release(self, thread: Thread, packets: list[Packet]) -> None:
        wanted = self.wants.pop(thread.oid, 1)
        while len(packets) < wanted and self.packets:
            packets.append(self.packets.popleft())
        thread.io_packets = packets
        k = self.k
        if k.tracing:
            self._trace_take(thread, packets, k.actor_id())
        waits.end_wait(k, thread, STATUS_SUCCESS, packets[0].seq)
        self._tell_owners(packets)

    def remove(
        self, thread: Thread, count: int, timeout: int | None, alertable: bool
    ) -> Generator[Park, None, tuple[int, list[Packet]]]:
        """KeRemoveQueueEx: up to ``count`` packets, STATUS_USER_APC, STATUS_TIMEOUT or
        STATUS_ABANDONED_WAIT_0 (the port ran down while the thread waited)."""
        k = self.k
        if alertable and thread.apcs and thread.port is not self:
            # F5.14: not associated with this port: the APC wins, and no association.
            yield from thread.deliver_user_apcs()
            return STATUS_USER_APC, []
        if thread.port is not self:
            self.associate(thread)
        # The caller finished its previous packet: its own slot is free for this check.
        if self.packets and self.active - 1 < self.concurrency:
            taken = [self.packets.popleft() for _ in range(min(count, len(self.packets)))]
            return STATUS_SUCCESS, self._take(thread, taken, thread.oid)
        if alertable and thread.apcs:
            yield from thread.deliver_user_apcs()
            return STATUS_USER_APC, []
        if timeout == 0:
            return STATUS_TIMEOUT, []
        thread.io_packets = []
        self.dequeuers.append(thread)
        self.wants[thread.oid] = count
        if k.tracing:
            k.emit(thread.oid, IOCP_BLOCK, (self.oid, thread.oid), (len(self.dequeuers),))
        self.reference()  # the wait holds the port, as NtRemoveIoCompletion's reference does
        status = yield from waits.wait(
            k, thread, (), False, timeout, alertable, shown=(self,), deliver=False
        )
        if thread in self.dequeuers:  # timed out or ended by an APC
            self.dequeuers.remove(thread)
            self.wants.pop(thread.oid, None)
        packets, thread.io_packets = thread.io_packets, []
        if status == STATUS_SUCCESS:
            self.dereference()
            return status, packets
        self.dereference()
        if status == STATUS_USER_APC:
            # Off the dequeuer list first: the APCs may wait, even dequeue, themselves.
            yield from thread.deliver_user_apcs()
        return status, []

    # -- rundown ------------------------------------------------------------------------------

    def on_last_handle_closed(self) -> None:
        k = self.k
        self.closed = True
        dropped = list(self.packets)
        self.packets.clear()
        abandoned = [t for t in self.dequeuers if waits.is_waiting(t)]
        self.dequeuers.clear()
        self.wants.clear()
        seq = k.emit(k.actor_id(), IOCP_CLOSE, (self.oid,), (len(abandoned), len(dropped)))
        for packet in dropped:
            k.emit(
                k.actor_id(),
                IOCP_DROP,
                (self.oid,),
                (packet.number, payload_value(packet.key), "the port was closed", 0),
                packet.seq,
            )
            if packet.owner is not None:
                packet.owner.packet_left(packet, False)
        for thread in reversed(abandoned):
            waits.end_wait(k, thread, STATUS_ABANDONED_WAIT_0, seq)
        for thread in self.threads[:]:
            self.disassociate(thread)
        if self.waiters:
            waits.signal(k, self, seq)

    def at_end(self) -> None:
        k = self.k
        for packet in self.packets:
            k.emit(0, IOCP_PENDING, (self.oid,), (packet.number, payload_value(packet.key)))

    def statistics(self) -> dict[str, int]:
        return {
            "queued": len(self.packets),
            "dequeuers": len(self.dequeuers),
            "threads": len(self.threads),
            "active": self.active,
            "concurrency": self.concurrency,
        }
