"""WSARecv and WSASend with an OVERLAPPED on a socket created without WSA_FLAG_OVERLAPPED: the
call blocks until its request completes, which fills the OVERLAPPED (Wine
dlls/ws2_32/tests/sock.c, test_nonblocking_async_recv, which passes on Windows)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    AF_INET,
    ERROR_IO_PENDING,
    IPPROTO_TCP,
    SOCK_STREAM,
    WAIT_OBJECT_0,
    WAIT_TIMEOUT,
    WSA_OPERATION_ABORTED,
    WSAEWOULDBLOCK,
)
from emu.properties.verdict import HELD, verdict
from emu.win32 import DWORD, OVERLAPPED, WSABUF, Api
from tests.support import calls, run
from tests.win32.ws2_32.helpers import PORT, addr, last_error, nonblocking, startup, tcp_pair


def plain_pair(api: Api) -> Generator[Any, None, tuple[int, int]]:
    """Wine's tcp_socketpair_flags(&client, &server, 0): sockets without WSA_FLAG_OVERLAPPED
    (the accepted one takes the listener's attribute)."""

    def plain() -> Generator[Any, None, int]:
        handle: int = yield from api.WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, None, 0, 0)
        return handle

    server = yield from plain()
    assert (yield from api.bind(server, addr(), 16)) == 0
    assert (yield from api.listen(server, 1)) == 0
    client = yield from plain()
    assert (yield from api.connect(client, addr(PORT), 16)) == 0
    accepted: int = yield from api.accept(server, None, None)
    yield from api.closesocket(server)
    return client, accepted


