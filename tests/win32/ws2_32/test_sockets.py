"""socket, WSASocketW and closesocket: creating and closing sockets (bind, listen, connect,
accept and shutdown are in test_sockets_connecting.py)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes import (
    AF_INET,
    AF_INET6,
    AF_UNSPEC,
    INVALID_SOCKET,
    IPPROTO_TCP,
    IPPROTO_UDP,
    SOCK_DGRAM,
    SOCK_RAW,
    SOCK_STREAM,
    WSA_FLAG_OVERLAPPED,
    WSA_FLAG_REGISTERED_IO,
    WSAEAFNOSUPPORT,
    WSAEINVAL,
    WSAENOTSOCK,
    WSAEPROTONOSUPPORT,
    WSAEPROTOTYPE,
    WSAESOCKTNOSUPPORT,
)
from emu.devices.sockets import Socket
from emu.errors import UnsupportedApi
from emu.win32 import Api
from tests.support import calls, run
from tests.win32.ws2_32.helpers import (
    last_error,
    startup,
    tcp,
    tcp_pair,
)

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
