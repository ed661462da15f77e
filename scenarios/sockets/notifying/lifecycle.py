"""Demonstrations of a registration's end and of the port it shares: REMOVE, closesocket,
ERR and HANGUP, datagram sockets, packets PostQueuedCompletionStatus queued, the timeout.
One program per scenario (``notify-*.yaml``); the exit code is the number of the first check
that failed (``common.Checks``), 0 when every one held.

Sentences (the seed is SOCK_NOTIFY_REGISTRATION; F2.x are facts of docs/sources.md):

- "SOCK_NOTIFY_OP_REMOVE. Removes a previously-registered notification. Both enabled and
  disabled notifications may be removed. The SOCK_NOTIFY_EVENT_REMOVE notification is issued,
  with the guarantee that no more notifications will be issued afterwards for that completion
  key unless it is re-registered." (``remove_demo``)
- closesocket deregisters without a SOCK_NOTIFY_EVENT_REMOVE; already-queued notifications
  may still be delivered afterwards (F2.23, Winsock socket state notifications).
  (``close_demo``)
- "SOCK_NOTIFY_EVENT_ERR and SOCK_NOTIFY_EVENT_REMOVE events might be indicated regardless of
  registered event filter" (SocketNotificationRetrieveEvents, F2.15). (``err_demo``)
- "SOCK_NOTIFY_REGISTER_EVENT_HANGUP. A notification should be issued when a stream-oriented
  connection was either disconnected or aborted"; datagram sockets get none (F2.26).
  (``hangup_demo``, ``datagram_demo``)
- Notifications are ordinary completion packets, which GetQueuedCompletionStatus takes too,
  and ProcessSocketNotifications returns the packets PostQueuedCompletionStatus queued (F2.16).
  (``same_port_demo``)
- "WAIT_TIMEOUT if the function succeeded and you supplied a non-0 completionCount, but no
  completion packets appeared within the specified time" (ProcessSocketNotifications, F2.8;
  ERROR_TIMEOUT under profile sock-timeout-error); registrations are processed even so (F2.9).
  (``timeout_demo``, ``timeout_error_demo``)
"""

from __future__ import annotations

from typing import Any

from emu.codes import (
    AF_INET,
    ERROR_TIMEOUT,
    INADDR_LOOPBACK,
    INFINITE,
    IPPROTO_UDP,
    SOCK_DGRAM,
    SOCK_NOTIFY_EVENT_ERR,
    SOCK_NOTIFY_EVENT_HANGUP,
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_EVENT_REMOVE,
    SOCK_NOTIFY_REGISTER_EVENT_HANGUP,
    SOCK_NOTIFY_REGISTER_EVENT_IN,
    SOCK_NOTIFY_TRIGGER_LEVEL,
    SOCK_NOTIFY_TRIGGER_ONESHOT,
    WAIT_IO_COMPLETION,
    WAIT_TIMEOUT,
    WSAECONNRESET,
    WSAENOTSOCK,
    WSAEWOULDBLOCK,
)
from emu.win32 import DWORD, PVOID, SOCKADDR_IN, ULONG_PTR, Api

from .common import (
    EOF_READ,
    Checks,
    Gen,
    accept_one,
    drain,
    finish,
    listen_on,
    nonblocking,
    register,
    registration,
    remove,
    startup,
    wait,
)

KEY = 1
IN = SOCK_NOTIFY_EVENT_IN
ONESHOT = SOCK_NOTIFY_TRIGGER_LEVEL | SOCK_NOTIFY_TRIGGER_ONESHOT
NOTHING: tuple[int, list[tuple[Any, int]]] = (WAIT_TIMEOUT, [])
WAKE_KEY = 99
"""The completion key of the packet the waker thread posts."""


def _served(api: Api) -> Gen:
    port = yield from startup(api)
    listener = yield from listen_on(api)
    conn = yield from accept_one(api, listener)
    return port, listener, conn


