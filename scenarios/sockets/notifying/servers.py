"""Echo servers written the documented way with ProcessSocketNotifications, and their clients.

``mt_echo_server`` is the multi-threaded server of "Winsock socket state notifications"
(F2.25): several worker threads dequeue from one port, every registration is level-triggered
and ONESHOT "to avoid several threads getting the same state change", and a worker enables
the registration again only after it processed the notification. ``epoll_echo_server`` is the
single-threaded event loop the epoll-style shims build: edge-triggered registrations on
non-blocking sockets, drained after registering and after each notification ("after
registering, the socket's receive buffer must be completely drained to ensure a notification
is received", SOCK_NOTIFY_REGISTRATION). Both end a connection the documented way: REMOVE,
wait for its SOCK_NOTIFY_EVENT_REMOVE, and only then close the socket and free the per-socket
context ("with the guarantee that no more notifications will be issued afterwards for that
completion key"), the context being the completion key.

The scenario declares the sizes and the memory (``shared:``): ``clients`` (connections the
server accepts, and clients ``echo_clients`` starts), ``messages`` (records each client
sends) and ``conn``, an array of ULONG_PTR, one per client: the per-socket context, whose
``value`` is the SOCKET. Every record is 8 bytes (``c<client>:<number>``); a client sends them
two at a time and checks that exactly what it sent comes back, in order, then half-closes and
expects the end of the stream. The server counts each record it echoes in
``api.context.state["handled"]`` (a record handled twice shows as a count of 2), which the
tests read; exit codes: 0 when everything held, else the number of the check that failed.
"""

from __future__ import annotations

from typing import Any

from emu.codes import (
    AF_INET,
    INADDR_LOOPBACK,
    INFINITE,
    INVALID_SOCKET,
    IPPROTO_TCP,
    SD_SEND,
    SOCK_NOTIFY_EVENT_OUT,
    SOCK_NOTIFY_EVENT_REMOVE,
    SOCK_NOTIFY_OP_ENABLE,
    SOCK_NOTIFY_REGISTER_EVENT_HANGUP,
    SOCK_NOTIFY_REGISTER_EVENT_IN,
    SOCK_NOTIFY_REGISTER_EVENT_OUT,
    SOCK_NOTIFY_TRIGGER_EDGE,
    SOCK_NOTIFY_TRIGGER_LEVEL,
    SOCK_NOTIFY_TRIGGER_ONESHOT,
    SOCK_STREAM,
    SOCKET_ERROR,
    WSAEWOULDBLOCK,
)
from emu.win32 import DWORD, LONG, SOCKADDR_IN, WSADATA, Api

from .common import (
    PORT,
    Gen,
    accept_one,
    drain,
    listen_on,
    nonblocking,
    register,
    registration,
    remove,
    startup,
    wait,
)

RECORD = 8
"""Bytes per message: ``c<client>:<number, 5 digits>``."""
BURST = 2
"""Records a client sends before it reads their echoes."""
WORKERS = 2
STOP = 0
"""The completion key of the packets that tell workers to exit (contexts are never 0)."""
IN = SOCK_NOTIFY_REGISTER_EVENT_IN
OUT = SOCK_NOTIFY_REGISTER_EVENT_OUT
ONESHOT_LEVEL = SOCK_NOTIFY_TRIGGER_LEVEL | SOCK_NOTIFY_TRIGGER_ONESHOT


def record(client: int, number: int) -> bytes:
    return f"c{client}:{number:05d}".encode()


def sizes(api: Api) -> tuple[int, int, list[Any]]:
    """The scenario's ``clients``, ``messages`` and ``conn`` (the per-socket contexts)."""
    names = api.context.names
    return names["clients"].value, names["messages"].value, names.get("conn", [])


class Connection:
    """The server's bookkeeping for one socket: the record begun and the bytes not yet sent
    (the per-socket context the system sees is the scenario's ``conn[i]``)."""

    __slots__ = ("ending", "partial", "unsent")

    def __init__(self) -> None:
        self.partial = bytearray()
        self.unsent = bytearray()
        self.ending = False
        """REMOVE was asked: notifications still queued before its REMOVE are dropped."""


def echo(api: Api, sock: int, conn: Connection, data: bytes) -> Gen:
    """Echo every complete record of ``data`` (counting each in ``handled``) and send what
    is owed; on a full send buffer the rest waits for OUT. False when a send failed."""
    handled: dict[bytes, int] = api.context.state.setdefault("handled", {})
    conn.partial += data
    while len(conn.partial) >= RECORD:
        one = bytes(conn.partial[:RECORD])
        del conn.partial[:RECORD]
        handled[one] = handled.get(one, 0) + 1
        conn.unsent += one
    return (yield from flush(api, sock, conn))


