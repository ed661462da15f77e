"""Echo servers with the mistakes an engineer could plausibly make with ProcessSocketNotifications
(the ``bug-*.yaml`` scenarios). Each is the correct server of ``servers`` with one rule
broken, marked ``# the bug:``; the scenario names the catalogue property that reports it.

- ``blocking_edge_server``: edge-triggered on sockets left blocking (F2.20: the drain reads
  "until WSAEWOULDBLOCK", which a blocking socket never returns): sock.edge_blocking.
- ``edge_no_drain_server``: edge-triggered, but the accepted socket is not drained after
  registering ("after registering, the socket's receive buffer must be completely drained to
  ensure a notification is received", SOCK_NOTIFY_REGISTRATION): sock.edge_stuck.
- ``shared_persistent_server``: two workers, persistent level registrations (F2.25: use
  level + ONESHOT "to avoid several threads getting the same state change"):
  sock.shared_persistent.
- ``pause_resume_server``: DISABLE while handling, ENABLE after, with a notification queued
  ("Notifications must not be re-enabled until the SOCK_NOTIFY_EVENT_DISABLE notification is
  received"): sock.reenable_early.
- ``close_then_remove_server``: closesocket, then REMOVE and wait for its notification (F2.23:
  closesocket deregisters without a REMOVE): sock.remove_after_close.
- ``free_on_close_server``: closesocket and free the context at the end of the stream, without
  REMOVE (F2.23: "already-queued notifications may still be delivered"):
  sock.free_before_remove.
- ``rekey_server``: moves a connection to another context with an ENABLE carrying the new key
  ("To change the completion key, remove the registration and re-register it",
  completionKey): sock.key_change.
"""

from __future__ import annotations

from typing import Any

from emu.codes import (
    INFINITE,
    INVALID_SOCKET,
    SOCK_NOTIFY_EVENT_REMOVE,
    SOCK_NOTIFY_OP_DISABLE,
    SOCK_NOTIFY_OP_ENABLE,
    SOCK_NOTIFY_REGISTER_EVENT_HANGUP,
    SOCK_NOTIFY_TRIGGER_EDGE,
    SOCK_NOTIFY_TRIGGER_LEVEL,
    WSAEWOULDBLOCK,
)
from emu.win32 import LONG, Api

from .common import (
    Gen,
    accept_one,
    drain,
    nonblocking,
    register,
    registration,
    remove,
    startup,
    until_removed,
    wait,
)
from .servers import (
    IN,
    LISTENER_KEY,
    ONESHOT_LEVEL,
    OUT,
    STOP,
    Connection,
    _end,
    _serve,
    echo,
    sizes,
)

LEVEL = SOCK_NOTIFY_TRIGGER_LEVEL
EDGE = SOCK_NOTIFY_TRIGGER_EDGE


def _accept_all(api: Api, trigger: int, events: int = IN, fionbio: bool = True) -> Gen:
    """Startup, listen, accept every client (made non-blocking unless ``fionbio`` is False)
    and register it (its context conn[i] as the key): (port, {socket: Connection}); port 0
    when something failed."""
    clients, _, contexts = sizes(api)
    port = yield from startup(api)
    listener = yield from _serve(api, port)
    conns: dict[int, Connection] = {}
    for index in range(clients):
        if fionbio:
            sock = yield from accept_one(api, listener)
        else:
            sock = yield from api.accept(listener, None, None)
        if sock == INVALID_SOCKET:
            return 0, conns
        ctx = contexts[index]
        ctx.value = sock
        conns[sock] = Connection()
        if (yield from register(api, port, registration(sock, ctx, events, trigger=trigger))) != [
            0
        ]:
            return 0, conns
    yield from api.closesocket(listener)
    return port, conns


def _serve_one(api: Api, port: int, ctx: Any, conn: Connection) -> Gen:
    """Drain and echo one notified socket: True while the connection goes on."""
    data, how = yield from drain(api, ctx.value)
    sent = yield from echo(api, ctx.value, conn, data)
    return how == WSAEWOULDBLOCK and sent


# -- sock.edge_stuck ---------------------------------------------------------------------------


