"""Helpers for the ws2_32 tests: Winsock started, addresses, a connected TCP pair."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    AF_INET,
    FIONBIO,
    INADDR_LOOPBACK,
    IPPROTO_TCP,
    IPPROTO_UDP,
    SO_ERROR,
    SOCK_DGRAM,
    SOCK_STREAM,
    SOL_SOCKET,
)
from emu.win32 import DWORD, INT, SOCKADDR_IN, ULONG, WSADATA, Api

PORT = 5000


def addr(port: int = PORT, host: int = INADDR_LOOPBACK) -> SOCKADDR_IN:
    return SOCKADDR_IN(sin_family=AF_INET, sin_port=port, sin_addr=host)


def startup(api: Api) -> Generator[Any, None, None]:
    result = yield from api.WSAStartup(0x0202, WSADATA())
    assert result == 0


def tcp(api: Api) -> Generator[Any, None, int]:
    handle: int = yield from api.socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)
    return handle


def udp(api: Api) -> Generator[Any, None, int]:
    handle: int = yield from api.socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP)
    return handle


def listener(api: Api, port: int = PORT, backlog: int = 5) -> Generator[Any, None, int]:
    s = yield from tcp(api)
    assert (yield from api.bind(s, addr(port), 16)) == 0
    assert (yield from api.listen(s, backlog)) == 0
    return s


def tcp_pair(api: Api, port: int = PORT) -> Generator[Any, None, tuple[int, int]]:
    """A connected pair (client, server) made by one thread, as Wine's tcp_socketpair does:
    listen, a blocking connect, accept, close the listener."""
    server = yield from listener(api, port, 1)
    client = yield from tcp(api)
    assert (yield from api.connect(client, addr(port), 16)) == 0
    accepted = yield from api.accept(server, None, None)
    yield from api.closesocket(server)
    return client, accepted


def last_error(api: Api) -> Generator[Any, None, int]:
    code: int = yield from api.WSAGetLastError()
    return int(code)


def int_box(value: int = 16) -> INT:
    return INT(value=value)


def nonblocking(api: Api, s: int, on: int = 1) -> Generator[Any, None, None]:
    """ioctlsocket(FIONBIO): non-blocking (``on`` 1) or blocking again (0)."""
    assert (yield from api.ioctlsocket(s, FIONBIO, ULONG(value=on))) == 0


def so_error(api: Api, s: int) -> Generator[Any, None, int]:
    value, length = DWORD(value=0xDEAD), INT(value=4)
    assert (yield from api.getsockopt(s, SOL_SOCKET, SO_ERROR, value, length)) == 0
    return int(value.value)