def remove_demo(api: Api) -> Gen:
    """The timeline: the peer connects at 1 ms and sends "one" at 2 ms, "two" at 4 ms and
    "three" at 6 ms; the program removes its registration at about 3 ms, with a packet queued.

    Checks: 1 registered (key 1); 2 removed; 3 the queued packet comes first, then the REMOVE
    notification (0x80) with the registration's key; 4 read; 5 "two" notifies nothing for
    key 1; 6 registered again, with key 2; 7 notified with the new key; 8 read; 9 removed
    again; 10 its REMOVE comes; 11 "three" notifies nothing."""
    checks = Checks()
    port, listener, conn = yield from _served(api)
    checks.expect((yield from register(api, port, registration(conn, 1, trigger=ONESHOT))), [0])
    yield from api.Sleep(2)  # "one" arrives: a packet is queued
    checks.expect((yield from remove(api, port, conn, 1)), 0)
    removed = SOCK_NOTIFY_EVENT_REMOVE
    checks.expect((yield from wait(api, port, 0, 4)), (0, [(1, IN), (1, removed)]))
    checks.expect((yield from drain(api, conn)), (b"one", WSAEWOULDBLOCK))
    checks.expect((yield from wait(api, port, 2)), NOTHING)
    checks.expect((yield from register(api, port, registration(conn, 2, trigger=ONESHOT))), [0])
    checks.expect((yield from wait(api, port, 0)), (0, [(2, IN)]))
    checks.expect((yield from drain(api, conn)), (b"two", WSAEWOULDBLOCK))
    checks.expect((yield from remove(api, port, conn, 2)), 0)
    checks.expect((yield from wait(api, port, INFINITE)), (0, [(2, removed)]))
    yield from api.Sleep(2)  # "three" arrives
    checks.expect((yield from wait(api, port, 0)), NOTHING)
    yield from api.closesocket(conn)
    yield from api.closesocket(listener)
    yield from api.CloseHandle(port)
    yield from api.WSACleanup()
    return checks.exit_code


def close_demo(api: Api) -> Gen:
    """The timeline: the peer connects at 1 ms and sends "one" at 2 ms; the program reads it
    with the notification still queued, then closes the socket at about 3 ms.

    Checks: 1 registered; 2 read; 3 closed; 4 the packet queued before the close is still
    delivered; 5 no REMOVE notification follows; 6 a REMOVE after the close fails: the handle
    is no longer a socket (WSAENOTSOCK)."""
    checks = Checks()
    port, listener, conn = yield from _served(api)
    checks.expect((yield from register(api, port, registration(conn, KEY, trigger=ONESHOT))), [0])
    yield from api.Sleep(2)  # "one" arrives: a packet is queued
    checks.expect((yield from drain(api, conn)), (b"one", WSAEWOULDBLOCK))
    checks.expect((yield from api.closesocket(conn)), 0)
    checks.expect((yield from wait(api, port, 0)), (0, [(KEY, IN)]))
    checks.expect((yield from wait(api, port, 2)), NOTHING)
    checks.expect((yield from remove(api, port, conn, KEY)), WSAENOTSOCK)
    yield from api.closesocket(listener)
    yield from api.CloseHandle(port)
    yield from api.WSACleanup()
    return checks.exit_code


def err_demo(api: Api) -> Gen:
    """A reader registered for IN alone (level + ONESHOT). The timeline: the peer connects at
    1 ms and resets the connection at 3 ms.

    Checks: 1 registered; 2 the reset is notified as ERR, which was not asked for, and HANGUP,
    which was not asked for either, is not; 3 recv fails with WSAECONNRESET; 4 removed."""
    checks = Checks()
    port, listener, conn = yield from _served(api)
    checks.expect((yield from register(api, port, registration(conn, KEY, trigger=ONESHOT))), [0])
    checks.expect((yield from wait(api, port, INFINITE)), (0, [(KEY, SOCK_NOTIFY_EVENT_ERR)]))
    checks.expect((yield from drain(api, conn)), (b"", WSAECONNRESET))
    yield from finish(api, checks, port, conn, KEY, listener)
    return checks.exit_code


