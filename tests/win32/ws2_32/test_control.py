"""ioctlsocket and getsockopt."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes import (
    FIOASYNC,
    FIONBIO,
    FIONREAD,
    IPPROTO_TCP,
    SIOCATMARK,
    SO_ACCEPTCONN,
    SO_ERROR,
    SO_LINGER,
    SO_RCVBUF,
    SO_SNDBUF,
    SO_TYPE,
    SOCK_DGRAM,
    SOCK_STREAM,
    SOL_SOCKET,
    WSAEFAULT,
    WSAEINVAL,
    WSAENOPROTOOPT,
    WSAEOPNOTSUPP,
    WSAEWOULDBLOCK,
)
from emu.errors import UnsupportedApi
from emu.win32 import DWORD, INT, LONG, ULONG, Api
from tests.support import calls, run
from tests.win32.ws2_32.helpers import last_error, listener, startup, tcp, tcp_pair, udp


def test_F2_35_fionbio_switches_the_mode_and_a_bad_argp_is_wsaefault() -> None:
    # F2.35, Wine test_fionbio: ioctlsocket(s, FIONBIO, (u_long *)1) is WSAEFAULT.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from tcp_pair(api)
        log.append(((yield from api.ioctlsocket(server, FIONBIO, 1)), (yield from last_error(api))))
        log.append(
            (
                (yield from api.ioctlsocket(server, FIONBIO, DWORD(value=1))),
                (yield from last_error(api)),
            )
        )
        log.append((yield from api.ioctlsocket(server, FIONBIO, ULONG(value=1))))
        log.append(
            ((yield from api.recv(server, bytearray(1), 1, 0)), (yield from last_error(api)))
        )
        log.append((yield from api.ioctlsocket(server, FIONBIO, ULONG(value=0))))
        yield from api.send(client, b"z", 1, 0)
        log.append((yield from api.recv(server, bytearray(1), 1, 0)))  # blocking again

    assert calls(program) == [(-1, WSAEFAULT), (-1, WSAEFAULT), 0, (-1, WSAEWOULDBLOCK), 0, 1]


def test_fionread_counts_the_bytes_waiting() -> None:
    # FIONREAD: "the amount of data that can be read atomically"; for a datagram socket "the
    # amount of pending data in the network buffer".
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = yield from tcp_pair(api)
        count = ULONG(value=99)
        yield from api.ioctlsocket(server, FIONREAD, count)
        log.append(count.value)
        yield from api.send(client, b"12345", 5, 0)
        yield from api.Sleep(1)
        yield from api.ioctlsocket(server, FIONREAD, count)
        log.append(count.value)

    assert calls(program) == [0, 5]


def test_F2_35_an_unknown_ioctl_is_wsaeopnotsupp() -> None:
    # F2.35, Wine test_unsupported_ioctls (0xdeadbeef, FIOASYNC, ...).
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        for cmd in (0xDEADBEEF, FIOASYNC):
            log.append(
                ((yield from api.ioctlsocket(s, cmd, ULONG())), (yield from last_error(api)))
            )
        log.append(
            ((yield from api.ioctlsocket(s, "FIONBIO", ULONG())), (yield from last_error(api)))
        )

    assert calls(program) == [(-1, WSAEOPNOTSUPP), (-1, WSAEOPNOTSUPP), (-1, WSAEINVAL)]


def test_siocatmark_is_not_modelled() -> None:
    def program(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        yield from api.ioctlsocket(s, SIOCATMARK, ULONG())

    with pytest.raises(UnsupportedApi, match="SIOCATMARK"):
        run(program)


def opt(api: Api, s: int, name: int, level: int = SOL_SOCKET) -> Generator[Any, None, Any]:
    value, size = LONG(value=0xDEAD), INT(value=4)
    result = yield from api.getsockopt(s, level, name, value, size)
    if result:
        return ("error", (yield from last_error(api)))
    return (value.value, size.value)


def test_getsockopt_reads_the_modelled_options() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        server = yield from listener(api)
        s, d = (yield from tcp(api)), (yield from udp(api))
        for sock, name in (
            (s, SO_TYPE),
            (d, SO_TYPE),
            (server, SO_ACCEPTCONN),
            (s, SO_ACCEPTCONN),
            (s, SO_RCVBUF),
            (s, SO_SNDBUF),
            (s, SO_ERROR),
        ):
            log.append((yield from opt(api, sock, name)))

    assert calls(program) == [
        (SOCK_STREAM, 4),
        (SOCK_DGRAM, 4),
        (1, 4),
        (0, 4),
        (65_536, 4),
        (65_536, 4),
        (0, 4),
    ]


def test_F2_36_getsockopt_refusals() -> None:
    # F2.36, Wine test_extendedSocketOptions: an unknown level is WSAEINVAL; getsockopt: an
    # unknown option WSAENOPROTOOPT, a too small optlen or a bad pointer WSAEFAULT.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        for level in (0xFFFFFFFF, 0x1234FFFF, 0x8000FFFF, 0x00008000, 0x00000800):
            log.append((yield from opt(api, s, SO_ERROR, level)))
        log.append((yield from opt(api, s, 0x7777)))
        for value, size in ((None, INT(value=4)), (LONG(), None), (LONG(), INT(value=3))):
            log.append(
                (
                    (yield from api.getsockopt(s, SOL_SOCKET, SO_ERROR, value, size)),
                    (yield from last_error(api)),
                )
            )

    assert (
        calls(program)
        == [("error", WSAEINVAL)] * 5 + [("error", WSAENOPROTOOPT)] + [(-1, WSAEFAULT)] * 3
    )


@pytest.mark.parametrize(("level", "name"), [(SOL_SOCKET, SO_LINGER), (IPPROTO_TCP, 1)])
def test_the_other_options_are_not_modelled(level: int, name: int) -> None:
    def program(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        yield from api.getsockopt(s, level, name, LONG(), INT(value=4))

    with pytest.raises(UnsupportedApi, match="not modelled"):
        run(program)
