"""WSAGetOverlappedResult: the status an OVERLAPPED holds, as Windows reports it (Wine
dlls/ws2_32/tests/sock.c, test_WSAGetOverlappedResult, which passes on Windows)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Final

from emu.codes import (
    ERROR_IO_INCOMPLETE,
    ERROR_IO_PENDING,
    ERROR_OPERATION_ABORTED,
    STATUS_PENDING,
    WSAEACCES,
    WSAEADDRINUSE,
    WSAEADDRNOTAVAIL,
    WSAECONNABORTED,
    WSAECONNREFUSED,
    WSAECONNRESET,
    WSAEDISCON,
    WSAEFAULT,
    WSAEHOSTDOWN,
    WSAEHOSTUNREACH,
    WSAEINTR,
    WSAEINVAL,
    WSAEISCONN,
    WSAEMSGSIZE,
    WSAENETDOWN,
    WSAENETUNREACH,
    WSAENOBUFS,
    WSAENOTCONN,
    WSAENOTSOCK,
    WSAEOPNOTSUPP,
    WSAESHUTDOWN,
    WSAETIMEDOUT,
    WSAEWOULDBLOCK,
    nt_success,
    win32_from_ntstatus,
)
from emu.win32 import DWORD, OVERLAPPED, Api
from tests.support import calls
from tests.win32.ws2_32.helpers import last_error, startup, tcp

MAP_STATUS: Final = {
    0x00000103: ERROR_IO_INCOMPLETE,  # STATUS_PENDING
    0x80000005: WSAEMSGSIZE,  # STATUS_BUFFER_OVERFLOW
    0xC0000002: WSAEOPNOTSUPP,  # STATUS_NOT_IMPLEMENTED
    0xC0000005: WSAEFAULT,  # STATUS_ACCESS_VIOLATION
    0xC0000007: WSAENOBUFS,  # STATUS_PAGEFILE_QUOTA
    0xC0000008: WSAENOTSOCK,  # STATUS_INVALID_HANDLE
    0xC000000E: WSAENETDOWN,  # STATUS_NO_SUCH_DEVICE
    0xC000000F: WSAENETDOWN,  # STATUS_NO_SUCH_FILE
    0xC0000017: WSAENOBUFS,  # STATUS_NO_MEMORY
    0xC0000018: WSAENOBUFS,  # STATUS_CONFLICTING_ADDRESSES
    0xC0000022: WSAEACCES,  # STATUS_ACCESS_DENIED
    0xC0000023: WSAEFAULT,  # STATUS_BUFFER_TOO_SMALL
    0xC0000024: WSAENOTSOCK,  # STATUS_OBJECT_TYPE_MISMATCH
    0xC0000034: WSAENETDOWN,  # STATUS_OBJECT_NAME_NOT_FOUND
    0xC000003A: WSAENETDOWN,  # STATUS_OBJECT_PATH_NOT_FOUND
    0xC0000043: WSAEADDRINUSE,  # STATUS_SHARING_VIOLATION
    0xC0000044: WSAENOBUFS,  # STATUS_QUOTA_EXCEEDED
    0xC0000097: WSAENOBUFS,  # STATUS_TOO_MANY_PAGING_FILES
    0xC000009A: WSAENOBUFS,  # STATUS_INSUFFICIENT_RESOURCES
    0xC00000A1: WSAENOBUFS,  # STATUS_WORKING_SET_QUOTA
    0xC00000A3: WSAEWOULDBLOCK,  # STATUS_DEVICE_NOT_READY
    0xC00000B0: WSAESHUTDOWN,  # STATUS_PIPE_DISCONNECTED
    0xC00000B5: WSAETIMEDOUT,  # STATUS_IO_TIMEOUT
    0xC00000BB: WSAEOPNOTSUPP,  # STATUS_NOT_SUPPORTED
    0xC00000BC: WSAECONNREFUSED,  # STATUS_REMOTE_NOT_LISTENING
    0xC00000BE: WSAENETUNREACH,  # STATUS_BAD_NETWORK_PATH
    0xC00000BF: WSAENETDOWN,  # STATUS_NETWORK_BUSY
    0xC00000C3: WSAENETDOWN,  # STATUS_INVALID_NETWORK_RESPONSE
    0xC00000C4: WSAENETDOWN,  # STATUS_UNEXPECTED_NETWORK_ERROR
    0xC00000D0: WSAEWOULDBLOCK,  # STATUS_REQUEST_NOT_ACCEPTED
    0xC0000120: ERROR_OPERATION_ABORTED,  # STATUS_CANCELLED
    0xC000012D: WSAENOBUFS,  # STATUS_COMMITMENT_LIMIT
    0xC000013B: WSAECONNABORTED,  # STATUS_LOCAL_DISCONNECT
    0xC000013C: WSAECONNRESET,  # STATUS_REMOTE_DISCONNECT
    0xC000013D: WSAENOBUFS,  # STATUS_REMOTE_RESOURCES
    0xC000013E: WSAECONNRESET,  # STATUS_LINK_FAILED
    0xC000013F: WSAETIMEDOUT,  # STATUS_LINK_TIMEOUT
    0xC0000140: WSAENOTCONN,  # STATUS_INVALID_CONNECTION
    0xC0000141: WSAEADDRNOTAVAIL,  # STATUS_INVALID_ADDRESS
    0xC0000206: WSAEMSGSIZE,  # STATUS_INVALID_BUFFER_SIZE
    0xC0000207: WSAEADDRNOTAVAIL,  # STATUS_INVALID_ADDRESS_COMPONENT
    0xC0000209: WSAENOBUFS,  # STATUS_TOO_MANY_ADDRESSES
    0xC000020A: WSAEADDRINUSE,  # STATUS_ADDRESS_ALREADY_EXISTS
    0xC000020C: WSAECONNRESET,  # STATUS_CONNECTION_DISCONNECTED
    0xC000020D: WSAECONNRESET,  # STATUS_CONNECTION_RESET
    0xC000020F: WSAECONNABORTED,  # STATUS_TRANSACTION_ABORTED
    0xC0000236: WSAECONNREFUSED,  # STATUS_CONNECTION_REFUSED
    0xC0000237: WSAEDISCON,  # STATUS_GRACEFUL_DISCONNECT
    0xC000023B: WSAEISCONN,  # STATUS_CONNECTION_ACTIVE
    0xC000023C: WSAENETUNREACH,  # STATUS_NETWORK_UNREACHABLE
    0xC000023D: WSAEHOSTUNREACH,  # STATUS_HOST_UNREACHABLE
    0xC000023E: WSAENETUNREACH,  # STATUS_PROTOCOL_UNREACHABLE
    0xC000023F: WSAECONNRESET,  # STATUS_PORT_UNREACHABLE
    0xC0000240: WSAEINTR,  # STATUS_REQUEST_ABORTED
    0xC0000241: WSAECONNABORTED,  # STATUS_CONNECTION_ABORTED
    0xC00002C5: WSAEFAULT,  # STATUS_DATATYPE_MISALIGNMENT_ERROR
    0xC0000350: WSAEHOSTDOWN,  # STATUS_HOST_DOWN
    0x80070000 | ERROR_IO_INCOMPLETE: ERROR_IO_INCOMPLETE,
    0xC0010000 | ERROR_IO_INCOMPLETE: ERROR_IO_INCOMPLETE,
    0xC0070000 | ERROR_IO_INCOMPLETE: ERROR_IO_INCOMPLETE,
}
"""The test's own map_status table: the error Windows reports for each status it lists."""

