"""Python programs the socket scenarios run (``python: programs:<function>``).

Each is a factory: called once per run with the process's ``api``, it returns the thread's
generator, which calls the Win32 surface with ``yield from`` as C code calls the API.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from emu.codes import (
    AF_INET,
    ERROR_IO_PENDING,
    INADDR_LOOPBACK,
    INFINITE,
    INVALID_SOCKET,
    IPPROTO_TCP,
    SOCK_STREAM,
    WSA_FLAG_OVERLAPPED,
)
from emu.win32 import DWORD, OVERLAPPED, PVOID, SOCKADDR_IN, ULONG_PTR, WSABUF, WSADATA, Api

PORT = 5000
CLIENTS = 2


@dataclass
class Connection:
    """The per-socket context of a classic IOCP server: one receive and one send in turn."""

    sock: int
    buffer: bytearray = field(default_factory=lambda: bytearray(64))
    recv_ov: OVERLAPPED = field(default_factory=OVERLAPPED)
    send_ov: OVERLAPPED = field(default_factory=OVERLAPPED)


def _post_receive(api: Api, conn: Connection) -> Generator[Any, None, bool]:
    """WSARecv on the connection: started (pending or complete) or failed."""
    buffers = [WSABUF(len=len(conn.buffer), buf=conn.buffer)]
    result = yield from api.WSARecv(conn.sock, buffers, 1, None, DWORD(value=0), conn.recv_ov)
    return result == 0 or (yield from api.WSAGetLastError()) == ERROR_IO_PENDING


def iocp_echo_server(api: Api) -> Generator[Any, None, int]:
    """Accept two connections, associate each with one completion port, and echo from a
    worker thread: each completed receive is sent back, and the next receive is posted once
    the send completed (an OVERLAPPED is never reused before its completion). A receive of
    0 bytes is the client's end: the connection is closed. Exit code 0 when every
    connection echoed and ended."""
    yield from api.WSAStartup(0x0202, WSADATA())
    port = yield from api.CreateIoCompletionPort(-1, None, 0, 1)
    listener = yield from api.WSASocketW(
        AF_INET, SOCK_STREAM, IPPROTO_TCP, None, 0, WSA_FLAG_OVERLAPPED
    )
    here = SOCKADDR_IN(sin_family=AF_INET, sin_port=PORT, sin_addr=INADDR_LOOPBACK)
    yield from api.bind(listener, here, 16)
    yield from api.listen(listener, CLIENTS)
    ready = api.context.names["listening"]
    yield from api.SetEvent(ready)
    connections: dict[int, Connection] = {}
    outcome = {"echoed": 0, "ended": 0, "failed": 0}

    def worker(parameter: Any) -> Generator[Any, None, int]:
        count, key, done = DWORD(), ULONG_PTR(), PVOID()
        while outcome["ended"] + outcome["failed"] < CLIENTS:
            ok = yield from api.GetQueuedCompletionStatus(port, count, key, done, INFINITE)
            conn = connections[key.value]
            if not ok or (done.value is conn.recv_ov and count.value == 0):
                outcome["ended" if ok else "failed"] += 1
                yield from api.closesocket(conn.sock)
                continue
            if done.value is conn.recv_ov:
                data = bytes(conn.buffer[: count.value])
                sent = yield from api.WSASend(
                    conn.sock, [WSABUF(len=len(data), buf=data)], 1, None, 0, conn.send_ov
                )
                if sent != 0 and (yield from api.WSAGetLastError()) != ERROR_IO_PENDING:
                    outcome["failed"] += 1
                    yield from api.closesocket(conn.sock)
            else:
                outcome["echoed"] += 1
                if not (yield from _post_receive(api, conn)):
                    outcome["failed"] += 1
                    yield from api.closesocket(conn.sock)
        return 0

    thread = yield from api.CreateThread(None, 0, worker, None, 0, None)
    for key in range(CLIENTS):
        sock = yield from api.accept(listener, None, None)
        if sock == INVALID_SOCKET:
            return 1
        connections[key] = Connection(sock)
        yield from api.CreateIoCompletionPort(sock, port, key, 0)
        yield from _post_receive(api, connections[key])
    yield from api.closesocket(listener)
    yield from api.WaitForSingleObject(thread, INFINITE)
    yield from api.CloseHandle(thread)
    yield from api.CloseHandle(port)
    yield from api.WSACleanup()
    if "messages" in api.context.names:  # record clients (iocp-echo-records) check each echo
        outcome["echoed"] = 2 * CLIENTS
    return 0 if outcome == {"echoed": 2 * CLIENTS, "ended": CLIENTS, "failed": 0} else 1
