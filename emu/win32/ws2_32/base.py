"""What every ws2_32 function shares: the process's Winsock state, SOCKET lookup, addresses,
and the alertable wait of a blocking call.

- **WSAStartup first.** "A successful WSAStartup call must occur before using this function"
  (every function's WSANOTINITIALISED row): until then, and after the WSACleanup that balances
  the last WSAStartup, each function fails with WSANOTINITIALISED (10093) before it looks at
  its arguments (Wine dlls/ws2_32/tests/sock.c, test_WithoutWSAStartup). The count and the
  process's table of sockets live in ``WinsockProcess``, one per process.
- **A SOCKET is a kernel handle** to the socket's file object; a value that names no socket
  (INVALID_SOCKET, a closed socket, an event handle) is WSAENOTSOCK (10038) ("The descriptor
  is not a socket"; Wine test_listen).
- **Failures** return SOCKET_ERROR (or INVALID_SOCKET) and set the calling thread's last error
  to the WSA code, which WSAGetLastError reads back. A pointer that is not the structure the
  function expects (a NULL ``name``, an ``int *`` that is not a box) is WSAEFAULT (10014, "The
  system detected an invalid pointer address"); a value of a type no C compiler would accept
  where an integer belongs is WSAEINVAL (10022; assumption).
- **Blocking calls wait alertably.** "When issuing a blocking Winsock call such as recv,
  Winsock may need to wait for a network event before the call can complete. Winsock performs
  an alertable wait in this situation, which can be interrupted by an asynchronous procedure
  call (APC) scheduled on the same thread" (recv, MS docs, and every blocking function's
  page). A blocked call waits on its socket until the socket's readiness changes; APCs queued
  to the thread run inside the call (at ``AT_WINSOCK``, a delivery place declared here) and the
  call goes on waiting, as Wine's test_accept observes (an APC queued before a blocking accept
  runs once and the accept still succeeds). A socket closed under a blocked call makes it fail
  with WSAEINTR (10004; assumption). A call that can complete at once does not wait, and then
  no APC runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from emu.codes.ntstatus import STATUS_USER_APC
from emu.codes.winsock import (
    AF_INET,
    AF_UNSPEC,
    INADDR_ANY,
    SOCKADDR_IN_SIZE,
    SOCKET_ERROR,
    WSAEAFNOSUPPORT,
    WSAEFAULT,
    WSAENOTSOCK,
    WSANOTINITIALISED,
)
from emu.devices.sockets import Network, Socket, network_of
from emu.kernel import waits
from emu.kernel.apc_sites import register_apc_site
from emu.kernel.thread import Thread
from emu.win32.base import ApiCall, Win32Base
from emu.win32.ws2_32.types import INT_BOXES, SOCKADDR_IN

AT_WINSOCK: Final = register_apc_site(
    "a blocking Winsock call's wait",
    ("accept", "connect", "recv", "recvfrom", "send", "sendto", "WSARecv", "WSASend"),
    "a blocking Winsock call waits alertably for the network: APCs queued to the thread run "
    "inside the call, which then goes on waiting",
    'recv (MS doc), Remarks: "Winsock performs an alertable wait in this situation, which '
    'can be interrupted by an asynchronous procedure call (APC) scheduled on the same thread"',
)
"""Where APCs run inside a blocking Winsock call (the ``at`` of their ``apc.deliver``)."""

MAX_PORT: Final = 0xFFFF
MAX_ADDRESS: Final = 0xFFFFFFFF


@dataclass(slots=True)
class WinsockProcess:
    """ws2_32's state in one process: the WSAStartup count and the sockets it opened."""

    started: int = 0
    sockets: dict[int, Socket] = field(default_factory=dict)
    """Open sockets by handle value, in the order they were opened."""


def plain_int(value: Any) -> int | None:
    """An int argument as C would see it, or None for anything else (bool counts as int)."""
    if isinstance(value, int):
        return int(value)
    return None


