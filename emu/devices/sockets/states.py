"""The states of a socket's connection, as the ``sock.state`` trace event names them.

A stream socket goes OPEN -> BOUND -> LISTENING (a server), or OPEN/BOUND -> CONNECTING ->
CONNECTED, or FAILED when the connect is refused (it may connect again: "If the error code
returned indicates the connection attempt failed ... the application can call connect again
for the same socket", connect, MS docs); a CONNECTED socket becomes RESET when the connection
is reset. A datagram socket is OPEN or BOUND (``connect`` only sets its default peer). Whatever
the state, a socket whose handle was closed is shown as ``closed`` (a stream socket may still
be sending its last bytes then: a graceful close sends what is queued before the FIN).
"""

from __future__ import annotations

from enum import StrEnum


class SockState(StrEnum):
    OPEN = "open"
    BOUND = "bound"
    LISTENING = "listening"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    FAILED = "failed"
    RESET = "reset"
