"""A socket's readiness: the SOCK_NOTIFY_EVENT_* mask its state implies, and who hears it change.

This is the hook the socket state notifications (ProcessSocketNotifications, SOCK_NOTIFY_
REGISTRATION) are built on; the device itself registers nothing. Two parts:

**The mask.** ``readiness(sock)`` (also ``Socket.readiness()``) returns the conditions that hold
*now*, as the real SOCK_NOTIFY_EVENT_* bits (docs/sources.md F2.2: IN 0x01, OUT 0x02, HANGUP
0x04, ERR 0x40), computed from the socket's state and buffers, never stored:

- IN (0x01): "data can be read without blocking" (SOCK_NOTIFY_REGISTRATION, eventFilter): a
  stream socket with received bytes waiting, or at end of stream (the peer's FIN arrived: recv
  would return 0); a datagram socket with a datagram queued; a listening socket with a
  connection waiting in its backlog (accept would not block).
- OUT (0x02): "data can be written without blocking": a connected stream socket whose send
  buffer has room (so once a non-blocking connect completes); a datagram socket always (sends
  never wait for buffer space here). A stream socket that is not connected has no OUT.
- HANGUP (0x04): "a stream-oriented connection was either disconnected or aborted": the peer's
  FIN arrived (its closesocket or shutdown(SD_SEND)), the connection was reset, or a connect
  failed. Stream sockets only: datagram sockets never get HANGUP (F2.26).
- ERR (0x40): the connection was reset, or a connect failed (assumption, docs/rules.md).

A reset connection and a failed connect read OUT|HANGUP|ERR, which is what WSAPoll was
observed to report on Windows for both (POLLWRNORM|POLLHUP|POLLERR; Wine dlls/ws2_32/tests/
sock.c, test_tcp_reset and test_WSAPoll); a gracefully closed peer gives IN|OUT|HANGUP. A
closed socket (closesocket or CloseHandle) has no readiness at all (0).

**The subscription point.** ``Socket.watch(watcher)`` adds a ``ReadinessWatcher``; the device
calls ``watcher.readiness_changed(sock, old, new, cause)`` every time the mask changes (``old
!= new``), at the instant of the change and inside the actor that caused it, right after the
``sock.state`` event that records the new mask (``cause`` is that event's sequence number). A
level-triggered registration reads ``sock.readiness()`` whenever it needs the current
conditions (for example when its packet is dequeued); an edge-triggered one queues for the
bits in ``new & ~old`` ("whenever a condition changes from not holding to holding",
SOCK_NOTIFY_REGISTRATION). When the socket's handle closes the device calls
``watcher.socket_closed(sock, cause)`` once and forgets every watcher: no
``readiness_changed`` follows (closesocket deregisters, F2.23). Watchers are called in the
order they were added; a watcher must not block (it may post completion packets, set events
or queue APCs) and may call ``unwatch`` on itself while being called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol

from emu.codes.winsock import (
    SOCK_NOTIFY_EVENT_ERR,
    SOCK_NOTIFY_EVENT_HANGUP,
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_EVENT_OUT,
)
from emu.devices.sockets.states import SockState

if TYPE_CHECKING:
    from emu.devices.sockets.endpoint import Socket

IN: Final = SOCK_NOTIFY_EVENT_IN
OUT: Final = SOCK_NOTIFY_EVENT_OUT
HANGUP: Final = SOCK_NOTIFY_EVENT_HANGUP
ERR: Final = SOCK_NOTIFY_EVENT_ERR
BROKEN: Final = OUT | HANGUP | ERR
"""A reset connection or a failed connect."""


class ReadinessWatcher(Protocol):
    """What the device calls when a watched socket's readiness changes or its handle closes."""

    def readiness_changed(self, sock: Socket, old: int, new: int, cause: int) -> None:
        """The mask went from ``old`` to ``new`` (never equal); ``cause`` is the seq of the
        ``sock.state`` event that recorded ``new``."""

    def socket_closed(self, sock: Socket, cause: int) -> None:
        """The socket's handle closed; the watcher is forgotten after this call."""


def readiness(sock: Socket) -> int:
    """The SOCK_NOTIFY_EVENT_* conditions that hold for ``sock`` now (see the module doc)."""
    if sock.closed:
        return 0
    if not sock.stream:
        return OUT | IN if sock.datagrams else OUT
    state = sock.state
    if state is SockState.CONNECTED:
        mask = IN if sock.received or sock.eof else 0
        if len(sock.unsent) < sock.sndbuf:
            mask |= OUT
        if sock.eof:
            mask |= HANGUP
        return mask
    if state is SockState.LISTENING:
        return IN if sock.incoming else 0
    if state is SockState.FAILED or state is SockState.RESET:
        return BROKEN
    return 0
