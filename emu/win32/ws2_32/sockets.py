"""Creating, naming, connecting and closing sockets (winsock2.h): socket, WSASocketW, bind,
listen, accept, connect, shutdown, closesocket.

The network's rules are in ``emu.devices.sockets`` (the codes each operation returns); here
is what each function adds (MS docs of each; Wine dlls/ws2_32/tests/sock.c):

- socket / WSASocketW: "If no error occurs, socket returns a descriptor referencing the new
  socket. Otherwise, a value of INVALID_SOCKET is returned." socket's sockets are overlapped
  ("The socket that is created will have the overlapped attribute as a default"); WSASocketW's
  only with WSA_FLAG_OVERLAPPED. Families: AF_INET (AF_UNSPEC with a type or protocol means
  AF_INET; AF_UNSPEC with neither is WSAEINVAL); an unknown family is WSAEAFNOSUPPORT.
  Types: SOCK_STREAM, SOCK_DGRAM (0: the protocol's), another WSAESOCKTNOSUPPORT; protocols:
  0, IPPROTO_TCP for streams and IPPROTO_UDP for datagrams, the other pairing WSAEPROTOTYPE,
  another protocol WSAEPROTONOSUPPORT. A socket's handle has read and write access.
- bind: WSAEFAULT for a NULL or short ``name``; a ``name`` of another family than AF_INET is
  WSAEAFNOSUPPORT, as on Windows (Wine test_bind: ``sa_family`` 0xdead gives WSAEAFNOSUPPORT).
  The bind page gives WSAEFAULT also when "the first two bytes of the memory block specified
  by name do not match the address family associated with the socket descriptor s"; Windows
  does not, and emu follows Windows.
- accept: the new socket "has the same properties as socket s" (its blocking mode and
  overlapped attribute); ``addr`` and ``addrlen`` are filled only when both are given, and a
  too small ``*addrlen`` is WSAEFAULT before any connection is taken (Wine test_accept).
  Blocking, it waits for a connection; non-blocking, WSAEWOULDBLOCK.
- connect: a non-blocking stream socket returns WSAEWOULDBLOCK at once ("With a nonblocking
  socket, the connection attempt cannot be completed immediately"); success then shows as OUT
  and a failure in SO_ERROR (and as ERR). A blocking one waits: "On a blocking socket, the
  return value indicates success or failure of the connection attempt"; after a failed
  blocking connect SO_ERROR reads 0 (Wine test_select). Another family than AF_INET is
  WSAEAFNOSUPPORT, except AF_UNSPEC on a datagram socket, which disconnects it (its default
  peer goes; Wine test_connect_udp: the connect succeeds and getpeername then fails with
  WSAENOTCONN), whatever the rest of the structure holds.
- closesocket: releases the SOCKET ("the socket descriptor passed in the s parameter may
  immediately be reused by the system"); the network closes the socket (``Network.close``).
  Linger options are not modelled: every close is the default one ("closesocket returns
  immediately and the connection is gracefully closed in the background").
- shutdown: SD_RECEIVE 0, SD_SEND 1, SD_BOTH 2; anything else WSAEINVAL.

Emulation notes: IPv6 (AF_INET6), raw, RDM and sequenced-packet sockets, WSASocketW's
lpProtocolInfo (duplication) and multipoint, registered-I/O and system-security flags raise
UnsupportedApi. Unknown dwFlags bits are WSAEINVAL (assumption).
"""

from __future__ import annotations

from typing import Any, Final

