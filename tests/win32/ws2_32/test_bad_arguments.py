"""Bad arguments of every ws2_32 function give a documented code, never a Python exception.

Hypothesis draws each argument from junk, real SOCKETs in every state (a fresh socket, a
listening one, both ends of a connection, a datagram socket, a closed one, an event handle)
and real and broken structures, with Winsock started. Whatever it draws: no exception but
UnsupportedApi (an unmodelled mode, refused loudly), the failure value comes with a last error,
and that error is one the function's page documents (its "Error code" table) or one of the
assumptions docs/rules.md records for it. WSAStartup returns its code and leaves the last error
alone. The test in tests/win32/test_api.py covers the same functions before WSAStartup.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any, Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emu import codes as c
from emu.errors import UnsupportedApi
from emu.win32 import API_SPECS, DWORD, INT, OVERLAPPED, SOCKADDR_IN, ULONG, WSABUF, WSADATA, Api
from tests.support import run
from tests.win32.ws2_32.helpers import addr, listener, startup, tcp, tcp_pair, udp

SENTINEL: Final = 0x5EED

COMMON: Final = {c.WSANOTINITIALISED, c.WSAENETDOWN, c.WSAEINPROGRESS, c.WSAENOTSOCK}
SEND: Final = {
    c.WSAEACCES,
    c.WSAEINTR,
    c.WSAEFAULT,
    c.WSAENETRESET,
    c.WSAENOBUFS,
    c.WSAENOTCONN,
    c.WSAEOPNOTSUPP,
    c.WSAESHUTDOWN,
    c.WSAEWOULDBLOCK,
    c.WSAEMSGSIZE,
    c.WSAEHOSTUNREACH,
    c.WSAEINVAL,
    c.WSAECONNABORTED,
    c.WSAECONNRESET,
    c.WSAETIMEDOUT,
}
RECV: Final = {
    c.WSAEFAULT,
    c.WSAENOTCONN,
    c.WSAEINTR,
    c.WSAENETRESET,
    c.WSAEOPNOTSUPP,
    c.WSAESHUTDOWN,
    c.WSAEWOULDBLOCK,
    c.WSAEMSGSIZE,
    c.WSAEINVAL,
    c.WSAECONNABORTED,
    c.WSAETIMEDOUT,
    c.WSAECONNRESET,
}
SOCKET_CREATION: Final = {
    c.WSAEAFNOSUPPORT,
    c.WSAEFAULT,
    c.WSAEINVAL,
    c.WSAEMFILE,
    c.WSAENOBUFS,
    c.WSAEPROTONOSUPPORT,
    c.WSAEPROTOTYPE,
    c.WSAESOCKTNOSUPPORT,
}
DOCUMENTED: Final[dict[str, set[int]]] = {
    "socket": SOCKET_CREATION,
    "WSASocketW": SOCKET_CREATION,
    "WSASocketA": SOCKET_CREATION,
    "WSASocket": SOCKET_CREATION,
    # bind's page gives WSAEFAULT for a name of another family; Windows says WSAEAFNOSUPPORT
    # (Wine test_bind), which emu follows.
    "bind": {
        c.WSAEACCES,
        c.WSAEADDRINUSE,
        c.WSAEADDRNOTAVAIL,
        c.WSAEAFNOSUPPORT,
        c.WSAEFAULT,
        c.WSAEINVAL,
        c.WSAENOBUFS,
    },
    "listen": {
        c.WSAEADDRINUSE,
        c.WSAEINVAL,
        c.WSAEISCONN,
        c.WSAEMFILE,
        c.WSAENOBUFS,
        c.WSAEOPNOTSUPP,
    },
    "accept": {
        c.WSAECONNRESET,
        c.WSAEFAULT,
        c.WSAEINTR,
        c.WSAEINVAL,
        c.WSAEMFILE,
        c.WSAENOBUFS,
        c.WSAEOPNOTSUPP,
        c.WSAEWOULDBLOCK,
    },
    "connect": {
        c.WSAEADDRINUSE,
        c.WSAEINTR,
        c.WSAEALREADY,
        c.WSAEADDRNOTAVAIL,
        c.WSAEAFNOSUPPORT,
        c.WSAECONNREFUSED,
        c.WSAEFAULT,
        c.WSAEINVAL,
        c.WSAEISCONN,
        c.WSAENETUNREACH,
        c.WSAEHOSTUNREACH,
        c.WSAENOBUFS,
        c.WSAETIMEDOUT,
        c.WSAEWOULDBLOCK,
        c.WSAEACCES,
    },
    "send": SEND,
    "sendto": SEND | {c.WSAEADDRNOTAVAIL, c.WSAEAFNOSUPPORT, c.WSAEDESTADDRREQ, c.WSAENETUNREACH},
    "recv": RECV,
    "recvfrom": RECV | {c.WSAEISCONN},
    "shutdown": {c.WSAECONNABORTED, c.WSAECONNRESET, c.WSAEINVAL, c.WSAENOTCONN},
    "closesocket": {c.WSAEINTR, c.WSAEWOULDBLOCK},
    # ioctlsocket's page lists WSAEFAULT; WSAEOPNOTSUPP for an unknown command is observed
    # (Wine test_unsupported_ioctls), WSAEINVAL for a cmd that is no integer an assumption.
    "ioctlsocket": {c.WSAEFAULT, c.WSAEOPNOTSUPP, c.WSAEINVAL},
    "getsockopt": {c.WSAEFAULT, c.WSAEINVAL, c.WSAENOPROTOOPT},
    "WSACleanup": set(),
    # The overlapped functions add WSA_IO_PENDING and WSA_OPERATION_ABORTED to their tables;
    # an hEvent that names no event is WSA_INVALID_HANDLE, as ReadFile's is (assumption).
    "WSARecv": RECV
    | {c.WSAEDISCON, c.WSA_IO_PENDING, c.WSA_OPERATION_ABORTED, c.WSA_INVALID_HANDLE},
    "WSASend": SEND | {c.WSA_IO_PENDING, c.WSA_OPERATION_ABORTED, c.WSA_INVALID_HANDLE},
    "WSAGetOverlappedResult": {
        c.WSA_INVALID_HANDLE,
        c.WSA_INVALID_PARAMETER,
        c.WSA_IO_INCOMPLETE,
        c.WSAEFAULT,
        c.WSAEINVAL,
    }
    | RECV
    | SEND
    | {c.WSA_OPERATION_ABORTED},
}
STARTUP_CODES: Final = {
    0,
    c.WSASYSNOTREADY,
    c.WSAVERNOTSUPPORTED,
    c.WSAEINPROGRESS,
    c.WSAEPROCLIM,
    c.WSAEFAULT,
}

WS2_EXPORTS = sorted(
    name
    for name, spec in API_SPECS.items()
    if spec.dll == "ws2_32" and (name in DOCUMENTED or name in ("WSAStartup", "WSAGetLastError"))
)
"""The functions whose error tables are above (the socket state notifications have their own
tests)."""

HANDLES = ("tcp", "listener", "client", "server", "udp", "closed", "event")
STRUCTS = (
    "addr",
    "addr0",
    "addr6",
    "short",
    "int16",
    "int0",
    "ulong1",
    "dword",
    "dword0",
    "buf8",
    "wsadata",
    "wsabufs",
    "overlapped",
)
TOKENS = st.one_of(
    st.sampled_from(HANDLES).map(lambda n: ("handle", n)),
    st.sampled_from(STRUCTS).map(lambda n: ("struct", n)),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.sampled_from(
        [
            0,
            1,
            2,
            3,
            15,
            16,
            28,
            5000,
            0xFFFF,
            c.FIONBIO,
            c.FIONREAD,
            c.SOL_SOCKET,
            c.SO_ERROR,
            c.SOCK_STREAM,
            c.SOCK_DGRAM,
            c.IPPROTO_TCP,
            c.IPPROTO_UDP,
            c.INVALID_SOCKET,
            -1,
            0x0202,
            c.MSG_PEEK,
            0x8000,
        ]
    ),
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.binary(max_size=8),
    st.floats(allow_nan=True),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=2),
)


LIKELY: Final[dict[str, Any]] = {
    "s": st.sampled_from(HANDLES).map(lambda n: ("handle", n)),
    "name": st.sampled_from(("addr", "addr0", "addr6", "short")).map(lambda n: ("struct", n)),
    "addr": st.sampled_from(("addr", "short", "dword")).map(lambda n: ("struct", n)),
    "to": st.sampled_from(("addr", "addr0", "addr6")).map(lambda n: ("struct", n)),
    "from_": st.sampled_from(("addr", "short")).map(lambda n: ("struct", n)),
    "addrlen": st.sampled_from(("int16", "int0", "dword")).map(lambda n: ("struct", n)),
    "fromlen": st.sampled_from(("int16", "int0")).map(lambda n: ("struct", n)),
    "optval": st.sampled_from(("int16", "dword", "ulong1")).map(lambda n: ("struct", n)),
    "optlen": st.sampled_from(("int16", "int0", "dword")).map(lambda n: ("struct", n)),
    "argp": st.sampled_from(("ulong1", "dword")).map(lambda n: ("struct", n)),
    "lpBuffers": st.sampled_from(("wsabufs", "wsabuf_short")).map(lambda n: ("struct", n)),
    "lpFlags": st.sampled_from(("dword", "dword0")).map(lambda n: ("struct", n)),
    "lpOverlapped": st.sampled_from(("overlapped", "overlapped_event")).map(
        lambda n: ("struct", n)
    ),
    "lpNumberOfBytesRecvd": st.just(("struct", "dword0")),
    "lpNumberOfBytesSent": st.just(("struct", "dword0")),
    "lpcbTransfer": st.just(("struct", "dword0")),
    "lpdwFlags": st.just(("struct", "dword0")),
    "buf": st.sampled_from(("buf8",)).map(lambda n: ("struct", n)) | st.binary(max_size=8),
    "lpWSAData": st.just(("struct", "wsadata")),
}
"""For each parameter, values close to valid ones: drawn half the time, so that junk in one
argument meets well-formed others and reaches the deeper checks."""


def argument(param: str) -> Any:
    likely = LIKELY.get(param)
    if likely is None:
        return TOKENS
    return st.booleans().flatmap(lambda near: likely if near else TOKENS)


def build(token: Any, handles: dict[str, int]) -> Any:
    """A concrete argument for ``token``, made inside the run (structures belong to one)."""
    if isinstance(token, tuple) and token[:1] == ("handle",):
        return handles[token[1]]
    if isinstance(token, tuple) and token[:1] == ("struct",):
        return {
            "addr": lambda: addr(5002),
            "addr0": lambda: addr(0, 0),
            "addr6": lambda: SOCKADDR_IN(sin_family=c.AF_INET6, sin_port=1),
            "short": lambda: SOCKADDR_IN(sin_family=c.AF_INET, sin_port=-3, sin_addr="x"),
            "int16": lambda: INT(value=16),
            "int0": lambda: INT(value=0),
            "ulong1": lambda: ULONG(value=1),
            "dword": lambda: DWORD(value=4),
            "buf8": lambda: bytearray(8),
            "wsadata": WSADATA,
            "dword0": lambda: DWORD(value=0),
            "wsabufs": lambda: [WSABUF(len=4, buf=bytearray(4)), WSABUF(len=2, buf=b"ab")],
            "wsabuf_short": lambda: [WSABUF(len=9, buf=bytearray(2))],
            "overlapped": OVERLAPPED,
            "overlapped_event": lambda: OVERLAPPED(hEvent=handles["event"]),
        }[token[1]]()
    return token


def context(api: Api) -> Generator[Any, None, dict[str, int]]:
    yield from startup(api)
    client, server = yield from tcp_pair(api, 5001)
    closed = yield from tcp(api)
    yield from api.closesocket(closed)
    data = yield from udp(api)
    yield from api.bind(data, addr(5003), 16)
    return {
        "tcp": (yield from tcp(api)),
        "listener": (yield from listener(api)),
        "client": client,
        "server": server,
        "udp": data,
        "closed": closed,
        "event": (yield from api.CreateEventW(None, False, False, None)),
    }


def failure_value(name: str) -> int:
    returns = API_SPECS[name].returns
    if returns == "HANDLE":
        return c.INVALID_SOCKET
    return 0 if returns == "BOOL" else c.SOCKET_ERROR


@pytest.mark.parametrize("name", WS2_EXPORTS)
@settings(max_examples=40)
@given(data=st.data())
def test_bad_arguments_give_documented_codes_never_exceptions(
    name: str, data: st.DataObject
) -> None:
    tokens = [data.draw(argument(p), label=p) for p in API_SPECS[name].params]
    outcome: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        handles = yield from context(api)
        args = [build(token, handles) for token in tokens]
        yield from api.SetLastError(SENTINEL)
        try:
            result = yield from getattr(api, name)(*args)
        except UnsupportedApi:
            outcome.append("unsupported")
            return
        outcome.append((result, int((yield from api.GetLastError()))))

    sim = run(main, until=10_000_000)
    for line in sim.k.trace.to_jsonl().splitlines():  # whatever the arguments, it serialises
        json.loads(line)
    if not outcome:  # a blocking call still waiting at the time limit
        assert sim.reason in ("quiescent", "time limit")
        return
    if outcome == ["unsupported"]:
        return
    [(result, error)] = outcome
    assert type(result) is int
    if name == "WSAStartup":
        assert result in STARTUP_CODES and error == SENTINEL
        return
    if name == "WSAGetLastError":
        assert result == SENTINEL
        return
    if result == failure_value(name):
        assert error != SENTINEL, f"{name} failed without setting the last error"
    if name == "WSAGetOverlappedResult" and result == 1:
        # A success sets RtlNtStatusToDosError(Internal), as Windows 10 1809 and later do
        # (Wine test_WSAGetOverlappedResult): 0 for the fresh OVERLAPPED's STATUS_SUCCESS.
        assert error == 0
        return
    if error != SENTINEL:
        assert result == failure_value(name), f"{name} set the last error on success"
        assert error in DOCUMENTED[name] | COMMON, f"{name}: {c.win32_error_name(error)}"
