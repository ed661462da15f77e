"""Demonstrations of how a registration turns a socket's state into notifications: level,
edge, coalescing, DISABLE (ONESHOT is notify-oneshot.yaml, written as steps). One program
per scenario (``notify-*.yaml``); each serves
the scripted remote peer ``web`` that the scenario's timeline drives, and its exit code is the
number of the first check that failed (``common.Checks``), 0 when every one held.

Sentences (SOCK_NOTIFY_REGISTRATION, triggerFlags and operation; the seed):

- "Given the registration is enabled, level-triggered notifications are supplied whenever
  the desired conditions hold." (``level_demo``)
- "edge-triggered notifications are supplied whenever a condition changes from not holding to
  holding. The condition must change while the registration is enabled for a notification to
  be queued. As such, after registering, the socket's receive buffer must be completely
  drained to ensure a notification is received." (``edge_demo``)
- "As notifications are queued up for a given socket, they are coalesced into a single
  notification. Therefore, multiple events may be described by a single event mask for the
  socket." (``coalesce_demo``)
- "SOCK_NOTIFY_OP_DISABLE. ... it merely suppresses queuing of new notifications.
  Notifications that have already been queued might still be delivered" (``disable_demo``)
"""

from __future__ import annotations

from typing import Any

from emu.codes import (
    INFINITE,
    SOCK_NOTIFY_EVENT_HANGUP,
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_OP_DISABLE,
    SOCK_NOTIFY_REGISTER_EVENT_HANGUP,
    SOCK_NOTIFY_REGISTER_EVENT_IN,
    SOCK_NOTIFY_TRIGGER_EDGE,
    SOCK_NOTIFY_TRIGGER_LEVEL,
    SOCK_NOTIFY_TRIGGER_ONESHOT,
    WAIT_TIMEOUT,
    WSAEWOULDBLOCK,
)
from emu.win32 import Api

from .common import (
    EOF_READ,
    Checks,
    Gen,
    accept_one,
    drain,
    finish,
    listen_on,
    register,
    registration,
    startup,
    wait,
)

KEY = 1
IN = SOCK_NOTIFY_EVENT_IN
LEVEL = SOCK_NOTIFY_TRIGGER_LEVEL
EDGE = SOCK_NOTIFY_TRIGGER_EDGE
ONESHOT = SOCK_NOTIFY_TRIGGER_ONESHOT
NOTHING: tuple[int, list[tuple[Any, int]]] = (WAIT_TIMEOUT, [])
"""What ``wait`` returns when no packet came."""


def _served(api: Api) -> Gen:
    """Winsock, a port, a listener and the peer's connection (non-blocking)."""
    port = yield from startup(api)
    listener = yield from listen_on(api)
    conn = yield from accept_one(api, listener)
    return port, listener, conn


def level_demo(api: Api) -> Gen:
    """A persistent level registration (LEVEL alone: "persistent (not one-shot)", F2.14) for
    IN. The timeline: the peer connects at 1 ms, sends "hello" at 2 ms and "world" at 6 ms.

    Checks: 1 registered; 2 nothing holds yet, nothing notified; 3 the data notifies IN; 4 the
    data still waits, so IN is notified again; 5 the reader drains it; 6 the packet queued
    when check 4 took its packet (the data still waited) arrives anyway: a level notification
    may be stale; 7 so recv fails at once with WSAEWOULDBLOCK; 8 the condition no longer
    holds: nothing more; 9 new data notifies again; 10 read; 11 removed (``finish``)."""
    checks = Checks()
    port, listener, conn = yield from _served(api)
    checks.expect((yield from register(api, port, registration(conn, KEY))), [0])
    checks.expect((yield from wait(api, port, 0)), NOTHING)
    checks.expect((yield from wait(api, port, INFINITE)), (0, [(KEY, IN)]))
    checks.expect((yield from wait(api, port, 0)), (0, [(KEY, IN)]))
    checks.expect((yield from drain(api, conn)), (b"hello", WSAEWOULDBLOCK))
    checks.expect((yield from wait(api, port, 0)), (0, [(KEY, IN)]))
    checks.expect((yield from drain(api, conn)), (b"", WSAEWOULDBLOCK))
    checks.expect((yield from wait(api, port, 2)), NOTHING)
    checks.expect((yield from wait(api, port, INFINITE)), (0, [(KEY, IN)]))
    checks.expect((yield from drain(api, conn))[0], b"world")
    yield from finish(api, checks, port, conn, KEY, listener)
    return checks.exit_code