def flush(api: Api, sock: int, conn: Connection) -> Gen:
    """Send ``conn.unsent`` until done or WSAEWOULDBLOCK; False when a send failed."""
    while conn.unsent:
        n = yield from api.send(sock, bytes(conn.unsent), len(conn.unsent), 0)
        if n == SOCKET_ERROR:
            return (yield from api.WSAGetLastError()) == WSAEWOULDBLOCK
        del conn.unsent[:n]
    return True


def _serve(api: Api, port: int) -> Gen:
    """Listen on the loopback and tell the clients (the scenario's event ``listening``)."""
    listener = yield from listen_on(api, PORT, INADDR_LOOPBACK)
    yield from api.SetEvent(api.context.names["listening"])
    return listener


def _end(api: Api, port: int, handles: list[int]) -> Gen:
    for handle in handles:
        yield from api.CloseHandle(handle)
    yield from api.CloseHandle(port)
    yield from api.WSACleanup()


# -- the multi-threaded server: level + ONESHOT ---------------------------------------------------


def mt_echo_server(api: Api) -> Gen:
    """Accept ``clients`` connections, register each (level, ONESHOT, IN; its context as the
    key), and echo from WORKERS threads. A worker that took a notification drains the socket,
    echoes, and enables the registration again; at the end of the stream it REMOVEs it, and
    the worker that takes the REMOVE notification closes the socket and frees the context.
    The last REMOVE posts one STOP packet per worker. Exit code: 1 setup failed, 2 a
    registration failed, 3 a worker failed."""
    clients, _, contexts = sizes(api)
    port = yield from startup(api)
    listener = yield from _serve(api, port)
    if not port or listener == INVALID_SOCKET:
        return 1
    removed = LONG()
    connections: dict[int, Connection] = {}

    def worker(parameter: Any) -> Gen:
        while True:
            result, got = yield from wait(api, port, INFINITE)
            if result != 0:
                return 3
            ((ctx, events),) = got
            if ctx == STOP:
                return 0
            sock = ctx.value
            if events & SOCK_NOTIFY_EVENT_REMOVE:  # nothing more will come for ctx
                yield from api.closesocket(sock)
                yield from api.free(ctx)
                if (yield from api.InterlockedIncrement(removed)) == clients:
                    for _ in range(WORKERS):
                        yield from api.PostQueuedCompletionStatus(port, 0, STOP, None)
                continue
            conn = connections[sock]
            sent = True
            if events & SOCK_NOTIFY_EVENT_OUT:
                sent = yield from flush(api, sock, conn)
            data, how = yield from drain(api, sock)
            sent = sent and (yield from echo(api, sock, conn, data))
            if how == WSAEWOULDBLOCK and sent:
                wanted = IN | (OUT if conn.unsent else 0)
                again = registration(sock, ctx, wanted, SOCK_NOTIFY_OP_ENABLE, ONESHOT_LEVEL)
                if (yield from register(api, port, again)) != [0]:
                    return 3
            elif (yield from remove(api, port, sock, ctx)) != 0:  # the end, or an error
                return 3

    threads = []
    for _ in range(WORKERS):
        threads.append((yield from api.CreateThread(None, 0, worker, None, 0, None)))
    failed = 0
    for index in range(clients):
        sock = yield from accept_one(api, listener)
        if sock == INVALID_SOCKET:
            failed = failed or 1
            continue
        ctx = contexts[index]
        ctx.value = sock
        connections[sock] = Connection()
        once = registration(sock, ctx, IN, SOCK_NOTIFY_OP_ENABLE, ONESHOT_LEVEL)
        if (yield from register(api, port, once)) != [0]:
            failed = failed or 2
    yield from api.closesocket(listener)
    yield from api.WaitForMultipleObjects(len(threads), threads, True, INFINITE)
    for thread in threads:
        code = DWORD()
        yield from api.GetExitCodeThread(thread, code)
        failed = failed or code.value
    yield from _end(api, port, threads)
    return failed


# -- the epoll-style loop: edge-triggered, one thread ---------------------------------------------


LISTENER_KEY = 1
"""The listener's completion key (the connections' keys are their contexts)."""
BATCH = 8
"""Entries one ProcessSocketNotifications call may return, as epoll_wait's maxevents."""


