"""A socket's mode and status (winsock2.h): ioctlsocket and getsockopt.

- ioctlsocket: "If no error occurs, ioctlsocket returns zero. Otherwise, a value of
  SOCKET_ERROR is returned." ``argp`` is a ``u_long *`` (a ``ULONG`` box; anything else is
  WSAEFAULT, "The argp parameter is not a valid part of the user address space", as Wine's
  test_fionbio observes for ``(u_long *)1``). FIONBIO: "The argp parameter is a pointer to an
  unsigned long value. Set argp to a nonzero value if the nonblocking mode should be
  enabled, or zero if the nonblocking mode should be disabled." FIONREAD: "the amount of data
  that can be read atomically from socket s" — the bytes waiting (for a datagram socket, "the
  amount of pending data in the network buffer", every queued datagram). An unknown command is
  WSAEOPNOTSUPP (Wine test_unsupported_ioctls, through WSAIoctl; assumption for ioctlsocket).
- getsockopt at SOL_SOCKET: SO_ERROR (the socket's pending error; reading it does not clear
  it, and a successful connect does: Wine test_select, "Calling connect() doesn't reset the
  socket error, but a successful connection does"), SO_TYPE, SO_ACCEPTCONN, SO_RCVBUF and
  SO_SNDBUF. ``optval`` is an int box and ``optlen`` an ``int *`` of at least 4 (WSAEFAULT:
  "One of the optval or the optlen parameters is not a valid part of the user address space,
  or the optlen parameter is too small"); an unknown level is WSAEINVAL (Wine
  test_extendedSocketOptions: levels 0xffffffff, 0x1234ffff, ...), an unknown SOL_SOCKET
  option WSAENOPROTOOPT.

Emulation notes: SIOCATMARK (out-of-band data), the other SOL_SOCKET options and the options
of the IPPROTO_* levels raise UnsupportedApi.
"""

from __future__ import annotations

from typing import Any, Final

from emu.codes.winsock import (
    FIONBIO,
    FIONREAD,
    IPPROTO_IP,
    IPPROTO_IPV6,
    IPPROTO_TCP,
    IPPROTO_UDP,
    SIOCATMARK,
    SO_ACCEPTCONN,
    SO_BROADCAST,
    SO_DEBUG,
    SO_DONTROUTE,
    SO_ERROR,
    SO_EXCLUSIVEADDRUSE,
    SO_KEEPALIVE,
    SO_LINGER,
    SO_OOBINLINE,
    SO_RCVBUF,
    SO_RCVLOWAT,
    SO_RCVTIMEO,
    SO_REUSEADDR,
    SO_SNDBUF,
    SO_SNDLOWAT,
    SO_SNDTIMEO,
    SO_TYPE,
    SOCK_DGRAM,
    SOCK_STREAM,
    SOCKET_ERROR,
    SOL_SOCKET,
    WSAEFAULT,
    WSAEINVAL,
    WSAENOPROTOOPT,
    WSAEOPNOTSUPP,
)
from emu.devices.sockets import Socket, SockState
from emu.errors import UnsupportedApi
from emu.kernel.actor import PARK
from emu.win32.base import LONG_VALUE, ApiCall, export
from emu.win32.types import ULONG
from emu.win32.ws2_32.base import WsBase, plain_int
from emu.win32.ws2_32.types import INT_BOXES

INT_SIZE: Final = 4
UNMODELLED_OPTIONS: Final = frozenset(
    (
        SO_DEBUG,
        SO_REUSEADDR,
        SO_KEEPALIVE,
        SO_DONTROUTE,
        SO_BROADCAST,
        SO_LINGER,
        SO_OOBINLINE,
        SO_SNDLOWAT,
        SO_RCVLOWAT,
        SO_SNDTIMEO,
        SO_RCVTIMEO,
        SO_EXCLUSIVEADDRUSE,
    )
)
PROTOCOL_LEVELS: Final = frozenset((IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6))


