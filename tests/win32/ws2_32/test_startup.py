"""WSAStartup, WSACleanup, WSAGetLastError."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes import (
    AF_INET,
    SOCK_STREAM,
    WSAEFAULT,
    WSAENOTSOCK,
    WSANOTINITIALISED,
    WSAVERNOTSUPPORTED,
    Win32Error,
)
from emu.win32 import API_SPECS, DWORD, WSADATA, Api
from tests.support import calls, run
from tests.win32.ws2_32.helpers import addr, last_error, startup, tcp, tcp_pair


def test_F2_27_the_error_codes_have_their_real_values() -> None:
    # F2.27 (winerror.h, winsock2.h).
    from emu import codes as c

    assert (c.WSAEINTR, c.WSAEFAULT, c.WSAEINVAL, c.WSAEWOULDBLOCK) == (10004, 10014, 10022, 10035)
    assert (c.WSAEINPROGRESS, c.WSAEALREADY, c.WSAENOTSOCK, c.WSAEMSGSIZE) == (
        10036,
        10037,
        10038,
        10040,
    )
    assert (c.WSAEOPNOTSUPP, c.WSAEADDRINUSE, c.WSAEADDRNOTAVAIL, c.WSAECONNRESET) == (
        10045,
        10048,
        10049,
        10054,
    )
    assert (c.WSAEISCONN, c.WSAENOTCONN, c.WSAESHUTDOWN, c.WSAECONNREFUSED) == (
        10056,
        10057,
        10058,
        10061,
    )
    assert (c.WSANOTINITIALISED, c.WSA_INVALID_HANDLE, c.WSA_IO_PENDING) == (10093, 6, 997)
    assert (c.INVALID_SOCKET, c.SOCKET_ERROR) == (2**64 - 1, -1)
    assert (c.FIONBIO, c.FIONREAD, c.SOL_SOCKET, c.SO_ERROR) == (
        0x8004667E,
        0x4004667F,
        0xFFFF,
        0x1007,
    )
    # They print by name, as the last error of a call.
    assert Win32Error(10035).name == "WSAEWOULDBLOCK"
    assert c.win32_message(c.WSAECONNREFUSED) == (
        "No connection could be made because the target machine actively refused it."
    )


def test_startup_negotiates_the_version() -> None:
    # "The wHighVersion member ... indicates the highest version ... the Winsock DLL supports.
    # The wVersion member ... indicates the version ... that the Winsock DLL expects the caller
    # to use."
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        for requested in (0x0202, 0x0101, 0x0303, 0x0001):
            data = WSADATA()
            log.append((yield from api.WSAStartup(requested, data)))
            log.append((data.wVersion, data.wHighVersion))
        log.append(data.szDescription)

    assert calls(program) == [
        0,
        (0x0202, 0x0202),
        0,
        (0x0101, 0x0202),
        0,
        (0x0202, 0x0202),  # 3.3 is answered with 2.2
        0,
        (0x0001, 0x0202),  # 1.0
        "WinSock 2.0",
    ]


def test_startup_returns_its_error_and_leaves_the_last_error_alone() -> None:
    # "The WSAStartup function directly returns the extended error code in the return value
    # ... A call to the WSAGetLastError function is not needed and should not be used."
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from api.SetLastError(1234)
        log.append((yield from api.WSAStartup(0x0200, WSADATA())))  # major version 0
        log.append((yield from api.WSAStartup("2.2", WSADATA())))
        log.append((yield from api.WSAStartup(0x0202, None)))
        log.append((yield from api.WSAStartup(0x0202, DWORD())))
        log.append((yield from last_error(api)))
        log.append((yield from api.socket(AF_INET, SOCK_STREAM, 0)))  # still not started
        log.append((yield from last_error(api)))

    assert calls(program) == [
        WSAVERNOTSUPPORTED,
        WSAVERNOTSUPPORTED,
        WSAEFAULT,
        WSAEFAULT,
        1234,
        2**64 - 1,
        WSANOTINITIALISED,
    ]


FUNCTIONS: list[tuple[str, tuple[Any, ...]]] = [
    ("socket", (AF_INET, SOCK_STREAM, 0)),
    ("WSASocketW", (AF_INET, SOCK_STREAM, 0, None, 0, 0)),
    ("bind", (4, addr(), 16)),
    ("listen", (4, 1)),
    ("accept", (4, None, None)),
    ("connect", (4, addr(), 16)),
    ("send", (4, b"x", 1, 0)),
    ("recv", (4, bytearray(1), 1, 0)),
    ("sendto", (4, b"x", 1, 0, addr(), 16)),
    ("recvfrom", (4, bytearray(1), 1, 0, None, None)),
    ("shutdown", (4, 2)),
    ("closesocket", (4,)),
    ("ioctlsocket", (4, 0, None)),
    ("getsockopt", (4, 0, 0, None, None)),
    ("WSACleanup", ()),
]


@pytest.mark.parametrize(("name", "args"), FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_F2_28_every_function_before_startup_is_wsanotinitialised(
    name: str, args: tuple[Any, ...]
) -> None:
    # F2.28 (Wine test_WithoutWSAStartup): "A successful WSAStartup call must occur before
    # using this function", checked before the arguments.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        log.append((yield from getattr(api, name)(*args)))
        log.append((yield from last_error(api)))

    failed = 2**64 - 1 if API_SPECS[name].returns == "HANDLE" else -1
    assert calls(program) == [failed, WSANOTINITIALISED]


def test_F2_28_the_last_cleanup_destroys_the_sockets() -> None:
    # F2.28 (Wine test_WithWSAStartup): "show that sockets are destroyed automatically after
    # WSACleanup"; a cleanup too many is WSANOTINITIALISED.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        yield from startup(api)
        src, dst = yield from tcp_pair(api)
        log.append((yield from api.send(src, b"TEST", 4, 0)))
        log.append((yield from api.WSACleanup()))  # the first of two: a counter only
        log.append((yield from api.send(src, b"TEST", 4, 0)))
        log.append((yield from api.WSACleanup()))
        yield from startup(api)
        log.append((yield from api.send(src, b"TEST", 4, 0)))
        log.append((yield from last_error(api)))
        log.append((yield from api.send(dst, b"TEST", 4, 0)))
        log.append((yield from last_error(api)))
        log.append((yield from api.WSACleanup()))
        log.append((yield from api.WSACleanup()))
        log.append((yield from last_error(api)))

    assert calls(program) == [
        4,
        0,
        4,
        0,
        -1,
        WSAENOTSOCK,
        -1,
        WSAENOTSOCK,
        0,
        -1,
        WSANOTINITIALISED,
    ]


def test_wsagetlasterror_reads_the_thread_s_last_error() -> None:
    # "The return value indicates the error code for this thread's last Windows Sockets
    # operation that failed." Per thread, as GetLastError.
    seen: dict[str, int] = {}

    def failing(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        yield from api.listen(0xDEAD, 1)
        seen["failing"] = yield from last_error(api)
        seen["GetLastError"] = int((yield from api.GetLastError()))

    def other(api: Api) -> Generator[Any, None, None]:
        yield from api.Sleep(1)
        seen["other"] = yield from last_error(api)

    run({"failing": failing, "other": other})
    assert seen == {"failing": WSAENOTSOCK, "GetLastError": WSAENOTSOCK, "other": 0}


def test_a_socket_survives_a_cleanup_that_is_not_the_last() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        yield from startup(api)
        s = yield from tcp(api)
        yield from api.WSACleanup()
        log.append((yield from api.closesocket(s)))

    assert calls(program) == [0]
