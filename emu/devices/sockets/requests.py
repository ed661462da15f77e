"""Overlapped receives and sends on a stream socket: I/O requests that complete exactly once.

An overlapped WSARecv or WSASend on a socket is an ``IoRequest`` on the socket's file object
(``emu.kernel.io``), so it completes like any file request: the OVERLAPPED's Internal and
InternalHigh are written, its event (or the socket's file object) is signalled, and a packet
goes to the completion port the socket is associated with, or it is cancelled (CancelIo,
CancelIoEx, closesocket: STATUS_CANCELLED, which GetOverlappedResult reports as
ERROR_OPERATION_ABORTED and WSAGetOverlappedResult as WSA_OPERATION_ABORTED). The rules:

- **Receives** wait in the order they were issued (``Socket.reads``). Bytes that arrive go to
  the oldest pending receive first, never to the receive buffer, so a socket with a receive
  pending never shows IN: the request takes as much as is there, up to the size of its
  buffers (scattered over them in order), and completes with that count. At end of stream a
  pending receive completes with 0 bytes ("If the connection has been gracefully closed ...
  zero"); a reset completes it with STATUS_CONNECTION_RESET (F2.34: "a pending overlapped
  receive completes with STATUS_CONNECTION_RESET").
- **Sends** take their bytes into the send buffer in the order they were issued
  (``Socket.writes``); a send completes, with its whole length, once all its bytes are in the
  buffer (at once when they fit). While a send waits, a later non-overlapped send waits
  behind it (WSAEWOULDBLOCK). A reset completes the waiting sends with
  STATUS_CONNECTION_RESET.
- A request is refused before it starts when the call would fail at once (not connected,
  shut down, reset): then nothing completes, no event, no packet.
- A thread blocked on the socket that issued the request (a WSARecv or WSASend with an
  OVERLAPPED on a socket without WSA_FLAG_OVERLAPPED waits for its request) is woken when the
  request completes, to look again.
"""

from __future__ import annotations

from typing import Any

from emu.codes.ntstatus import STATUS_CANCELLED, STATUS_CONNECTION_RESET, STATUS_SUCCESS
from emu.devices.sockets.base import NetBase
from emu.devices.sockets.endpoint import Socket
from emu.devices.sockets.states import SockState
from emu.kernel import waits
from emu.kernel.io import IoRequest, complete
from emu.kernel.trace import NO_CAUSE

Buffers = list[bytearray | memoryview]


class RequestOps(NetBase):
    """The overlapped half of the stream operations."""

    def complete_request(
        self, sock: Socket, irp: IoRequest, status: int, count: int, cause: int = NO_CAUSE
    ) -> None:
        """Complete ``irp``; wake the thread that issued it if it is blocked on ``sock``."""
        complete(self.k, irp, status, count)
        thread = irp.thread
        if thread in sock.blocked:
            sock.blocked.remove(thread)
            if waits.is_waiting(thread):
                waits.end_wait(self.k, thread, 0, cause)

    def start_receive(self, sock: Socket, irp: IoRequest, buffers: Buffers) -> int:
        """Queue an overlapped receive; returns the bytes it took from the receive buffer
        (the caller lets the peer's sender go on when some were)."""
        irp.data = buffers
        sock.reads.append(irp)
        return self.satisfy_reads(sock)

    def satisfy_reads(self, sock: Socket, cause: int = -1) -> int:
        """Complete the pending receives that can be now; the bytes taken from ``received``."""
        taken = 0
        while sock.reads:
            irp = sock.reads[0]
            if sock.state is SockState.RESET:
                sock.reads.popleft()
                self.complete_request(sock, irp, STATUS_CONNECTION_RESET, 0, cause)
                continue
            if not sock.received and not sock.eof:
                break
            sock.reads.popleft()
            count = 0
            for buffer in irp.data:
                chunk = bytes(sock.received[: len(buffer)])
                if not chunk:
                    break
                buffer[: len(chunk)] = chunk
                del sock.received[: len(chunk)]
                count += len(chunk)
            taken += count
            self.complete_request(sock, irp, STATUS_SUCCESS, count, cause)
        if taken:
            sock.update(cause)
        return taken

    def start_send(self, sock: Socket, irp: IoRequest, data: bytes) -> bool:
        """Queue an overlapped send; returns whether bytes entered the send buffer."""
        irp.data = [data, 0]
        sock.writes.append(irp)
        return self.feed_writes(sock)

    def feed_writes(self, sock: Socket, cause: int = -1) -> bool:
        """Move the waiting sends' bytes into the send buffer as room allows, completing each
        send whose bytes are all in; returns whether any byte moved."""
        moved = False
        while sock.writes:
            irp = sock.writes[0]
            data, done = irp.data
            room = sock.sndbuf - len(sock.unsent)
            if room <= 0 and done < len(data):
                break
            chunk = data[done : done + room]
            if chunk:
                sock.unsent += chunk
                moved = True
            done += len(chunk)
            irp.data[1] = done
            if done < len(data):
                break
            sock.writes.popleft()
            self.complete_request(sock, irp, STATUS_SUCCESS, len(data), cause)
        if moved:
            sock.update(cause)
        return moved

    def fail_requests(self, sock: Socket, status: int) -> None:
        """Complete every pending request of ``sock`` with ``status``."""
        while sock.reads:
            self.complete_request(sock, sock.reads.popleft(), status, 0)
        while sock.writes:
            self.complete_request(sock, sock.writes.popleft(), status, 0)

    def cancel(self, irp: IoRequest) -> None:
        """CancelIo/CancelIoEx (and a thread's exit): the request gives up."""
        sock: Any = irp.file
        assert isinstance(sock, Socket)
        if irp in sock.reads:
            sock.reads.remove(irp)
        if irp in sock.writes:
            sock.writes.remove(irp)
        self.complete_request(sock, irp, STATUS_CANCELLED, 0)
