"""The delivery guarantees of the socket state notifications (emu/properties/sockets/
delivery.py): for each, a run where its situation arises and it holds, and a tampered trace
(a correct emu never breaks a guarantee) where the finding names the registration, the socket
and the events. Tampering keeps every event a tuple of the documented schema and renumbers
the trace, so ``seq`` stays the position."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes.winsock import (
    SOCK_NOTIFY_EVENT_ERR,
    SOCK_NOTIFY_EVENT_HANGUP,
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_EVENT_OUT,
    SOCK_NOTIFY_OP_REMOVE,
    SOCK_NOTIFY_REGISTER_EVENT_OUT,
    SOCK_NOTIFY_REGISTER_EVENTS_ALL,
    SOCK_NOTIFY_TRIGGER_EDGE,
    SOCK_NOTIFY_TRIGGER_LEVEL,
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
    replaced,
    status,
    trace_of,
    where,
)

IN, OUT, HANGUP, ERR = (
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_EVENT_OUT,
    SOCK_NOTIFY_EVENT_HANGUP,
    SOCK_NOTIFY_EVENT_ERR,
)
EDGE, LEVEL = SOCK_NOTIFY_TRIGGER_EDGE, SOCK_NOTIFY_TRIGGER_LEVEL


def with_how(event: TraceTuple, events: int, mask: int, packet: int, how: str) -> TraceTuple:
    number = event[4][0]
    return (*event[:4], (number, events, mask, packet, how), event[5])


# -- the runs -------------------------------------------------------------------------------------


def coalescing(api: Api) -> Generator[Any, None, None]:
    """An edge registration for IN|OUT|HANGUP: data, then the peer's FIN, before anyone
    dequeues: one packet, IN then HANGUP OR-ed into it."""
    client, server, port = yield from connected(api)
    yield from nonblocking(api, server)
    r = reg(server, event_filter=SOCK_NOTIFY_REGISTER_EVENTS_ALL, trigger=EDGE)
    yield from psn(api, port, [r], count=0)
    yield from api.send(client, b"hi", 2, 0)
    yield from api.Sleep(10)
    yield from api.shutdown(client, 1)
    yield from api.Sleep(10)
    _, got = yield from psn(api, port, None, ms=0)
    assert got == [(7, IN | HANGUP)]
    yield from drain(api, server)


def level_again(api: Api) -> Generator[Any, None, None]:
    """A persistent level registration with data waiting: notified at ENABLE, and again each
    time its packet is taken while the data waits; once it is read, no more."""
    client, server, port = yield from connected(api)
    yield from api.send(client, b"hi", 2, 0)
    yield from api.Sleep(10)
    _, got = yield from psn(api, port, [reg(server)], count=1, ms=0)
    assert got == [(7, IN)]
    _, got = yield from psn(api, port, None, count=1, ms=0)
    assert got == [(7, IN)]
    yield from api.recv(server, bytearray(8), 8, 0)
    yield from psn(api, port, None, count=1, ms=0)


def edge_change(api: Api) -> Generator[Any, None, None]:
    """An edge registration on an empty socket: data arrives, one notification."""
    client, server, port = yield from connected(api)
    yield from nonblocking(api, server)
    yield from psn(api, port, [reg(server, trigger=EDGE)], count=0)
    yield from api.send(client, b"hi", 2, 0)
    _, got = yield from psn(api, port, None, ms=100)
    assert got == [(7, IN)]
    yield from drain(api, server)


def reset_under_out_filter(api: Api) -> Generator[Any, None, None]:
    """An edge registration asking for OUT only; the peer resets the connection (a close with
    unread data): ERR is notified anyway."""
    client, server, port = yield from connected(api)
    yield from nonblocking(api, server)
    r = reg(server, event_filter=SOCK_NOTIFY_REGISTER_EVENT_OUT, trigger=EDGE)
    yield from psn(api, port, [r], count=0)
    yield from api.send(server, b"x", 1, 0)
    yield from api.Sleep(10)
    yield from api.closesocket(client)
    _, got = yield from psn(api, port, None, ms=100)
    assert got == [(7, ERR)]


def removed(api: Api) -> Generator[Any, None, None]:
    client, server, port = yield from connected(api)
    yield from api.send(client, b"hi", 2, 0)
    yield from api.Sleep(10)
    yield from psn(api, port, [reg(server)], count=0)
    _, got = yield from psn(api, port, [reg(server, op=SOCK_NOTIFY_OP_REMOVE)], ms=0)
    assert [events for _key, events in got] == [IN, 0x80]


# -- sock.coalesced -------------------------------------------------------------------------------


def test_events_notified_while_a_packet_waits_are_or_ed_into_it() -> None:
    events = trace_of(coalescing)
    assert [events[i][4][4] for i in where(events, "sock.notify")] == ["queued", "coalesced"]
    assert status(events, "sock.coalesced").state == HELD


def test_a_second_packet_queued_for_one_registration_is_a_violation() -> None:
    events = trace_of(coalescing)
    (second,) = notify(events, "coalesced")
    tampered = replaced(events, second, with_how(events[second], HANGUP, HANGUP, 99, "queued"))
    found = status(tampered, "sock.coalesced")
    assert found.state == VIOLATED
    (first,) = notify(events, "queued")
    assert messages(found) == [
        "registration #1 of Socket#9 queued packet #99 (HANGUP) while its packet #1 was still "
        "queued: two notifications, not one coalesced"
    ]
    assert found.findings[0].seq == second and found.findings[0].related == (first,)


def test_a_packet_delivering_less_than_its_events_is_a_violation() -> None:
    events = trace_of(coalescing)
    (taken,) = where(events, "iocp.dequeue")
    event = events[taken]
    lost = (*event[:4], (*event[4][:4], IN, *event[4][5:]), event[5])
    found = status(replaced(events, taken, lost), "sock.coalesced")
    assert messages(found) == [
        "packet #1 of registration #1 of Socket#9 delivered IN, but the events notified into "
        "it add up to IN|HANGUP"
    ]


def test_events_coalesced_into_a_packet_already_taken_are_a_violation() -> None:
    # The packet was taken: OR-ing into it reaches no thread.
    events = trace_of(level_again)
    (_first, second, *_rest) = notify(events, "queued")
    tampered = replaced(events, second, with_how(events[second], IN, IN, 1, "coalesced"))
    found = status(tampered, "sock.coalesced")
    assert messages(found) == [
        "registration #1 of Socket#9 coalesced IN into packet #1, but it has no packet "
        "queued: the events reach no thread"
    ]


def test_one_notification_per_packet_does_not_exercise_coalescing() -> None:
    assert status(trace_of(edge_change), "sock.coalesced").state == NOT_EXERCISED


# -- sock.level_holds -----------------------------------------------------------------------------


def test_a_persistent_level_registration_is_notified_while_its_condition_holds() -> None:
    events = trace_of(level_again)
    assert len(notify(events)) == 3  # at ENABLE, when each of its first two packets is taken
    assert status(events, "sock.level_holds").state == HELD


def test_no_packet_queued_while_a_level_condition_holds_is_a_violation() -> None:
    # The notification queued when its first packet was taken is removed from the trace.
    events = trace_of(level_again)
    (_first, again, *_rest) = notify(events)
    taken = where(events, "iocp.dequeue")[0]
    found = status(edited(events, drop=(again,)), "sock.level_holds")
    assert found.state == VIOLATED
    finding = found.findings[0]
    assert finding.message == (
        "registration #1 of Socket#9 is level-triggered and enabled and IN holds, yet no "
        "notification is queued: level-triggered notifications are supplied whenever the "
        "desired conditions hold"
    )
    assert finding.seq == taken  # the packet taken: the registration was evaluated there


def test_a_level_notification_of_a_condition_that_does_not_hold_is_a_violation() -> None:
    events = trace_of(level_again)
    first = notify(events)[0]
    event = events[first]
    found = status(
        replaced(events, first, with_how(event, IN | HANGUP, IN | HANGUP, 1, "queued")),
        "sock.level_holds",
    )
    assert messages(found)[0] == (
        "registration #1 of Socket#9 (level-triggered) notified IN|HANGUP, but HANGUP does not "
        "hold (readiness IN|OUT)"
    )


def test_an_edge_registration_does_not_exercise_the_level_rule() -> None:
    assert status(trace_of(edge_change), "sock.level_holds").state == NOT_EXERCISED


# -- sock.edge_on_change --------------------------------------------------------------------------


def test_an_edge_notification_follows_the_change_it_names() -> None:
    assert status(trace_of(edge_change), "sock.edge_on_change").state == HELD


def test_an_edge_notification_without_a_change_is_a_violation() -> None:
    # Data already waits when the edge registration is enabled: a notification there names a
    # condition that did not change.
    events = trace_of(edge_change)
    (queued,) = notify(events)
    (registered,) = where(events, "sock.register")
    note = (*events[queued][:5], -1)
    found = status(edited(events, insert={registered: note}), "sock.edge_on_change")
    assert found.state == VIOLATED
    assert messages(found)[0] == (
        "registration #1 of Socket#9 (edge-triggered) notified IN with no readiness change "
        "causing it: a condition that already held gives no edge"
    )
    assert found.findings[0].seq == registered + 1


def test_an_edge_notification_naming_what_did_not_rise_is_a_violation() -> None:
    events = trace_of(edge_change)
    (queued,) = notify(events)
    tampered = replaced(events, queued, with_how(events[queued], IN | OUT, IN | OUT, 1, "queued"))
    found = status(tampered, "sock.edge_on_change")
    assert messages(found) == [
        f"registration #1 of Socket#9 (edge-triggered) notified IN|OUT, but only IN changed "
        f"from not holding to holding at #{events[queued][5]}"
    ]


def test_a_rising_edge_not_notified_is_a_violation() -> None:
    events = trace_of(edge_change)
    (queued,) = notify(events)
    rose = events[queued][5]
    found = status(edited(events, drop=(queued,)), "sock.edge_on_change")
    assert messages(found) == [
        "IN changed from not holding to holding on Socket#9 while edge-triggered registration "
        "#1 was enabled, and it was not notified"
    ]
    assert found.findings[0].seq == rose


# -- sock.err_regardless --------------------------------------------------------------------------


def test_err_is_notified_to_a_registration_that_asked_for_out_only() -> None:
    events = trace_of(reset_under_out_filter)
    assert status(events, "sock.err_regardless").state == HELD


def test_err_not_notified_is_a_violation() -> None:
    events = trace_of(reset_under_out_filter)
    (queued,) = notify(events)
    rose = events[queued][5]
    found = status(edited(events, drop=(queued,)), "sock.err_regardless")
    assert messages(found) == [
        "ERR rose on Socket#9 while registration #1 (filter OUT) was enabled, and it was not "
        "notified: ERR is indicated regardless of the registered event filter"
    ]
    assert found.findings[0].seq == rose


def test_no_error_does_not_exercise_err() -> None:
    assert status(trace_of(edge_change), "sock.err_regardless").state == NOT_EXERCISED


# -- sock.events_requested ------------------------------------------------------------------------


def test_notifications_name_only_requested_events_err_and_remove() -> None:
    assert status(trace_of(reset_under_out_filter), "sock.events_requested").state == HELD
    assert status(trace_of(removed), "sock.events_requested").state == HELD


def test_an_event_outside_the_filter_is_a_violation() -> None:
    events = trace_of(edge_change)
    (queued,) = notify(events)
    tampered = replaced(events, queued, with_how(events[queued], IN | OUT, IN | OUT, 1, "queued"))
    found = status(tampered, "sock.events_requested")
    assert messages(found) == [
        "registration #1 of Socket#9 notified IN|OUT; its filter asks for IN (and ERR)"
    ]


def test_a_remove_packet_naming_more_than_remove_is_a_violation() -> None:
    events = trace_of(removed)
    (gone,) = notify(events, "removed")
    tampered = replaced(events, gone, with_how(events[gone], 0x81, 0x81, 2, "removed"))
    found = status(tampered, "sock.events_requested")
    assert messages(found) == ["the REMOVE packet of registration #1 of Socket#9 names IN|REMOVE"]
