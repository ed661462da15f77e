"""socket, WSASocketW, bind, listen, accept, connect, shutdown, closesocket."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes import (
    AF_INET,
    AF_INET6,
    AF_UNSPEC,
    INADDR_ANY,
    INVALID_SOCKET,
    IPPROTO_TCP,
    IPPROTO_UDP,
    SD_BOTH,
    SO_ERROR,
    SOCK_DGRAM,
    SOCK_RAW,
    SOCK_STREAM,
    SOL_SOCKET,
    WSA_FLAG_OVERLAPPED,
    WSA_FLAG_REGISTERED_IO,
    WSAEADDRINUSE,
    WSAEAFNOSUPPORT,
    WSAEALREADY,
    WSAECONNREFUSED,
    WSAEFAULT,
    WSAEINTR,
    WSAEINVAL,
    WSAEISCONN,
    WSAENOTCONN,
    WSAENOTSOCK,
    WSAEOPNOTSUPP,
    WSAEPROTONOSUPPORT,
    WSAEPROTOTYPE,
    WSAESOCKTNOSUPPORT,
    WSAEWOULDBLOCK,
)
from emu.devices.sockets import Socket
from emu.errors import UnsupportedApi
from emu.win32 import DWORD, INT, SOCKADDR_IN, ULONG, Api
from tests.support import calls, run
from tests.win32.ws2_32.helpers import (
    PORT,
    addr,
    last_error,
    listener,
    startup,
    tcp,
    tcp_pair,
    udp,
)


def nonblocking(api: Api, s: int) -> Generator[Any, None, None]:
    assert (yield from api.ioctlsocket(s, 0x8004667E, ULONG(value=1))) == 0


def so_error(api: Api, s: int) -> Generator[Any, None, int]:
    value, length = DWORD(value=0xDEAD), INT(value=4)
    assert (yield from api.getsockopt(s, SOL_SOCKET, SO_ERROR, value, length)) == 0
    return int(value.value)


KINDS = [
    ((AF_INET, SOCK_STREAM, 0), 0),
    ((AF_INET, SOCK_STREAM, IPPROTO_TCP), 0),
    ((AF_INET, SOCK_DGRAM, IPPROTO_UDP), 0),
    ((AF_INET, 0, IPPROTO_TCP), 0),
    ((AF_UNSPEC, SOCK_STREAM, 0), 0),
    ((AF_UNSPEC, 0, 0), WSAEINVAL),  # "af ... AF_UNSPEC and the type and protocol ... unspecified"
    ((99, SOCK_STREAM, 0), WSAEAFNOSUPPORT),
    ((AF_INET, 99, 0), WSAESOCKTNOSUPPORT),
    ((AF_INET, 0, 0), WSAESOCKTNOSUPPORT),
    ((AF_INET, SOCK_STREAM, IPPROTO_UDP), WSAEPROTOTYPE),
    ((AF_INET, SOCK_DGRAM, IPPROTO_TCP), WSAEPROTOTYPE),
    ((AF_INET, SOCK_STREAM, 99), WSAEPROTONOSUPPORT),
    ((AF_INET, "stream", 0), WSAEINVAL),
]


@pytest.mark.parametrize(("args", "error"), KINDS)
def test_socket_checks_family_type_and_protocol(args: tuple[Any, ...], error: int) -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        log.append((yield from api.socket(*args)))
        log.append((yield from last_error(api)))

    handle, code = calls(program)
    if error:
        assert (handle, code) == (INVALID_SOCKET, error)
    else:
        assert handle not in (0, INVALID_SOCKET) and handle % 4 == 0  # a kernel handle


def test_socket_makes_overlapped_sockets_and_wsasocket_only_with_the_flag() -> None:
    # socket: "The socket that is created will have the overlapped attribute as a default."
    seen: list[bool] = []

    def program(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        for handle in (
            (yield from api.socket(AF_INET, SOCK_STREAM, 0)),
            (yield from api.WSASocketW(AF_INET, SOCK_STREAM, 0, None, 0, 0)),
            (yield from api.WSASocketW(AF_INET, SOCK_STREAM, 0, None, 0, WSA_FLAG_OVERLAPPED)),
            (yield from api.WSASocketA(AF_INET, SOCK_DGRAM, 0, None, 0, WSA_FLAG_OVERLAPPED)),
        ):
            entry = api.k.handles.get(handle)
            assert entry is not None and isinstance(entry.obj, Socket)
            seen.append(entry.obj.overlapped)

    run(program)
    assert seen == [True, False, True, True]


def test_wsasocket_refuses_groups_and_unknown_flags_and_raises_for_the_unmodelled() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        log.append((yield from api.WSASocketW(AF_INET, SOCK_STREAM, 0, None, 1, 0)))
        log.append((yield from last_error(api)))
        log.append((yield from api.WSASocketW(AF_INET, SOCK_STREAM, 0, None, 0, 0x8000)))
        log.append((yield from last_error(api)))

    assert calls(program) == [INVALID_SOCKET, WSAEINVAL, INVALID_SOCKET, WSAEINVAL]
    for bad in (
        lambda api: api.WSASocketW(AF_INET, SOCK_STREAM, 0, None, 0, WSA_FLAG_REGISTERED_IO),
        lambda api: api.WSASocketW(AF_INET, SOCK_STREAM, 0, object(), 0, 0),
        lambda api: api.socket(AF_INET6, SOCK_STREAM, 0),
        lambda api: api.socket(AF_INET, SOCK_RAW, 0),
    ):

        def unmodelled(api: Api, bad: Any = bad) -> Generator[Any, None, None]:
            yield from startup(api)
            yield from bad(api)

        with pytest.raises(UnsupportedApi, match="not modelled"):
            run(unmodelled)


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


def test_bind_rejects_a_bad_address_structure() -> None:
    # bind: WSAEFAULT when "the name parameter is NULL ... the namelen parameter is too small
    # ... the first two bytes of the memory block specified by name do not match the address
    # family associated with the socket".
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        for name, length in (
            (None, 16),
            (addr(), 15),
            (SOCKADDR_IN(sin_family=AF_INET6, sin_port=PORT), 16),
            (SOCKADDR_IN(sin_family=AF_INET, sin_port=70000), 16),
            (DWORD(), 16),
            (addr(), "16"),
        ):
            log.append(((yield from api.bind(s, name, length)), (yield from last_error(api))))
        log.append((yield from api.bind(s, addr(0, INADDR_ANY), 16)))
        log.append(((yield from api.bind(s, addr(), 16)), (yield from last_error(api))))

    assert calls(program) == [(-1, WSAEFAULT)] * 6 + [0, (-1, WSAEINVAL)]


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


def test_F2_31_an_apc_runs_inside_a_blocking_accept_which_still_succeeds() -> None:
    # F2.31, Wine test_accept: QueueUserAPC, then accept; the APC lets the connector go.
    log: list[Any] = []

    def server(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from listener(api)
        ev = yield from api.CreateEventW(None, False, False, None)

        def connector(param: Any) -> Generator[Any, None, None]:
            yield from api.WaitForSingleObject(ev, 0xFFFFFFFF)
            c = yield from tcp(api)
            log.append(("connect", (yield from api.connect(c, addr(), 16))))

        yield from api.CreateThread(None, 0, connector, None, 0, None)

        def apc(data: int) -> Generator[Any, None, None]:
            log.append("apc")
            yield from api.SetEvent(ev)

        yield from api.QueueUserAPC(apc, -2, 0)
        accepted = yield from api.accept(s, None, None)
        log.append(("accepted", accepted != INVALID_SOCKET))

    sim = run({"server": server})
    assert log == ["apc", ("connect", 0), ("accepted", True)]
    delivered = sim.events("apc.deliver")
    assert [e.payload["at"] for e in delivered] == ["a blocking Winsock call's wait"]
    assert "kernel.apc_alertable_only" not in sim.violations()


def test_a_call_that_completes_at_once_runs_no_apc() -> None:
    # F2.33's sibling in Wine test_select: with the condition already true there is no wait,
    # so the queued APC stays queued until an alertable wait.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        client, _server = yield from tcp_pair(api)
        yield from api.QueueUserAPC(lambda data: log.append("apc"), -2, 0)
        log.append((yield from api.send(client, b"x", 1, 0)))
        log.append((yield from api.SleepEx(0, True)))

    assert calls(program) == [1, "apc", 0xC0]


def test_F2_32_accept_checks_addrlen_and_fills_only_with_both() -> None:
    # F2.32, Wine test_accept.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from listener(api)
        clients = []
        for _ in range(3):
            c = yield from tcp(api)
            yield from api.connect(c, addr(), 16)
            clients.append(c)
        short, ss = INT(value=0), SOCKADDR_IN()
        log.append(((yield from api.accept(s, ss, short)), (yield from last_error(api))))
        log.append(short.value)
        a1 = yield from api.accept(s, ss, None)
        log.append((a1 != INVALID_SOCKET, ss.sin_family))  # nothing filled
        full = INT(value=28)
        a2 = yield from api.accept(s, ss, full)
        log.append((a2 != INVALID_SOCKET, ss.sin_family, ss.sin_port, full.value))
        yield from nonblocking(api, s)
        a3 = yield from api.accept(s, None, None)
        log.append(a3 != INVALID_SOCKET)
        log.append(((yield from api.accept(s, None, None)), (yield from last_error(api))))
        log.append(((yield from api.accept(clients[0], None, None)), (yield from last_error(api))))

    assert calls(program) == [
        (INVALID_SOCKET, WSAEFAULT),
        0,
        (True, 0),
        (True, AF_INET, 49153, 16),
        True,
        (INVALID_SOCKET, WSAEWOULDBLOCK),
        (INVALID_SOCKET, WSAEINVAL),  # "The listen function was not invoked prior to accept."
    ]


def test_F2_32_closing_the_listener_wakes_a_blocked_accept() -> None:
    # F2.32, Wine test_accept ("closesocket did not wake up accept"); WSAEINTR (assumption).
    log: list[Any] = []

    def acceptor(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from listener(api)
        api.context.state["s"] = s
        log.append(((yield from api.accept(s, None, None)), (yield from last_error(api))))

    def closer(api: Api) -> Generator[Any, None, None]:
        yield from api.Sleep(1)
        log.append((yield from api.closesocket(api.context.state["s"])))

    run({"acceptor": acceptor, "closer": closer})
    assert log == [0, (INVALID_SOCKET, WSAEINTR)]


def test_the_accepted_socket_inherits_the_listener_s_mode() -> None:
    # accept: the new socket "has the same properties as socket s".
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from listener(api)
        yield from nonblocking(api, s)
        c = yield from tcp(api)
        yield from api.connect(c, addr(), 16)
        a = yield from api.accept(s, None, None)
        log.append(((yield from api.recv(a, bytearray(1), 1, 0)), (yield from last_error(api))))

    assert calls(program) == [(-1, WSAEWOULDBLOCK)]


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


def test_closesocket_frees_the_descriptor_for_reuse() -> None:
    # "the socket descriptor passed in the s parameter may immediately be reused by the
    # system ... it is not reliable to expect further references to the socket descriptor
    # ... to fail with the error WSAENOTSOCK": the next object takes the value back.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        log.append((yield from api.closesocket(s)))
        log.append(((yield from api.closesocket(s)), (yield from last_error(api))))
        again = yield from tcp(api)
        log.append(again == s)
        ev = yield from api.CreateEventW(None, False, False, None)
        log.append(((yield from api.closesocket(ev)), (yield from last_error(api))))

    assert calls(program) == [0, (-1, WSAENOTSOCK), True, (-1, WSAENOTSOCK)]


def test_closehandle_on_a_socket_closes_it_but_is_traced_as_the_wrong_call() -> None:
    # CloseHandle (MS doc): "Do not use the CloseHandle function to close a socket. Instead,
    # use the closesocket function, which releases all resources associated with the socket
    # including the handle to the socket object." A SOCKET is a kernel handle: CloseHandle
    # succeeds and the socket closes; ws2_32's record of it is left behind.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        c, a = yield from tcp_pair(api)
        log.append((yield from api.CloseHandle(c)))
        log.append(((yield from api.send(c, b"x", 1, 0)), (yield from last_error(api))))
        yield from api.Sleep(1)
        log.append((yield from api.recv(a, bytearray(4), 4, 0)))  # the peer sees a close
        log.append((yield from api.closesocket(a)))

    sim_log: list[Any] = []
    sim = run(lambda api: program(api, sim_log))
    assert sim_log == [1, (-1, WSAENOTSOCK), 0, 0]
    assert [e.payload["by"] for e in sim.events("sock.close")][1:] == ["CloseHandle", "closesocket"]
    assert len(api_table(sim)) == 1  # the CloseHandle'd socket is still in ws2_32's table


def api_table(sim: Any) -> dict[int, Socket]:
    state: dict[int, Socket] = sim.k.device(f"ws2_32@{sim.api.process.oid}", dict).sockets
    return state


def test_a_socket_left_open_is_a_handle_leak() -> None:
    def program(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        yield from tcp(api)

    sim = run(program)
    opened = [e for e in sim.events("handle.open") if e.objects[0].startswith("Socket")]
    closed = [e for e in sim.events("handle.close") if e.objects[0].startswith("Socket")]
    assert len(opened) == 1 and not closed
