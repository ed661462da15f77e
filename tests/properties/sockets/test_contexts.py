"""The client rules of a registration's end and its per-socket context
(emu/properties/sockets/contexts.py): changing the completion key, freeing the context, waiting
for a REMOVE after closesocket. For each, the buggy program and the correct one."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes.winsock import (
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_EVENT_REMOVE,
    SOCK_NOTIFY_OP_REMOVE,
    SOCK_NOTIFY_TRIGGER_EDGE,
)
from emu.properties.verdict import HELD, NOT_EXERCISED, VIOLATED
from emu.win32 import Api
from tests.properties.sockets.helpers import (
    Body,
    connected,
    context,
    messages,
    notify,
    psn,
    reg,
    status,
    trace_of,
    where,
)
from tests.win32.ws2_32.test_notify import port_of

IN, REMOVE = SOCK_NOTIFY_EVENT_IN, SOCK_NOTIFY_EVENT_REMOVE
EDGE = SOCK_NOTIFY_TRIGGER_EDGE
INFINITE = 0xFFFFFFFF


def wait_remove(api: Api, port: int) -> Generator[Any, None, None]:
    """Dequeue until the REMOVE notification (Microsoft's DeregisterAndWait)."""
    while True:
        _, got = yield from psn(api, port, None, count=1, ms=100)
        if not got or got[0][1] & REMOVE:
            return


# -- sock.key_change ------------------------------------------------------------------------------


def rekey(how: str) -> Body:
    """Register with key 1, then move to key 2: by a second ENABLE (the key stays 1), by
    REMOVE and an ENABLE before the REMOVE notification, or by REMOVE, waiting for the
    REMOVE notification, then ENABLE (the documented way)."""

    def main(api: Api) -> Generator[Any, None, None]:
        if how == "replace":
            api.k.profile = "sock-rereg-replaces"
        _client, server, port = yield from connected(api)
        yield from psn(api, port, [reg(server, key=1)], count=0)
        if how in ("remove", "wait"):
            yield from psn(api, port, [reg(server, op=SOCK_NOTIFY_OP_REMOVE)], count=0)
        if how == "wait":
            yield from wait_remove(api, port)
        if how == "port":
            other = yield from port_of(api)
            yield from psn(api, other, [reg(server, key=1)], count=0)
        else:
            yield from psn(api, port, [reg(server, key=2)], count=0)

    return main


def test_an_enable_with_another_key_is_a_client_bug() -> None:
    events = trace_of(rekey("enable"))
    found = status(events, "sock.key_change")
    assert found.state == VIOLATED
    (finding,) = found.findings
    first, second = where(events, "sock.register")
    assert (finding.seq, finding.related) == (second, (first,))
    assert finding.message == (
        "ENABLE of Socket#9 with completion key 2, but registration #1 of Socket#9 has key 1 "
        "(the registration keeps those of its creation): to change the key, remove the "
        "registration, wait for SOCK_NOTIFY_EVENT_REMOVE and register again"
    )


def test_an_enable_on_another_port_is_a_client_bug() -> None:
    found = status(trace_of(rekey("port")), "sock.key_change")
    assert messages(found) == [
        "ENABLE of Socket#9 with IoCompletion#12, but registration #1 of Socket#9 is on "
        "IoCompletion#10 (registration #2 replaced it): a socket may be associated with only a "
        "single I/O completion port"
    ]


def test_registering_a_new_key_before_the_remove_notification_is_a_client_bug() -> None:
    events = trace_of(rekey("remove"))
    found = status(events, "sock.key_change")
    (gone,) = notify(events, "removed")
    assert found.findings[0].related == (gone,)
    assert messages(found) == [
        "Socket#9 registered again with key 2 before the REMOVE notification of registration "
        "#1 (key 1) was received: remove, wait for SOCK_NOTIFY_EVENT_REMOVE, then register"
    ]


def test_a_key_replaced_under_the_overwriting_profile_is_a_client_bug() -> None:
    found = status(trace_of(rekey("replace")), "sock.key_change")
    assert messages(found) == [
        "ENABLE of Socket#9 with completion key 2, but registration #1 of Socket#9 has key 1 "
        "(registration #2 replaced it): to change the key, remove the registration, wait for "
        "SOCK_NOTIFY_EVENT_REMOVE and register again"
    ]


def test_remove_wait_for_the_remove_notification_then_register_keeps_the_rule() -> None:
    assert status(trace_of(rekey("wait")), "sock.key_change").state == HELD


def test_a_single_registration_does_not_exercise_the_rule() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        _client, server, port = yield from connected(api)
        yield from psn(api, port, [reg(server)], count=0)

    assert status(trace_of(main), "sock.key_change").state == NOT_EXERCISED


# -- sock.free_before_remove ----------------------------------------------------------------------


def free_context(how: str) -> Body:
    """A per-socket context (a traced structure) is the completion key of an edge
    registration; data arrives. Then: closesocket and free (the queued notification carries
    the freed context); free while registered; REMOVE and free before its notification; or
    REMOVE, wait for SOCK_NOTIFY_EVENT_REMOVE, then free (correct)."""

    def main(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from connected(api)
        ctx = context(api)
        yield from psn(api, port, [reg(server, key=ctx, trigger=EDGE)], count=0)
        if how != "remove":
            yield from api.send(client, b"a", 1, 0)
            yield from api.Sleep(10)
        if how == "close":
            yield from api.closesocket(server)
        elif how in ("remove", "wait"):
            yield from psn(api, port, [reg(server, op=SOCK_NOTIFY_OP_REMOVE)], count=0)
        if how == "wait":
            yield from wait_remove(api, port)
        yield from api.free(ctx)
        _, got = yield from psn(api, port, None, count=2, ms=0)
        for key, _events in got:
            assert key.socket == 0  # the handler reads its context: freed memory if it ended

    return main


def test_freeing_the_context_after_closesocket_while_its_packet_is_queued_is_a_bug() -> None:
    events = trace_of(free_context("close"))
    found = status(events, "sock.free_before_remove")
    assert found.state == VIOLATED
    (finding,) = found.findings
    (closed,) = where(events, "sock.deregister")
    assert events[finding.seq][2] == "mem.end"
    assert finding.related == (notify(events)[0],)
    assert finding.message == (
        f"ctx (freed by the program) is the completion key of registration #1 of Socket#9, "
        f"whose packet #1 is still queued (ended by closesocket at #{closed}): the thread that "
        "dequeues it reads freed memory"
    )
    assert where(events, "mem.stale")  # the dequeue then read it


def test_freeing_the_context_of_a_live_registration_is_a_bug() -> None:
    found = status(trace_of(free_context("live")), "sock.free_before_remove")
    assert messages(found) == [
        "ctx (freed by the program) is the completion key of registration #1 of Socket#9, "
        "still registered: free a registration's data only after removing it and receiving "
        "SOCK_NOTIFY_EVENT_REMOVE"
    ]


def test_freeing_the_context_before_the_remove_notification_is_a_bug() -> None:
    found = status(trace_of(free_context("remove")), "sock.free_before_remove")
    assert messages(found) == [
        "ctx (freed by the program) is the completion key of registration #1 of Socket#9, "
        "whose REMOVE notification (packet #1) was not received yet: the thread that dequeues "
        "it reads freed memory"
    ]


def test_freeing_the_context_after_the_remove_notification_keeps_the_rule() -> None:
    assert status(trace_of(free_context("wait")), "sock.free_before_remove").state == HELD


# -- sock.remove_after_close ----------------------------------------------------------------------


def close_then(wait: bool) -> Body:
    """closesocket of a registered socket, then either a wait for its REMOVE notification
    (it never comes) or a last look at what is queued."""

    def main(api: Api) -> Generator[Any, None, None]:
        _client, server, port = yield from connected(api)
        yield from psn(api, port, [reg(server)], count=0)
        yield from api.closesocket(server)
        yield from psn(api, port, None, count=1, ms=INFINITE if wait else 0)

    return main


def test_waiting_for_a_remove_notification_after_closesocket_blocks_forever() -> None:
    events = trace_of(close_then(wait=True))
    found = status(events, "sock.remove_after_close")
    assert found.state == VIOLATED
    (finding,) = found.findings
    (closed,) = where(events, "sock.deregister")
    (blocked,) = where(events, "iocp.block")
    assert events[finding.seq][2] == "actor.blocked"
    assert finding.related == (closed, blocked)
    assert finding.message == (
        f"main is left blocked in a dequeue on IoCompletion#10 (since #{blocked}) after "
        f"closesocket ended registration #1 of Socket#9 (#{closed}): a closesocket issues no "
        "SOCK_NOTIFY_EVENT_REMOVE, so a wait for one never ends"
    )


def test_a_thread_declared_to_block_forever_is_not_reported() -> None:
    events = trace_of(close_then(wait=True))
    assert status(events, "sock.remove_after_close", blocks_forever=["main"]).state == HELD


def test_not_waiting_after_closesocket_keeps_the_rule() -> None:
    assert status(trace_of(close_then(wait=False)), "sock.remove_after_close").state == HELD


def test_a_registration_removed_before_the_close_does_not_exercise_the_rule() -> None:
    assert status(trace_of(free_context("wait")), "sock.remove_after_close").state == (
        NOT_EXERCISED
    )
