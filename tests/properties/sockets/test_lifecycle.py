"""The guarantees of a registration's life (emu/properties/sockets/lifecycle.py): DISABLE,
ONESHOT, REMOVE and closesocket. For each, a run where its situation arises and it holds, and
a tampered trace where the finding names the registration, the socket and the events."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes.winsock import (
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_EVENT_REMOVE,
    SOCK_NOTIFY_OP_DISABLE,
    SOCK_NOTIFY_OP_REMOVE,
    SOCK_NOTIFY_TRIGGER_EDGE,
    SOCK_NOTIFY_TRIGGER_LEVEL,
    SOCK_NOTIFY_TRIGGER_ONESHOT,
)
from emu.kernel.trace import TraceTuple
from emu.properties.verdict import HELD, NOT_EXERCISED, VIOLATED
from emu.win32 import Api
from tests.properties.sockets.helpers import (
    connected,
    drain,
    edited,
    messages,
    nonblocking,
    notify,
    psn,
    reg,
    status,
    trace_of,
    where,
)

IN, REMOVE = SOCK_NOTIFY_EVENT_IN, SOCK_NOTIFY_EVENT_REMOVE
EDGE = SOCK_NOTIFY_TRIGGER_EDGE
ONESHOT_LEVEL = SOCK_NOTIFY_TRIGGER_LEVEL | SOCK_NOTIFY_TRIGGER_ONESHOT


def note(
    events: list[TraceTuple], like: int, events_mask: int, packet: int, how: str
) -> TraceTuple:
    """A sock.notify of the same registration as ``events[like]``, caused by nothing."""
    event = events[like]
    payload = (event[4][0], events_mask, events_mask, packet, how)
    return (*event[:4], payload, -1)


# -- the runs -------------------------------------------------------------------------------------


def disabled(api: Api) -> Generator[Any, None, None]:
    """Edge registration; data; DISABLE (the queued notification still arrives); more data
    while disabled: nothing."""
    client, server, port = yield from connected(api)
    yield from nonblocking(api, server)
    yield from psn(api, port, [reg(server, trigger=EDGE)], count=0)
    yield from api.send(client, b"a", 1, 0)
    yield from api.Sleep(10)
    _, got = yield from psn(api, port, [reg(server, op=SOCK_NOTIFY_OP_DISABLE)], ms=0)
    assert got == [(7, IN)]
    yield from drain(api, server)
    yield from api.send(client, b"b", 1, 0)
    yield from api.Sleep(10)
    _, got = yield from psn(api, port, None, ms=0)
    assert got == []
    yield from psn(api, port, [reg(server, op=SOCK_NOTIFY_OP_REMOVE)], ms=0)


def closed(api: Api) -> Generator[Any, None, None]:
    """Edge registration; data; closesocket: the queued packet still arrives, no REMOVE."""
    client, server, port = yield from connected(api)
    yield from nonblocking(api, server)
    yield from psn(api, port, [reg(server, trigger=EDGE)], count=0)
    yield from api.send(client, b"a", 1, 0)
    yield from api.Sleep(10)
    yield from api.closesocket(server)
    _, got = yield from psn(api, port, None, ms=0)
    assert got == [(7, IN)]
    _, got = yield from psn(api, port, None, ms=0)
    assert got == []


def removed(api: Api) -> Generator[Any, None, None]:
    """Edge registration; data; REMOVE: the queued packet, then REMOVE; later data: nothing."""
    client, server, port = yield from connected(api)
    yield from nonblocking(api, server)
    yield from psn(api, port, [reg(server, trigger=EDGE)], count=0)
    yield from api.send(client, b"a", 1, 0)
    yield from api.Sleep(10)
    _, got = yield from psn(api, port, [reg(server, op=SOCK_NOTIFY_OP_REMOVE)], ms=0)
    assert got == [(7, IN), (7, REMOVE)]
    yield from drain(api, server)
    yield from api.send(client, b"b", 1, 0)
    yield from api.Sleep(10)
    _, got = yield from psn(api, port, None, ms=0)
    assert got == []


def oneshot(api: Api) -> Generator[Any, None, None]:
    """Level ONESHOT with data waiting: one notification, then nothing until ENABLE."""
    client, server, port = yield from connected(api)
    yield from api.send(client, b"hi", 2, 0)
    yield from api.Sleep(10)
    _, got = yield from psn(api, port, [reg(server, trigger=ONESHOT_LEVEL)], ms=0)
    assert got == [(7, IN)]
    yield from api.send(client, b"more", 4, 0)
    yield from api.Sleep(10)
    _, got = yield from psn(api, port, None, ms=0)
    assert got == []
    _, got = yield from psn(api, port, [reg(server, trigger=ONESHOT_LEVEL)], ms=0)
    assert got == [(7, IN)]


# -- sock.none_while_disabled ---------------------------------------------------------------------


def test_nothing_is_queued_while_disabled() -> None:
    assert status(trace_of(disabled), "sock.none_while_disabled").state == HELD


def test_a_notification_while_disabled_is_a_violation() -> None:
    events = trace_of(disabled)
    off = where(events, "sock.register", lambda e: e[4][1] == SOCK_NOTIFY_OP_DISABLE)[0]
    later = where(events, "sock.state")[-1]  # the second byte arrives while disabled
    queued = notify(events)[0]
    found = status(
        edited(events, insert={later: note(events, queued, IN, 99, "queued")}),
        "sock.none_while_disabled",
    )
    assert found.state == VIOLATED
    assert messages(found) == [
        f"registration #1 of Socket#9 notified IN (queued, packet #99) while "
        f"SOCK_NOTIFY_OP_DISABLE (#{off}) had it disabled: notifications are not queued up "
        "while the registration is disabled"
    ]
    assert found.findings[0].related == (off,)


def test_a_notification_after_closesocket_ended_the_registration_is_a_violation() -> None:
    events = trace_of(closed)
    (gone,) = where(events, "sock.deregister")
    found = status(
        edited(events, insert={gone: note(events, notify(events)[0], IN, 99, "queued")}),
        "sock.none_while_disabled",
    )
    assert messages(found) == [
        f"registration #1 of Socket#9 notified IN (queued, packet #99) after it ended (its "
        f"socket was closed at #{gone}): nothing is queued for a registration that no longer "
        "exists"
    ]


def test_a_registration_never_disabled_does_not_exercise_the_rule() -> None:
    assert status(trace_of(oneshot), "sock.none_while_disabled").state == NOT_EXERCISED


# -- sock.nothing_after_remove --------------------------------------------------------------------


def test_remove_issues_its_notification_and_then_nothing() -> None:
    events = trace_of(removed)
    assert [events[i][4][1] for i in notify(events, "removed")] == [REMOVE]
    assert status(events, "sock.nothing_after_remove").state == HELD


def test_a_notification_after_remove_is_a_violation() -> None:
    events = trace_of(removed)
    (gone,) = notify(events, "removed")
    op = where(events, "sock.register", lambda e: e[4][1] == SOCK_NOTIFY_OP_REMOVE)[0]
    found = status(
        edited(events, insert={gone: note(events, gone, IN, 99, "queued")}),
        "sock.nothing_after_remove",
    )
    assert messages(found) == [
        f"registration #1 of Socket#9 notified IN (packet #99) after SOCK_NOTIFY_OP_REMOVE "
        f"(#{op}): no more notifications are issued for it afterwards"
    ]


def test_a_remove_without_its_notification_is_a_violation() -> None:
    events = trace_of(removed)
    (gone,) = notify(events, "removed")
    op = where(events, "sock.register", lambda e: e[4][1] == SOCK_NOTIFY_OP_REMOVE)[0]
    found = status(edited(events, drop=(gone,)), "sock.nothing_after_remove")
    assert messages(found) == [
        "SOCK_NOTIFY_OP_REMOVE of registration #1 of Socket#9 succeeded, but no "
        "SOCK_NOTIFY_EVENT_REMOVE notification was issued"
    ]
    assert found.findings[0].seq == op


def test_a_run_without_remove_does_not_exercise_the_rule() -> None:
    assert status(trace_of(closed), "sock.nothing_after_remove").state == NOT_EXERCISED


# -- sock.oneshot_disables ------------------------------------------------------------------------


def test_a_oneshot_registration_notifies_once_per_enable() -> None:
    events = trace_of(oneshot)
    assert len(notify(events)) == 2
    assert status(events, "sock.oneshot_disables").state == HELD


def test_a_oneshot_registration_notifying_again_without_enable_is_a_violation() -> None:
    events = trace_of(oneshot)
    first = notify(events)[0]
    more = where(events, "sock.state", lambda e: e[4][3] == 6)[0]  # "more" arrives
    found = status(
        edited(events, insert={more: note(events, first, IN, 1, "coalesced")}),
        "sock.oneshot_disables",
    )
    assert messages(found) == [
        "ONESHOT registration #1 of Socket#9 notified IN (coalesced, packet #1) after its "
        "notification (packet #1) disabled it, with no ENABLE since"
    ]
    assert found.findings[0].related == (first,)


def test_a_persistent_registration_does_not_exercise_the_oneshot_rule() -> None:
    assert status(trace_of(removed), "sock.oneshot_disables").state == NOT_EXERCISED


# -- sock.no_remove_on_close ----------------------------------------------------------------------


def test_closesocket_deregisters_without_a_remove_notification() -> None:
    assert status(trace_of(closed), "sock.no_remove_on_close").state == HELD


def test_a_close_that_leaves_the_registration_alive_is_a_violation() -> None:
    events = trace_of(closed)
    (gone,) = where(events, "sock.deregister")
    (shut,) = where(events, "sock.close", lambda e: e[3][0] == events[gone][3][0])
    found = status(edited(events, drop=(gone,)), "sock.no_remove_on_close")
    assert messages(found) == [
        "Socket#9 was closed, but registration #1 of Socket#9 was not deregistered"
    ]
    assert found.findings[0].seq == shut


def test_a_remove_notification_after_closesocket_is_a_violation() -> None:
    events = trace_of(closed)
    (gone,) = where(events, "sock.deregister")
    found = status(
        edited(events, insert={gone: note(events, notify(events)[0], REMOVE, 99, "removed")}),
        "sock.no_remove_on_close",
    )
    assert messages(found) == [
        f"a REMOVE notification for registration #1 of Socket#9, which closesocket ended at "
        f"#{gone}: automatic deregistration generates none"
    ]


def test_a_registration_removed_before_the_close_does_not_exercise_the_rule() -> None:
    assert status(trace_of(removed), "sock.no_remove_on_close").state == NOT_EXERCISED