RANGES: Final = (
    (0x0, 0x10000),
    (0x40000000, 0x40001000),
    (0x80000000, 0x80001000),
    (0x80070000, 0x80080000),
    (0xC0000000, 0xC0001000),
    (0xC0070000, 0xC0080000),
    (0xD0000000, 0xD0001000),
    (0xD0070000, 0xD0080000),
)
"""The status ranges the Wine test walks whole; here every 0x3F-th of each, and every status
of MAP_STATUS."""


def map_status(status: int) -> int:
    """Wine's map_status: the table, else RtlNtStatusToDosError for a success status and
    WSAEINVAL for a failure."""
    if status in MAP_STATUS:
        return MAP_STATUS[status]
    return win32_from_ntstatus(status) if nt_success(status) else WSAEINVAL


def statuses() -> list[int]:
    sampled = [s for low, high in RANGES for s in range(low, high, 0x3F)]
    return sorted(set(sampled) | set(MAP_STATUS))


def test_every_status_gives_the_windows_error() -> None:
    # for each status: ret == (NT_SUCCESS(status) && status != STATUS_PENDING), and the last
    # error map_status(status) (for a success, as Windows 10 1809 and later set it).
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        size, flags = DWORD(), DWORD()
        for status in statuses():
            ov = OVERLAPPED(Internal=status, InternalHigh=0)
            yield from api.SetLastError(0xDEADBEEF)
            result = yield from api.WSAGetOverlappedResult(s, ov, size, False, flags)
            log.append((status, result, (yield from last_error(api))))

    expected = [(s, int(nt_success(s) and s != STATUS_PENDING), map_status(s)) for s in statuses()]
    assert calls(program) == expected


def test_a_socket_value_that_names_no_socket_is_wsaenotsock() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        ov, size, flags = OVERLAPPED(), DWORD(), DWORD()
        log.append((yield from api.WSAGetOverlappedResult(0xDEADBEEF, ov, size, False, flags)))
        log.append((yield from last_error(api)))

    assert calls(program) == [0, WSAENOTSOCK]


def test_with_fwait_a_signalled_event_and_a_pending_status_is_true() -> None:
    # Internal STATUS_PENDING, a signalled manual-reset event, fWait: TRUE with
    # ERROR_IO_PENDING (the pending status is a success status), the count from
    # InternalHigh; the wait is not alertable: the APC queued before runs only at SleepEx.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        yield from startup(api)
        s = yield from tcp(api)
        event = yield from api.CreateEventW(None, True, True, None)
        ov = OVERLAPPED(Internal=STATUS_PENDING, InternalHigh=3, hEvent=event)
        yield from api.QueueUserAPC(lambda data: log.append("apc"), -2, 0)
        size, flags = DWORD(value=0xDEAD), DWORD()
        log.append((yield from api.WSAGetOverlappedResult(s, ov, size, True, flags)))
        log.append(((yield from last_error(api)), size.value))
        log.append((yield from api.SleepEx(0, True)))

    assert calls(program) == [1, (ERROR_IO_PENDING, 3), "apc", 0xC0]