def epoll_echo_server(api: Api) -> Gen:
    """One thread, one port: the non-blocking listener registered level-triggered for IN (a
    connection waiting), each accepted connection edge-triggered for IN, OUT and HANGUP, and
    every notification handled by draining (accept, or recv, until WSAEWOULDBLOCK). A
    connection at its end is REMOVEd; its REMOVE notification closes it and frees its context.
    The loop ends when every client's REMOVE came. Exit code: 1 setup failed, 2 a
    registration failed, 3 a dequeue failed, 4 accepted more than ``clients``."""
    clients, _, contexts = sizes(api)
    port = yield from startup(api)
    listener = yield from _serve(api, port)
    if not port or listener == INVALID_SOCKET or not (yield from nonblocking(api, listener)):
        return 1
    level = registration(listener, LISTENER_KEY, IN)
    if (yield from register(api, port, level)) != [0]:
        return 2
    connections: dict[int, Connection] = {}
    accepted = removed = 0
    while removed < clients:
        result, got = yield from wait(api, port, INFINITE, BATCH)
        if result != 0:
            return 3
        for key, events in got:
            if key == LISTENER_KEY:
                while True:  # drain the backlog
                    sock = yield from api.accept(listener, None, None)
                    if sock == INVALID_SOCKET:
                        break
                    if accepted == clients:
                        return 4
                    ctx = contexts[accepted]
                    accepted += 1
                    ctx.value = sock
                    connections[sock] = Connection()
                    yield from nonblocking(api, sock)
                    wanted = IN | OUT | SOCK_NOTIFY_REGISTER_EVENT_HANGUP
                    edge = registration(sock, ctx, wanted, trigger=SOCK_NOTIFY_TRIGGER_EDGE)
                    if (yield from register(api, port, edge)) != [0]:
                        return 2
                    yield from _handle(api, port, sock, ctx, connections[sock])  # drain at once
            elif events & SOCK_NOTIFY_EVENT_REMOVE:
                yield from api.closesocket(key.value)
                yield from api.free(key)
                removed += 1
            else:
                sock = key.value
                yield from _handle(api, port, sock, key, connections[sock])
    yield from remove(api, port, listener, LISTENER_KEY)
    while True:  # the listener's REMOVE, after anything still queued for it
        result, got = yield from wait(api, port, INFINITE)
        if result != 0 or got[0] == (LISTENER_KEY, SOCK_NOTIFY_EVENT_REMOVE):
            break
    yield from api.closesocket(listener)
    yield from _end(api, port, [])
    return 0


def _handle(api: Api, port: int, sock: int, ctx: Any, conn: Connection) -> Gen:
    """One edge: flush what is owed, drain and echo; at the end of the stream (or an error)
    REMOVE the registration (its REMOVE notification ends the connection)."""
    if conn.ending:
        return
    sent = yield from flush(api, sock, conn)
    data, how = yield from drain(api, sock)
    sent = sent and (yield from echo(api, sock, conn, data))
    if how != WSAEWOULDBLOCK or not sent:
        conn.ending = True
        yield from remove(api, port, sock, ctx)


# -- the clients -----------------------------------------------------------------------------------


def echo_clients(api: Api) -> Gen:
    """Start ``clients`` client threads once the server listens, wait for them; exit code 0
    when every one got exactly its records back, in order, then the end of the stream; else
    the first failing client's code (1 connect, 2 an echo differed, 3 no end of stream). A
    client sends its records BURST at a time, reads their echoes, and half-closes at the end."""
    return (yield from _clients(api, False))


def closing_clients(api: Api) -> Gen:
    """``echo_clients`` whose clients send every record, half-close at once (the request
    is complete: shutdown(SD_SEND), as an HTTP/1.0 client does) and then read the echoes."""
    return (yield from _clients(api, True))


def _clients(api: Api, close_early: bool) -> Gen:
    clients, messages, _ = sizes(api)

    def client(index: int) -> Gen:
        yield from api.WSAStartup(0x0202, WSADATA())
        sock = yield from api.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)
        there = SOCKADDR_IN(sin_family=AF_INET, sin_port=PORT, sin_addr=INADDR_LOOPBACK)
        if (yield from api.connect(sock, there, 16)) != 0:
            return 1
        code = 0
        step = messages if close_early else BURST
        buffer = bytearray(RECORD * step)
        for first in range(0, messages, step):
            burst = b"".join(record(index, n) for n in range(first, min(first + step, messages)))
            yield from api.send(sock, burst, len(burst), 0)
            if close_early:
                yield from api.shutdown(sock, SD_SEND)
            back = bytearray()
            while len(back) < len(burst):
                n = yield from api.recv(sock, buffer, len(burst) - len(back), 0)
                if n <= 0:
                    break
                back += buffer[:n]
            if bytes(back) != burst:
                code = code or 2
                break
        if not close_early:
            yield from api.shutdown(sock, SD_SEND)
        if (yield from api.recv(sock, buffer, len(buffer), 0)) != 0:
            code = code or 3
        yield from api.closesocket(sock)
        yield from api.WSACleanup()
        return code

    yield from api.WaitForSingleObject(api.context.names["listening"], INFINITE)
    threads = []
    for index in range(clients):
        threads.append((yield from api.CreateThread(None, 0, client, index, 0, None)))
    yield from api.WaitForMultipleObjects(len(threads), threads, True, INFINITE)
    failed = 0
    for thread in threads:
        code = DWORD()
        yield from api.GetExitCodeThread(thread, code)
        failed = failed or code.value
        yield from api.CloseHandle(thread)
    return failed
