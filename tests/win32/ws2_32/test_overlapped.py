"""Overlapped WSARecv and WSASend: I/O requests that complete to the OVERLAPPED, its event and
the completion port, exactly like the named pipes' requests."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes import (
    ERROR_IO_PENDING,
    ERROR_NETNAME_DELETED,
    ERROR_OPERATION_ABORTED,
    SD_RECEIVE,
    SD_SEND,
    STATUS_CANCELLED,
    STATUS_CONNECTION_RESET,
    STATUS_PENDING,
    WAIT_OBJECT_0,
    WAIT_TIMEOUT,
    WSA_IO_INCOMPLETE,
    WSA_OPERATION_ABORTED,
    WSAECONNRESET,
    WSAEFAULT,
    WSAEINVAL,
    WSAENOTCONN,
    WSAESHUTDOWN,
)
from emu.errors import UnsupportedApi
from emu.win32 import DWORD, OVERLAPPED, PVOID, ULONG_PTR, WSABUF, Api
from tests.support import calls, run
from tests.win32.ws2_32.helpers import last_error, nonblocking, startup, tcp, tcp_pair, udp

KEY = 0x12345678


def gqcs(api: Api, port: int, ms: int = 0) -> Generator[Any, None, tuple[Any, ...]]:
    n, key, ov = DWORD(value=0xDEAD), ULONG_PTR(value=0xDEAD), PVOID(value=None)
    ok = yield from api.GetQueuedCompletionStatus(port, n, key, ov, ms)
    error = int((yield from api.GetLastError())) if not ok else 0
    return ok, error, n.value, key.value, ov.value


def test_iocp_async_read_as_wine_observes() -> None:
    # Wine dlls/ws2_32/tests/sock.c iocp_async_read: WSARecv pends (ERROR_IO_PENDING, the
    # byte count untouched), the port has nothing; after a send the packet carries 12 bytes,
    # the key and the OVERLAPPED.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        src, dst = yield from tcp_pair(api)
        port = yield from api.CreateIoCompletionPort(src, None, KEY, 0)
        data, ov, count = bytearray(512), OVERLAPPED(), DWORD(value=0xDEADBEEF)
        bufs = [WSABUF(len=512, buf=data)]
        log.append((yield from api.WSARecv(src, bufs, 1, count, DWORD(value=0), ov)))
        log.append(((yield from last_error(api)), count.value))
        log.append((yield from gqcs(api, port, 100)))
        log.append((yield from api.send(dst, b"Hello World!", 12, 0)))
        ok, _error, n, key, got = yield from gqcs(api, port, 100)
        log.append((ok, n, key, got is ov, ov.Internal, ov.InternalHigh, bytes(data[:12])))

    assert calls(program) == [
        -1,
        (ERROR_IO_PENDING, 0xDEADBEEF),
        (0, WAIT_TIMEOUT, 0xDEAD, 0xDEAD, None),
        12,
        (1, 12, KEY, True, 0, 12, b"Hello World!"),
    ]


def test_a_receive_that_completes_at_once_returns_zero_and_still_queues_its_packet() -> None:
    # "If no error occurs and the receive operation has completed immediately, WSARecv
    # returns zero"; the port still gets the completion (as a pipe's read that completes at
    # once does).
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        src, dst = yield from tcp_pair(api)
        port = yield from api.CreateIoCompletionPort(src, None, KEY, 0)
        yield from api.send(dst, b"abcdef", 6, 0)
        yield from api.Sleep(1)
        first, second = bytearray(2), bytearray(10)
        bufs = [WSABUF(len=2, buf=first), WSABUF(len=10, buf=second)]
        count = DWORD()
        log.append((yield from api.WSARecv(src, bufs, 2, count, DWORD(), OVERLAPPED())))
        log.append((count.value, bytes(first), bytes(second[:4])))  # scattered in order
        log.append((yield from gqcs(api, port))[:3])

    assert calls(program) == [0, (6, b"ab", b"cdef"), (1, 0, 6)]


def test_F2_37_closesocket_aborts_the_pending_requests_with_their_packets() -> None:
    # F2.37: "The pending overlapped operations fail with the error status
    # WSA_OPERATION_ABORTED", the completion port action still performed (Wine
    # test_completion_port: ERROR_OPERATION_ABORTED, Internal STATUS_CANCELLED, key, 0 bytes).
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        src, _dst = yield from tcp_pair(api)
        port = yield from api.CreateIoCompletionPort(src, None, 125, 0)
        ov = OVERLAPPED()
        yield from api.WSARecv(src, [WSABUF(len=4, buf=bytearray(4))], 1, None, DWORD(), ov)
        log.append((yield from api.closesocket(src)))
        ok, error, n, key, got = yield from gqcs(api, port, 100)
        log.append((ok, error, n, key, got is ov, ov.Internal))
        log.append((yield from gqcs(api, port, 200))[:2])

    assert calls(program) == [
        0,
        (0, ERROR_OPERATION_ABORTED, 0, 125, True, STATUS_CANCELLED),
        (0, WAIT_TIMEOUT),
    ]


def test_cancelioex_cancels_a_pending_receive() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        src, _dst = yield from tcp_pair(api)
        ev = yield from api.CreateEventW(None, True, False, None)
        ov = OVERLAPPED(hEvent=ev)
        yield from api.WSARecv(src, [WSABUF(len=4, buf=bytearray(4))], 1, None, DWORD(), ov)
        n, flags = DWORD(), DWORD()
        log.append((yield from api.WSAGetOverlappedResult(src, ov, n, False, flags)))
        log.append((yield from last_error(api)))
        log.append((yield from api.CancelIoEx(src, ov)))
        log.append((yield from api.WaitForSingleObject(ev, 0)))
        log.append((yield from api.GetOverlappedResult(src, ov, n, False)))
        log.append(int((yield from api.GetLastError())))
        log.append((yield from api.WSAGetOverlappedResult(src, ov, n, False, flags)))
        log.append((yield from last_error(api)))

    assert calls(program) == [
        0,
        WSA_IO_INCOMPLETE,
        1,
        0,
        0,
        ERROR_OPERATION_ABORTED,
        0,
        WSA_OPERATION_ABORTED,
    ]


def test_F2_34_a_reset_completes_the_pending_receive_with_connection_reset() -> None:
    # F2.34, Wine test_tcp_reset: GetOverlappedResult fails with ERROR_NETNAME_DELETED, 0
    # bytes, Internal STATUS_CONNECTION_RESET; a new WSARecv fails with WSAECONNRESET.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from tcp_pair(api)
        ev = yield from api.CreateEventW(None, True, False, None)
        ov = OVERLAPPED(hEvent=ev)
        bufs = [WSABUF(len=10, buf=bytearray(10))]
        yield from api.WSARecv(client, bufs, 1, None, DWORD(), ov)
        yield from api.send(client, b"unread", 6, 0)
        yield from api.Sleep(1)
        yield from api.closesocket(server)  # unread bytes: the close resets the connection
        log.append((yield from api.WaitForSingleObject(ev, 1000)))
        n = DWORD(value=7)
        log.append((yield from api.GetOverlappedResult(client, ov, n, False)))
        log.append((int((yield from api.GetLastError())), n.value, ov.Internal))
        log.append((yield from api.WSARecv(client, bufs, 1, None, DWORD(), OVERLAPPED())))
        log.append((yield from last_error(api)))

    assert calls(program) == [
        0,
        0,
        (ERROR_NETNAME_DELETED, 0, STATUS_CONNECTION_RESET),
        -1,
        10054,
    ]


def test_a_pending_receive_completes_with_zero_bytes_at_end_of_stream() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from tcp_pair(api)
        ov = OVERLAPPED()
        yield from api.WSARecv(server, [WSABUF(len=4, buf=bytearray(4))], 1, None, DWORD(), ov)
        yield from api.shutdown(client, SD_SEND)
        n, flags = DWORD(), DWORD()
        log.append((yield from api.WSAGetOverlappedResult(server, ov, n, True, flags)))
        log.append((n.value, api.k.now > 0))

    assert calls(program) == [1, (0, True)]


def test_a_pending_receive_takes_the_bytes_before_readiness_sees_them() -> None:
    # Bytes go to the oldest pending receive, never to the receive buffer: no IN.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from tcp_pair(api)
        ov = OVERLAPPED()
        yield from api.WSARecv(server, [WSABUF(len=8, buf=bytearray(8))], 1, None, DWORD(), ov)
        yield from api.send(client, b"12345", 5, 0)
        yield from api.Sleep(1)
        log.append(ov.InternalHigh)

    sim_log: list[Any] = []
    sim = run(lambda api: program(api, sim_log))
    assert sim_log == [5]
    server_states = [e for e in sim.events("sock.state") if e.payload["received"]]
    assert not server_states


def test_a_receive_pending_at_shutdown_receive_still_gets_the_bytes() -> None:
    # Wine test_shutdown, "Test shutting down with async I/O pending" (it passes on Windows):
    # the receive pending when the client shuts down receiving completes with the 5 bytes the
    # server sends afterwards; a new receive, plain or overlapped, fails with WSAESHUTDOWN; the
    # client's SD_SEND then completes the server's pending receive with 0 bytes.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from tcp_pair(api)
        yield from nonblocking(api, client)
        event = yield from api.CreateEventW(None, False, False, None)
        ov, buffer, flags = OVERLAPPED(hEvent=event), bytearray(5), DWORD(value=0)
        bufs = [WSABUF(len=5, buf=buffer)]
        log.append((yield from api.WSARecv(client, bufs, 1, DWORD(), flags, ov)))
        log.append((yield from last_error(api)))
        log.append((yield from api.shutdown(client, SD_RECEIVE)))
        log.append((yield from api.WSARecv(client, bufs, 1, DWORD(), flags, None)))
        log.append((yield from last_error(api)))
        log.append((yield from api.send(server, b"test\0", 5, 0)))
        log.append((yield from api.WaitForSingleObject(event, 1000)))
        size = DWORD(value=0xDEADBEEF)
        log.append(((yield from api.GetOverlappedResult(client, ov, size, False)), size.value))
        log.append(bytes(buffer))
        log.append((yield from api.WSARecv(client, bufs, 1, DWORD(), flags, ov)))
        log.append((yield from last_error(api)))
        log.append((yield from api.WSARecv(server, bufs, 1, DWORD(), flags, ov)))
        log.append((yield from last_error(api)))
        log.append((yield from api.shutdown(client, SD_SEND)))
        log.append((yield from api.WaitForSingleObject(event, 1000)))
        size.value = 0xDEADBEEF
        log.append(((yield from api.GetOverlappedResult(server, ov, size, False)), size.value))

    assert calls(program) == [
        -1,
        ERROR_IO_PENDING,
        0,
        -1,
        WSAESHUTDOWN,
        5,
        WAIT_OBJECT_0,
        (1, 5),
        b"test\0",
        -1,
        WSAESHUTDOWN,
        -1,
        ERROR_IO_PENDING,
        0,
        WAIT_OBJECT_0,
        (1, 0),
    ]


def test_bytes_the_pending_receives_do_not_take_still_reset_a_shut_down_socket() -> None:
    # shutdown: "if ... data arrives subsequently, the connection is reset": what the pending
    # receive has no room for resets the connection, and is traced as discarded.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from tcp_pair(api)
        ov, buffer = OVERLAPPED(), bytearray(3)
        yield from api.WSARecv(client, [WSABUF(len=3, buf=buffer)], 1, None, DWORD(), ov)
        yield from api.shutdown(client, SD_RECEIVE)
        log.append((yield from api.send(server, b"abcdefgh", 8, 0)))
        yield from api.Sleep(1)
        log.append((ov.Internal, ov.InternalHigh, bytes(buffer)))
        log.append(((yield from api.send(server, b"x", 1, 0)), (yield from last_error(api))))

    sim_log: list[Any] = []
    sim = run(lambda api: program(api, sim_log))
    assert sim_log == [8, (0, 3, b"abc"), (-1, WSAECONNRESET)]
    reasons = [(e.payload["bytes"], e.payload["reason"]) for e in sim.events("sock.discard")]
    assert (5, "data reached a socket shut down for receiving: the connection is reset") in (
        reasons
    )


def test_an_empty_overlapped_receive_waits_for_bytes_and_takes_none() -> None:
    # Wine test_empty_recv (it passes on Windows): no buffer is WSAEINVAL; a zero-length
    # buffer pends until bytes arrive, then completes with 0 and leaves them; with bytes
    # waiting it completes at once with 0; recv(NULL, 0) returns 0; recv then reads all 5.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from tcp_pair(api)
        event = yield from api.CreateEventW(None, True, False, None)
        ov, flags, buffer = OVERLAPPED(hEvent=event), DWORD(value=0), bytearray(5)
        empty = [WSABUF(len=0, buf=buffer)]
        for bufs, count in ((None, 0), (empty, 0), (empty, 1)):
            result = yield from api.WSARecv(client, bufs, count, None, flags, ov)
            log.append((result, (yield from last_error(api))))
        log.append((yield from api.send(server, b"data\0", 5, 0)))
        log.append((yield from api.WaitForSingleObject(event, 1000)))
        size = DWORD(value=0xDEADBEEF)
        log.append(((yield from api.GetOverlappedResult(client, ov, size, False)), size.value))
        size.value = 0xDEADBEEF
        log.append(((yield from api.WSARecv(client, empty, 1, size, flags, ov)), size.value))
        log.append((yield from api.recv(client, None, 0, 0)))
        log.append(((yield from api.recv(client, buffer, 5, 0)), bytes(buffer)))

    assert calls(program) == [
        (-1, WSAEINVAL),
        (-1, WSAEINVAL),
        (-1, ERROR_IO_PENDING),
        5,
        WAIT_OBJECT_0,
        (1, 0),
        (0, 0),
        0,
        (5, b"data\0"),
    ]


def test_an_overlapped_send_completes_once_its_bytes_are_in_the_buffer() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from tcp_pair(api)
        port = yield from api.CreateIoCompletionPort(client, None, 7, 0)
        data = bytes(200_000)  # more than the peer's and our buffers hold (2 x 64 KiB)
        ov = OVERLAPPED()
        log.append(
            (yield from api.WSASend(client, [WSABUF(len=200_000, buf=data)], 1, None, 0, ov))
        )
        log.append((yield from last_error(api)))
        yield from api.Sleep(1)
        log.append(ov.Internal == STATUS_PENDING)
        # The peer reads it all; the send completes with its whole length.
        got = 0
        buf = bytearray(65_536)
        while got < 200_000:
            got += yield from api.recv(server, buf, len(buf), 0)
        log.append((yield from gqcs(api, port, 1000))[:4])

    assert calls(program) == [-1, ERROR_IO_PENDING, True, (1, 0, 200_000, 7)]


def test_without_an_overlapped_wsarecv_and_wsasend_are_recv_and_send() -> None:
    # "For non overlapped sockets, the blocking semantics are identical to that of the
    # standard recv function"; the count may be NULL only with an OVERLAPPED.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from tcp_pair(api)
        sent = DWORD()
        parts = [WSABUF(len=3, buf=b"abc"), WSABUF(len=2, buf=b"de")]
        log.append((yield from api.WSASend(client, parts, 2, sent, 0, None)))
        log.append(sent.value)
        buf, got, flags = bytearray(8), DWORD(), DWORD(value=0)
        log.append((yield from api.WSARecv(server, [WSABUF(len=8, buf=buf)], 1, got, flags)))
        log.append((got.value, bytes(buf[:5])))
        log.append((yield from api.WSARecv(server, [WSABUF(len=8, buf=buf)], 1, None, flags)))
        log.append((yield from last_error(api)))

    assert calls(program) == [0, 5, 0, (5, b"abcde"), -1, WSAEFAULT]


def test_wsarecv_and_wsasend_refusals() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        buf = [WSABUF(len=4, buf=bytearray(4))]
        for call in (
            api.WSARecv(s, buf, 1, None, DWORD(), OVERLAPPED()),  # not connected
            api.WSARecv(s, buf, 0, None, DWORD(), OVERLAPPED()),  # no buffer
            api.WSARecv(s, buf, 2, None, DWORD(), OVERLAPPED()),  # fewer buffers than said
            api.WSARecv(s, [WSABUF(len=9, buf=bytearray(4))], 1, None, DWORD(), OVERLAPPED()),
            api.WSARecv(s, buf, 1, None, None, OVERLAPPED()),  # lpFlags NULL
            api.WSASend(s, [WSABUF(len=1, buf=b"x")], 1, None, 0, OVERLAPPED()),
        ):
            log.append(((yield from call), (yield from last_error(api))))

    assert calls(program) == [
        (-1, WSAENOTCONN),
        (-1, WSAEINVAL),
        (-1, WSAEFAULT),
        (-1, WSAEFAULT),
        (-1, WSAEFAULT),
        (-1, WSAENOTCONN),
    ]


@pytest.mark.parametrize("what", ["routine", "datagram", "peek"])
def test_the_unmodelled_overlapped_modes_raise(what: str) -> None:
    def program(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        s = (yield from udp(api)) if what == "datagram" else (yield from tcp_pair(api))[0]
        routine = (lambda *a: None) if what == "routine" else None
        flags = DWORD(value=2 if what == "peek" else 0)
        buf = [WSABUF(len=4, buf=bytearray(4))]
        yield from api.WSARecv(s, buf, 1, None, flags, OVERLAPPED(), routine)

    with pytest.raises(UnsupportedApi, match="not modelled"):
        run(program)
