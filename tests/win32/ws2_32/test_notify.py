"""ProcessSocketNotifications and SOCK_NOTIFY_REGISTRATION: each documented rule (module docs of
emu.win32.ws2_32.notify and emu.devices.sockets.notify) with a test that fails if it breaks."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes.winsock import (
    SOCK_NOTIFY_EVENT_ERR,
    SOCK_NOTIFY_EVENT_HANGUP,
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_EVENT_OUT,
    SOCK_NOTIFY_EVENT_REMOVE,
    SOCK_NOTIFY_OP_DISABLE,
    SOCK_NOTIFY_OP_ENABLE,
    SOCK_NOTIFY_OP_NONE,
    SOCK_NOTIFY_OP_REMOVE,
    SOCK_NOTIFY_REGISTER_EVENT_IN,
    SOCK_NOTIFY_REGISTER_EVENT_OUT,
    SOCK_NOTIFY_TRIGGER_EDGE,
    SOCK_NOTIFY_TRIGGER_LEVEL,
    SOCK_NOTIFY_TRIGGER_ONESHOT,
    SOCK_NOTIFY_TRIGGER_PERSISTENT,
    WSA_INVALID_HANDLE,
    WSAEFAULT,
    WSAEINVAL,
    WSAENOTSOCK,
    WSANOTINITIALISED,
)
from emu.win32 import OVERLAPPED_ENTRY, Api
from emu.win32.types import DWORD, PVOID, ULONG_PTR
from emu.win32.ws2_32 import SOCK_NOTIFY_REGISTRATION
from tests.support import run
from tests.win32.ws2_32.helpers import startup, tcp, tcp_pair

INVALID_HANDLE_VALUE = -1
WAIT_TIMEOUT = 258
ERROR_TIMEOUT = 1460
LEVEL = SOCK_NOTIFY_TRIGGER_LEVEL
EDGE = SOCK_NOTIFY_TRIGGER_EDGE
ONESHOT = SOCK_NOTIFY_TRIGGER_ONESHOT
IN = SOCK_NOTIFY_REGISTER_EVENT_IN


def reg(
    sock: int,
    key: Any = 7,
    event_filter: int = IN,
    op: int = SOCK_NOTIFY_OP_ENABLE,
    trigger: int = LEVEL,
) -> SOCK_NOTIFY_REGISTRATION:
    return SOCK_NOTIFY_REGISTRATION(
        socket=sock,
        completionKey=key,
        eventFilter=event_filter,
        operation=op,
        triggerFlags=trigger,
        registrationResult=0xDEAD,
    )


def port_of(api: Api) -> Generator[Any, None, int]:
    port: int = yield from api.CreateIoCompletionPort(INVALID_HANDLE_VALUE, 0, 0, 1)
    return port


def psn(
    api: Api, port: int, regs: list[SOCK_NOTIFY_REGISTRATION] | None, count: int = 4, ms: int = 0
) -> Generator[Any, None, tuple[int, list[tuple[Any, int]]]]:
    """Call ProcessSocketNotifications: (result, [(key, events) of each entry removed])."""
    entries = [OVERLAPPED_ENTRY() for _ in range(count)] if count else None
    received = DWORD(value=0xBAD) if count else None
    result: int = yield from api.ProcessSocketNotifications(
        port, len(regs or ()), regs, ms, count, entries, received
    )
    got: list[tuple[Any, int]] = []
    if entries is not None and received is not None:
        for entry in entries[: received.value]:
            got.append((entry.lpCompletionKey, entry.dwNumberOfBytesTransferred))
    return result, got


def scenario(body: Any, **kw: Any) -> Any:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from startup(api)
        yield from body(api)

    return run(main, **kw)


# -- the parameters -----------------------------------------------------------------------------


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


def test_entries_that_overlap_the_registrations_fail_the_call() -> None:
    # F2.13: "completionPortEntries ... must not overlap with registrationInfos".
    def body(api: Api) -> Generator[Any, None, None]:
        port = yield from port_of(api)
        s = yield from tcp(api)
        both: list[Any] = [reg(s)]
        result = yield from api.ProcessSocketNotifications(port, 1, both, 0, 1, both, DWORD())
        assert result in (WSAEINVAL, WSAEFAULT)
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


# -- level, edge, oneshot, coalescing -------------------------------------------------------------


def pair_with_port(api: Api) -> Generator[Any, None, tuple[int, int, int]]:
    client, server = yield from tcp_pair(api)
    port = yield from port_of(api)
    return client, server, port


def test_level_triggered_notifies_at_once_when_the_condition_already_holds() -> None:
    # "level-triggered notifications are supplied whenever the desired conditions hold".
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        yield from api.send(client, b"hi", 2, 0)
        yield from api.Sleep(10)
        result, got = yield from psn(api, port, [reg(server)], ms=0)
        assert (result, got) == (0, [(7, SOCK_NOTIFY_EVENT_IN)])

    scenario(body)


def test_edge_triggered_does_not_notify_data_that_was_already_there() -> None:
    # "The condition must change while the registration is enabled for a notification to be
    # queued. As such, after registering, the socket's receive buffer must be completely drained"
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        yield from api.send(client, b"hi", 2, 0)
        yield from api.Sleep(10)
        result, got = yield from psn(api, port, [reg(server, trigger=EDGE)], ms=0)
        assert (result, got) == (WAIT_TIMEOUT, [])
        yield from api.send(client, b"more", 4, 0)  # data already waits: no new edge
        yield from api.Sleep(10)
        result, got = yield from psn(api, port, None, ms=0)
        assert (result, got) == (WAIT_TIMEOUT, [])

    scenario(body)


def test_edge_triggered_notifies_a_change_from_not_holding_to_holding() -> None:
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        result, _ = yield from psn(api, port, [reg(server, trigger=EDGE)], count=0)
        assert result == 0
        yield from api.send(client, b"hi", 2, 0)
        result, got = yield from psn(api, port, None, ms=100)
        assert (result, got) == (0, [(7, SOCK_NOTIFY_EVENT_IN)])

    scenario(body)


def test_notifications_are_coalesced_into_one_packet() -> None:
    # "As notifications are queued up for a given socket, they are coalesced into a single
    # notification. Therefore, multiple events may be described by a single event mask."
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        r = reg(server, event_filter=0x07, trigger=EDGE)
        yield from psn(api, port, [r], count=0)
        yield from api.send(client, b"hi", 2, 0)
        yield from api.Sleep(10)
        yield from api.shutdown(client, 1)  # SD_SEND: the FIN brings HANGUP
        yield from api.Sleep(10)
        result, got = yield from psn(api, port, None, ms=0)
        assert result == 0
        assert got == [(7, SOCK_NOTIFY_EVENT_IN | SOCK_NOTIFY_EVENT_HANGUP)]

    result = scenario(body)
    hows = [e.payload["how"] for e in result.k.trace.view() if e.kind == "sock.notify"]
    assert hows == ["queued", "coalesced"]


def test_oneshot_disables_the_registration_until_it_is_enabled_again() -> None:
    # "The registration will be disabled (not removed) upon delivery of the next notification."
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        r = reg(server, trigger=LEVEL | ONESHOT)
        yield from api.send(client, b"hi", 2, 0)
        yield from api.Sleep(10)
        result, got = yield from psn(api, port, [r], ms=0)
        assert (result, got) == (0, [(7, SOCK_NOTIFY_EVENT_IN)])
        result, got = yield from psn(api, port, None, ms=0)  # still readable, but disabled
        assert (result, got) == (WAIT_TIMEOUT, [])
        again = reg(server, trigger=LEVEL | ONESHOT)
        result, got = yield from psn(api, port, [again], ms=0)
        assert again.registrationResult == 0
        assert (result, got) == (0, [(7, SOCK_NOTIFY_EVENT_IN)])

    scenario(body)


def test_a_persistent_level_registration_notifies_again_while_the_condition_holds() -> None:
    # Level-triggered "whenever the desired conditions hold": once its packet is taken, it is
    # queued again as long as data waits (then it stops, when the data is read).
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        yield from api.send(client, b"hi", 2, 0)
        yield from api.Sleep(10)
        result, got = yield from psn(api, port, [reg(server)], count=1, ms=0)
        assert got == [(7, SOCK_NOTIFY_EVENT_IN)]
        result, got = yield from psn(api, port, None, count=1, ms=0)
        assert got == [(7, SOCK_NOTIFY_EVENT_IN)]
        buffer = bytearray(8)
        assert (yield from api.recv(server, buffer, 8, 0)) == 2
        result, got = yield from psn(api, port, None, count=1, ms=0)
        assert got == [(7, SOCK_NOTIFY_EVENT_IN)]  # the packet queued before the read
        result, got = yield from psn(api, port, None, count=1, ms=0)
        assert (result, got) == (WAIT_TIMEOUT, [])

    scenario(body)


def test_disable_suppresses_new_notifications_but_a_queued_one_still_arrives() -> None:
    # "it merely suppresses queuing of new notifications. Notifications that have already been
    # queued might still be delivered".
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        yield from psn(api, port, [reg(server, trigger=EDGE)], count=0)
        yield from api.send(client, b"a", 1, 0)
        yield from api.Sleep(10)
        off = reg(server, op=SOCK_NOTIFY_OP_DISABLE)
        result, got = yield from psn(api, port, [off], ms=0)
        assert off.registrationResult == 0
        assert got == [(7, SOCK_NOTIFY_EVENT_IN)]
        buffer = bytearray(8)
        yield from api.recv(server, buffer, 8, 0)
        yield from api.send(client, b"b", 1, 0)  # a new edge while disabled: nothing queued
        yield from api.Sleep(10)
        result, got = yield from psn(api, port, None, ms=0)
        assert (result, got) == (WAIT_TIMEOUT, [])

    scenario(body)


def test_remove_issues_the_remove_notification_after_what_is_queued_and_then_nothing() -> None:
    # "The SOCK_NOTIFY_EVENT_REMOVE notification is issued, with the guarantee that no more
    # notifications will be issued afterwards for that completion key" (F2.22).
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        yield from psn(api, port, [reg(server, trigger=EDGE)], count=0)
        yield from api.send(client, b"a", 1, 0)
        yield from api.Sleep(10)
        gone = reg(server, op=SOCK_NOTIFY_OP_REMOVE)
        result, got = yield from psn(api, port, [gone], ms=0)
        assert gone.registrationResult == 0
        assert got == [(7, SOCK_NOTIFY_EVENT_IN), (7, SOCK_NOTIFY_EVENT_REMOVE)]
        buffer = bytearray(8)
        yield from api.recv(server, buffer, 8, 0)
        yield from api.send(client, b"b", 1, 0)
        yield from api.Sleep(10)
        result, got = yield from psn(api, port, None, ms=0)
        assert (result, got) == (WAIT_TIMEOUT, [])

    scenario(body)


def test_closesocket_deregisters_without_a_remove_notification() -> None:
    # F2.23: closesocket deregisters, no SOCK_NOTIFY_EVENT_REMOVE; a queued packet may still
    # arrive.
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        yield from psn(api, port, [reg(server, trigger=EDGE)], count=0)
        yield from api.send(client, b"a", 1, 0)
        yield from api.Sleep(10)
        yield from api.closesocket(server)
        result, got = yield from psn(api, port, None, ms=0)
        assert got == [(7, SOCK_NOTIFY_EVENT_IN)]  # queued before the close
        result, got = yield from psn(api, port, None, ms=0)
        assert (result, got) == (WAIT_TIMEOUT, [])

    result = scenario(body)
    kinds = [e.kind for e in result.k.trace.view() if e.kind.startswith("sock.de")]
    assert kinds == ["sock.deregister"]


def test_err_is_notified_whatever_the_filter() -> None:
    # SocketNotificationRetrieveEvents: "SOCK_NOTIFY_EVENT_ERR and SOCK_NOTIFY_EVENT_REMOVE
    # events might be indicated regardless of registered event filter."
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        r = reg(server, event_filter=SOCK_NOTIFY_REGISTER_EVENT_OUT, trigger=EDGE)
        yield from psn(api, port, [r], count=0)
        # an abortive close of the peer (SO_LINGER 0 is not modelled: a close with unread
        # data resets the connection)
        yield from api.send(server, b"x", 1, 0)
        yield from api.Sleep(10)
        yield from api.closesocket(client)  # unread data: a reset
        result, got = yield from psn(api, port, None, ms=100)
        assert result == 0
        ((key, events),) = got
        assert key == 7 and events & SOCK_NOTIFY_EVENT_ERR
        assert not events & SOCK_NOTIFY_EVENT_HANGUP  # HANGUP was not asked for

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


def test_strict_triggers_profile_refuses_a_registration_without_oneshot_or_persistent() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        api.k.profile = "sock-strict-triggers"
        yield from startup(api)
        port = yield from port_of(api)
        s = yield from tcp(api)
        loose, strict = reg(s), reg(s, trigger=LEVEL | SOCK_NOTIFY_TRIGGER_PERSISTENT)
        yield from psn(api, port, [loose, strict], count=0)
        assert (loose.registrationResult, strict.registrationResult) == (WSAEINVAL, 0)

    run(main)


def test_a_re_registration_keeps_the_key_of_its_creation() -> None:
    # completionKey: "This parameter is used upon registration creation. To change the
    # completion key, remove the registration and re-register it."
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        yield from psn(api, port, [reg(server, key=1, trigger=EDGE)], count=0)
        yield from psn(api, port, [reg(server, key=2, trigger=EDGE)], count=0)
        yield from api.send(client, b"a", 1, 0)
        _, got = yield from psn(api, port, None, ms=100)
        assert got == [(1, SOCK_NOTIFY_EVENT_IN)]

    scenario(body)


def test_op_none_changes_nothing_and_succeeds() -> None:
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        nothing = reg(server, op=SOCK_NOTIFY_OP_NONE)
        yield from api.send(client, b"a", 1, 0)
        yield from api.Sleep(10)
        result, got = yield from psn(api, port, [nothing], ms=0)
        assert nothing.registrationResult == 0 and (result, got) == (WAIT_TIMEOUT, [])

    scenario(body)


def test_socket_notification_retrieve_events_reads_the_bytes_transferred() -> None:
    def body(api: Api) -> Generator[Any, None, None]:
        entry = OVERLAPPED_ENTRY(dwNumberOfBytesTransferred=SOCK_NOTIFY_EVENT_OUT | 0x40)
        assert (yield from api.SocketNotificationRetrieveEvents(entry)) == 0x42

    scenario(body)
