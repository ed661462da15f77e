"""Helpers for tests that need a connected named pipe."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    FILE_FLAG_OVERLAPPED,
    GENERIC_READ,
    GENERIC_WRITE,
    OPEN_EXISTING,
    PIPE_ACCESS_DUPLEX,
)
from emu.win32 import Api

NAME = "\\\\.\\pipe\\test"


def server_end(
    api: Api, overlapped: bool = True, name: str = NAME, instances: int = 4
) -> Generator[Any, None, int]:
    mode = PIPE_ACCESS_DUPLEX | (FILE_FLAG_OVERLAPPED if overlapped else 0)
    handle: int = yield from api.CreateNamedPipeW(name, mode, 0, instances, 1024, 1024, 0, None)
    return handle


def client_end(api: Api, overlapped: bool = True, name: str = NAME) -> Generator[Any, None, int]:
    flags = FILE_FLAG_OVERLAPPED if overlapped else 0
    handle: int = yield from api.CreateFileW(
        name, GENERIC_READ | GENERIC_WRITE, 0, None, OPEN_EXISTING, flags, None
    )
    return handle


def pipe_pair(
    api: Api, overlapped: bool = True, client_overlapped: bool = True
) -> Generator[Any, None, tuple[int, int]]:
    server = yield from server_end(api, overlapped)
    client = yield from client_end(api, client_overlapped)
    return server, client
