"""What every socket-notification program here shares: filling SOCK_NOTIFY_REGISTRATIONs,
calling ProcessSocketNotifications, setting sockets up, and counting checks.

The calls are the documented ones, made as C makes them ("Winsock socket state
notifications"; the SOCK_NOTIFY_REGISTRATION page, the seed; facts F2.x of docs/sources.md):

- ``register`` passes registrations with ``completionCount`` 0, "only registration operations
  will be processed" (F2.11), and returns each one's ``registrationResult`` (F2.9: "you must
  inspect the elements for whether registration was processed successfully");
- ``wait`` dequeues up to ``count`` entries within ``timeout_ms`` and returns the call's result
  with each entry's completion key and event mask (``SocketNotificationRetrieveEvents``, F2.7).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Final

from emu.codes import (
    AF_INET,
    FIONBIO,
    INADDR_ANY,
    INFINITE,
    INVALID_SOCKET,
    IPPROTO_TCP,
    SOCK_NOTIFY_EVENT_REMOVE,
    SOCK_NOTIFY_OP_ENABLE,
    SOCK_NOTIFY_OP_REMOVE,
    SOCK_NOTIFY_REGISTER_EVENT_IN,
    SOCK_NOTIFY_TRIGGER_LEVEL,
    SOCK_STREAM,
    SOCKET_ERROR,
)
from emu.win32 import DWORD, OVERLAPPED_ENTRY, SOCKADDR_IN, ULONG, WSADATA, Api
from emu.win32.ws2_32 import SOCK_NOTIFY_REGISTRATION

INVALID_HANDLE_VALUE: Final = -1
PORT: Final = 5000
EOF_READ: Final = 0
"""``drain``'s outcome when recv returned 0: the peer's end of stream."""

Gen = Generator[Any, None, Any]


def registration(
    sock: int,
    key: Any,
    events: int = SOCK_NOTIFY_REGISTER_EVENT_IN,
    op: int = SOCK_NOTIFY_OP_ENABLE,
    trigger: int = SOCK_NOTIFY_TRIGGER_LEVEL,
) -> SOCK_NOTIFY_REGISTRATION:
    """One SOCK_NOTIFY_REGISTRATION, filled as a C program fills it."""
    return SOCK_NOTIFY_REGISTRATION(
        socket=sock,
        completionKey=key,
        eventFilter=events,
        operation=op,
        triggerFlags=trigger,
        registrationResult=0,
    )


def register(api: Api, port: int, *infos: SOCK_NOTIFY_REGISTRATION) -> Gen:
    """ProcessSocketNotifications with registrations only: the call's result when it failed
    as a whole, else each registration's registrationResult (a list)."""
    result = yield from api.ProcessSocketNotifications(
        port, len(infos), list(infos), 0, 0, None, None
    )
    if result != 0:
        return result
    return [info.registrationResult for info in infos]


def remove(api: Api, port: int, sock: int, key: Any) -> Gen:
    """SOCK_NOTIFY_OP_REMOVE for ``sock``: its registrationResult (0: removed; the
    SOCK_NOTIFY_EVENT_REMOVE notification is on its way)."""
    results = yield from register(api, port, registration(sock, key, 0, SOCK_NOTIFY_OP_REMOVE, 0))
    return results[0] if isinstance(results, list) else results


def wait(api: Api, port: int, timeout_ms: int, count: int = 1, *infos: Any) -> Gen:
    """ProcessSocketNotifications dequeuing up to ``count`` entries: (result, [(key, events),
    ...]) with ``key`` the entry's lpCompletionKey and ``events`` its
    SocketNotificationRetrieveEvents."""
    entries = [OVERLAPPED_ENTRY() for _ in range(count)]
    received = DWORD(value=0)
    result = yield from api.ProcessSocketNotifications(
        port, len(infos), list(infos) if infos else None, timeout_ms, count, entries, received
    )
    got: list[tuple[Any, int]] = []
    for entry in entries[: received.value]:
        events = yield from api.SocketNotificationRetrieveEvents(entry)
        got.append((entry.lpCompletionKey, events))
    return result, got