def edge_demo(api: Api) -> Gen:
    """An edge registration for IN on a non-blocking socket. The timeline: the peer connects
    at 1 ms and sends "hello" at 1.5 ms, before the program registers (about 2 ms); then
    "world" at 3 ms, "again" at 3.5 ms, "last" at 6 ms, "more" at 7 ms, and half-closes (its
    FIN) at 8 ms.

    Checks: 1 registered; 2 the data that came before the registration gives no edge; 3 so
    the reader drains after registering; 4 "world" is an edge (IN went from not holding to
    holding); 5 "again" arrives while IN still holds (the program did not read): no edge, no
    notification; 6 draining reads both; 7 after the drain "last" is an edge again; 8 read;
    9 "more" is an edge; 10 the FIN changes the socket's conditions (HANGUP, not asked for)
    while "more" is unread, but IN held already: no edge; 11 the reader reads "more" and the
    end of the stream; 12 removed."""
    checks = Checks()
    port, listener, conn = yield from _served(api)
    yield from api.Sleep(1)  # "hello" arrives meanwhile
    edge = registration(conn, KEY, trigger=EDGE)
    checks.expect((yield from register(api, port, edge)), [0])
    checks.expect((yield from wait(api, port, 0)), NOTHING)
    checks.expect((yield from drain(api, conn)), (b"hello", WSAEWOULDBLOCK))
    checks.expect((yield from wait(api, port, INFINITE)), (0, [(KEY, IN)]))
    yield from api.Sleep(1)  # "again" arrives while "world" is still unread
    checks.expect((yield from wait(api, port, 0)), NOTHING)
    checks.expect((yield from drain(api, conn)), (b"worldagain", WSAEWOULDBLOCK))
    checks.expect((yield from wait(api, port, INFINITE)), (0, [(KEY, IN)]))
    checks.expect((yield from drain(api, conn)), (b"last", WSAEWOULDBLOCK))
    checks.expect((yield from wait(api, port, INFINITE)), (0, [(KEY, IN)]))
    yield from api.Sleep(2)  # the peer's FIN arrives while "more" is unread
    checks.expect((yield from wait(api, port, 0)), NOTHING)
    checks.expect((yield from drain(api, conn)), (b"more", EOF_READ))
    yield from finish(api, checks, port, conn, KEY, listener)
    return checks.exit_code


def coalesce_demo(api: Api) -> Gen:
    """An edge registration for IN and HANGUP. The timeline: the peer connects at 1 ms, sends
    "data" at 2 ms and half-closes (its FIN) at 3 ms; the program looks at 5 ms.

    Checks: 1 registered; 2 one packet, whose mask holds both IN (the data) and HANGUP (the
    FIN): the second event was OR-ed into the packet still queued; 3 nothing else; 4 the
    reader reads the data and the end of the stream; 5 removed."""
    checks = Checks()
    port, listener, conn = yield from _served(api)
    wanted = SOCK_NOTIFY_REGISTER_EVENT_IN | SOCK_NOTIFY_REGISTER_EVENT_HANGUP
    edge = registration(conn, KEY, wanted, trigger=EDGE)
    checks.expect((yield from register(api, port, edge)), [0])
    yield from api.Sleep(4)
    both = IN | SOCK_NOTIFY_EVENT_HANGUP
    checks.expect((yield from wait(api, port, 0, 4)), (0, [(KEY, both)]))
    checks.expect((yield from wait(api, port, 0, 4)), NOTHING)
    checks.expect((yield from drain(api, conn)), (b"data", EOF_READ))
    yield from finish(api, checks, port, conn, KEY, listener)
    return checks.exit_code


def disable_demo(api: Api) -> Gen:
    """A persistent level registration for IN, disabled while a packet is queued. The
    timeline: the peer connects at 1 ms, sends "one" at 2 ms and "two" at 4 ms; the program
    disables at about 3 ms.

    Checks: 1 registered; 2 disabled; 3 the packet queued before the DISABLE is still
    delivered; 4 the data still waits, but nothing new is queued while disabled; 5 read;
    6 "two" arrives while disabled: nothing; 7 enabled again; 8 the condition holds:
    notified at once; 9 read; 10 removed."""
    checks = Checks()
    port, listener, conn = yield from _served(api)
    checks.expect((yield from register(api, port, registration(conn, KEY))), [0])
    yield from api.Sleep(2)  # "one" arrives: a packet is queued
    off = registration(conn, KEY, 0, SOCK_NOTIFY_OP_DISABLE, 0)
    checks.expect((yield from register(api, port, off)), [0])
    checks.expect((yield from wait(api, port, 0)), (0, [(KEY, IN)]))
    checks.expect((yield from wait(api, port, 0)), NOTHING)
    checks.expect((yield from drain(api, conn)), (b"one", WSAEWOULDBLOCK))
    checks.expect((yield from wait(api, port, 2)), NOTHING)
    once = registration(conn, KEY, trigger=LEVEL | ONESHOT)
    checks.expect((yield from register(api, port, once)), [0])
    checks.expect((yield from wait(api, port, 0)), (0, [(KEY, IN)]))
    checks.expect((yield from drain(api, conn)), (b"two", WSAEWOULDBLOCK))
    yield from finish(api, checks, port, conn, KEY, listener)
    return checks.exit_code
