"""Stream (TCP-like) sockets: listening, connecting, the byte stream, shutdown and reset.

Each operation returns 0 or the Windows Sockets error the Win32 layer reports (WSAE*); what
would block returns WSAEWOULDBLOCK and the caller decides whether to wait. The rules (MS docs of
each function; Wine dlls/ws2_32/tests/sock.c, whose assertions hold on Windows):

- **listen** needs a bound stream socket (WSAEINVAL; a datagram socket: WSAEOPNOTSUPP, Wine
  test_listen), not a connected one (WSAEISCONN); listening again only changes the backlog. The
  backlog is clamped to 1..``max_backlog`` (SOMAXCONN: the maximum; assumption).
- **connect** starts the handshake: a listening socket gives WSAEINVAL, a connected one
  WSAEISCONN, one still connecting WSAEALREADY ("Until the connection attempt completes on a
  nonblocking socket, all subsequent calls to connect on the same socket will fail with the
  error code WSAEALREADY, and WSAEISCONN when the connection completes successfully"), the
  address 0.0.0.0 or port 0 WSAEADDRNOTAVAIL, an address of no host WSAENETUNREACH (nothing but
  this machine and the scenario's peers is reachable; assumption). After one latency the request
  reaches the destination: a listening socket with room in its backlog queues a new connected
  socket and the connect completes; otherwise it is refused (WSAECONNREFUSED, in SO_ERROR: the
  RST is part of the same latency). A full backlog refuses (assumption: Windows answers RST).
- **The byte stream**: ``send`` copies what fits in the send buffer (WSAEWOULDBLOCK when none
  does); one segment at a time carries the queued bytes, as many as the peer's receive buffer
  has room for, and the sender's buffer frees when they arrive. ``recv`` takes what is there (up
  to the size asked), returns 0 bytes at end of stream ("If the connection has been gracefully
  closed, the return value is zero"), WSAECONNRESET after a reset, WSAEWOULDBLOCK when nothing
  waits; reading frees room, which lets the peer's sender go on. A recv of 0 bytes takes
  nothing and returns 0 once bytes wait or at end of stream (Wine test_empty_recv), else
  would block like any recv (assumption); the page's WSAEINVAL for "len was zero or
  negative" is kept for a negative len.
- **shutdown(SD_SEND)** queues a FIN after the unsent bytes ("For TCP sockets, a FIN will be
  sent after all data is sent"); the peer then reads the rest and 0. **SD_RECEIVE**: "if there
  is still data queued on the socket waiting to be received, or data arrives subsequently, the
  connection is reset" -- but bytes arriving while overlapped receives are pending go to them
  first (Wine test_shutdown, "Test shutting down with async I/O pending"); only what they do
  not take resets. Later send or recv in a shut direction: WSAESHUTDOWN.
- **Reset**: both ends go to RESET, each discarding what it held (``sock.discard``: unread and
  unsent bytes are lost, assumption), a pending connect or recv fails with WSAECONNRESET.
  SO_ERROR stays 0 after a reset (Wine test_tcp_reset). A reset after the peer's FIN (the
  peer closed, then refused the bytes sent to it) aborts the connection: recv and send report
  WSAECONNABORTED (Wine test_shutdown, "Send data to a peer which is closed"; the pending
  requests still complete with STATUS_CONNECTION_RESET: assumption). Bytes reaching a socket
  whose own side was reset in the same instant are discarded (its reset is on its way back).
- **accept**: the new socket takes the listener's blocking mode at the accept ("the same
  properties as socket s", accept, MS docs), not when the connection arrived.
- **Closing** (the last handle): a listening socket resets every connection still waiting in its
  backlog; a connected socket with unread bytes resets the connection (the bytes are discarded:
  assumption, as TCP stacks abort a close that loses data); otherwise the close is graceful,
  "any data queued for transmission will be sent, if possible, before the underlying socket is
  closed" (closesocket, MS docs): the socket keeps sending its queued bytes and then its FIN.
  Bytes that reach a closed socket are discarded and reset the connection. A connect still in
  progress is abandoned (the request is discarded on arrival).
"""

from __future__ import annotations

from typing import Final

