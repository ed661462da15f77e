"""accept: taking a connection, its address, its mode; a blocking accept waits alertably."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    AF_INET,
    FIONBIO,
    INVALID_SOCKET,
    WSAEFAULT,
    WSAEINTR,
    WSAEINVAL,
    WSAEWOULDBLOCK,
)
from emu.properties.verdict import HELD, verdict
from emu.win32 import INT, SOCKADDR_IN, ULONG, Api
from tests.support import calls, run
from tests.win32.ws2_32.helpers import (
    addr,
    last_error,
    listener,
    nonblocking,
    startup,
    tcp,
    tcp_pair,
)


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
    judged = verdict(sim.k.trace.events).status("kernel.apc_alertable_only")
    assert judged is not None and judged.state == HELD  # delivered where it may run


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


def test_the_accepted_socket_takes_the_mode_the_listener_has_at_the_accept() -> None:
    # The properties are those of socket s when accept is called: a listener made non-blocking
    # after the connection arrived gives a non-blocking socket, and a listener made blocking
    # again a blocking one (its recv waits for the byte the client sends a millisecond later).
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from listener(api)
        first = yield from tcp(api)
        yield from api.connect(first, addr(), 16)  # arrives while s is blocking
        yield from nonblocking(api, s)
        a = yield from api.accept(s, None, None)
        log.append(((yield from api.recv(a, bytearray(1), 1, 0)), (yield from last_error(api))))
        second = yield from tcp(api)
        yield from nonblocking(api, second)
        yield from api.connect(second, addr(), 16)
        yield from api.Sleep(1)  # arrives while s is non-blocking
        assert (yield from api.ioctlsocket(s, FIONBIO, ULONG(value=0))) == 0
        b = yield from api.accept(s, None, None)
        api.context.state["second"] = second
        log.append((yield from api.recv(b, bytearray(1), 1, 0)))
        log.append(api.k.now >= 20_000)

    def sender(api: Api) -> Generator[Any, None, None]:
        yield from api.Sleep(2)
        yield from api.send(api.context.state["second"], b"x", 1, 0)

    log: list[Any] = []
    run({"main": lambda api: program(api, log), "sender": sender})
    assert log == [(-1, WSAEWOULDBLOCK), 1, True]
