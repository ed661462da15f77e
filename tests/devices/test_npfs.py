"""The named-pipe file system device."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    ERROR_FILE_NOT_FOUND,
    ERROR_IO_PENDING,
    INVALID_HANDLE_VALUE,
    STATUS_INSTANCE_NOT_AVAILABLE,
    STATUS_OBJECT_NAME_NOT_FOUND,
    STATUS_PIPE_BROKEN,
    STATUS_SUCCESS,
    WAIT_OBJECT_0,
)
from emu.devices.npfs import NamedPipeFileSystem, PipeState
from emu.kernel import Kernel
from emu.win32 import OVERLAPPED, Api
from tests.support import calls
from tests.win32.kernel32.pipes import client_end, server_end


def test_instances_listen_connect_and_go_away_with_their_server_end() -> None:
    k = Kernel()
    npfs = NamedPipeFileSystem(k)
    status, server = npfs.create("\\\\.\\pipe\\P", 2, False, True, True, True)
    assert status == STATUS_SUCCESS and server is not None
    assert server.state is PipeState.LISTENING
    # Names are case-insensitive.
    status, client = npfs.open("\\\\.\\PIPE\\p", True, True, True)
    assert status == STATUS_SUCCESS and client is not None
    assert server.state is PipeState.CONNECTED and client.peer() is server
    npfs.create("\\\\.\\pipe\\P", 2, False, True, True, True)
    assert (
        npfs.create("\\\\.\\pipe\\P", 2, False, True, True, True)[0]
        == STATUS_INSTANCE_NOT_AVAILABLE
    )
    npfs.close(server)
    assert client.state is PipeState.CLOSING
    assert npfs.describe() == {"\\\\.\\pipe\\p": 1}


def test_opening_an_unknown_pipe() -> None:
    npfs = NamedPipeFileSystem(Kernel())
    assert npfs.open("\\\\.\\pipe\\none", True, True, True) == (STATUS_OBJECT_NAME_NOT_FOUND, None)


def test_closing_a_server_end_with_a_connect_pending_breaks_the_connect() -> None:
    # "Closing an end (its last handle): its own pending requests ... complete with
    # STATUS_PIPE_BROKEN (F5.16)": a pending ConnectNamedPipe too; the instance is gone, so a
    # client that comes later finds no pipe of that name.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server = yield from server_end(api)
        ev = yield from api.CreateEventW(None, True, False, None)
        ov = OVERLAPPED(hEvent=ev)
        log.append((yield from api.ConnectNamedPipe(server, ov)))
        log.append((yield from api.GetLastError()))
        yield from api.CloseHandle(server)
        log.append((yield from api.WaitForSingleObject(ev, 0)))
        log.append(ov.Internal)
        log.append((yield from client_end(api)))
        log.append((yield from api.GetLastError()))
        yield from api.CloseHandle(ev)

    assert calls(program) == [
        0,
        ERROR_IO_PENDING,
        WAIT_OBJECT_0,
        STATUS_PIPE_BROKEN,
        INVALID_HANDLE_VALUE,
        ERROR_FILE_NOT_FOUND,
    ]


def test_a_new_server_end_is_traced_listening() -> None:
    # "An instance is created by CreateNamedPipe and is *listening*": the trace records the new
    # end's state (pipe.state), so the state rebuilt from the trace has it.
    k = Kernel()
    npfs = NamedPipeFileSystem(k)
    _status, server = npfs.create("\\\\.\\pipe\\P", 2, False, True, True, True)
    assert server is not None
    states = [(e[3], e[4]) for e in k.trace.events if e[2] == "pipe.state"]
    assert states == [((server.oid,), ("listening", 0))]