def test_with_a_non_overlapped_socket_wsarecv_blocks_when_passed_an_overlapped() -> None:
    # "With a non-overlapped socket, WSARecv() always blocks when passed an overlapped
    # structure, but returns WSAEWOULDBLOCK otherwise" -- even on a non-blocking socket. The
    # receiving thread passes no count (NULL): it reads it from the OVERLAPPED.
    log: list[Any] = []

    def receiver(api: Api, client: int, event: int) -> Generator[Any, None, int]:
        ov, buffer = OVERLAPPED(hEvent=event), bytearray(5)
        result = yield from api.WSARecv(client, [WSABUF(len=5, buf=buffer)], 1, None, DWORD(), ov)
        size = DWORD(value=0)
        ok = yield from api.GetOverlappedResult(client, ov, size, False)
        log.append((result, ok, size.value, bytes(buffer[: size.value])))
        return 0

    def main(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from plain_pair(api)
        yield from nonblocking(api, client)
        yield from nonblocking(api, server)
        buffer = bytearray(5)
        log.append(((yield from api.recv(client, buffer, 5, 0)), (yield from last_error(api))))
        ov = OVERLAPPED(Internal=0xDEADBEEF)
        result = yield from api.WSARecv(client, [WSABUF(len=5, buf=buffer)], 1, DWORD(), DWORD())
        log.append((result, (yield from last_error(api)), ov.Internal))
        manual = yield from api.CreateEventW(None, True, False, None)
        for event in (None, manual):  # "with a NULL event", "with a non-NULL event"
            thread = yield from api.CreateThread(
                None, 0, lambda _p, e=event: receiver(api, client, e), None, 0, None
            )
            log.append((yield from api.WaitForSingleObject(thread, 200)))
            log.append((yield from api.send(server, b"data", 4, 0)))
            log.append((yield from api.WaitForSingleObject(thread, 200)))
        # "With data already in the pipe": it returns 0 at once.
        log.append((yield from api.send(server, b"data", 4, 0)))
        yield from api.Sleep(1)
        ov = OVERLAPPED()
        log.append(
            (yield from api.WSARecv(client, [WSABUF(len=5, buf=buffer)], 1, None, DWORD(), ov))
        )
        size = DWORD(value=0)
        log.append(((yield from api.GetOverlappedResult(client, ov, size, False)), size.value))

    run(main)
    assert log == [
        (-1, WSAEWOULDBLOCK),
        (-1, WSAEWOULDBLOCK, 0xDEADBEEF),
        WAIT_TIMEOUT,
        4,
        (0, 1, 4, b"data"),
        WAIT_OBJECT_0,
        WAIT_TIMEOUT,
        4,
        (0, 1, 4, b"data"),
        WAIT_OBJECT_0,
        4,
        0,
        (1, 4),
    ]


def test_the_blocked_request_completes_to_its_event_like_an_overlapped_one() -> None:
    # The request is the one an overlapped socket would start: its OVERLAPPED is filled and
    # its event set (assumption); the count box, when given, is filled too. WSASend blocks
    # the same way.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from plain_pair(api)
        event = yield from api.CreateEventW(None, True, False, None)
        ov, sent = OVERLAPPED(hEvent=event), DWORD(value=0xDEAD)
        parts = [WSABUF(len=3, buf=b"abc"), WSABUF(len=2, buf=b"de")]
        log.append((yield from api.WSASend(server, parts, 2, sent, 0, ov)))
        log.append((sent.value, ov.Internal, ov.InternalHigh))
        log.append((yield from api.WaitForSingleObject(event, 0)))
        buffer = bytearray(8)
        yield from api.Sleep(1)
        log.append((yield from api.recv(client, buffer, 8, 0)))

    assert calls(program) == [0, (5, 0, 5), WAIT_OBJECT_0, 5]


def test_closing_the_socket_under_a_blocked_overlapped_receive_aborts_it() -> None:
    # closesocket cancels the pending request (STATUS_CANCELLED): the blocked call fails with
    # WSA_OPERATION_ABORTED.
    log: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        client, _server = yield from plain_pair(api)
        api.context.state["client"] = client
        ov = OVERLAPPED()
        result = yield from api.WSARecv(
            client, [WSABUF(len=4, buf=bytearray(4))], 1, None, DWORD(), ov
        )
        log.append((result, (yield from last_error(api)), ov.Internal))

    def closer(api: Api) -> Generator[Any, None, None]:
        yield from api.Sleep(1)
        log.append((yield from api.closesocket(api.context.state["client"])))

    run({"main": main, "closer": closer})
    assert log == [0, (-1, WSA_OPERATION_ABORTED, 0xC0000120)]


def test_an_overlapped_socket_still_pends() -> None:
    # The same call on an overlapped socket returns at once with WSA_IO_PENDING.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, _server = yield from tcp_pair(api)
        ov = OVERLAPPED()
        log.append(
            (
                yield from api.WSARecv(
                    client, [WSABUF(len=4, buf=bytearray(4))], 1, None, DWORD(), ov
                )
            )
        )
        log.append((yield from last_error(api)))

    assert calls(program) == [-1, ERROR_IO_PENDING]


def test_the_blocked_call_waits_alertably_like_every_blocking_winsock_call() -> None:
    # Assumption (docs/rules.md): an APC queued to the thread runs inside the blocked call,
    # which then goes on waiting for its request.
    log: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from plain_pair(api)
        api.context.state["server"] = server
        yield from api.QueueUserAPC(lambda data: log.append("apc"), -2, 0)
        ov, buffer = OVERLAPPED(), bytearray(4)
        result = yield from api.WSARecv(client, [WSABUF(len=4, buf=buffer)], 1, None, DWORD(), ov)
        log.append((result, ov.InternalHigh, bytes(buffer)))

    def sender(api: Api) -> Generator[Any, None, None]:
        yield from api.Sleep(1)
        yield from api.send(api.context.state["server"], b"late", 4, 0)

    sim = run({"main": main, "sender": sender})
    assert log == ["apc", (0, 4, b"late")]
    assert [e.payload["at"] for e in sim.events("apc.deliver")] == [
        "a blocking Winsock call's wait"
    ]
    judged = verdict(sim.k.trace.events).status("kernel.apc_alertable_only")
    assert judged is not None and judged.state == HELD  # delivered where it may run