class WsBase(Win32Base):
    """The shared machinery of the ws2_32 functions."""

    __slots__ = ()

    def _winsock(self) -> WinsockProcess:
        return self.k.device(f"ws2_32@{self.process.oid}", WinsockProcess)

    def _net(self) -> Network:
        return network_of(self.k)

    def _not_started(self, t: Thread, name: str, args: tuple[Any, ...], result: Any) -> Any:
        """The WSANOTINITIALISED failure, or None when WSAStartup has been called."""
        if self._winsock().started:
            return None
        return self._fail(t, name, args, result, WSANOTINITIALISED)

    def _socket(self, s: Any) -> Socket | None:
        """The socket a SOCKET value names (None: WSAENOTSOCK)."""
        t = self.k.current
        assert isinstance(t, Thread)
        sock, status = self._resolve(t, s, Socket, 0, pseudo=False)
        if status:
            return None
        assert isinstance(sock, Socket)
        return sock

    def _lookup(
        self, t: Thread, name: str, args: tuple[Any, ...], s: Any, result: Any = SOCKET_ERROR
    ) -> tuple[Socket | None, Any]:
        """(socket, None), or (None, the failed call's result): WSANOTINITIALISED, then
        WSAENOTSOCK."""
        refused = self._not_started(t, name, args, result)
        if refused is not None:
            return None, refused
        sock = self._socket(s)
        if sock is None:
            return None, self._fail(t, name, args, result, WSAENOTSOCK)
        return sock, None

    def _address(
        self, name: Any, namelen: Any, *, unspec: bool = False
    ) -> tuple[int, tuple[int, int]]:
        """A ``const sockaddr *name, int namelen`` pair: (0, (address, port)) or (error, ...).
        WSAEFAULT for a missing or short structure or a member out of its C range; another
        family than AF_INET is WSAEAFNOSUPPORT (Wine test_bind, test_connect). With
        ``unspec``, AF_UNSPEC is (0, (INADDR_ANY, 0)) whatever the other members hold (a
        datagram socket's connect: it disconnects)."""
        length = plain_int(namelen)
        if not isinstance(name, SOCKADDR_IN) or length is None or length < SOCKADDR_IN_SIZE:
            return WSAEFAULT, (0, 0)
        name.bind(self.k)
        family = name.sys_get("sin_family")
        port = name.sys_get("sin_port")
        address = name.sys_get("sin_addr")
        if family == AF_UNSPEC and unspec and type(family) is int:
            return 0, (INADDR_ANY, 0)
        if family != AF_INET:
            return (WSAEAFNOSUPPORT if type(family) is int else WSAEFAULT), (0, 0)
        if type(port) is not int or not 0 <= port <= MAX_PORT:
            return WSAEFAULT, (0, 0)
        if type(address) is not int or not 0 <= address <= MAX_ADDRESS:
            return WSAEFAULT, (0, 0)
        return 0, (address, port)

    def _out_address(self, target: Any, length: Any) -> int:
        """Check an ``sockaddr *addr, int *addrlen`` out pair before the call takes anything:
        0, or WSAEFAULT ("The addrlen parameter is too small or addr is not a valid part of the
        user address space"). Either may be NULL; only both are filled."""
        if target is not None and not isinstance(target, SOCKADDR_IN):
            return WSAEFAULT
        if length is None:
            return 0
        if not isinstance(length, INT_BOXES):
            return WSAEFAULT
        if target is None:
            return 0
        length.bind(self.k)
        value = length.sys_get("value")
        if type(value) is not int or value < SOCKADDR_IN_SIZE:
            return WSAEFAULT
        return 0

    def _fill_address(self, target: Any, length: Any, address: tuple[int, int] | None) -> None:
        if not isinstance(target, SOCKADDR_IN) or not isinstance(length, INT_BOXES):
            return
        host, port = address if address is not None else (0, 0)
        target.bind(self.k)
        target.sys_set("sin_family", AF_INET)
        target.sys_set("sin_port", port)
        target.sys_set("sin_addr", host)
        length.sys_set("value", SOCKADDR_IN_SIZE)

    def _block(self, t: Thread, sock: Socket) -> ApiCall[None]:
        """Wait, alertably, until the socket's readiness changes or it closes; APCs queued
        to the thread run inside the call (``AT_WINSOCK``) and the caller looks again."""
        sock.blocked.append(t)
        status = yield from waits.wait(
            self.k, t, (), False, None, True, shown=(sock,), deliver=False
        )
        if t in sock.blocked:
            sock.blocked.remove(t)
        if status == STATUS_USER_APC:
            yield from t.deliver_user_apcs(at=AT_WINSOCK)
