"""The client rules of a socket-notification event loop (emu/properties/sockets/loop.py): for
each, a buggy program an engineer could write that breaks it, reported with the socket, the
thread, the registration and the events, and the correct program in the same situation that
keeps it."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes.winsock import (
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_OP_DISABLE,
    SOCK_NOTIFY_TRIGGER_EDGE,
    SOCK_NOTIFY_TRIGGER_LEVEL,
    SOCK_NOTIFY_TRIGGER_ONESHOT,
    SOCK_NOTIFY_TRIGGER_PERSISTENT,
)
from emu.properties.verdict import HELD, NOT_EXERCISED, VIOLATED
from emu.win32 import Api
from tests.properties.sockets.helpers import (
    Body,
    connected,
    drain,
    messages,
    nonblocking,
    notify,
    psn,
    reg,
    status,
    trace_of,
    where,
)

IN = SOCK_NOTIFY_EVENT_IN
EDGE, LEVEL = SOCK_NOTIFY_TRIGGER_EDGE, SOCK_NOTIFY_TRIGGER_LEVEL
ONESHOT_LEVEL = LEVEL | SOCK_NOTIFY_TRIGGER_ONESHOT
PERSISTENT_LEVEL = LEVEL | SOCK_NOTIFY_TRIGGER_PERSISTENT
INFINITE = 0xFFFFFFFF

# -- sock.edge_stuck ------------------------------------------------------------------------------


def edge_reader(drains: bool) -> Body:
    """An edge-triggered reader: 4 bytes arrive, the notification comes; the buggy reader reads
    2 bytes and waits again (2 more arrive: IN already held, no edge: it waits forever); the
    correct one reads until WSAEWOULDBLOCK, so the next bytes are a new edge."""

    def main(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from connected(api)
        yield from nonblocking(api, server)
        yield from psn(api, port, [reg(server, trigger=EDGE)], count=0)
        yield from api.send(client, b"abcd", 4, 0)
        _, got = yield from psn(api, port, None, ms=100)
        assert got == [(7, IN)]
        if drains:
            yield from drain(api, server)
        else:
            yield from api.recv(server, bytearray(2), 2, 0)
        yield from api.send(client, b"ef", 2, 0)
        _, got = yield from psn(api, port, None, ms=100 if drains else INFINITE)
        assert got == [(7, IN)]
        yield from drain(api, server)

    return main


def test_an_edge_reader_that_does_not_drain_is_left_stuck_with_data_waiting() -> None:
    events = trace_of(edge_reader(drains=False))
    found = status(events, "sock.edge_stuck")
    assert found.state == VIOLATED
    (finding,) = found.findings
    assert finding.message == (
        "Socket#9 ends the run with IN holding (4 bytes waiting) under edge-triggered "
        "registration #1 (registered by main), and no notification is queued: no new edge will "
        "come, its reader is stuck; drain the socket (recv until WSAEWOULDBLOCK) after "
        "registering and after each notification"
    )
    assert events[finding.seq][2] == "sock.state" and events[finding.seq][4][3] == 4
    assert [events[seq][2] for seq in finding.related] == ["sock.register", "iocp.dequeue"]


def test_an_edge_reader_that_drains_after_each_notification_is_not_stuck() -> None:
    found = status(trace_of(edge_reader(drains=True)), "sock.edge_stuck")
    assert found.state == HELD


def test_the_end_of_stream_alone_does_not_leave_an_edge_reader_stuck() -> None:
    # At the peer's FIN, IN holds for good (recv returns 0): the reader knows the stream ended.
    def main(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from connected(api)
        yield from nonblocking(api, server)
        yield from psn(api, port, [reg(server, trigger=EDGE)], count=0)
        yield from api.shutdown(client, 1)
        _, got = yield from psn(api, port, None, ms=100)
        assert got == [(7, IN)]
        assert (yield from api.recv(server, bytearray(4), 4, 0)) == 0

    assert status(trace_of(main), "sock.edge_stuck").state == HELD


def test_a_level_reader_is_not_judged_by_the_edge_rule() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from connected(api)
        yield from psn(api, port, [reg(server)], count=0)
        yield from api.send(client, b"abcd", 4, 0)

    assert status(trace_of(main), "sock.edge_stuck").state == NOT_EXERCISED


# -- sock.edge_blocking ---------------------------------------------------------------------------


def edge_on(nonblocking_first: bool | None) -> Body:
    """An edge registration; FIONBIO set before registering, after it (as Microsoft's
    edge-triggered sample does: before any data), or never; then a read."""

    def main(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from connected(api)
        if nonblocking_first:
            yield from nonblocking(api, server)
        yield from psn(api, port, [reg(server, trigger=EDGE)], count=0)
        if nonblocking_first is False:
            yield from nonblocking(api, server)
        yield from api.send(client, b"ab", 2, 0)
        yield from psn(api, port, None, ms=100)
        yield from api.recv(server, bytearray(8), 8, 0)

    return main


def test_reading_a_blocking_socket_under_an_edge_registration_is_a_client_bug() -> None:
    events = trace_of(edge_on(None))
    found = status(events, "sock.edge_blocking")
    assert found.state == VIOLATED
    (finding,) = found.findings
    assert finding.message == (
        "main called recv on Socket#9, which is in blocking mode, while edge-triggered "
        "registration #1 is enabled: edge triggering needs a non-blocking socket, or the drain "
        "loop (recv until WSAEWOULDBLOCK) blocks"
    )
    assert events[finding.seq][4][0] == "recv"
    assert [events[seq][2] for seq in finding.related] == ["sock.register"]


def test_a_drain_after_registering_that_blocks_for_ever_is_reported_where_it_blocks() -> None:
    # "after registering, the socket's receive buffer must be completely drained": on a
    # blocking socket with nothing received the drain's recv never returns.
    def main(api: Api) -> Generator[Any, None, None]:
        _client, server, port = yield from connected(api)
        yield from psn(api, port, [reg(server, trigger=EDGE)], count=0)
        yield from api.recv(server, bytearray(8), 8, 0)

    events = trace_of(main)
    found = status(events, "sock.edge_blocking")
    (finding,) = found.findings
    assert events[finding.seq][2] == "thread.wait"
    assert finding.message == (
        "main blocked in a call on Socket#9, which is in blocking mode, while edge-triggered "
        "registration #1 is enabled: edge triggering needs a non-blocking socket, or the drain "
        "loop (recv until WSAEWOULDBLOCK) blocks"
    )


def test_a_socket_made_non_blocking_before_or_after_registering_keeps_the_rule() -> None:
    assert status(trace_of(edge_on(True)), "sock.edge_blocking").state == HELD
    assert status(trace_of(edge_on(False)), "sock.edge_blocking").state == HELD


# -- sock.shared_persistent -----------------------------------------------------------------------


def two_workers(trigger: int) -> Body:
    """A server thread registers the accepted socket (non-blocking) and starts two workers on
    one port; each worker dequeues one notification at a time, "processes" it (1 ms), reads,
    and re-enables a ONESHOT registration in the same call as its next dequeue (as Microsoft's
    multi-threaded server does). A client sends one byte."""

    def main(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from connected(api)
        yield from nonblocking(api, server)
        yield from psn(api, port, [reg(server, trigger=trigger)], count=0)
        served = {"bytes": 0}

        def worker(_parameter: Any) -> Generator[Any, None, int]:
            again: list[Any] | None = None
            while True:
                _, got = yield from psn(api, port, again, count=1, ms=20)
                if not got:
                    return 0
                yield from api.Sleep(1)
                served["bytes"] += max(0, (yield from api.recv(server, bytearray(8), 8, 0)))
                again = [reg(server, trigger=trigger)] if trigger & 1 else None

        threads = []
        for _ in range(2):
            threads.append((yield from api.CreateThread(None, 0, worker, None, 0, None)))
        yield from api.Sleep(5)
        yield from api.send(client, b"x", 1, 0)
        for thread in threads:
            yield from api.WaitForSingleObject(thread, INFINITE)
        assert served["bytes"] == 1

    return main


def test_two_threads_taking_one_readiness_of_a_persistent_registration_is_a_client_bug() -> None:
    events = trace_of(two_workers(PERSISTENT_LEVEL))
    found = status(events, "sock.shared_persistent")
    assert found.state == VIOLATED
    finding = found.findings[0]
    first, second = where(events, "iocp.dequeue")[:2]
    taker, other = (events[i][3][1] for i in (second, first))
    names = {e[3][0]: e[4][1] for e in events if e[2] == "obj.create"}
    assert finding.seq == second and finding.related == (first,)
    assert finding.message == (
        f"{names[taker]} took packet #{events[second][4][0]} of persistent registration #1 of "
        f"Socket#9 while {names[other]}, which took its previous notification at #{first}, "
        "had not called the port again: two threads handle one readiness"
    )


def test_level_oneshot_re_enabled_after_processing_gives_one_thread_each_readiness() -> None:
    events = trace_of(two_workers(ONESHOT_LEVEL))
    assert len(notify(events)) == 1
    assert status(events, "sock.shared_persistent").state == HELD


def test_one_thread_on_a_port_does_not_exercise_the_rule() -> None:
    assert status(trace_of(edge_reader(True)), "sock.shared_persistent").state == NOT_EXERCISED


# -- sock.reenable_early --------------------------------------------------------------------------


def reenable(early: bool, disable: bool = False) -> Body:
    """Level ONESHOT with data waiting: its notification is queued and disables it; the
    buggy program enables it again before taking that notification."""

    def main(api: Api) -> Generator[Any, None, None]:
        client, server, port = yield from connected(api)
        yield from api.send(client, b"ab", 2, 0)
        yield from api.Sleep(10)
        trigger = PERSISTENT_LEVEL if disable else ONESHOT_LEVEL
        yield from psn(api, port, [reg(server, trigger=trigger)], count=0)
        if disable:
            yield from psn(api, port, [reg(server, op=SOCK_NOTIFY_OP_DISABLE)], count=0)
        if not early:
            _, got = yield from psn(api, port, None, ms=0)
            assert got == [(7, IN)]
        yield from psn(api, port, [reg(server, trigger=trigger)], count=0)
        yield from psn(api, port, None, ms=0)

    return main


def test_re_enabling_while_the_notification_is_still_queued_is_a_client_bug() -> None:
    events = trace_of(reenable(early=True))
    found = status(events, "sock.reenable_early")
    assert found.state == VIOLATED
    (finding,) = found.findings
    _first, again = where(events, "sock.register")
    assert finding.seq == again and finding.related == (notify(events)[0],)
    assert finding.message == (
        f"main re-enabled registration #1 of Socket#9 (disabled by ONESHOT at "
        f"#{notify(events)[0]}) while its notification, packet #1 (IN), was still queued: do "
        "not re-enable before that notification is received"
    )


def test_re_enabling_after_disable_while_a_notification_is_queued_is_a_client_bug() -> None:
    found = status(trace_of(reenable(early=True, disable=True)), "sock.reenable_early")
    assert found.state == VIOLATED
    assert "(disabled by DISABLE at #" in messages(found)[0]


def test_re_enabling_after_the_notification_was_received_keeps_the_rule() -> None:
    assert status(trace_of(reenable(early=False)), "sock.reenable_early").state == HELD


def test_a_registration_never_re_enabled_does_not_exercise_the_rule() -> None:
    assert status(trace_of(edge_reader(True)), "sock.reenable_early").state == NOT_EXERCISED
