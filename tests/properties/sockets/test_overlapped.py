"""The overlapped path of a socket server (emu/properties/sockets/overlapped.py): an OVERLAPPED
or a per-socket context freed before the completion that names it, closesocket included; and
``kernel.overlapped_unique`` judging sockets' requests too."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    AF_INET,
    ERROR_OPERATION_ABORTED,
    INADDR_LOOPBACK,
    IPPROTO_TCP,
    SOCK_STREAM,
    WSA_FLAG_OVERLAPPED,
)
from emu.properties.verdict import HELD, NOT_EXERCISED, VIOLATED
from emu.win32 import DWORD, OVERLAPPED, PVOID, SOCKADDR_IN, ULONG_PTR, WSABUF, Api
from tests.properties.sockets.helpers import (
    Body,
    context,
    messages,
    status,
    trace_of,
    where,
)
from tests.win32.ws2_32.helpers import startup
from tests.win32.ws2_32.test_notify import port_of

HERE = 5000


def overlapped_pair(api: Api) -> Generator[Any, None, tuple[int, int]]:
    """(client, server): the server socket accepted from an overlapped listener."""
    yield from startup(api)
    listener = yield from api.WSASocketW(
        AF_INET, SOCK_STREAM, IPPROTO_TCP, None, 0, WSA_FLAG_OVERLAPPED
    )
    here = SOCKADDR_IN(sin_family=AF_INET, sin_port=HERE, sin_addr=INADDR_LOOPBACK)
    assert (yield from api.bind(listener, here, 16)) == 0
    assert (yield from api.listen(listener, 1)) == 0
    client = yield from api.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)
    assert (yield from api.connect(client, here, 16)) == 0
    server = yield from api.accept(listener, None, None)
    yield from api.closesocket(listener)
    return client, server


def server(how: str) -> Body:
    """A classic IOCP server's connection: the socket is associated with a port, its context
    (a traced structure) the completion key; a WSARecv is pending. Then: the OVERLAPPED is
    freed (bug); or closesocket and the context freed at once, while the aborted receive's
    packet is still queued (bug); or closesocket, the aborted completion dequeued
    (ERROR_OPERATION_ABORTED), then the context and the OVERLAPPED freed (correct)."""

    def main(api: Api) -> Generator[Any, None, None]:
        _client, sock = yield from overlapped_pair(api)
        port = yield from port_of(api)
        ctx = context(api)
        assert (yield from api.CreateIoCompletionPort(sock, port, ctx, 0)) == port
        ov = OVERLAPPED()
        ov.bind(api.k, "ov")
        buffer = bytearray(16)
        yield from api.WSARecv(sock, [WSABUF(len=16, buf=buffer)], 1, None, DWORD(), ov)
        if how == "overlapped":
            yield from api.free(ov)
        yield from api.closesocket(sock)
        if how == "context":
            yield from api.free(ctx)
        count, key, done = DWORD(), ULONG_PTR(), PVOID()
        ok = yield from api.GetQueuedCompletionStatus(port, count, key, done, 0)
        assert not ok and (yield from api.GetLastError()) == ERROR_OPERATION_ABORTED
        assert key.value is ctx and key.value.socket == 0  # the handler reads its context
        if how == "correct":
            yield from api.free(ctx)
            yield from api.free(ov)

    return main


def test_freeing_an_overlapped_while_its_receive_is_pending_is_a_client_bug() -> None:
    events = trace_of(server("overlapped"))
    found = status(events, "sock.overlapped_freed_early")
    assert found.state == VIOLATED
    (finding,) = found.findings
    (started,) = where(events, "io.start")
    irp = events[started][4][0]
    assert events[finding.seq][2] == "mem.end" and finding.related == (started,)
    assert finding.message == (
        f"ov (freed by the program) while WSARecv #{irp} on Socket#8 is still pending: its "
        "completion writes the freed OVERLAPPED"
    )
    assert where(events, "mem.stale")  # closesocket's cancellation wrote it


def test_freeing_the_context_at_closesocket_while_the_aborted_completion_is_queued() -> None:
    # closesocket cancels the pending receive: its packet (WSA_OPERATION_ABORTED) carries the
    # context and is still queued when the context is freed.
    events = trace_of(server("context"))
    found = status(events, "sock.overlapped_freed_early")
    (finding,) = found.findings
    (posted,) = where(events, "iocp.post")
    irp = events[where(events, "io.start")[0]][4][0]
    assert finding.related == (posted,)
    assert messages(found) == [
        f"ctx (freed by the program), the completion key of Socket#8, while packet "
        f"#{events[posted][4][0]} of WSARecv #{irp} (cancelled: WSA_OPERATION_ABORTED) carrying "
        "it is still queued: the thread that dequeues it reads freed memory"
    ]


def test_freeing_after_the_aborted_completion_was_dequeued_keeps_the_rule() -> None:
    assert status(trace_of(server("correct")), "sock.overlapped_freed_early").state == HELD


def test_nothing_freed_does_not_exercise_the_rule() -> None:
    assert status(trace_of(server("none")), "sock.overlapped_freed_early").state == NOT_EXERCISED


def test_an_overlapped_given_to_a_second_receive_while_pending_is_kernel_overlapped_unique() -> (
    None
):
    # Reusing an OVERLAPPED before its request completed: the kernel's rule judges every
    # file's requests, a socket's included.
    def main(api: Api) -> Generator[Any, None, None]:
        _client, sock = yield from overlapped_pair(api)
        ov = OVERLAPPED()
        for _ in range(2):
            yield from api.WSARecv(sock, [WSABUF(len=4, buf=bytearray(4))], 1, None, DWORD(), ov)
        yield from api.closesocket(sock)

    found = status(trace_of(main), "kernel.overlapped_unique")
    assert found.state == VIOLATED
    assert "WSARecv" in messages(found)[0]
