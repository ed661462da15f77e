"""bind, listen, connect and shutdown: naming and connecting sockets (accept is in
test_sockets_accepting.py)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    AF_INET,
    AF_INET6,
    AF_UNSPEC,
    INADDR_ANY,
    SD_BOTH,
    WSAEADDRINUSE,
    WSAEADDRNOTAVAIL,
    WSAEAFNOSUPPORT,
    WSAEALREADY,
    WSAECONNREFUSED,
    WSAEFAULT,
    WSAEINVAL,
    WSAEISCONN,
    WSAENOTCONN,
    WSAENOTSOCK,
    WSAEOPNOTSUPP,
    WSAEWOULDBLOCK,
)
from emu.win32 import DWORD, SOCKADDR_IN, Api
from tests.support import calls
from tests.win32.ws2_32.helpers import (
    PORT,
    addr,
    last_error,
    listener,
    nonblocking,
    so_error,
    startup,
    tcp,
    tcp_pair,
    udp,
)


def test_F2_29_listen_as_wine_test_listen_observes() -> None:
    # F2.29, Wine dlls/ws2_32/tests/sock.c test_listen.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        for bad in (0, 0xDEADBEEF):  # "invalid socket tests"
            log.append(((yield from api.listen(bad, 0)), (yield from last_error(api))))
        fd = yield from udp(api)  # "udp test"
        log.append(((yield from api.listen(fd, 1)), (yield from last_error(api))))
        log.append((yield from api.closesocket(fd)))
        fd_a, fd_b = (yield from tcp(api)), (yield from tcp(api))
        for backlog in (-2, 1, 0x7FFFFFFF):  # unbound
            log.append(((yield from api.listen(fd_a, backlog)), (yield from last_error(api))))
        log.append((yield from api.bind(fd_a, addr(), 16)))
        log.append((yield from api.bind(fd_b, addr(), 16)))  # "bind should have failed"
        log.append((yield from api.listen(fd_a, 0)))
        log.append((yield from api.listen(fd_a, 0x7FFFFFFF)))  # "double listen"
        log.append(((yield from api.listen(fd_b, 0x7FFFFFFF)), (yield from last_error(api))))
        yield from api.closesocket(fd_b)
        fd_b = yield from tcp(api)
        log.append(((yield from api.bind(fd_b, addr(), 16)), (yield from last_error(api))))
        log.append(((yield from api.closesocket(fd_a)), (yield from api.closesocket(fd_b))))

    assert calls(program) == [
        (-1, WSAENOTSOCK),
        (-1, WSAENOTSOCK),
        (-1, WSAEOPNOTSUPP),
        0,
        (-1, WSAEINVAL),
        (-1, WSAEINVAL),
        (-1, WSAEINVAL),
        0,
        -1,
        0,
        0,
        (-1, WSAEINVAL),
        (-1, WSAEADDRINUSE),
        (0, 0),
    ]


def test_bind_as_wine_test_bind_observes() -> None:
    # Wine dlls/ws2_32/tests/sock.c, test_bind (it passes on Windows), its IPv4 part; the
    # dynamic port a port-0 bind takes is 49152, the first of the range (emu has no
    # getsockname).
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        unspecified = SOCKADDR_IN(sin_family=AF_INET, sin_port=0, sin_addr=0)
        dead = SOCKADDR_IN(sin_family=0xDEAD, sin_port=0, sin_addr=0)
        invalid = addr(0, 0xC0000200)  # 192.0.2.0
        loopback = addr(0)
        for name, length in (
            (None, 0),
            (None, 16),
            (unspecified, 0),
            (dead, 16),  # addr.sa_family = 0xdead: WSAEAFNOSUPPORT
            (loopback, 15),
            (invalid, 16),
        ):
            log.append(((yield from api.bind(s, name, length)), (yield from last_error(api))))
        log.append((yield from api.bind(s, loopback, 16)))
        log.append(((yield from api.bind(s, loopback, 16)), (yield from last_error(api))))
        s2 = yield from tcp(api)
        log.append(((yield from api.bind(s2, addr(49152), 16)), (yield from last_error(api))))
        u = yield from udp(api)
        log.append(((yield from api.bind(u, invalid, 16)), (yield from last_error(api))))
        log.append((yield from api.bind(u, loopback, 16)))

    assert calls(program) == [
        (-1, WSAEFAULT),
        (-1, WSAEFAULT),
        (-1, WSAEFAULT),
        (-1, WSAEAFNOSUPPORT),
        (-1, WSAEFAULT),
        (-1, WSAEADDRNOTAVAIL),
        0,
        (-1, WSAEINVAL),
        (-1, WSAEADDRINUSE),
        (-1, WSAEADDRNOTAVAIL),
        0,
    ]


def test_bind_rejects_a_structure_no_compiler_would_pass() -> None:
    # A member out of its C range, another structure, a length that is no integer: WSAEFAULT.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        for name, length in (
            (SOCKADDR_IN(sin_family=AF_INET, sin_port=70000), 16),
            (SOCKADDR_IN(sin_family="AF_INET", sin_port=PORT), 16),
            (DWORD(), 16),
            (addr(), "16"),
        ):
            log.append(((yield from api.bind(s, name, length)), (yield from last_error(api))))

    assert calls(program) == [(-1, WSAEFAULT)] * 4


def test_F2_30_a_blocking_connect_is_refused_and_leaves_so_error_zero() -> None:
    # F2.30, Wine test_errors and test_select: connect to a port nobody listens on.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        log.append(((yield from api.connect(s, addr(6924), 16)), (yield from last_error(api))))
        log.append((yield from so_error(api, s)))
        log.append(api.k.now)

    assert calls(program) == [(-1, WSAECONNREFUSED), 0, 100]


def test_F2_30_a_nonblocking_connect_reports_its_failure_in_so_error() -> None:
    # F2.30, Wine test_select: WSAEWOULDBLOCK, then SO_ERROR WSAECONNREFUSED, read twice; a
    # new connect does not reset it, a successful one does.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        yield from nonblocking(api, s)
        log.append(((yield from api.connect(s, addr(255), 16)), (yield from last_error(api))))
        yield from api.Sleep(1)
        log.append(((yield from so_error(api, s)), (yield from so_error(api, s))))
        server = yield from listener(api)
        log.append(((yield from api.connect(s, addr(), 16)), (yield from last_error(api))))
        log.append((yield from so_error(api, s)))
        log.append(((yield from api.connect(s, addr(), 16)), (yield from last_error(api))))
        yield from api.Sleep(1)
        log.append((yield from so_error(api, s)))
        log.append(((yield from api.connect(s, addr(), 16)), (yield from last_error(api))))
        yield from api.closesocket(server)

    assert calls(program) == [
        (-1, WSAEWOULDBLOCK),
        (WSAECONNREFUSED, WSAECONNREFUSED),
        (-1, WSAEWOULDBLOCK),
        WSAECONNREFUSED,
        (-1, WSAEALREADY),  # "Until the connection attempt completes ... WSAEALREADY"
        0,
        (-1, WSAEISCONN),  # "... and WSAEISCONN when the connection completes successfully"
    ]


def test_connect_refusals() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        server = yield from listener(api)
        log.append(((yield from api.connect(server, addr(), 16)), (yield from last_error(api))))
        s = yield from tcp(api)
        odd = SOCKADDR_IN(sin_family=AF_INET6, sin_port=PORT, sin_addr=1)
        log.append(((yield from api.connect(s, odd, 16)), (yield from last_error(api))))
        log.append(((yield from api.connect(s, addr(), 8)), (yield from last_error(api))))
        log.append(
            ((yield from api.connect(s, addr(PORT, INADDR_ANY), 16)), (yield from last_error(api)))
        )

    assert calls(program) == [
        (-1, WSAEINVAL),  # "The parameter s is a listening socket."
        (-1, WSAEAFNOSUPPORT),
        (-1, WSAEFAULT),
        (-1, 10049),  # WSAEADDRNOTAVAIL: "If the address member ... is filled with zeros"
    ]


def test_connect_with_af_unspec_disconnects_a_datagram_socket() -> None:
    # Wine test_connect_udp (it passes on Windows): connect with AF_UNSPEC succeeds and the
    # socket has no peer any more (getpeername: WSAENOTCONN; emu has no getpeername, so send,
    # which needs the peer, says it). Datagrams take a latency here, hence the Sleeps.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, server = (yield from udp(api)), (yield from udp(api))
        yield from nonblocking(api, client)
        yield from nonblocking(api, server)
        buffer = bytearray(5)
        log.append(((yield from api.send(client, b"data", 4, 0)), (yield from last_error(api))))
        log.append(((yield from api.recv(server, buffer, 5, 0)), (yield from last_error(api))))
        log.append((yield from api.bind(server, addr(0), 16)))  # 127.0.0.1:49152
        log.append(((yield from api.recv(server, buffer, 5, 0)), (yield from last_error(api))))
        log.append((yield from api.connect(client, addr(49152), 16)))
        log.append((yield from api.send(client, b"data", 4, 0)))
        yield from api.Sleep(1)
        log.append(((yield from api.recv(server, buffer, 5, 0)), bytes(buffer[:4])))
        log.append(((yield from api.recv(server, buffer, 5, 0)), (yield from last_error(api))))
        log.append(((yield from api.send(server, b"data", 4, 0)), (yield from last_error(api))))
        log.append((yield from api.connect(client, addr(49152), 16)))
        log.append((yield from api.connect(client, addr(49153), 16)))
        unspec = SOCKADDR_IN(sin_family=AF_UNSPEC, sin_port=0, sin_addr=0)
        log.append((yield from api.connect(client, unspec, 16)))
        log.append(((yield from api.send(client, b"data", 4, 0)), (yield from last_error(api))))

    assert calls(program) == [
        (-1, WSAENOTCONN),
        (-1, WSAEINVAL),  # not bound
        0,
        (-1, WSAEWOULDBLOCK),
        0,
        4,
        (4, b"data"),
        (-1, WSAEWOULDBLOCK),
        (-1, WSAENOTCONN),
        0,
        0,
        0,  # AF_UNSPEC: disconnected
        (-1, WSAENOTCONN),
    ]


def test_af_unspec_is_no_family_for_a_stream_socket() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        unspec = SOCKADDR_IN(sin_family=AF_UNSPEC, sin_port=0, sin_addr=0)
        log.append(((yield from api.connect(s, unspec, 16)), (yield from last_error(api))))
        log.append(((yield from api.bind(s, unspec, 16)), (yield from last_error(api))))

    assert calls(program) == [(-1, WSAEAFNOSUPPORT), (-1, WSAEAFNOSUPPORT)]


def test_shutdown_codes() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        log.append(((yield from api.shutdown(s, SD_BOTH)), (yield from last_error(api))))
        c, _a = yield from tcp_pair(api)
        log.append(((yield from api.shutdown(c, 3)), (yield from last_error(api))))
        log.append(((yield from api.shutdown(c, "both")), (yield from last_error(api))))
        log.append((yield from api.shutdown(c, SD_BOTH)))
        log.append((yield from api.shutdown(c, SD_BOTH)))  # again: nothing more to do

    assert calls(program) == [(-1, WSAENOTCONN), (-1, WSAEINVAL), (-1, WSAEINVAL), 0, 0]