from emu.codes.ntstatus import STATUS_CONNECTION_RESET
from emu.codes.winsock import (
    INADDR_ANY,
    WSAEADDRNOTAVAIL,
    WSAEALREADY,
    WSAECONNABORTED,
    WSAECONNREFUSED,
    WSAECONNRESET,
    WSAEINVAL,
    WSAEISCONN,
    WSAENETUNREACH,
    WSAENOTCONN,
    WSAEOPNOTSUPP,
    WSAESHUTDOWN,
    WSAEWOULDBLOCK,
)
from emu.devices.sockets.endpoint import Socket
from emu.devices.sockets.requests import RequestOps
from emu.devices.sockets.states import SockState

CONNECTED: Final = SockState.CONNECTED
PEER_SEND_BUFFER: Final = 1 << 40
"""A scripted peer never waits to send: its side of the connection is the remote machine's."""


class StreamOps(RequestOps):
    """The stream half of the network."""

    # -- listening ----------------------------------------------------------------------------

    def listen(self, sock: Socket, backlog: int) -> int:
        if not sock.stream:
            return WSAEOPNOTSUPP
        if sock.state in (SockState.CONNECTED, SockState.CONNECTING):
            return WSAEISCONN
        if sock.local is None:
            return WSAEINVAL
        sock.backlog = max(1, min(backlog, self.config.max_backlog))
        sock.state = SockState.LISTENING
        sock.update()
        return 0

    def accept(self, listener: Socket) -> tuple[int, Socket | None]:
        """The first connection waiting (the caller gives it a handle, then calls
        ``accepted``); WSAEWOULDBLOCK when none waits."""
        if not listener.stream:
            return WSAEOPNOTSUPP, None
        if listener.state is not SockState.LISTENING:
            return WSAEINVAL, None  # "The listen function was not invoked prior to accept."
        if not listener.incoming:
            return WSAEWOULDBLOCK, None
        sock = listener.incoming.popleft()
        listener.update()
        if sock.state is SockState.RESET:
            # "An incoming connection was indicated, but was subsequently terminated by the
            # remote peer prior to accepting the call."
            sock.dereference()
            return WSAECONNRESET, None
        return 0, sock

    def accepted(self, listener: Socket, sock: Socket) -> None:
        """The accepted socket has its handle: it takes the listening socket's blocking mode
        now, and the backlog's reference goes."""
        sock.nonblocking = listener.nonblocking
        sock.dereference()

    # -- connecting ---------------------------------------------------------------------------

    def connect(self, sock: Socket, address: int, port: int) -> int:
        """Start connecting (0: the request is on its way) or the error that refuses it."""
        state = sock.state
        if state is SockState.LISTENING:
            return WSAEINVAL
        if state is CONNECTED or state is SockState.RESET:
            return WSAEISCONN
        if state is SockState.CONNECTING:
            return WSAEALREADY
        if address == INADDR_ANY or port == 0:
            return WSAEADDRNOTAVAIL
        host = self.host_of(address)
        if host is None:
            return WSAENETUNREACH
        error = self.implicit_bind(sock, address)
        if error:
            return error
        assert sock.local is not None
        if sock.local[0] == INADDR_ANY:  # "A specific address needs to be implicitly bound"
            sock.local = (self.source_address(sock, address), sock.local[1])
        sock.state = SockState.CONNECTING
        sock.remote = (address, port)
        sock.update()
        epoch = sock.epoch
        self.transmit(
            sock,
            "syn",
            0,
            sock.remote,
            lambda cause: self._syn(sock, host, address, port, epoch, cause),
        )
        return 0

    def _syn(
        self, client: Socket, host: str, address: int, port: int, epoch: int, cause: int
    ) -> None:
        if client.closed or client.state is not SockState.CONNECTING or client.epoch != epoch:
            client.discard(0, "the connection request was abandoned", cause)
            return
        listeners = [
            s for s in self.bound_at(host, True, address, port) if s.state is SockState.LISTENING
        ]
        if not listeners or len(listeners[0].incoming) >= listeners[0].backlog:
            client.state = SockState.FAILED
            client.error = WSAECONNREFUSED
            client.remote = None
            client.update(cause)
            return
        listener = listeners[0]
        server = Socket(self.k, client.net, True, listener.overlapped)
        server.host = listener.host
        self.sockets.append(server)
        server.reference()  # the backlog holds it until it is accepted
        server.rcvbuf, server.sndbuf = listener.rcvbuf, listener.sndbuf
        server.local = (address, port)
        server.remote = client.local
        server.state = CONNECTED
        server.peer, client.peer = client, server
        client.state = CONNECTED
        client.error = 0  # "a successful connection does" reset the socket error
        listener.incoming.append(server)
        server.update(cause)
        client.update(cause)
        listener.update(cause)
        if listener.host:  # a scripted peer accepts at once: it is its current connection
            listener.incoming.remove(server)
            server.sndbuf = PEER_SEND_BUFFER
            self.peer_connections[listener.host] = server
            listener.update(cause)

    # -- the byte stream ----------------------------------------------------------------------

    def send(self, sock: Socket, data: bytes) -> tuple[int, int]:
        """Copy what fits of ``data`` into the send buffer: (0, bytes taken) or (error, 0)."""
        error = self._can_send(sock)
        if error:
            return error, 0
        room = sock.sndbuf - len(sock.unsent)
        if data and (room <= 0 or sock.writes):  # overlapped sends waiting go first
            return WSAEWOULDBLOCK, 0
        taken = data[:room]
        if taken:
            sock.unsent += taken
            sock.update()
            self.pump(sock)
        return 0, len(taken)

    def _can_send(self, sock: Socket) -> int:
        if sock.state is SockState.RESET:
            return sock.reset_error
        if sock.state is not CONNECTED:
            return WSAENOTCONN
        if sock.shut_send:
            return WSAESHUTDOWN
        return 0

    def recv(self, sock: Socket, size: int, peek: bool) -> tuple[int, bytes]:
        """(0, bytes) — empty at end of stream, or for a size of 0 — or (error, b"")."""
        if sock.state is SockState.RESET:
            return sock.reset_error, b""
        if sock.state is not CONNECTED:
            return WSAENOTCONN, b""
        if sock.shut_recv:
            return WSAESHUTDOWN, b""
        if size < 0:
            return WSAEINVAL, b""  # "(for byte stream sockets only) len was zero or negative"
        if not sock.received:
            return (0, b"") if sock.eof else (WSAEWOULDBLOCK, b"")
        data = bytes(sock.received[:size])
        if not peek and data:
            del sock.received[:size]
            sock.update()
            if sock.peer is not None:
                self.pump(sock.peer)  # room opened: the peer's sender may go on
        return 0, data

    def pump(self, sock: Socket) -> None:
        """Start ``sock``'s next segment toward its peer, if one can go now."""
        peer = sock.peer
        if peer is None or sock.in_flight or sock.fin_sent:
            return
        epoch = sock.epoch
        if sock.unsent:
            if peer.closed or peer.shut_recv:
                room = len(sock.unsent)  # it will be refused on arrival (a reset)
            else:
                room = peer.rcvbuf - len(peer.received)
            count = min(len(sock.unsent), room)
            if count <= 0:
                return  # the peer's buffer is full: its recv will pump again
            sock.in_flight = count
            self.transmit(
                sock, "data", count, peer.local, lambda c: self._data(sock, count, epoch, c)
            )
        elif sock.fin_queued:
            sock.fin_sent = True
            self.transmit(sock, "fin", 0, peer.local, lambda c: self._fin(sock, epoch, c))

    def _data(self, sock: Socket, count: int, epoch: int, cause: int) -> None:
        if sock.epoch != epoch:
            return  # the connection was reset meanwhile: the bytes were discarded then
        peer = sock.peer
        assert peer is not None
        data = bytes(sock.unsent[:count])
        del sock.unsent[:count]
        sock.in_flight = 0
        if peer.state is SockState.RESET or peer.peer is not sock:
            # The peer's side was reset in the same instant: its reset is on its way here.
            peer.discard(count, "data reached a socket whose connection was reset", cause)
            sock.update(cause)
            return
        refuses = peer.closed or peer.shut_recv
        if refuses and not peer.reads:
            self._refused(sock, peer, count, cause)
            return
        peer.received += data
        if peer.reads:  # pending receives take the bytes first, even shut down for receiving
            self.satisfy_reads(peer, cause)
        if refuses and peer.received:
            left = len(peer.received)
            peer.received.clear()
            self._refused(sock, peer, left, cause)
            return
        peer.update(cause)
        if sock.writes:
            self.feed_writes(sock, cause)
        sock.update(cause)
        self.pump(sock)
        self._finished(sock)

    def _refused(self, sock: Socket, peer: Socket, count: int, cause: int) -> None:
        """``count`` bytes reached a peer that is closed or shut down for receiving."""
        why = "closed" if peer.closed else "shut down for receiving"
        peer.discard(count, f"data reached a socket {why}: the connection is reset", cause)
        sock.update(cause)
        self.reset(peer, cause)

    def _fin(self, sock: Socket, epoch: int, cause: int) -> None:
        if sock.epoch != epoch:
            return
        peer = sock.peer
        assert peer is not None
        sock.fin_arrived = True
        peer.eof = True
        if peer.reads:
            self.satisfy_reads(peer, cause)
        peer.update(cause)
        self._finished(sock)

    def _finished(self, sock: Socket) -> None:
        """A closed socket that delivered its last byte and its FIN lets go of itself (it
        stays linked to its peer: bytes the peer sends later still reset the connection)."""
        if sock.lingering and sock.fin_arrived:
            sock.lingering = False
            sock.dereference()  # the graceful close's reference

    # -- shutdown and reset -------------------------------------------------------------------

    def shutdown(self, sock: Socket, how: int) -> int:
        if how not in (0, 1, 2):
            return WSAEINVAL
        if sock.stream:
            if sock.state is SockState.RESET:
                return sock.reset_error
            if sock.state is not CONNECTED:
                return WSAENOTCONN
        send = how in (1, 2) and not sock.shut_send
        receive = how in (0, 2) and not sock.shut_recv
        sock.shut_send = sock.shut_send or send
        sock.shut_recv = sock.shut_recv or receive
        sock.update()
        if receive and sock.stream and sock.received:
            sock.discard(len(sock.received), "shut down for receiving with unread data")
            sock.received.clear()
            self.reset(sock)
            return 0
        if send and sock.stream:
            sock.fin_queued = True
            self.pump(sock)
        return 0

    def reset(self, sock: Socket, cause: int = -1) -> None:
        """Abort ``sock``'s connection here and send an RST to the peer."""
        peer = sock.peer
        self._drop(sock, SockState.RESET, "the connection was reset", cause)
        if peer is not None and peer.peer is sock:
            self.transmit(sock, "rst", 0, peer.local, lambda c: self._rst(peer, sock, c))

    def _rst(self, sock: Socket, sender: Socket, cause: int) -> None:
        if sock.peer is sender:
            if sock.eof:  # the peer had closed: the connection is aborted (module docstring)
                sock.reset_error = WSAECONNABORTED
            self._drop(sock, SockState.RESET, "the peer reset the connection", cause)

    def _drop(self, sock: Socket, state: SockState, reason: str, cause: int) -> None:
        """End ``sock``'s side of the connection, discarding what it held."""
        lost_in = len(sock.received)
        lost_out = len(sock.unsent)
        if lost_in:
            sock.discard(lost_in, f"{reason}: received, never read", cause)
        if lost_out:
            sock.discard(lost_out, f"{reason}: queued, never delivered", cause)
        sock.received.clear()
        sock.unsent.clear()
        sock.in_flight = 0
        sock.epoch += 1
        lingering, sock.lingering = sock.lingering, False
        sock.peer = None
        if sock.state is CONNECTED or sock.state is SockState.CONNECTING:
            sock.state = state
        self.fail_requests(sock, STATUS_CONNECTION_RESET)
        sock.update(cause)
        if lingering:
            sock.dereference()

    # -- closing ------------------------------------------------------------------------------

    def close_stream(self, sock: Socket) -> None:
        """The handle closed (``closed`` is already set): see the module docstring."""
        while sock.incoming:
            waiting = sock.incoming.popleft()
            waiting.discard(0, "the listening socket closed before it was accepted")
            waiting.closed = True
            self.reset(waiting)
            waiting.dereference()
        if sock.state is SockState.CONNECTING:
            sock.epoch += 1  # the request in flight is abandoned
        if sock.peer is None:
            return
        if sock.received:
            sock.discard(len(sock.received), "closed with unread data: the connection is reset")
            sock.received.clear()
            self.reset(sock)
            return
        sock.reference()  # the connection outlives the handle until its FIN is delivered
        sock.lingering = True
        sock.fin_queued = True
        self.pump(sock)
        self._finished(sock)
