"""Python programs the kernel scenarios run (``python: programs:<function>``).

Each is a factory: called once per run with the process's ``api``, it returns the thread's
generator, which calls the Win32 surface with ``yield from`` as C code calls the API.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    ERROR_BROKEN_PIPE,
    ERROR_IO_PENDING,
    FILE_FLAG_OVERLAPPED,
    INFINITE,
    PIPE_ACCESS_DUPLEX,
)
from emu.win32 import DWORD, OVERLAPPED, Api

PIPE = "\\\\.\\pipe\\echo"


def echo_server(api: Api) -> Generator[Any, None, int]:
    """An overlapped named-pipe server that echoes what it reads until the client leaves."""
    pipe = yield from api.CreateNamedPipeW(
        PIPE, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED, 0, 1, 512, 512, 0, None
    )
    event = yield from api.CreateEventW(None, True, False, None)
    ov = OVERLAPPED(hEvent=event)
    if not (yield from api.ConnectNamedPipe(pipe, ov)):
        if (yield from api.GetLastError()) == ERROR_IO_PENDING:
            yield from api.WaitForSingleObject(event, INFINITE)
    buffer, count = bytearray(64), DWORD()
    echoed = 0
    while True:
        yield from api.ResetEvent(event)
        ok = yield from api.ReadFile(pipe, buffer, len(buffer), None, ov)
        if not ok and (yield from api.GetLastError()) == ERROR_IO_PENDING:
            ok = yield from api.GetOverlappedResult(pipe, ov, count, True)
        elif ok:
            ok = yield from api.GetOverlappedResult(pipe, ov, count, False)
        if not ok:
            error = yield from api.GetLastError()
            break
        yield from api.WriteFile(pipe, bytes(buffer[: count.value]), count.value, None, ov)
        echoed += 1
    yield from api.CloseHandle(pipe)
    yield from api.CloseHandle(event)
    return 0 if error == ERROR_BROKEN_PIPE and echoed > 0 else 1
