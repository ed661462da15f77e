"""A socket: a file object with a connection state, bounded buffers and a readiness mask.

A SOCKET is a kernel handle to a file object ("A socket handle can optionally be a file handle
in Windows Sockets 2", Socket Handles, MS docs): ``Socket`` is a ``FileObject`` whose device is
the simulation's ``Network``, so the handle table, the completion port association and the I/O
requests work for it as for any file. What it holds:

- its kind (stream or datagram), its connection state (``SockState``) and its local and
  remote addresses (``(address, port)`` pairs of plain integers);
- for a stream socket, the bytes received and not yet read (``received``, at most ``rcvbuf``:
  the sender stops when the buffer is full), the bytes queued to send and not yet delivered
  (``unsent``, at most ``sndbuf``), and the flags of the connection's end: the peer's FIN
  arrived (``eof``), this side shut down its sending or receiving (``shut_send``,
  ``shut_recv``); for a listening socket, the connections waiting to be accepted (``incoming``,
  at most ``backlog``); for a datagram socket, the datagrams waiting (``datagrams``);
- SO_ERROR (``error``), the FIONBIO mode (``nonblocking``) and whether its handle is closed;
  once the connection is reset, the error recv and send report (``reset_error``: WSAECONNRESET,
  or WSAECONNABORTED, ``emu.devices.sockets.stream``).

Every change of what the trace shows (state, addresses, the byte counts, the backlog, the
readiness mask, the shutdown flags, the end of stream) is one ``sock.state`` event with all of
them, so ``state_at`` rebuilds a socket at any point of a run. When the readiness mask changed,
the watchers hear it (``emu.devices.sockets.readiness``) and the threads blocked in a call on
the socket are woken to look again.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Final

from emu.codes.winsock import WSAECONNRESET, sock_notify_event_names
from emu.devices.sockets.readiness import ReadinessWatcher, readiness
from emu.devices.sockets.states import SockState
from emu.kernel import waits
from emu.kernel.io import FileObject, IoRequest
from emu.kernel.trace import NO_CAUSE, trace_kind

if TYPE_CHECKING:
    from emu.devices.sockets.network import Network
    from emu.kernel.dispatcher import Kernel
    from emu.kernel.thread import Thread

SOCK_STATE = trace_kind(
    "sock.state",
    ("state", "local", "remote", "received", "unsent", "backlog", "readiness", "shut", "eof"),
    state=("state", "local", "remote", "received", "unsent", "backlog", "readiness", "shut", "eof"),
    text="{o0} -> {state} {local}<->{remote} (received {received}, unsent {unsent}, backlog "
    "{backlog}, readiness {readiness}, shut {shut}, eof {eof})",
    doc="A socket changed: its connection state (open, bound, listening, connecting, "
    "connected, failed, reset, closed), its local and remote addresses (`a.b.c.d:port`, '' "
    "when none), the bytes received and not yet read (for a datagram socket, queued in "
    "datagrams), the bytes queued to send and not yet delivered, the connections waiting to "
    "be accepted, its readiness (the SOCK_NOTIFY_EVENT_* mask, an int), which directions "
    "this side shut down ('', send, receive, both) and whether the peer's FIN arrived.",
)
SOCK_DISCARD = trace_kind(
    "sock.discard",
    ("bytes", "reason"),
    text="{o0} discards {bytes} bytes: {reason}",
    doc="Bytes (or a whole datagram, or a pending connection: `bytes` 0) the socket will "
    "never deliver, and the documented rule that drops them (reset, closed with unread data, "
    "a full receive buffer, a truncated datagram, no socket bound to the destination, ...).",
)
SOCK_LEFTOVER = trace_kind(
    "sock.leftover",
    ("what", "count"),
    text="{o0} ends the run with {count} {what}",
    doc="At the end of the run a socket still held something: bytes received and never read, "
    "bytes queued and not yet delivered, or connections never accepted.",
)

ADDRESS_ANY: Final = 0


def address_text(address: tuple[int, int] | None) -> str:
    """``127.0.0.1:5000``; ``""`` for no address."""
    if address is None:
        return ""
    host, port = address
    return f"{host >> 24 & 255}.{host >> 16 & 255}.{host >> 8 & 255}.{host & 255}:{port}"


class Socket(FileObject):
    """One socket (an AFD endpoint): see the module docstring."""

    __slots__ = (
        "backlog",
        "blocked",
        "by_closesocket",
        "closed",
        "datagrams",
        "eof",
        "epoch",
        "error",
        "fin_arrived",
        "fin_queued",
        "fin_sent",
        "host",
        "in_flight",
        "incoming",
        "lingering",
        "local",
        "mask",
        "net",
        "nonblocking",
        "peer",
        "rcvbuf",
        "reads",
        "received",
        "remote",
        "reset_error",
        "shown",
        "shut_recv",
        "shut_send",
        "sndbuf",
        "state",
        "stream",
        "unsent",
        "watchers",
        "writes",
    )

    TYPE = "Socket"

    def __init__(
        self, k: Kernel, net: Network, stream: bool, overlapped: bool, name: str | None = None
    ) -> None:
        super().__init__(k, net, overlapped, name)
        self.net = net
        self.stream = stream
        self.host = ""  # this machine; a scripted peer's sockets carry the peer's name
        self.state = SockState.OPEN
        self.local: tuple[int, int] | None = None
        self.remote: tuple[int, int] | None = None
        self.peer: Socket | None = None
        self.received = bytearray()
        self.unsent = bytearray()
        self.in_flight = 0  # bytes of ``unsent`` on their way to the peer (one segment)
        self.fin_queued = False  # a FIN follows the unsent bytes (shutdown SD_SEND or close)
        self.fin_sent = False
        self.fin_arrived = False  # our FIN reached the peer
        self.eof = False
        self.shut_send = False
        self.shut_recv = False
        self.incoming: deque[Socket] = deque()
        self.backlog = 0
        self.datagrams: deque[tuple[bytes, tuple[int, int]]] = deque()
        self.reads: deque[IoRequest] = deque()  # overlapped receives, oldest first
        self.writes: deque[IoRequest] = deque()  # overlapped sends, oldest first
        self.rcvbuf = net.config.recv_buffer
        self.sndbuf = net.config.send_buffer
        self.error = 0
        self.nonblocking = False
        self.closed = False
        self.lingering = False  # closed gracefully, still sending: the network holds it
        self.by_closesocket = False
        self.epoch = 0  # bumped when the connection is reset: segments in flight are void
        self.reset_error = WSAECONNRESET  # what recv and send report once it is reset
        self.mask = 0
        self.shown: tuple[Any, ...] = ()
        self.watchers: list[ReadinessWatcher] = []
        self.blocked: list[Thread] = []

    # -- the readiness hook -------------------------------------------------------------------

    def readiness(self) -> int:
        """The SOCK_NOTIFY_EVENT_* mask that holds now (``emu.devices.sockets.readiness``)."""
        return readiness(self)

    def watch(self, watcher: ReadinessWatcher) -> None:
        """Call ``watcher`` on every readiness change until it unwatches or the socket
        closes (a watcher added twice is called once)."""
        if watcher not in self.watchers and not self.closed:
            self.watchers.append(watcher)

    def unwatch(self, watcher: ReadinessWatcher) -> None:
        if watcher in self.watchers:
            self.watchers.remove(watcher)

    # -- what the trace shows -----------------------------------------------------------------

    def queued_bytes(self) -> int:
        """Bytes waiting to be read: the receive buffer, or the datagrams' total."""
        if self.stream:
            return len(self.received)
        return sum(len(data) for data, _ in self.datagrams)

    def _snapshot(self, mask: int) -> tuple[Any, ...]:
        shut = ("", "send", "receive", "both")[self.shut_send + 2 * self.shut_recv]
        return (
            "closed" if self.closed else self.state._value_,
            address_text(self.local),
            address_text(self.remote),
            self.queued_bytes(),
            len(self.unsent),
            len(self.incoming),
            mask,
            shut,
            self.eof,
        )

    def update(self, cause: int = NO_CAUSE) -> int:
        """Record what changed (one ``sock.state`` event, nothing if nothing did) and, when the
        readiness changed, tell the watchers and wake the blocked threads. Returns the event's
        seq (or ``cause`` when nothing changed)."""
        mask = readiness(self)
        snapshot = self._snapshot(mask)
        if snapshot == self.shown:
            return cause
        self.shown = snapshot
        k = self.k
        seq = k.emit(k.actor_id(), SOCK_STATE, (self.oid,), snapshot, cause)
        old = self.mask
        if mask != old:
            self.mask = mask
            for watcher in list(self.watchers):
                watcher.readiness_changed(self, old, mask, seq)
            self.wake(seq)
        return seq

    def wake(self, cause: int) -> None:
        """End the waits of the threads blocked in a call on this socket (each looks again)."""
        blocked, self.blocked = self.blocked, []
        for thread in blocked:
            if waits.is_waiting(thread):
                waits.end_wait(self.k, thread, 0, cause)

    def discard(self, count: int, reason: str, cause: int = NO_CAUSE) -> None:
        k = self.k
        k.emit(k.actor_id(), SOCK_DISCARD, (self.oid,), (count, reason), cause)

    def describe_readiness(self) -> str:
        return sock_notify_event_names(self.readiness())

    # -- the end of a run ---------------------------------------------------------------------

    def at_end(self) -> None:
        super().at_end()
        k = self.k
        left = (
            ("bytes received and never read", self.queued_bytes() if not self.closed else 0),
            ("bytes never delivered", len(self.unsent) if self.peer is not None else 0),
            ("connections never accepted", len(self.incoming)),
        )
        for what, count in left:
            if count:
                k.emit(0, SOCK_LEFTOVER, (self.oid,), (what, count))
