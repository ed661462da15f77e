"""Moving bytes (winsock2.h): send, recv, sendto, recvfrom.

The rules of the byte stream and of datagrams are in ``emu.devices.sockets``; these functions
add (MS docs of each):

- send: "If no error occurs, send returns the total number of bytes sent, which can be less
  than the number requested to be sent in the len parameter. Otherwise, a value of
  SOCKET_ERROR is returned." On a blocking stream socket the call copies all of ``buf`` into
  the send buffer, waiting for room as it drains; a non-blocking one takes what fits (at least
  one byte) or fails with WSAEWOULDBLOCK. On a datagram socket it sends one datagram to the
  connected peer (WSAENOTCONN without one).
- recv: "If no error occurs, recv returns the number of bytes received and the buffer pointed
  to by the buf parameter will contain this data received. If the connection has been
  gracefully closed, the return value is zero." Blocking, it waits for data; non-blocking,
  WSAEWOULDBLOCK ("The socket is marked as nonblocking and the receive operation would
  block"). MSG_PEEK copies without taking.
- sendto on a stream socket is send ("the to and tolen parameters are ignored"); on a datagram
  socket without ``to`` it sends to the connected peer, or fails with WSAEDESTADDRREQ.
- recvfrom on a stream socket is recv ("The from and fromlen parameters are ignored for
  connection-oriented sockets"); on a datagram socket it fills ``from`` with the sender when
  ``from`` and ``fromlen`` are given (a ``*fromlen`` below 16: WSAEFAULT).
- ``buf`` is bytes (send) or a writable bytearray (recv) of at least ``len`` bytes, else
  WSAEFAULT ("The buf parameter is not completely contained in a valid part of the user
  address space"); a recv of ``len`` 0 accepts a NULL ``buf`` and, on a stream socket,
  returns 0 once bytes wait (Wine test_empty_recv: ``recv(client, NULL, 0, 0)`` returns 0,
  which Windows passes; the recv page's WSAEINVAL for "len was zero" is not what Windows
  does); a negative ``len`` is WSAEINVAL (assumption); unknown ``flags`` bits are WSAEINVAL
  ("an unknown flag was specified"). MSG_DONTROUTE is accepted and ignored ("A
  Windows Sockets service provider can choose to ignore this flag").

Emulation notes: out-of-band data (MSG_OOB) and MSG_WAITALL raise UnsupportedApi.
"""

from __future__ import annotations

from typing import Any, Final

from emu.codes.winsock import (
    MSG_DONTROUTE,
    MSG_OOB,
    MSG_PEEK,
    MSG_WAITALL,
    SOCKET_ERROR,
    WSAEDESTADDRREQ,
    WSAEFAULT,
    WSAEINTR,
    WSAEINVAL,
    WSAEMSGSIZE,
    WSAEWOULDBLOCK,
)
from emu.devices.sockets import Socket
from emu.errors import UnsupportedApi
from emu.kernel.actor import PARK
from emu.kernel.thread import Thread
from emu.win32.base import LONG_VALUE, ApiCall, export
from emu.win32.kernel32.iobase import source_bytes, target_buffer
from emu.win32.ws2_32.base import WsBase, plain_int

SEND_FLAGS: Final = MSG_DONTROUTE | MSG_OOB
RECV_FLAGS: Final = MSG_PEEK | MSG_OOB | MSG_WAITALL


def _flags(name: str, flags: Any, allowed: int) -> int | None:
    """The flags as an int (None: WSAEINVAL); the unmodelled ones raise UnsupportedApi."""
    value = plain_int(flags)
    if value is None or value & ~allowed:
        return None
    if value & MSG_OOB:
        raise UnsupportedApi(f"{name}(MSG_OOB): out-of-band data is not modelled")
    if value & MSG_WAITALL:
        raise UnsupportedApi(f"{name}(MSG_WAITALL): not modelled")
    return value