def startup(api: Api) -> Gen:
    """WSAStartup(2.2) and a completion port for notifications (0 when either failed)."""
    if (yield from api.WSAStartup(0x0202, WSADATA())) != 0:
        return 0
    port = yield from api.CreateIoCompletionPort(INVALID_HANDLE_VALUE, None, 0, 0)
    return port or 0


def listen_on(api: Api, number: int = PORT, address: int = INADDR_ANY, backlog: int = 8) -> Gen:
    """A listening stream socket on ``address:number`` (INVALID_SOCKET if any step failed)."""
    listener = yield from api.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)
    here = SOCKADDR_IN(sin_family=AF_INET, sin_port=number, sin_addr=address)
    if (yield from api.bind(listener, here, 16)) != 0:
        return INVALID_SOCKET
    if (yield from api.listen(listener, backlog)) != 0:
        return INVALID_SOCKET
    return listener


def nonblocking(api: Api, sock: int) -> Gen:
    """ioctlsocket(FIONBIO, 1): True when the socket is now non-blocking."""
    return (yield from api.ioctlsocket(sock, FIONBIO, ULONG(value=1))) == 0


def accept_one(api: Api, listener: int) -> Gen:
    """A blocking accept, the connection made non-blocking (INVALID_SOCKET on failure)."""
    conn = yield from api.accept(listener, None, None)
    if conn == INVALID_SOCKET or not (yield from nonblocking(api, conn)):
        return INVALID_SOCKET
    return conn


def drain(api: Api, sock: int, size: int = 256) -> Gen:
    """recv until WSAEWOULDBLOCK, as a notified reader must: (bytes read, how it stopped):
    WSAEWOULDBLOCK (everything read), EOF_READ (recv returned 0) or another WSA error."""
    data = bytearray()
    buffer = bytearray(size)
    while True:
        n = yield from api.recv(sock, buffer, size, 0)
        if n == SOCKET_ERROR:
            return bytes(data), (yield from api.WSAGetLastError())
        if n == 0:
            return bytes(data), EOF_READ
        data += buffer[:n]


def until_removed(api: Api, port: int, key: Any) -> Gen:
    """Dequeue until ``key``'s SOCK_NOTIFY_EVENT_REMOVE arrives, dropping the notifications
    still queued before it (Microsoft's DeregisterAndWait sample: "Drops all non-removal
    notifications"); what else came (other keys' packets) is returned, in order."""
    others: list[tuple[Any, int]] = []
    while True:
        result, got = yield from wait(api, port, INFINITE)
        if result != 0:
            return others
        for got_key, events in got:
            if got_key == key and events & SOCK_NOTIFY_EVENT_REMOVE:
                return others
            if got_key != key:
                others.append((got_key, events))


def finish(api: Api, checks: Checks, port: int, conn: int, key: Any, *others: int) -> Gen:
    """The documented ending: REMOVE the registration (a check), wait for its REMOVE
    notification, then close the connection, the other sockets, the port and Winsock."""
    checks.expect((yield from remove(api, port, conn, key)), 0)
    yield from until_removed(api, port, key)
    yield from api.closesocket(conn)
    for sock in others:
        yield from api.closesocket(sock)
    yield from api.CloseHandle(port)
    yield from api.WSACleanup()


class Checks:
    """The checks a demonstration makes, in order: its exit code is the number of the first
    that failed (0 when every one held), so a failure names its check."""

    __slots__ = ("count", "first_failed")

    def __init__(self) -> None:
        self.count = 0
        self.first_failed = 0

    def expect(self, got: Any, want: Any) -> bool:
        self.count += 1
        if got != want and not self.first_failed:
            self.first_failed = self.count
        return bool(got == want)

    @property
    def exit_code(self) -> int:
        return self.first_failed


__all__ = [
    "EOF_READ",
    "INVALID_HANDLE_VALUE",
    "PORT",
    "Checks",
    "Gen",
    "accept_one",
    "drain",
    "finish",
    "listen_on",
    "nonblocking",
    "register",
    "registration",
    "remove",
    "startup",
    "until_removed",
    "wait",
]
