"""Datagram (UDP-like) sockets: messages, each delivered whole or not at all.

Each operation returns 0 or the Windows Sockets error the Win32 layer reports (MS docs of
sendto, recvfrom, recv, connect; Wine dlls/ws2_32/tests/sock.c):

- ``sendto`` binds an unbound socket implicitly and sends the datagram at once: a datagram
  socket never waits for buffer space (assumption: its send buffer is not modelled, so it is
  always writable, as Wine's test_select observes of an unbound UDP socket). A datagram larger
  than 65,507 bytes is WSAEMSGSIZE; an address of 0.0.0.0 or port 0 WSAEADDRNOTAVAIL, off the
  machine and its peers WSAENETUNREACH; a socket shut down for sending WSAESHUTDOWN.
- After one latency the datagram reaches the socket bound to its destination, which queues it if
  its receive buffer has room. Otherwise it is discarded (``sock.discard``): no socket is bound
  there (the ICMP port-unreachable report Windows turns into a later WSAECONNRESET is not
  modelled, assumption; a scripted peer binds no datagram socket), the receiving socket's buffer
  is full, or the receiving socket is connected to another peer ("Messages from other addresses
  are (silently) discarded", recv, MS docs).
- ``recvfrom`` takes the first datagram ("data is extracted from the first enqueued datagram");
  an unbound socket is WSAEINVAL; a datagram larger than the buffer fills it, fails with
  WSAEMSGSIZE and the rest is lost ("For unreliable protocols (for example, UDP) the excess data
  is lost"; traced as a discard). Shut down for receiving: WSAESHUTDOWN, but "incoming datagrams
  are accepted and queued" (shutdown, MS docs).
- ``connect`` on a datagram socket only sets the default peer ("the operation performed by
  connect is merely to establish a default destination address"); 0.0.0.0 disconnects it. "Any
  datagrams queued for receipt are discarded if name is different from the previous connect."
"""

from __future__ import annotations

from emu.codes.winsock import (
    INADDR_ANY,
    WSAEADDRNOTAVAIL,
    WSAEINVAL,
    WSAEMSGSIZE,
    WSAENETUNREACH,
    WSAENOTCONN,
    WSAESHUTDOWN,
    WSAEWOULDBLOCK,
)
from emu.devices.sockets.base import MAX_DATAGRAM, NetBase
from emu.devices.sockets.endpoint import Socket, address_text


class DatagramOps(NetBase):
    """The datagram half of the network."""

    def connect_datagram(self, sock: Socket, address: int, port: int) -> int:
        if address == INADDR_ANY:
            previous, sock.remote = sock.remote, None
            if previous is not None:
                sock.update()
            return 0
        if port == 0:
            return WSAEADDRNOTAVAIL
        if self.host_of(address) is None:
            return WSAENETUNREACH
        error = self.implicit_bind(sock, address)
        if error:
            return error
        if sock.remote != (address, port) and sock.datagrams:
            count = sock.queued_bytes()
            sock.datagrams.clear()
            sock.discard(count, "queued datagrams discarded: connected to another peer")
        sock.remote = (address, port)
        sock.update()
        return 0

    def sendto(self, sock: Socket, data: bytes, to: tuple[int, int] | None) -> int:
        """Send one datagram to ``to`` (None: the connected peer); 0 or an error."""
        if sock.shut_send:
            return WSAESHUTDOWN
        if to is None:
            if sock.remote is None:
                return WSAENOTCONN
            to = sock.remote
        address, port = to
        if address == INADDR_ANY or port == 0:
            return WSAEADDRNOTAVAIL
        host = self.host_of(address)
        if host is None:
            return WSAENETUNREACH
        if len(data) > MAX_DATAGRAM:
            return WSAEMSGSIZE
        error = self.implicit_bind(sock, address)
        if error:
            return error
        source = sock.local
        assert source is not None
        payload = bytes(data)
        self.transmit(
            sock,
            "datagram",
            len(payload),
            to,
            lambda cause: self._datagram(sock, host, source, payload, to, cause),
        )
        return 0

    def _datagram(
        self,
        sender: Socket,
        host: str,
        source: tuple[int, int],
        data: bytes,
        to: tuple[int, int],
        cause: int,
    ) -> None:
        bound = [s for s in self.bound_at(host, False, *to) if not s.closed]
        if not bound:
            sender.discard(len(data), f"no socket is bound to {address_text(to)}", cause)
            return
        target = bound[0]
        if target.remote is not None and target.remote != source:
            target.discard(len(data), "the socket is connected to another peer", cause)
            return
        if target.queued_bytes() + len(data) > target.rcvbuf:
            target.discard(len(data), "the receive buffer is full", cause)
            return
        target.datagrams.append((data, source))
        target.update(cause)

    def recvfrom(
        self, sock: Socket, size: int, peek: bool
    ) -> tuple[int, bytes, tuple[int, int] | None]:
        """(0, datagram, source), (WSAEMSGSIZE, the part that fit, source), or (error, ...)."""
        if sock.local is None:
            return WSAEINVAL, b"", None  # "The socket has not been bound with bind"
        if sock.shut_recv:
            return WSAESHUTDOWN, b"", None
        if not sock.datagrams:
            return WSAEWOULDBLOCK, b"", None
        data, source = sock.datagrams[0]
        kept = data[: max(size, 0)]
        if not peek:
            sock.datagrams.popleft()
            if len(kept) < len(data):
                sock.discard(len(data) - len(kept), "the datagram was larger than the buffer")
            sock.update()
        if len(kept) < len(data):
            return WSAEMSGSIZE, kept, source
        return 0, kept, source