def hangup_demo(api: Api) -> Gen:
    """A registration for HANGUP alone (level + ONESHOT). The timeline: the peer connects at
    1 ms, sends "bye" at 2 ms and closes (gracefully: its FIN) at 4 ms.

    Checks: 1 registered; 2 the data is not notified (IN was not asked for); 3 the peer's
    close is: HANGUP; 4 the reader reads the data and the end of the stream; 5 removed."""
    checks = Checks()
    port, listener, conn = yield from _served(api)
    hangup = registration(conn, KEY, SOCK_NOTIFY_REGISTER_EVENT_HANGUP, trigger=ONESHOT)
    checks.expect((yield from register(api, port, hangup)), [0])
    yield from api.Sleep(2)  # "bye" arrives
    checks.expect((yield from wait(api, port, 0)), NOTHING)
    checks.expect((yield from wait(api, port, INFINITE)), (0, [(KEY, SOCK_NOTIFY_EVENT_HANGUP)]))
    checks.expect((yield from drain(api, conn)), (b"bye", EOF_READ))
    yield from finish(api, checks, port, conn, KEY, listener)
    return checks.exit_code


def datagram_demo(api: Api) -> Gen:
    """Two datagram sockets on the loopback: a receiver registered for IN and HANGUP (level +
    ONESHOT), connected to the sender's address, and the sender, which sends one datagram and
    closes.

    Checks: 1 registered; 2 the datagram is notified: IN; 3 read; 4 the sender closes; 5
    enabled again; 6 its close notifies nothing: datagram sockets never get HANGUP; 7
    removed."""
    checks = Checks()
    port = yield from startup(api)
    receiver = yield from api.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)
    sender = yield from api.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)
    here = SOCKADDR_IN(sin_family=AF_INET, sin_port=5001, sin_addr=INADDR_LOOPBACK)
    there = SOCKADDR_IN(sin_family=AF_INET, sin_port=5002, sin_addr=INADDR_LOOPBACK)
    yield from api.bind(receiver, here, 16)
    yield from api.bind(sender, there, 16)
    yield from api.connect(receiver, there, 16)
    yield from nonblocking(api, receiver)
    wanted = SOCK_NOTIFY_REGISTER_EVENT_IN | SOCK_NOTIFY_REGISTER_EVENT_HANGUP
    watch = registration(receiver, KEY, wanted, trigger=ONESHOT)
    checks.expect((yield from register(api, port, watch)), [0])
    yield from api.sendto(sender, b"ping", 4, 0, here, 16)
    checks.expect((yield from wait(api, port, INFINITE)), (0, [(KEY, IN)]))
    checks.expect((yield from drain(api, receiver)), (b"ping", WSAEWOULDBLOCK))
    checks.expect((yield from api.closesocket(sender)), 0)
    checks.expect((yield from register(api, port, watch)), [0])
    checks.expect((yield from wait(api, port, 2)), NOTHING)
    yield from finish(api, checks, port, receiver, KEY)
    return checks.exit_code


