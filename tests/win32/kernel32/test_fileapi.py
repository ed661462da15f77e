"""ReadFile, WriteFile, ReadFileEx, WriteFileEx: how a request completes (F5.15, F5.16)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    ERROR_ACCESS_DENIED,
    ERROR_BROKEN_PIPE,
    ERROR_INVALID_PARAMETER,
    ERROR_IO_PENDING,
    ERROR_NOACCESS,
    ERROR_OPERATION_ABORTED,
    ERROR_SUCCESS,
    INVALID_HANDLE_VALUE,
    STATUS_PIPE_BROKEN,
    WAIT_IO_COMPLETION,
    WAIT_OBJECT_0,
)
from emu.win32 import DWORD, OVERLAPPED, OVERLAPPED_ENTRY, PVOID, ULONG, ULONG_PTR, Api
from tests.support import calls, run
from tests.win32.kernel32.pipes import client_end, pipe_pair, server_end


def pending_packets(api: Api, port: int) -> int:
    return len(api.k.handles.get(port).obj.packets)


def test_F5_15_a_synchronous_handle_cannot_join_a_port() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server = yield from server_end(api, overlapped=False)
        log.append((yield from api.CreateIoCompletionPort(server, None, 1, 0)))
        log.append((yield from api.GetLastError()))

    assert calls(program) == [0, ERROR_INVALID_PARAMETER]


def test_F5_15_apc_style_io_on_a_port_associated_handle_is_refused() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, _client = yield from pipe_pair(api)
        yield from api.CreateIoCompletionPort(server, None, 1, 0)
        rc = yield from api.ReadFileEx(server, bytearray(4), 4, OVERLAPPED(), lambda *a: None)
        log.append((rc, (yield from api.GetLastError())))
        # A handle can be associated with one port only.
        log.append((yield from api.CreateIoCompletionPort(server, None, 2, 0)))
        log.append((yield from api.GetLastError()))

    assert calls(program) == [(0, ERROR_INVALID_PARAMETER), 0, ERROR_INVALID_PARAMETER]


def test_F5_16_a_pending_read_queues_its_packet_only_when_it_completes() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, client = yield from pipe_pair(api)
        port = yield from api.CreateIoCompletionPort(server, None, 0xC2, 0)
        ov = OVERLAPPED()
        buf = bytearray(3)
        log.append((yield from api.ReadFile(server, buf, 3, None, ov)))
        log.append(pending_packets(api, port))
        yield from api.WriteFile(client, b"abc", 3, DWORD(), OVERLAPPED())
        n, key, got = DWORD(), ULONG_PTR(), PVOID()
        log.append((yield from api.GetQueuedCompletionStatus(port, n, key, got, 0)))
        log.append((key.value, n.value, got.value is ov, ov.Internal, bytes(buf)))

    assert calls(program) == [0, 0, 1, (0xC2, 3, True, 0, b"abc")]


def test_F5_16_a_read_that_completes_at_once_still_queues_a_packet() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, client = yield from pipe_pair(api)
        port = yield from api.CreateIoCompletionPort(server, None, 7, 0)
        yield from api.WriteFile(client, b"xy", 2, DWORD(), OVERLAPPED())
        n = DWORD()
        log.append((yield from api.ReadFile(server, bytearray(2), 2, n, OVERLAPPED())))
        log.append((n.value, pending_packets(api, port)))

    assert calls(program) == [1, (2, 1)]


def test_F5_16_closing_the_handle_with_a_read_pending_breaks_it() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, _client = yield from pipe_pair(api)
        port = yield from api.CreateIoCompletionPort(server, None, 1, 0)
        ov = OVERLAPPED()
        yield from api.ReadFile(server, bytearray(4), 4, None, ov)
        yield from api.CloseHandle(server)
        got = [OVERLAPPED_ENTRY()]
        yield from api.GetQueuedCompletionStatusEx(port, got, 1, ULONG(), 0, False)
        log.append((got[0].Internal, got[0].dwNumberOfBytesTransferred, got[0].lpOverlapped is ov))

    assert calls(program) == [(STATUS_PIPE_BROKEN, 0, True)]


def test_F5_16_a_request_issued_before_the_association_still_reaches_the_port() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, client = yield from pipe_pair(api)
        ov = OVERLAPPED()
        yield from api.ReadFile(server, bytearray(1), 1, None, ov)
        port = yield from api.CreateIoCompletionPort(server, None, 9, 0)
        yield from api.WriteFile(client, b"z", 1, DWORD(), OVERLAPPED())
        key = ULONG_PTR()
        log.append((yield from api.GetQueuedCompletionStatus(port, DWORD(), key, PVOID(), 0)))
        log.append(key.value)

    assert calls(program) == [1, 9]


def test_an_event_with_its_low_bit_set_gets_signalled_but_no_packet_is_queued() -> None:
    # "setting its low-order bit ... prevent[s] completion port notification"
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, client = yield from pipe_pair(api)
        port = yield from api.CreateIoCompletionPort(server, None, 1, 0)
        ev = yield from api.CreateEventW(None, True, False, None)
        ov = OVERLAPPED(hEvent=ev | 1)
        yield from api.ReadFile(server, bytearray(1), 1, None, ov)
        yield from api.WriteFile(client, b"!", 1, DWORD(), OVERLAPPED())
        log.append((yield from api.WaitForSingleObject(ev, 0)))
        log.append(pending_packets(api, port))

    assert calls(program) == [WAIT_OBJECT_0, 0]


def test_a_synchronous_read_blocks_until_data_arrives() -> None:
    log: list[Any] = []

    def server(api: Api) -> Generator[Any, None, None]:
        handle = yield from server_end(api, overlapped=False)
        yield from api.ConnectNamedPipe(handle, None)
        buf, n = bytearray(5), DWORD()
        log.append((yield from api.ReadFile(handle, buf, 5, n, None)))
        log.append((bytes(buf[: n.value]), api.k.now))
        # A second read on a pipe whose client left: ERROR_BROKEN_PIPE.
        log.append((yield from api.ReadFile(handle, buf, 5, n, None)))
        log.append((yield from api.GetLastError()))

    def client(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        handle = yield from client_end(api, overlapped=False)
        yield from api.SleepEx(4, False)
        yield from api.WriteFile(handle, b"later", 5, DWORD(), None)
        yield from api.CloseHandle(handle)

    run({"server": server, "client": client})
    assert log == [1, (b"later", 50_000), 0, ERROR_BROKEN_PIPE]


def test_an_overlapped_handle_needs_an_overlapped() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, _client = yield from pipe_pair(api)
        log.append((yield from api.ReadFile(server, bytearray(1), 1, DWORD(), None)))
        log.append((yield from api.GetLastError()))

    assert calls(program) == [0, ERROR_INVALID_PARAMETER]


def test_read_file_ex_reports_through_an_apc_in_an_alertable_wait() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, client = yield from pipe_pair(api)
        ov = OVERLAPPED()

        def done(error: int, count: int, overlapped: Any) -> None:
            log.append(("routine", error, count, overlapped is ov))

        log.append((yield from api.ReadFileEx(server, bytearray(4), 4, ov, done)))
        yield from api.WriteFile(client, b"ping", 4, DWORD(), OVERLAPPED())
        log.append("not yet")
        log.append((yield from api.SleepEx(0, True)))

    assert calls(program) == [1, "not yet", ("routine", ERROR_SUCCESS, 4, True), WAIT_IO_COMPLETION]


def test_access_and_buffer_errors() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, client = yield from pipe_pair(api)
        ro = yield from api.CreateFileW(
            "\\\\.\\pipe\\test", 0x80000000, 0, None, 3, 0x40000000, None
        )
        log.append(ro == INVALID_HANDLE_VALUE)  # the only other instance is connected
        log.append((yield from api.ReadFile(server, b"immutable", 4, None, OVERLAPPED())))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.ReadFile(server, bytearray(2), 4, None, OVERLAPPED())))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.WriteFile(client, b"ab", 1, None, OVERLAPPED())))
        log.append((yield from api.WriteFile(0xBAD0, b"ab", 1, None, OVERLAPPED())))

    assert calls(program) == [True, 0, ERROR_NOACCESS, 0, ERROR_NOACCESS, 1, 0]


def test_a_handle_without_read_access_cannot_read() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from server_end(api)
        writer = yield from api.CreateFileW(
            "\\\\.\\pipe\\test", 0x40000000, 0, None, 3, 0x40000000, None
        )
        log.append((yield from api.ReadFile(writer, bytearray(1), 1, None, OVERLAPPED())))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.WriteFile(writer, b"1", 1, None, OVERLAPPED())))

    assert calls(program) == [0, ERROR_ACCESS_DENIED, 1]


def test_a_pending_write_is_impossible_the_buffer_is_unbounded() -> None:
    # Assumption (docs/rules.md): writes complete at once whatever their size.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        _server, client = yield from pipe_pair(api)
        n = DWORD()
        big = bytes(1 << 16)
        log.append((yield from api.WriteFile(client, big, len(big), n, OVERLAPPED())))
        log.append(n.value)

    assert calls(program) == [1, 1 << 16]


def test_io_pending_is_not_a_failure_code_but_the_overlapped_says_pending() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, _client = yield from pipe_pair(api)
        ov = OVERLAPPED()
        log.append((yield from api.ReadFile(server, bytearray(1), 1, None, ov)))
        log.append(((yield from api.GetLastError()), ov.Internal))

    assert calls(program) == [0, (ERROR_IO_PENDING, 0x103)]


def test_read_file_ex_routines_get_win32_errors_not_ntstatus() -> None:
    # The completion routine's dwErrorCode is a system error code: a cancelled
    # read reports ERROR_OPERATION_ABORTED, a broken pipe ERROR_BROKEN_PIPE.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, client = yield from pipe_pair(api)

        def done(error: int, count: int, overlapped: Any) -> None:
            log.append((error, count))

        # hEvent is free for the caller's use with ReadFileEx: garbage is ignored.
        yield from api.ReadFileEx(server, bytearray(4), 4, OVERLAPPED(hEvent=0xBAD0), done)
        yield from api.CancelIoEx(server, None)
        yield from api.SleepEx(0, True)
        yield from api.ReadFileEx(server, bytearray(4), 4, OVERLAPPED(hEvent="junk"), done)
        yield from api.CloseHandle(client)
        yield from api.SleepEx(0, True)

    assert calls(program) == [(ERROR_OPERATION_ABORTED, 0), (ERROR_BROKEN_PIPE, 0)]


def test_io_on_a_synchronous_handle_is_serialized_across_threads() -> None:
    # Assumption (docs/rules.md): the I/O manager serializes requests on a handle opened
    # without FILE_FLAG_OVERLAPPED; a write waits behind a read blocked on the same handle.
    log: list[Any] = []
    box: dict[str, int] = {}

    def reader(api: Api) -> Generator[Any, None, None]:
        box["server"] = yield from server_end(api, overlapped=False)
        yield from api.ConnectNamedPipe(box["server"], None)
        buf = bytearray(3)
        yield from api.ReadFile(box["server"], buf, 3, DWORD(), None)
        log.append(("read", bytes(buf), api.k.now))

    def writer(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(2, False)
        yield from api.WriteFile(box["server"], b"out", 3, DWORD(), None)
        log.append(("wrote", api.k.now))

    def client(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        handle = yield from client_end(api, overlapped=False)
        yield from api.SleepEx(4, False)
        yield from api.WriteFile(handle, b"in!", 3, DWORD(), None)

    run({"reader": reader, "writer": writer, "client": client})
    assert log == [("read", b"in!", 50_000), ("wrote", 50_000)]
