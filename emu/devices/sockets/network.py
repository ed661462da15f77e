"""The network of one simulation: its sockets, the device behind their file objects.

``network_of(k)`` is the simulation's network (created on first use, with the scenario's
``devices.sockets`` configuration if it declared one). It creates sockets, runs the stream and
datagram operations (``emu.devices.sockets.stream``, ``.datagram``) and is the ``FileDevice``
of every socket's file object: closing a socket's last handle closes the socket.

**Closing.** "Do not use the CloseHandle function to close a socket. Instead, use the
closesocket function, which releases all resources associated with the socket including the
handle to the socket object" (CloseHandle, MS docs). A SOCKET is a kernel handle, so
CloseHandle on one succeeds and closes the socket as closesocket would; what it leaves behind
is ws2_32's own record of the socket in the process, which only closesocket releases (a
``sock.close`` event says which of the two closed it). When the handle closes: the watchers
hear ``socket_closed`` (and nothing after it), the threads blocked in a call on the socket
wake and fail, pending I/O requests complete with STATUS_CANCELLED ("Any pending overlapped
send and receive operations ... are also canceled ... The pending overlapped operations fail
with the error status WSA_OPERATION_ABORTED", closesocket, MS docs), the port is freed, and
the connection ends by the rules of ``stream`` (graceful, or reset when unread data would be
lost); a datagram socket's queued datagrams are discarded.

Overlapped WSARecv and WSASend are I/O requests on the socket's file object
(``emu.devices.sockets.requests``); ReadFile and WriteFile on a socket are not modelled
(UnsupportedApi).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emu.codes.ntstatus import STATUS_CANCELLED
from emu.devices.sockets.datagram import DatagramOps
from emu.devices.sockets.endpoint import Socket
from emu.devices.sockets.stream import StreamOps
from emu.errors import UnsupportedApi
from emu.kernel.io import IoRequest, complete
from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel

SOCK_CLOSE = trace_kind(
    "sock.close",
    ("by",),
    text="{o0} is closed by {by}",
    doc="A socket's last handle closed: `by` is closesocket, or CloseHandle (which the "
    "documentation forbids for sockets: ws2_32's record of the socket is not released).",
)

NETWORK_DEVICE = "sockets"
"""The name of the network in the kernel's device table."""


class Network(StreamOps, DatagramOps):
    """The sockets of one simulation and the loopback network between them."""

    def create(self, stream: bool, overlapped: bool) -> Socket:
        sock = Socket(self.k, self, stream, overlapped)
        self.sockets.append(sock)
        sock.update()
        return sock

    def connect_any(self, sock: Socket, address: int, port: int) -> int:
        """connect for either kind of socket."""
        if sock.stream:
            return self.connect(sock, address, port)
        return self.connect_datagram(sock, address, port)

    # -- the file-object callbacks ------------------------------------------------------------

    def check_read(self, file: Any) -> int:
        raise UnsupportedApi("ReadFile on a socket: not modelled (use recv)")

    def read(self, file: Any, irp: IoRequest, size: int, buffer: bytearray | memoryview) -> None:
        raise UnsupportedApi("ReadFile on a socket: not modelled (use recv)")

    def check_write(self, file: Any) -> int:
        raise UnsupportedApi("WriteFile on a socket: not modelled (use send)")

    def write(self, file: Any, irp: IoRequest, data: bytes) -> None:
        raise UnsupportedApi("WriteFile on a socket: not modelled (use send)")

    def close(self, file: Any) -> None:
        """The socket's last handle closed (closesocket or CloseHandle)."""
        sock = file
        assert isinstance(sock, Socket)
        k = self.k
        sock.closed = True
        by = "closesocket" if sock.by_closesocket else "CloseHandle"
        seq = k.emit(k.actor_id(), SOCK_CLOSE, (sock.oid,), (by,))
        watchers, sock.watchers = sock.watchers, []
        self.fail_requests(sock, STATUS_CANCELLED)
        for irp in list(sock.pending):  # any other request of the file
            complete(k, irp, STATUS_CANCELLED, 0)
        if sock.stream:
            self.close_stream(sock)
        elif sock.datagrams:
            count = sock.queued_bytes()
            sock.datagrams.clear()
            sock.discard(count, "the socket closed with datagrams queued", seq)
        self.unbind(sock)
        seq = sock.update(seq)
        for watcher in watchers:
            watcher.socket_closed(sock, seq)
        sock.wake(seq)

    def describe(self) -> dict[str, Any]:
        return {sock.name: sock.shown for sock in self.sockets}


def network_of(k: Kernel) -> Network:
    """The simulation's network (the default configuration unless the scenario set one)."""
    return k.device(NETWORK_DEVICE, lambda: Network(k))