def socket_option(sock: Socket, optname: int) -> int | None:
    """The value of a modelled SOL_SOCKET option, or None for an unknown one."""
    if optname == SO_ERROR:
        return sock.error
    if optname == SO_TYPE:
        return SOCK_STREAM if sock.stream else SOCK_DGRAM
    if optname == SO_ACCEPTCONN:
        return int(sock.state is SockState.LISTENING)
    if optname == SO_RCVBUF:
        return sock.rcvbuf
    if optname == SO_SNDBUF:
        return sock.sndbuf
    if optname in UNMODELLED_OPTIONS:
        raise UnsupportedApi(f"getsockopt(SOL_SOCKET, 0x{optname:X}): not modelled")
    return None


class ControlApi(WsBase):
    __slots__ = ()

    @export("ws2_32", LONG_VALUE)
    def ioctlsocket(self, s: Any, cmd: Any, argp: Any) -> ApiCall[int]:
        """int WSAAPI ioctlsocket(SOCKET s, long cmd, u_long *argp);

        "The ioctlsocket function controls the I/O mode of a socket."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("ioctlsocket", self._footprint(s, "w")):
            yield PARK
        name = "ioctlsocket"
        args = (s, cmd, argp)
        sock, failed = self._lookup(t, name, args, s)
        if sock is None:
            return int(failed)
        command = plain_int(cmd)
        if command is None:
            return self._fail(t, name, args, SOCKET_ERROR, WSAEINVAL)
        command &= 0xFFFFFFFF
        if not isinstance(argp, ULONG):
            return self._fail(t, name, args, SOCKET_ERROR, WSAEFAULT)
        argp.bind(k)
        if command == FIONBIO:
            value = argp.sys_get("value")
            if type(value) is not int:
                return self._fail(t, name, args, SOCKET_ERROR, WSAEFAULT)
            sock.nonblocking = value != 0
        elif command == FIONREAD:
            argp.sys_set("value", sock.queued_bytes())
        elif command == SIOCATMARK:
            raise UnsupportedApi("ioctlsocket(SIOCATMARK): out-of-band data is not modelled")
        else:
            return self._fail(t, name, args, SOCKET_ERROR, WSAEOPNOTSUPP)
        return self._done(t, name, args, 0)

    @export("ws2_32", LONG_VALUE)
    def getsockopt(
        self, s: Any, level: Any, optname: Any, optval: Any, optlen: Any
    ) -> ApiCall[int]:
        """int WSAAPI getsockopt(SOCKET s, int level, int optname, char *optval, int *optlen);

        "The getsockopt function retrieves a socket option." "If no error occurs, getsockopt
        returns zero. Otherwise, a value of SOCKET_ERROR is returned."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("getsockopt", self._footprint(s, "r")):
            yield PARK
        name = "getsockopt"
        args = (s, level, optname, optval, optlen)
        sock, failed = self._lookup(t, name, args, s)
        if sock is None:
            return int(failed)
        which, option = plain_int(level), plain_int(optname)
        if which is None or option is None:
            return self._fail(t, name, args, SOCKET_ERROR, WSAEINVAL)
        if not isinstance(optval, INT_BOXES) or not isinstance(optlen, INT_BOXES):
            return self._fail(t, name, args, SOCKET_ERROR, WSAEFAULT)
        optlen.bind(k)
        size = optlen.sys_get("value")
        if type(size) is not int or size < INT_SIZE:
            return self._fail(t, name, args, SOCKET_ERROR, WSAEFAULT)
        which &= 0xFFFFFFFF
        if which in PROTOCOL_LEVELS:
            raise UnsupportedApi(f"getsockopt at level {which}: not modelled (SOL_SOCKET is)")
        if which != SOL_SOCKET:
            return self._fail(t, name, args, SOCKET_ERROR, WSAEINVAL)
        value = socket_option(sock, option & 0xFFFFFFFF)
        if value is None:
            return self._fail(t, name, args, SOCKET_ERROR, WSAENOPROTOOPT)
        optval.bind(k)
        optval.sys_set("value", value)
        optlen.sys_set("value", INT_SIZE)
        return self._done(t, name, args, 0)