def same_port_demo(api: Api) -> Gen:
    """One port for notifications and other packets. A waker thread posts a packet (key 99)
    with PostQueuedCompletionStatus at about 3 ms, as an event loop's wake-up does; the
    timeline: the peer connects at 1 ms, sends "one" at 2 ms and "two" at 5 ms.

    Checks: 1 registered; 2 one call returns both, in the order they were queued: the
    notification, then the posted packet with its key and bytes; 3 read; 4 enabled again;
    5 GetQueuedCompletionStatus takes the next notification: TRUE, the key, the event mask as
    the bytes transferred, lpOverlapped NULL; 6 read; 7 the waker exited 0; 8 removed."""
    checks = Checks()
    port, listener, conn = yield from _served(api)
    once = registration(conn, KEY, trigger=ONESHOT)
    checks.expect((yield from register(api, port, once)), [0])

    def waker(parameter: Any) -> Gen:
        yield from api.Sleep(2)
        ok = yield from api.PostQueuedCompletionStatus(port, 5, WAKE_KEY, None)
        return 0 if ok else 1

    thread = yield from api.CreateThread(None, 0, waker, None, 0, None)
    yield from api.Sleep(3)  # "one" arrives, then the waker posts
    checks.expect((yield from wait(api, port, 0, 4)), (0, [(KEY, IN), (WAKE_KEY, 5)]))
    checks.expect((yield from drain(api, conn)), (b"one", WSAEWOULDBLOCK))
    checks.expect((yield from register(api, port, once)), [0])
    count, key, overlapped = DWORD(), ULONG_PTR(), PVOID(value=1)
    ok = yield from api.GetQueuedCompletionStatus(port, count, key, overlapped, INFINITE)
    checks.expect((ok, key.value, count.value, overlapped.value), (1, KEY, IN, None))
    checks.expect((yield from drain(api, conn)), (b"two", WSAEWOULDBLOCK))
    yield from api.WaitForSingleObject(thread, INFINITE)
    code = DWORD()
    yield from api.GetExitCodeThread(thread, code)
    checks.expect(code.value, 0)
    yield from api.CloseHandle(thread)
    yield from finish(api, checks, port, conn, KEY, listener)
    return checks.exit_code


def _timeout(api: Api, timed_out: int) -> Gen:
    """The timeline: the peer connects at 1 ms and sends "late" at 20 ms.

    Checks: 1 a registration made in the same call as a 5 ms wait with nothing queued: the
    call times out (``timed_out``) and returns no entry; 2 the registration was processed even
    so; 3 a wait of 0 with nothing queued times out at once; 4 an APC queued to the thread
    does not end the wait (the function is not alertable): it times out; 5 the APC runs in the
    next alertable wait; 6 an INFINITE wait ends with the peer's data; 7 read; 8 removed."""
    checks = Checks()
    port, listener, conn = yield from _served(api)
    once = registration(conn, KEY, trigger=ONESHOT)
    once.registrationResult = 0xDEAD  # written by the call
    checks.expect((yield from wait(api, port, 5, 1, once)), (timed_out, []))
    checks.expect(once.registrationResult, 0)
    checks.expect((yield from wait(api, port, 0)), (timed_out, []))
    ran: list[int] = []
    yield from api.QueueUserAPC(ran.append, -2, 7)  # -2: GetCurrentThread()
    checks.expect(((yield from wait(api, port, 5)), ran), ((timed_out, []), []))
    checks.expect(((yield from api.SleepEx(0, True)), ran), (WAIT_IO_COMPLETION, [7]))
    checks.expect((yield from wait(api, port, INFINITE)), (0, [(KEY, IN)]))
    checks.expect((yield from drain(api, conn)), (b"late", WSAEWOULDBLOCK))
    yield from finish(api, checks, port, conn, KEY, listener)
    return checks.exit_code


def timeout_demo(api: Api) -> Gen:
    """``_timeout`` under the default profile: WAIT_TIMEOUT (258), the Return value
    section's code."""
    return (yield from _timeout(api, WAIT_TIMEOUT))


def timeout_error_demo(api: Api) -> Gen:
    """``_timeout`` under profile ``sock-timeout-error``: ERROR_TIMEOUT (1460), the code the
    timeoutMs parameter's text names."""
    return (yield from _timeout(api, ERROR_TIMEOUT))


__all__ = [
    "close_demo",
    "datagram_demo",
    "err_demo",
    "hangup_demo",
    "remove_demo",
    "same_port_demo",
    "timeout_demo",
    "timeout_error_demo",
]