def edge_no_drain_server(api: Api) -> Gen:
    """The epoll-style loop of ``servers.epoll_echo_server``, which logs each new connection
    (CPU time the chooser picks, 1 to 60 µs) and then registers it edge-triggered — but waits
    for its first notification instead of draining it at once. A client's first records that
    arrived during the logging made no edge: nothing is ever notified for them."""
    clients, _, contexts = sizes(api)
    port = yield from startup(api)
    listener = yield from _serve(api, port)
    yield from nonblocking(api, listener)
    yield from register(api, port, registration(listener, LISTENER_KEY, IN))
    conns: dict[int, Connection] = {}
    accepted = removed = 0
    while removed < clients:
        _, got = yield from wait(api, port, INFINITE, 8)
        for key, events in got:
            if key == LISTENER_KEY:
                while (sock := (yield from api.accept(listener, None, None))) != INVALID_SOCKET:
                    ctx = contexts[accepted]
                    accepted += 1
                    ctx.value = sock
                    conns[sock] = Connection()
                    yield from nonblocking(api, sock)
                    cost = yield from _log_cost(api)
                    yield from api.work(cost)
                    edge = registration(
                        sock, ctx, IN | SOCK_NOTIFY_REGISTER_EVENT_HANGUP, trigger=EDGE
                    )
                    yield from register(api, port, edge)
                    # the bug: no drain here; data that came before the registration made no edge
            elif events & SOCK_NOTIFY_EVENT_REMOVE:
                yield from api.closesocket(key.value)
                yield from api.free(key)
                removed += 1
            elif not (yield from _serve_one(api, port, key, conns[key.value])):
                yield from remove(api, port, key.value, key)
    yield from remove(api, port, listener, LISTENER_KEY)
    yield from until_removed(api, port, LISTENER_KEY)
    yield from api.closesocket(listener)
    yield from _end(api, port, [])
    return 0


def _log_cost(api: Api) -> Gen:
    """CPU time for logging a connection: 1 to 60 µs, as the chooser picks (10 ticks a µs)."""
    return 10 * (1 + 59 * (yield from api.rand(2, "log cost")))


# -- sock.edge_blocking -------------------------------------------------------------------------


def blocking_edge_server(api: Api) -> Gen:
    """A single-threaded edge-triggered loop that drains each notified socket as it should,
    but never made the accepted sockets non-blocking (no ioctlsocket FIONBIO): the drain's
    last recv, which should fail with WSAEWOULDBLOCK, blocks instead, before the echo is
    sent; the client waits for its echo and the server for the client."""
    clients, _, _ = sizes(api)
    port, conns = yield from _accept_all(api, EDGE, IN, fionbio=False)  # the bug
    if not port:
        return 1
    removed = 0
    while removed < clients:
        _, got = yield from wait(api, port, INFINITE, 8)
        for ctx, events in got:
            if events & SOCK_NOTIFY_EVENT_REMOVE:
                yield from api.closesocket(ctx.value)
                yield from api.free(ctx)
                removed += 1
            elif not (yield from _serve_one(api, port, ctx, conns[ctx.value])):
                yield from remove(api, port, ctx.value, ctx)
    yield from _end(api, port, [])
    return 0


# -- sock.shared_persistent ---------------------------------------------------------------------


def shared_persistent_server(api: Api) -> Gen:
    """``servers.mt_echo_server`` with persistent level registrations (LEVEL alone) and so no
    re-enable: a notification is queued again as soon as one is taken while the data still
    waits, and the other worker takes it while the first is still reading."""
    clients, _, _ = sizes(api)
    port, conns = yield from _accept_all(api, LEVEL)  # the bug: no ONESHOT
    if not port:
        return 1
    removed = LONG()

    def worker(parameter: Any) -> Gen:
        while True:
            _, ((ctx, events),) = yield from wait(api, port, INFINITE)
            if ctx == STOP:
                return 0
            if events & SOCK_NOTIFY_EVENT_REMOVE:
                yield from api.closesocket(ctx.value)
                yield from api.free(ctx)
                if (yield from api.InterlockedIncrement(removed)) == clients:
                    for _ in range(2):
                        yield from api.PostQueuedCompletionStatus(port, 0, STOP, None)
                continue
            conn = conns[ctx.value]
            if conn.ending:
                continue
            if not (yield from _serve_one(api, port, ctx, conn)):
                conn.ending = True
                yield from remove(api, port, ctx.value, ctx)

    threads = []
    for _ in range(2):
        threads.append((yield from api.CreateThread(None, 0, worker, None, 0, None)))
    yield from api.WaitForMultipleObjects(2, threads, True, INFINITE)
    yield from _end(api, port, threads)
    return 0


# -- sock.reenable_early -------------------------------------------------------------------------


