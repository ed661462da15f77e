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
    SD_SEND,
    STATUS_CANCELLED,
    STATUS_CONNECTION_RESET,
    STATUS_PENDING,
    WAIT_TIMEOUT,
    WSA_IO_INCOMPLETE,
    WSA_OPERATION_ABORTED,
    WSAEFAULT,
    WSAEINVAL,
    WSAENOTCONN,
)
from emu.errors import UnsupportedApi
from emu.win32 import DWORD, OVERLAPPED, PVOID, ULONG_PTR, WSABUF, Api
from tests.support import calls, run
from tests.win32.ws2_32.helpers import last_error, startup, tcp, tcp_pair, udp

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