from emu.codes.access import FILE_GENERIC_READ, FILE_GENERIC_WRITE
from emu.codes.winsock import (
    AF_INET,
    AF_INET6,
    AF_UNSPEC,
    INVALID_SOCKET,
    IPPROTO_IP,
    IPPROTO_TCP,
    IPPROTO_UDP,
    SOCK_DGRAM,
    SOCK_RAW,
    SOCK_RDM,
    SOCK_SEQPACKET,
    SOCK_STREAM,
    SOCKET_ERROR,
    WSA_FLAG_ACCESS_SYSTEM_SECURITY,
    WSA_FLAG_MULTIPOINT_C_LEAF,
    WSA_FLAG_MULTIPOINT_C_ROOT,
    WSA_FLAG_MULTIPOINT_D_LEAF,
    WSA_FLAG_MULTIPOINT_D_ROOT,
    WSA_FLAG_NO_HANDLE_INHERIT,
    WSA_FLAG_OVERLAPPED,
    WSA_FLAG_REGISTERED_IO,
    WSAEAFNOSUPPORT,
    WSAEINTR,
    WSAEINVAL,
    WSAEPROTONOSUPPORT,
    WSAEPROTOTYPE,
    WSAESOCKTNOSUPPORT,
    WSAEWOULDBLOCK,
)
from emu.devices.sockets import SockState
from emu.errors import UnsupportedApi
from emu.kernel.actor import PARK
from emu.kernel.thread import Thread
from emu.win32.base import HANDLE, LONG_VALUE, ApiCall, dword, export
from emu.win32.ws2_32.base import WsBase, plain_int

SOCKET_ACCESS: Final = FILE_GENERIC_READ | FILE_GENERIC_WRITE
UNMODELLED_FLAGS: Final = (
    WSA_FLAG_MULTIPOINT_C_ROOT
    | WSA_FLAG_MULTIPOINT_C_LEAF
    | WSA_FLAG_MULTIPOINT_D_ROOT
    | WSA_FLAG_MULTIPOINT_D_LEAF
    | WSA_FLAG_ACCESS_SYSTEM_SECURITY
    | WSA_FLAG_REGISTERED_IO
)
KNOWN_FLAGS: Final = WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT | UNMODELLED_FLAGS


def socket_kind(af: int, kind: int, protocol: int) -> tuple[int, bool]:
    """(0, stream?) or (the WSA error, False) for ``socket(af, type, protocol)``."""
    if af == AF_INET6:
        raise UnsupportedApi("socket(AF_INET6, ...): IPv6 sockets are not modelled")
    if af == AF_UNSPEC and not kind and not protocol:
        return WSAEINVAL, False
    if af not in (AF_INET, AF_UNSPEC):
        return WSAEAFNOSUPPORT, False
    if kind in (SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET):
        raise UnsupportedApi(f"socket type {kind}: not modelled (SOCK_STREAM and SOCK_DGRAM are)")
    if kind == 0:
        if protocol not in (IPPROTO_TCP, IPPROTO_UDP):
            return (WSAESOCKTNOSUPPORT if protocol == IPPROTO_IP else WSAEPROTONOSUPPORT), False
        kind = SOCK_STREAM if protocol == IPPROTO_TCP else SOCK_DGRAM
    if kind not in (SOCK_STREAM, SOCK_DGRAM):
        return WSAESOCKTNOSUPPORT, False
    stream = kind == SOCK_STREAM
    if protocol not in (IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP):
        return WSAEPROTONOSUPPORT, False
    if protocol == (IPPROTO_UDP if stream else IPPROTO_TCP):
        return WSAEPROTOTYPE, False
    return 0, stream