def pause_resume_server(api: Api) -> Gen:
    """A single-threaded loop over persistent level registrations that DISABLEs a socket's
    registration while it handles a notification and ENABLEs it again afterwards, to keep
    repeated notifications away while it works. Taking the packet re-queued one (the data
    still waited), and the ENABLE comes before that queued notification was received."""
    clients, _, _ = sizes(api)
    port, conns = yield from _accept_all(api, LEVEL)
    if not port:
        return 1
    removed = 0
    while removed < clients:
        _, ((ctx, events),) = yield from wait(api, port, INFINITE)
        if events & SOCK_NOTIFY_EVENT_REMOVE:
            yield from api.closesocket(ctx.value)
            yield from api.free(ctx)
            removed += 1
            continue
        sock, conn = ctx.value, conns[ctx.value]
        if conn.ending:
            continue
        yield from register(api, port, registration(sock, ctx, 0, SOCK_NOTIFY_OP_DISABLE, 0))
        if (yield from _serve_one(api, port, ctx, conn)):
            # the bug: a notification queued before the DISABLE may still be on its way
            yield from register(
                api, port, registration(sock, ctx, IN, SOCK_NOTIFY_OP_ENABLE, LEVEL)
            )
        else:
            conn.ending = True
            yield from remove(api, port, sock, ctx)
    yield from _end(api, port, [])
    return 0


# -- sock.remove_after_close ---------------------------------------------------------------------


def close_then_remove_server(api: Api) -> Gen:
    """A single-threaded level + ONESHOT loop whose cleanup closes the socket first, then
    REMOVEs the registration and waits for the REMOVE notification before freeing the
    context. The close already deregistered: the REMOVE fails (unchecked) and its
    notification never comes; the server waits for ever."""
    clients, _, _ = sizes(api)
    port, conns = yield from _accept_all(api, ONESHOT_LEVEL)
    if not port:
        return 1
    for _ in range(clients):
        _, ((ctx, _events),) = yield from wait(api, port, INFINITE)
        sock = ctx.value
        while (yield from _serve_one(api, port, ctx, conns[sock])):
            yield from register(api, port, registration(sock, ctx, IN, trigger=ONESHOT_LEVEL))
            _, ((ctx, _events),) = yield from wait(api, port, INFINITE)
            sock = ctx.value
        yield from api.closesocket(sock)
        yield from remove(api, port, sock, ctx)  # the bug: closesocket already deregistered
        yield from until_removed(api, port, ctx)
        yield from api.free(ctx)
    yield from _end(api, port, [])
    return 0


# -- sock.free_before_remove ---------------------------------------------------------------------


def free_on_close_server(api: Api) -> Gen:
    """The epoll-style loop (edge-triggered, drained) that logs every notification (1 or 60
    µs of CPU time, as the chooser picks) and whose end of a connection is closesocket and
    free the context at once, trusting the close to stop the notifications. A FIN that
    arrives while the loop logs the data's notification is a new edge (HANGUP): its packet is
    queued; the drain then reads the data and the end of the stream, the loop closes and
    frees, and the queued notification names freed memory."""
    clients, _, _ = sizes(api)
    wanted = IN | OUT | SOCK_NOTIFY_REGISTER_EVENT_HANGUP
    port, conns = yield from _accept_all(api, EDGE, wanted)
    if not port:
        return 1
    closed = 0
    while closed < clients:
        _, got = yield from wait(api, port, INFINITE, 8)
        for ctx, _events in got:
            sock = ctx.value  # a freed context read here is the use after free
            conn = conns[sock]
            if conn.ending:
                continue
            cost = yield from _log_cost(api)  # log the notification
            yield from api.work(cost)
            if not (yield from _serve_one(api, port, ctx, conn)):
                conn.ending = True
                yield from api.closesocket(sock)
                yield from api.free(ctx)  # the bug: no REMOVE, no wait for its notification
                closed += 1
    yield from _end(api, port, [])
    return 0


# -- sock.key_change -----------------------------------------------------------------------------


def rekey_server(api: Api) -> Gen:
    """A level + ONESHOT loop that greets each connection with its first context (conn[i],
    the handshake) and, once the first records came, moves it to a session context (conn[i +
    clients]) by enabling the registration with the session as the key, without REMOVE. The
    key stays the one of the registration's creation: the notifications keep naming the
    handshake context, which the server freed."""
    clients, _, contexts = sizes(api)
    port, conns = yield from _accept_all(api, ONESHOT_LEVEL)
    if not port:
        return 1
    sessions = {contexts[i].value: contexts[i + clients] for i in range(clients)}  # by socket
    removed = 0
    while removed < clients:
        _, ((ctx, events),) = yield from wait(api, port, INFINITE)
        if events & SOCK_NOTIFY_EVENT_REMOVE:
            yield from api.closesocket(ctx.value)
            yield from api.free(ctx)
            removed += 1
            continue
        sock = ctx.value
        if not (yield from _serve_one(api, port, ctx, conns[sock])):
            yield from remove(api, port, sock, ctx)
            continue
        session = sessions.pop(sock, None)
        if session is not None:  # the handshake is over: on to the session context
            session.value = sock
            yield from api.free(ctx)
            ctx = session  # the bug: the registration keeps its first key
        yield from register(api, port, registration(sock, ctx, IN, trigger=ONESHOT_LEVEL))
    yield from _end(api, port, [])
    return 0
