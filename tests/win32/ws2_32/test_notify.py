"""SOCK_NOTIFY_REGISTRATION's registrations: each documented rule (emu.devices.sockets.notify) with
a test that fails if it breaks: level, edge, ONESHOT, coalescing, DISABLE, REMOVE, closesocket,
ERR, re-registration."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes.winsock import (
    SOCK_NOTIFY_EVENT_ERR,
    SOCK_NOTIFY_EVENT_HANGUP,
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_EVENT_REMOVE,
    SOCK_NOTIFY_OP_DISABLE,
    SOCK_NOTIFY_OP_NONE,
    SOCK_NOTIFY_OP_REMOVE,
    SOCK_NOTIFY_REGISTER_EVENT_OUT,
    SOCK_NOTIFY_TRIGGER_PERSISTENT,
    WSAEINVAL,
)
from emu.win32 import Api
from tests.support import run
from tests.win32.ws2_32.helpers import startup, tcp
from tests.win32.ws2_32.notify_helpers import (
    EDGE,
    LEVEL,
    ONESHOT,
    WAIT_TIMEOUT,
    pair_with_port,
    port_of,
    psn,
    reg,
    scenario,
)


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

    result = scenario(body)
    registers = [e.payload for e in result.k.trace.view() if e.kind == "sock.register"]
    assert [(r["op"], r["enabled"]) for r in registers] == [(1, True), (4, False)]  # afterwards


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


def test_an_enable_through_another_port_moves_the_registration_there() -> None:
    # "A socket handle can be registered to only one IOCP at a time. Re-registering a
    # previously-registered socket handle overwrites the existing registration": the new port
    # and key take effect; the old registration ends without a REMOVE notification.
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, first = yield from pair_with_port(api)
        second = yield from port_of(api)
        yield from psn(api, first, [reg(server, key=1, trigger=EDGE)], count=0)
        moved = reg(server, key=2, trigger=EDGE)
        yield from psn(api, second, [moved], count=0)
        assert moved.registrationResult == 0
        yield from api.send(client, b"a", 1, 0)
        result, got = yield from psn(api, second, None, ms=100)
        assert (result, got) == (0, [(2, SOCK_NOTIFY_EVENT_IN)])
        result, got = yield from psn(api, first, None, ms=0)
        assert (result, got) == (WAIT_TIMEOUT, [])
        gone = reg(server, op=SOCK_NOTIFY_OP_REMOVE)
        yield from psn(api, first, [gone], count=0)  # acts on the registration, on its port
        result, got = yield from psn(api, second, None, ms=0)
        assert got == [(2, SOCK_NOTIFY_EVENT_REMOVE)]

    result = scenario(body)
    reasons = [e.payload["reason"] for e in result.k.trace.view() if e.kind == "sock.deregister"]
    assert reasons == ["re-registered with another port"]


def test_the_filter_none_issues_no_notification_not_even_err() -> None:
    # "SOCK_NOTIFY_REGISTER_EVENT_NONE. Notifications should not be issued." (the more specific
    # sentence than ERR "regardless of registered event filter"; assumption).
    def body(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from pair_with_port(api)
        yield from psn(api, port, [reg(server, event_filter=0, trigger=LEVEL)], count=0)
        yield from api.send(server, b"x", 1, 0)
        yield from api.Sleep(10)
        yield from api.closesocket(client)  # unread data: a reset, ERR holds on the server
        yield from api.Sleep(10)
        result, got = yield from psn(api, port, None, ms=0)
        assert (result, got) == (WAIT_TIMEOUT, [])

    scenario(body)