class SocketApi(WsBase):
    __slots__ = ()

    def _create(
        self,
        t: Thread,
        name: str,
        args: tuple[Any, ...],
        af: Any,
        kind: Any,
        protocol: Any,
        flags: int,
    ) -> int:
        refused = self._not_started(t, name, args, INVALID_SOCKET)
        if refused is not None:
            return int(refused)
        values = (plain_int(af), plain_int(kind), plain_int(protocol))
        if None in values:
            return self._fail(t, name, args, INVALID_SOCKET, WSAEINVAL)
        family, sock_type, proto = (int(v) for v in values if v is not None)
        error, stream = socket_kind(family, sock_type, proto)
        if error:
            return self._fail(t, name, args, INVALID_SOCKET, error)
        sock = self._net().create(stream, bool(flags & WSA_FLAG_OVERLAPPED))
        handle = self.k.handles.insert(sock, SOCKET_ACCESS)
        self._winsock().sockets[handle] = sock
        return self._done(t, name, args, handle)

    @export("ws2_32", HANDLE)
    def socket(self, af: Any, type: Any, protocol: Any) -> ApiCall[int]:
        """SOCKET WSAAPI socket(int af, int type, int protocol);

        "The socket function creates a socket that is bound to a specific transport service
        provider." The socket is overlapped.
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("socket", ()):
            yield PARK
        args = (af, type, protocol)
        return self._create(t, "socket", args, af, type, protocol, WSA_FLAG_OVERLAPPED)

    @export("ws2_32", HANDLE, "WSASocketA", "WSASocket")
    def WSASocketW(
        self,
        af: Any,
        type: Any,
        protocol: Any,
        lpProtocolInfo: Any = None,
        g: Any = 0,
        dwFlags: Any = 0,
    ) -> ApiCall[int]:
        """SOCKET WSAAPI WSASocketW(int af, int type, int protocol,
        LPWSAPROTOCOL_INFOW lpProtocolInfo, GROUP g, DWORD dwFlags);

        "The WSASocket function creates a socket that is bound to a specific transport-service
        provider." WSA_FLAG_OVERLAPPED: "Create a socket that supports overlapped I/O
        operations."

        Emulation notes: lpProtocolInfo must be NULL (UnsupportedApi otherwise); g must be 0
        (WSAEINVAL: socket groups are reserved); the multipoint, system-security and
        registered-I/O flags raise UnsupportedApi, WSA_FLAG_NO_HANDLE_INHERIT is accepted.
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("WSASocketW", ()):
            yield PARK
        name = "WSASocketW"
        args = (af, type, protocol, lpProtocolInfo, g, dwFlags)
        refused = self._not_started(t, name, args, INVALID_SOCKET)
        if refused is not None:
            return int(refused)
        if lpProtocolInfo is not None:
            raise UnsupportedApi("WSASocketW: lpProtocolInfo (socket duplication) is not modelled")
        flags = dword(dwFlags)
        if flags is None or plain_int(g) != 0 or flags & ~KNOWN_FLAGS:
            return self._fail(t, name, args, INVALID_SOCKET, WSAEINVAL)
        if flags & UNMODELLED_FLAGS:
            raise UnsupportedApi(f"WSASocketW: dwFlags 0x{flags:X} are not modelled")
        return self._create(t, name, args, af, type, protocol, flags)

    WSASocketA = WSASocketW
    WSASocket = WSASocketW

    @export("ws2_32", LONG_VALUE)
    def bind(self, s: Any, name: Any, namelen: Any) -> ApiCall[int]:
        """int WSAAPI bind(SOCKET s, const sockaddr *name, int namelen);

        "The bind function associates a local address with a socket." "If no error occurs,
        bind returns zero. Otherwise, it returns SOCKET_ERROR."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("bind", self._footprint(s, "w")):
            yield PARK
        args = (s, name, namelen)
        sock, failed = self._lookup(t, "bind", args, s)
        if sock is None:
            return int(failed)
        error, (address, port) = self._address(name, namelen)
        if not error:
            error = self._net().bind(sock, address, port)
        if error:
            return self._fail(t, "bind", args, SOCKET_ERROR, error)
        return self._done(t, "bind", args, 0)

    @export("ws2_32", LONG_VALUE)
    def listen(self, s: Any, backlog: Any) -> ApiCall[int]:
        """int WSAAPI listen(SOCKET s, int backlog);

        "The listen function places a socket in a state in which it is listening for an
        incoming connection."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("listen", self._footprint(s, "w")):
            yield PARK
        args = (s, backlog)
        sock, failed = self._lookup(t, "listen", args, s)
        if sock is None:
            return int(failed)
        size = plain_int(backlog)
        error = WSAEINVAL if size is None else self._net().listen(sock, size)
        if error:
            return self._fail(t, "listen", args, SOCKET_ERROR, error)
        return self._done(t, "listen", args, 0)

    @export("ws2_32", HANDLE)
    def accept(self, s: Any, addr: Any = None, addrlen: Any = None) -> ApiCall[int]:
        """SOCKET WSAAPI accept(SOCKET s, sockaddr *addr, int *addrlen);

        "The accept function permits an incoming connection attempt on a socket." "If no
        error occurs, accept returns a value of type SOCKET that is a descriptor for the new
        socket. ... Otherwise, a value of INVALID_SOCKET is returned."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("accept", self._footprint(s, "w")):
            yield PARK
        args = (s, addr, addrlen)
        sock, failed = self._lookup(t, "accept", args, s, INVALID_SOCKET)
        if sock is None:
            return int(failed)
        error = self._out_address(addr, addrlen)
        if error:
            return self._fail(t, "accept", args, INVALID_SOCKET, error)
        net = self._net()
        while True:
            error, new = net.accept(sock)
            if error != WSAEWOULDBLOCK or sock.nonblocking:
                break
            yield from self._block(t, sock)
            if sock.closed:
                error = WSAEINTR
                break
        if new is None:
            return self._fail(t, "accept", args, INVALID_SOCKET, error)
        handle = k.handles.insert(new, SOCKET_ACCESS)
        net.accepted(sock, new)
        self._winsock().sockets[handle] = new
        self._fill_address(addr, addrlen, new.remote)
        return self._done(t, "accept", args, handle)

    @export("ws2_32", LONG_VALUE)
    def connect(self, s: Any, name: Any, namelen: Any) -> ApiCall[int]:
        """int WSAAPI connect(SOCKET s, const sockaddr *name, int namelen);

        "The connect function establishes a connection to a specified socket." "If no error
        occurs, connect returns zero. Otherwise, it returns SOCKET_ERROR."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("connect", self._footprint(s, "w")):
            yield PARK
        args = (s, name, namelen)
        sock, failed = self._lookup(t, "connect", args, s)
        if sock is None:
            return int(failed)
        error, (address, port) = self._address(name, namelen, unspec=not sock.stream)
        if not error:
            error = self._net().connect_any(sock, address, port)
        if error:
            return self._fail(t, "connect", args, SOCKET_ERROR, error)
        if not sock.stream:
            return self._done(t, "connect", args, 0)
        if sock.nonblocking:
            return self._fail(t, "connect", args, SOCKET_ERROR, WSAEWOULDBLOCK)
        while sock.state is SockState.CONNECTING and not sock.closed:
            yield from self._block(t, sock)
        if sock.closed:
            return self._fail(t, "connect", args, SOCKET_ERROR, WSAEINTR)
        if sock.state is SockState.CONNECTED:
            return self._done(t, "connect", args, 0)
        error, sock.error = sock.error, 0
        return self._fail(t, "connect", args, SOCKET_ERROR, error or WSAEINVAL)

    @export("ws2_32", LONG_VALUE)
    def shutdown(self, s: Any, how: Any) -> ApiCall[int]:
        """int WSAAPI shutdown(SOCKET s, int how);

        "The shutdown function disables sends or receives on a socket." "If no error occurs,
        shutdown returns zero. Otherwise, a value of SOCKET_ERROR is returned."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("shutdown", self._footprint(s, "w")):
            yield PARK
        args = (s, how)
        sock, failed = self._lookup(t, "shutdown", args, s)
        if sock is None:
            return int(failed)
        direction = plain_int(how)
        error = WSAEINVAL if direction is None else self._net().shutdown(sock, direction)
        if error:
            return self._fail(t, "shutdown", args, SOCKET_ERROR, error)
        return self._done(t, "shutdown", args, 0)

    @export("ws2_32", LONG_VALUE)
    def closesocket(self, s: Any) -> ApiCall[int]:
        """int WSAAPI closesocket(SOCKET s);

        "The closesocket function closes an existing socket." "If no error occurs, closesocket
        returns zero. Otherwise, a value of SOCKET_ERROR is returned."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("closesocket", self._footprint(s, "w")):
            yield PARK
        args = (s,)
        sock, failed = self._lookup(t, "closesocket", args, s)
        if sock is None:
            return int(failed)
        table = self._winsock().sockets
        for handle, known in list(table.items()):
            if known is sock:
                del table[handle]
        sock.by_closesocket = True
        k.handles.remove(s)
        return self._done(t, "closesocket", args, 0)
