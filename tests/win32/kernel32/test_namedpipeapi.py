"""CreateNamedPipe, CreateFile (pipe clients), ConnectNamedPipe, DisconnectNamedPipe."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes import (
    ERROR_ACCESS_DENIED,
    ERROR_BROKEN_PIPE,
    ERROR_FILE_NOT_FOUND,
    ERROR_INVALID_FUNCTION,
    ERROR_INVALID_NAME,
    ERROR_IO_PENDING,
    ERROR_NO_DATA,
    ERROR_PIPE_BUSY,
    ERROR_PIPE_CONNECTED,
    ERROR_PIPE_LISTENING,
    ERROR_PIPE_NOT_CONNECTED,
    FILE_FLAG_FIRST_PIPE_INSTANCE,
    FILE_FLAG_OVERLAPPED,
    GENERIC_READ,
    GENERIC_WRITE,
    INVALID_HANDLE_VALUE,
    OPEN_EXISTING,
    PIPE_ACCESS_DUPLEX,
    PIPE_ACCESS_INBOUND,
    PIPE_TYPE_MESSAGE,
    STATUS_PENDING,
    WAIT_OBJECT_0,
)
from emu.errors import UnsupportedApi
from emu.win32 import DWORD, OVERLAPPED, Api
from tests.support import calls, run
from tests.win32.kernel32.pipes import NAME, client_end, pipe_pair, server_end


def test_create_named_pipe_errors() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        log.append((yield from api.CreateNamedPipeW("\\\\.\\nopipe\\x", 3, 0, 1, 0, 0, 0, None)))
        log.append((yield from api.GetLastError()))
        yield from server_end(api, instances=1)
        # Beyond nMaxInstances: ERROR_PIPE_BUSY.
        log.append((yield from server_end(api, instances=1)))
        log.append((yield from api.GetLastError()))
        first = PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE
        log.append((yield from api.CreateNamedPipeW(NAME, first, 0, 1, 0, 0, 0, None)))
        log.append((yield from api.GetLastError()))

    bad = INVALID_HANDLE_VALUE
    assert calls(program) == [
        bad,
        ERROR_INVALID_NAME,
        bad,
        ERROR_PIPE_BUSY,
        bad,
        ERROR_ACCESS_DENIED,
    ]


def test_message_mode_is_refused_as_unsupported_not_faked() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.CreateNamedPipeW(NAME, 3, PIPE_TYPE_MESSAGE, 1, 0, 0, 0, None)

    with pytest.raises(UnsupportedApi, match="message-mode"):
        run(main)


def test_only_pipe_paths_can_be_opened() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.CreateFileW("C:\\data.txt", GENERIC_READ, 0, None, OPEN_EXISTING, 0, None)

    with pytest.raises(UnsupportedApi, match="only named pipes"):
        run(main)


def test_a_client_needs_a_listening_instance() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        log.append((yield from client_end(api)))
        log.append((yield from api.GetLastError()))
        yield from server_end(api, instances=1)
        yield from client_end(api)
        log.append((yield from client_end(api)))  # the only instance is connected
        log.append((yield from api.GetLastError()))

    bad = INVALID_HANDLE_VALUE
    assert calls(program) == [bad, ERROR_FILE_NOT_FOUND, bad, ERROR_PIPE_BUSY]


def test_the_pipe_direction_must_match_the_client_access() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from api.CreateNamedPipeW(NAME, PIPE_ACCESS_INBOUND, 0, 1, 0, 0, 0, None)
        # The server only reads: a client asking to read is refused.
        log.append((yield from api.CreateFileW(NAME, GENERIC_READ, 0, None, OPEN_EXISTING, 0, 0)))
        log.append((yield from api.GetLastError()))

    assert calls(program) == [INVALID_HANDLE_VALUE, ERROR_ACCESS_DENIED]


def test_connect_named_pipe_pends_until_a_client_connects() -> None:
    log: list[Any] = []

    def server(api: Api) -> Generator[Any, None, None]:
        handle = yield from server_end(api)
        ev = yield from api.CreateEventW(None, True, False, None)
        ov = OVERLAPPED(hEvent=ev)
        log.append((yield from api.ConnectNamedPipe(handle, ov)))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.WaitForSingleObject(ev, INFINITE_MS)))
        log.append(api.k.now)

    def client(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(3, False)
        yield from client_end(api)

    INFINITE_MS = 0xFFFFFFFF
    run({"server": server, "client": client})
    assert log == [0, ERROR_IO_PENDING, WAIT_OBJECT_0, 30_000]


def test_connect_after_the_client_connected_or_left() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, client = yield from pipe_pair(api)
        # "If a client connects before the function is called, the function returns zero and
        # GetLastError returns ERROR_PIPE_CONNECTED."
        log.append((yield from api.ConnectNamedPipe(server, OVERLAPPED())))
        log.append((yield from api.GetLastError()))
        yield from api.CloseHandle(client)
        log.append((yield from api.ConnectNamedPipe(server, OVERLAPPED())))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.ConnectNamedPipe(client, OVERLAPPED())))  # closed handle

    assert calls(program) == [0, ERROR_PIPE_CONNECTED, 0, ERROR_NO_DATA, 0]


def test_a_synchronous_connect_blocks_until_the_client_comes() -> None:
    log: list[Any] = []

    def server(api: Api) -> Generator[Any, None, None]:
        handle = yield from server_end(api, overlapped=False)
        log.append((yield from api.ConnectNamedPipe(handle, None)))
        log.append(api.k.now)

    def client(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(2, False)
        yield from client_end(api, overlapped=False)

    run({"server": server, "client": client})
    assert log == [1, 20_000]


def test_reads_and_writes_on_a_listening_pipe_fail() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server = yield from server_end(api)
        log.append((yield from api.ReadFile(server, bytearray(4), 4, None, OVERLAPPED())))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.WriteFile(server, b"x", 1, None, OVERLAPPED())))
        log.append((yield from api.GetLastError()))

    assert calls(program) == [0, ERROR_PIPE_LISTENING, 0, ERROR_PIPE_LISTENING]


def test_data_flows_both_ways_in_order() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, client = yield from pipe_pair(api)
        n = DWORD()
        yield from api.WriteFile(client, b"hello ", 6, n, OVERLAPPED())
        yield from api.WriteFile(client, b"world", 5, n, OVERLAPPED())
        buf = bytearray(8)
        log.append((yield from api.ReadFile(server, buf, 8, n, OVERLAPPED())))
        log.append(bytes(buf[: n.value]))
        yield from api.ReadFile(server, buf, 8, n, OVERLAPPED())
        log.append(bytes(buf[: n.value]))
        yield from api.WriteFile(server, b"back", 4, n, OVERLAPPED())
        yield from api.ReadFile(client, buf, 8, n, OVERLAPPED())
        log.append(bytes(buf[: n.value]))

    assert calls(program) == [1, b"hello wo", b"rld", b"back"]


def test_closing_one_end_breaks_the_other() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, client = yield from pipe_pair(api)
        n = DWORD()
        yield from api.WriteFile(client, b"last", 4, n, OVERLAPPED())
        yield from api.CloseHandle(client)
        buf = bytearray(8)
        # Buffered data can still be read, then the pipe is broken.
        log.append((yield from api.ReadFile(server, buf, 8, n, OVERLAPPED())))
        log.append(bytes(buf[: n.value]))
        log.append((yield from api.ReadFile(server, buf, 8, n, OVERLAPPED())))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.WriteFile(server, b"x", 1, n, OVERLAPPED())))
        log.append((yield from api.GetLastError()))

    assert calls(program) == [1, b"last", 0, ERROR_BROKEN_PIPE, 0, ERROR_NO_DATA]


def test_disconnect_named_pipe_drops_the_client() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, client = yield from pipe_pair(api)
        ov = OVERLAPPED()
        yield from api.ReadFile(client, bytearray(4), 4, None, ov)
        log.append((yield from api.DisconnectNamedPipe(server)))
        n = DWORD()
        log.append((yield from api.GetOverlappedResult(client, ov, n, False)))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.WriteFile(client, b"x", 1, n, OVERLAPPED())))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.DisconnectNamedPipe(client)))
        log.append((yield from api.GetLastError()))
        # The instance listens again after ConnectNamedPipe.
        log.append((yield from api.ConnectNamedPipe(server, OVERLAPPED())))
        log.append((yield from api.GetLastError()))
        log.append((yield from client_end(api)) != INVALID_HANDLE_VALUE)

    assert calls(program) == [
        1,
        0,
        ERROR_PIPE_NOT_CONNECTED,
        0,
        ERROR_PIPE_NOT_CONNECTED,
        0,
        ERROR_INVALID_FUNCTION,
        0,
        ERROR_IO_PENDING,
        True,
    ]


def test_a_refused_client_leaves_the_instance_listening() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server = yield from api.CreateNamedPipeW(
            NAME, PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED, 0, 1, 0, 0, 0, None
        )
        ov = OVERLAPPED()
        yield from api.ConnectNamedPipe(server, ov)
        log.append((yield from api.CreateFileW(NAME, GENERIC_READ, 0, None, OPEN_EXISTING, 0, 0)))
        log.append(ov.Internal == STATUS_PENDING)  # the refused client connected nothing
        writer = yield from api.CreateFileW(NAME, GENERIC_WRITE, 0, None, OPEN_EXISTING, 0, 0)
        log.append(writer != INVALID_HANDLE_VALUE)
        log.append((yield from api.GetOverlappedResult(server, ov, DWORD(), False)))

    assert calls(program) == [INVALID_HANDLE_VALUE, True, True, 1]


def test_every_pending_connect_completes_when_the_client_comes() -> None:
    # Assumption (docs/rules.md): two ConnectNamedPipe calls pending on one instance both
    # complete with success when a client connects.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server = yield from server_end(api)
        first, second = OVERLAPPED(), OVERLAPPED()
        log.append((yield from api.ConnectNamedPipe(server, first)))
        log.append((yield from api.ConnectNamedPipe(server, second)))
        yield from client_end(api)
        for ov in (first, second):
            log.append((yield from api.GetOverlappedResult(server, ov, DWORD(), False)))

    assert calls(program) == [0, 0, 1, 1]


def test_after_a_reconnect_closing_the_old_client_leaves_the_new_one_alone() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, old = yield from pipe_pair(api)
        yield from api.DisconnectNamedPipe(server)
        yield from api.ConnectNamedPipe(server, OVERLAPPED())
        new = yield from client_end(api)
        yield from api.CloseHandle(old)
        n = DWORD()
        log.append((yield from api.WriteFile(new, b"hi", 2, n, OVERLAPPED())))
        buf = bytearray(2)
        log.append((yield from api.ReadFile(server, buf, 2, n, OVERLAPPED())))
        log.append(bytes(buf))

    assert calls(program) == [1, 1, b"hi"]
