"""Shared helpers of the ProcessSocketNotifications tests: a registration, a port, a call."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes.winsock import (
    SOCK_NOTIFY_OP_ENABLE,
    SOCK_NOTIFY_REGISTER_EVENT_IN,
    SOCK_NOTIFY_TRIGGER_EDGE,
    SOCK_NOTIFY_TRIGGER_LEVEL,
    SOCK_NOTIFY_TRIGGER_ONESHOT,
)
from emu.win32 import OVERLAPPED_ENTRY, Api
from emu.win32.types import DWORD
from emu.win32.ws2_32 import SOCK_NOTIFY_REGISTRATION
from tests.support import run
from tests.win32.ws2_32.helpers import startup, tcp_pair

INVALID_HANDLE_VALUE = -1
WAIT_TIMEOUT = 258
ERROR_TIMEOUT = 1460
LEVEL = SOCK_NOTIFY_TRIGGER_LEVEL
EDGE = SOCK_NOTIFY_TRIGGER_EDGE
ONESHOT = SOCK_NOTIFY_TRIGGER_ONESHOT
IN = SOCK_NOTIFY_REGISTER_EVENT_IN


def reg(
    sock: int,
    key: Any = 7,
    event_filter: int = IN,
    op: int = SOCK_NOTIFY_OP_ENABLE,
    trigger: int = LEVEL,
) -> SOCK_NOTIFY_REGISTRATION:
    return SOCK_NOTIFY_REGISTRATION(
        socket=sock,
        completionKey=key,
        eventFilter=event_filter,
        operation=op,
        triggerFlags=trigger,
        registrationResult=0xDEAD,
    )


def port_of(api: Api) -> Generator[Any, None, int]:
    port: int = yield from api.CreateIoCompletionPort(INVALID_HANDLE_VALUE, 0, 0, 1)
    return port


def psn(
    api: Api, port: int, regs: list[SOCK_NOTIFY_REGISTRATION] | None, count: int = 4, ms: int = 0
) -> Generator[Any, None, tuple[int, list[tuple[Any, int]]]]:
    """Call ProcessSocketNotifications: (result, [(key, events) of each entry removed])."""
    entries = [OVERLAPPED_ENTRY() for _ in range(count)] if count else None
    received = DWORD(value=0xBAD) if count else None
    result: int = yield from api.ProcessSocketNotifications(
        port, len(regs or ()), regs, ms, count, entries, received
    )
    got: list[tuple[Any, int]] = []
    if entries is not None and received is not None:
        for entry in entries[: received.value]:
            got.append((entry.lpCompletionKey, entry.dwNumberOfBytesTransferred))
    return result, got


def scenario(body: Any, **kw: Any) -> Any:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        yield from body(api)

    return run(main, **kw)


def pair_with_port(api: Api) -> Generator[Any, None, tuple[int, int, int]]:
    client, server = yield from tcp_pair(api)
    port = yield from port_of(api)
    return client, server, port