class TransferApi(WsBase):
    __slots__ = ()

    # -- sending ------------------------------------------------------------------------------

    def _send(
        self,
        t: Thread,
        name: str,
        args: tuple[Any, ...],
        s: Any,
        buf: Any,
        length: Any,
        flags: Any,
        to: Any = None,
        tolen: Any = None,
        datagram_only: bool = False,
    ) -> ApiCall[int]:
        sock, failed = self._lookup(t, name, args, s)
        if sock is None:
            return int(failed)
        size = plain_int(length)
        if size is None or size < 0 or _flags(name, flags, SEND_FLAGS) is None:
            return self._fail(t, name, args, SOCKET_ERROR, WSAEINVAL)
        data = source_bytes(buf, size)
        if data is None:
            return self._fail(t, name, args, SOCKET_ERROR, WSAEFAULT)
        if sock.stream:
            return (yield from self._send_stream(t, name, args, sock, data))
        destination = None
        if datagram_only and to is not None:
            error, destination = self._address(to, tolen)
            if error:
                return self._fail(t, name, args, SOCKET_ERROR, error)
        elif datagram_only and sock.remote is None:
            return self._fail(t, name, args, SOCKET_ERROR, WSAEDESTADDRREQ)
        error = self._net().sendto(sock, data, destination)
        if error:
            return self._fail(t, name, args, SOCKET_ERROR, error)
        return self._done(t, name, args, len(data))

    def _send_stream(
        self, t: Thread, name: str, args: tuple[Any, ...], sock: Socket, data: bytes
    ) -> ApiCall[int]:
        net = self._net()
        sent = 0
        while True:
            error, taken = net.send(sock, data[sent:])
            sent += taken
            if error and error != WSAEWOULDBLOCK:
                break
            if sent == len(data) or (sock.nonblocking and sent):
                return self._done(t, name, args, sent)
            if sock.nonblocking:
                break
            yield from self._block(t, sock)
            if sock.closed:
                error = WSAEINTR
                break
        return self._fail(t, name, args, SOCKET_ERROR, error)

    @export("ws2_32", LONG_VALUE)
    def send(self, s: Any, buf: Any, len: Any, flags: Any = 0) -> ApiCall[int]:
        """int WSAAPI send(SOCKET s, const char *buf, int len, int flags);

        "The send function sends data on a connected socket."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("send", self._footprint(s, "w")):
            yield PARK
        args = (s, buf, len, flags)
        return (yield from self._send(t, "send", args, s, buf, len, flags))

    @export("ws2_32", LONG_VALUE)
    def sendto(
        self,
        s: Any,
        buf: Any,
        len: Any,
        flags: Any,
        to: Any,
        tolen: Any,
    ) -> ApiCall[int]:
        """int WSAAPI sendto(SOCKET s, const char *buf, int len, int flags, const sockaddr *to,
        int tolen);

        "The sendto function sends data to a specific destination."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("sendto", self._footprint(s, "w")):
            yield PARK
        args = (s, buf, len, flags, to, tolen)
        return (yield from self._send(t, "sendto", args, s, buf, len, flags, to, tolen, True))

    # -- receiving ----------------------------------------------------------------------------

    def _recv(
        self,
        t: Thread,
        name: str,
        args: tuple[Any, ...],
        s: Any,
        buf: Any,
        length: Any,
        flags: Any,
        source: Any = None,
        sourcelen: Any = None,
    ) -> ApiCall[int]:
        sock, failed = self._lookup(t, name, args, s)
        if sock is None:
            return int(failed)
        size = plain_int(length)
        mode = _flags(name, flags, RECV_FLAGS)
        if size is None or size < 0 or mode is None:
            return self._fail(t, name, args, SOCKET_ERROR, WSAEINVAL)
        target = bytearray() if buf is None and size == 0 else target_buffer(buf, size)
        if target is None:
            return self._fail(t, name, args, SOCKET_ERROR, WSAEFAULT)
        if not sock.stream:
            error = self._out_address(source, sourcelen)
            if error:
                return self._fail(t, name, args, SOCKET_ERROR, error)
        net = self._net()
        peek = bool(mode & MSG_PEEK)
        while True:
            if sock.stream:
                error, data = net.recv(sock, size, peek)
                origin = None
            else:
                error, data, origin = net.recvfrom(sock, size, peek)
            if error != WSAEWOULDBLOCK or sock.nonblocking:
                break
            yield from self._block(t, sock)
            if sock.closed:
                error = WSAEINTR
                break
        if error and error != WSAEMSGSIZE:
            return self._fail(t, name, args, SOCKET_ERROR, error)
        target[: len(data)] = data
        if origin is not None:
            self._fill_address(source, sourcelen, origin)
        if error:
            return self._fail(t, name, args, SOCKET_ERROR, error)
        return self._done(t, name, args, len(data))

    @export("ws2_32", LONG_VALUE)
    def recv(self, s: Any, buf: Any, len: Any, flags: Any = 0) -> ApiCall[int]:
        """int WSAAPI recv(SOCKET s, char *buf, int len, int flags);

        "The recv function receives data from a connected socket or a bound connectionless
        socket."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("recv", self._footprint(s, "w")):
            yield PARK
        args = (s, buf, len, flags)
        return (yield from self._recv(t, "recv", args, s, buf, len, flags))

    @export("ws2_32", LONG_VALUE)
    def recvfrom(
        self,
        s: Any,
        buf: Any,
        len: Any,
        flags: Any,
        from_: Any = None,
        fromlen: Any = None,
    ) -> ApiCall[int]:
        """int WSAAPI recvfrom(SOCKET s, char *buf, int len, int flags, sockaddr *from,
        int *fromlen);

        "The recvfrom function receives a datagram, and stores the source address."

        Emulation notes: the ``from`` parameter is named ``from_`` (``from`` is a Python
        keyword).
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("recvfrom", self._footprint(s, "w")):
            yield PARK
        args = (s, buf, len, flags, from_, fromlen)
        return (yield from self._recv(t, "recvfrom", args, s, buf, len, flags, from_, fromlen))
