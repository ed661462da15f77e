"""ProcessSocketNotifications, the call: its parameter rules, each registration's own result,
the dequeue (ordinary packets, the timeout and its profile, not alertable) and
SocketNotificationRetrieveEvents (emu.win32.ws2_32.notify)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes.winsock import (
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_EVENT_OUT,
    SOCK_NOTIFY_OP_DISABLE,
    SOCK_NOTIFY_OP_ENABLE,
    SOCK_NOTIFY_TRIGGER_PERSISTENT,
    WSA_INVALID_HANDLE,
    WSAEFAULT,
    WSAEINVAL,
    WSAENOTSOCK,
    WSANOTINITIALISED,
)
from emu.win32 import OVERLAPPED_ENTRY, Api
from emu.win32.types import DWORD, PVOID, ULONG_PTR
from tests.support import run
from tests.win32.ws2_32.helpers import startup, tcp
from tests.win32.ws2_32.notify_helpers import (
    EDGE,
    ERROR_TIMEOUT,
    LEVEL,
    ONESHOT,
    WAIT_TIMEOUT,
    pair_with_port,
    port_of,
    psn,
    reg,
    scenario,
)


def test_before_wsastartup_the_call_fails_with_wsanotinitialised() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        port = yield from port_of(api)
        result = yield from api.ProcessSocketNotifications(port, 0, None, 0, 0, None, None)
        assert result == WSANOTINITIALISED

    run(main)


@pytest.mark.parametrize(
    ("count", "infos", "timeout", "entries", "received", "code"),
    [
        (1, None, 0, None, None, WSAEINVAL),  # registrationInfos NULL with a count
        (0, "regs", 0, None, None, WSAEINVAL),  # registrationInfos given with count 0
        (0, None, 5, None, None, WSAEINVAL),  # timeoutMs must be 0 when completionCount is 0
        (0, None, 0, "entries", None, WSAEINVAL),  # completionPortEntries must be NULL
        (0, None, 0, None, "received", WSAEINVAL),  # receivedEntryCount must be NULL
        (2, "regs1", 0, None, None, WSAEFAULT),  # fewer registrations than the count
        (0, None, 0, None, None, 0),  # only registrations (none): success
    ],
)
def test_a_parameter_rule_broken_fails_the_whole_call_with_nothing_changed(
    count: int, infos: Any, timeout: int, entries: Any, received: Any, code: int
) -> None:
    # F2.10, F2.11: "the entire operation failed, and no changes occurred" (F2.8).
    def body(api: Api) -> Generator[Any, None, None]:
        port = yield from port_of(api)
        s = yield from tcp(api)
        regs = [reg(s)] if infos == "regs1" else [reg(s), reg(s)] if infos == "regs" else None
        result = yield from api.ProcessSocketNotifications(
            port,
            count,
            regs,
            timeout,
            0,
            [OVERLAPPED_ENTRY()] if entries else None,
            DWORD() if received else None,
        )
        assert result == code
        if regs:
            assert all(r.registrationResult == 0xDEAD for r in regs)  # nothing processed

    scenario(body)


def test_one_array_given_for_both_fails_the_call() -> None:
    # F2.13: "completionPortEntries ... must not overlap with registrationInfos": in emu each
    # array holds its own structure type, so one list given for both fails the type check.
    def body(api: Api) -> Generator[Any, None, None]:
        port = yield from port_of(api)
        s = yield from tcp(api)
        both: list[Any] = [reg(s)]
        result = yield from api.ProcessSocketNotifications(port, 1, both, 0, 1, both, DWORD())
        assert result == WSAEFAULT
        assert both[0].registrationResult == 0xDEAD

    scenario(body)


def test_a_handle_that_is_not_a_port_fails_the_whole_call() -> None:
    def body(api: Api) -> Generator[Any, None, None]:
        s = yield from tcp(api)
        r = reg(s)
        result, _ = yield from psn(api, s, [r], count=0)
        assert result == WSA_INVALID_HANDLE
        assert r.registrationResult == 0xDEAD

    scenario(body)


def test_each_registration_has_its_own_result_and_a_bad_one_fails_alone() -> None:
    # F2.9: "you must inspect the elements for whether registration was processed successfully".
    def body(api: Api) -> Generator[Any, None, None]:
        port = yield from port_of(api)
        s = yield from tcp(api)
        regs = [
            reg(12345),  # not a socket
            reg(s, trigger=LEVEL | EDGE),  # "Not compatible with edge-triggered"
            reg(s, trigger=ONESHOT),  # neither level nor edge
            reg(s, op=SOCK_NOTIFY_OP_ENABLE | SOCK_NOTIFY_OP_DISABLE),  # at most one operation
            reg(s, trigger=LEVEL | ONESHOT | SOCK_NOTIFY_TRIGGER_PERSISTENT),
            reg(s, op=SOCK_NOTIFY_OP_DISABLE),  # nothing registered yet
            reg(s),  # this one works
        ]
        result, _ = yield from psn(api, port, regs, count=0)
        assert result == 0
        codes = [r.registrationResult for r in regs]
        assert codes == [WSAENOTSOCK, WSAEINVAL, WSAEINVAL, WSAEINVAL, WSAEINVAL, WSAEINVAL, 0]

    scenario(body)


def test_notifications_are_ordinary_packets_gqcs_can_take() -> None:
    # F2.16: "you can retrieve them explicitly by calling the usual I/O completion port
    # functions, such as GetQueuedCompletionStatus"; lpOverlapped is NULL.
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        yield from psn(api, port, [reg(server, key=99, trigger=EDGE)], count=0)
        yield from api.send(client, b"a", 1, 0)
        count, key, ov = DWORD(), ULONG_PTR(), PVOID()
        ok = yield from api.GetQueuedCompletionStatus(port, count, key, ov, 1000)
        assert ok and count.value == SOCK_NOTIFY_EVENT_IN and key.value == 99
        assert ov.value is None

    scenario(body)


def test_posted_packets_come_back_through_process_socket_notifications() -> None:
    def body(api: Api) -> Generator[Any, None, None]:
        port = yield from port_of(api)
        yield from api.PostQueuedCompletionStatus(port, 5, 42, None)
        result, got = yield from psn(api, port, None, ms=0)
        assert (result, got) == (0, [(42, 5)])

    scenario(body)


@pytest.mark.parametrize(
    ("profile", "code"), [(None, WAIT_TIMEOUT), ("sock-timeout-error", ERROR_TIMEOUT)]
)
def test_a_timeout_returns_wait_timeout_or_error_timeout_under_its_profile(
    profile: str | None, code: int
) -> None:
    # F2.8: the Return value section says WAIT_TIMEOUT, the timeoutMs text ERROR_TIMEOUT.
    def body(api: Api) -> Generator[Any, None, None]:
        port = yield from port_of(api)
        s = yield from tcp(api)
        r = reg(s)
        result, got = yield from psn(api, port, [r], ms=5)
        assert (result, got) == (code, [])
        assert r.registrationResult == 0  # registrations are processed even on a timeout

    def main(api: Api) -> Generator[Any, None, None]:
        if profile is not None:
            api.k.profile = profile
        yield from startup(api)
        yield from body(api)

    sim = run(main)
    assert sim.k.now >= 5 * 10_000


def test_the_wait_is_not_alertable() -> None:
    # The function has no fAlertable: an APC queued to the thread does not end its wait.
    def body(api: Api) -> Generator[Any, None, None]:
        port = yield from port_of(api)
        ran: list[int] = []
        yield from api.QueueUserAPC(ran.append, -2, 1)
        result, _ = yield from psn(api, port, None, ms=5)
        assert result == WAIT_TIMEOUT and ran == []
        yield from api.SleepEx(0, True)
        assert ran == [1]

    scenario(body)


def test_socket_notification_retrieve_events_reads_the_bytes_transferred() -> None:
    def body(api: Api) -> Generator[Any, None, None]:
        entry = OVERLAPPED_ENTRY(dwNumberOfBytesTransferred=SOCK_NOTIFY_EVENT_OUT | 0x40)
        assert (yield from api.SocketNotificationRetrieveEvents(entry)) == 0x42

    scenario(body)


def test_minus_one_is_infinite_and_counts_are_unsigned() -> None:
    # timeoutMs is a UINT32: -1 is 0xFFFFFFFF, INFINITE (F2.12), as GetQueuedCompletionStatusEx
    # reads its DWORD.
    def body(api: Api) -> Generator[Any, None, None]:
        port = yield from port_of(api)
        yield from api.PostQueuedCompletionStatus(port, 1, 3, None)
        entries = [OVERLAPPED_ENTRY()]
        received = DWORD()
        result = yield from api.ProcessSocketNotifications(port, 0, None, -1, 1, entries, received)
        assert (result, received.value, entries[0].lpCompletionKey) == (0, 1, 3)
        result = yield from api.ProcessSocketNotifications(port, -1, None, 0, 0, None, None)
        assert result == WSAEINVAL  # 0xFFFFFFFF registrations and a NULL array

    scenario(body)
