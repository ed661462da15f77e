"""The completion port object: the running count, rundown, and what is left at the end."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import STATUS_ABANDONED_WAIT_0, STATUS_SUCCESS, STATUS_TIMEOUT
from emu.kernel import Kernel
from emu.kernel.iocp import IoCompletionPort
from emu.kernel.thread import Thread


def test_a_thread_counts_while_it_runs_and_stops_counting_when_it_blocks() -> None:
    k = Kernel()
    port = IoCompletionPort(k, 2)
    seen: list[int] = []

    def body() -> Generator[Any, None, None]:
        _status, _ = yield from port.remove(thread, 1, 0, False)  # associates, times out
        seen.append(port.active)
        from emu.kernel.waits import wait

        yield from wait(k, thread, (), False, 10, False)
        seen.append(port.active)

    def observer() -> Generator[Any, None, None]:
        from emu.kernel.waits import wait

        yield from wait(k, other, (), False, 5, False)
        seen.append(port.active)  # while the first sleeps

    thread = Thread(k, "t", body())
    other = Thread(k, "o", observer())
    k.spawn(thread)
    k.spawn(other)
    k.run()
    assert seen == [1, 0, 1]


def test_rundown_abandons_dequeuers_and_ends_associations() -> None:
    k = Kernel()
    port = IoCompletionPort(k, 1)
    handle = k.handles.insert(port, 0)
    results: list[int] = []

    def waiter() -> Generator[Any, None, None]:
        status, _ = yield from port.remove(thread, 1, None, False)
        results.append(status)

    def closer() -> Generator[Any, None, None]:
        k.handles.remove(handle)
        return
        yield

    thread = Thread(k, "waiter", waiter())
    k.spawn(thread)
    k.spawn(Thread(k, "closer", closer()))
    k.run()
    assert results == [STATUS_ABANDONED_WAIT_0]
    assert thread.port is None and port.threads == [] and port.closed
    # A packet posted to a closed port is dropped, and the trace says so.
    port.post(1, None, STATUS_SUCCESS, 0)
    assert [e[2] for e in k.trace.events][-2:] == ["iocp.post", "iocp.drop"]


def test_packets_left_in_the_queue_are_reported_at_the_end() -> None:
    k = Kernel()
    port = IoCompletionPort(k, 1)
    port.post(7, None, STATUS_SUCCESS, 0)
    k.run()
    assert [e[4] for e in k.trace.events if e[2] == "iocp.pending"] == [(1, 7)]


def test_a_thread_exit_disassociates_it() -> None:
    # F5.21: association "ends when the thread exits".
    k = Kernel()
    port = IoCompletionPort(k, 1)
    seen: list[Any] = []

    def body() -> Generator[Any, None, None]:
        status, _ = yield from port.remove(thread, 1, 0, False)
        assert status == STATUS_TIMEOUT
        seen.append((thread.port is port, port.threads == [thread], port.active))

    thread = Thread(k, "t", body())
    k.spawn(thread)
    k.run()
    assert seen == [(True, True, 1)]  # associated (and counted) by its first dequeue...
    assert thread.port is None and port.threads == [] and port.active == 0  # ...until it exits
    ops = [e[4] for e in k.trace.events if e[2] == "iocp.active"]
    assert ops == [(1, 1, "associate"), (0, 1, "disassociate")]


def test_closing_a_port_drops_each_queued_packet_and_leaves_it_empty() -> None:
    # The port's last handle closed: its queued packets are dropped (iocp.drop), each event
    # recording the state it leaves, `queued` 0, and naming the post that queued it.
    k = Kernel()
    port = IoCompletionPort(k, 1)
    handle = k.handles.insert(port, 0)
    port.post(7, None, STATUS_SUCCESS, 0)
    port.post(8, None, STATUS_SUCCESS, 0)
    k.handles.remove(handle)
    events = k.trace.events
    posts = [i for i, e in enumerate(events) if e[2] == "iocp.post"]
    drops = [(e[4], e[5]) for e in events if e[2] == "iocp.drop"]
    assert drops == [
        ((1, 7, "the port was closed", 0), posts[0]),
        ((2, 8, "the port was closed", 0), posts[1]),
    ]


class Owner:
    """A device told when its packet leaves the port (iocp.py, ``post_packet``)."""

    def __init__(self) -> None:
        self.left: list[tuple[int, bool]] = []

    def packet_left(self, packet: Any, taken: bool) -> None:
        self.left.append((packet.number, taken))


def test_an_owned_packet_tells_its_owner_when_a_thread_takes_it_or_the_port_drops_it() -> None:
    from emu.kernel.iocp import Packet

    k = Kernel()
    port = IoCompletionPort(k, 1)
    handle = k.handles.insert(port, 0)
    owner = Owner()
    taken = Packet(k.new_id("packet"), 1, None, STATUS_SUCCESS, 0, -1, owner)
    port.post_packet(taken)
    taken.information |= 4  # the owner may change it while it is queued
    dropped = Packet(k.new_id("packet"), 2, None, STATUS_SUCCESS, 0, -1, owner)
    got: list[Any] = []

    def consumer() -> Generator[Any, None, None]:
        status, packets = yield from port.remove(thread, 1, None, False)
        got.extend((status, p.information) for p in packets)
        port.post_packet(dropped)
        k.handles.remove(handle)  # rundown drops the second packet

    thread = Thread(k, "consumer", consumer())
    k.spawn(thread)
    k.run()
    assert got == [(STATUS_SUCCESS, 4)]
    assert owner.left == [(taken.number, True), (dropped.number, False)]
    late = Packet(k.new_id("packet"), 3, None, STATUS_SUCCESS, 0, -1, owner)
    port.post_packet(late)  # posted to a closed port: dropped at once
    assert owner.left[-1] == (late.number, False)


class Reposter:
    """An owner that posts again the moment its packet is taken (a persistent level-triggered
    registration whose condition still holds)."""

    def __init__(self, port: IoCompletionPort) -> None:
        self.port = port
        self.posts = 0

    def packet_left(self, packet: Any, taken: bool) -> None:
        from emu.kernel.iocp import Packet

        if taken and self.posts < 3:
            self.posts += 1
            k = self.port.k
            self.port.post_packet(Packet(k.new_id("packet"), 1, None, STATUS_SUCCESS, 1, -1, self))


def test_a_packet_an_owner_posts_as_its_packet_is_taken_respects_the_concurrency() -> None:
    # F5.20: a packet releases a waiter only while fewer associated threads than the
    # concurrency value run. The owner hears of the take after the released thread counts as
    # running again, so its new packet stays queued instead of waking the second dequeuer.
    from emu.kernel.iocp import Packet

    k = Kernel()
    port = IoCompletionPort(k, 1)
    owner = Reposter(port)
    got: list[str] = []

    def dequeuer(name: str) -> Generator[Any, None, None]:
        yield from port.remove(threads[name], 1, None, False)
        got.append(name)

    seen: list[tuple[int, int, int]] = []

    def poster() -> Generator[Any, None, None]:
        port.post_packet(Packet(k.new_id("packet"), 1, None, STATUS_SUCCESS, 1, -1, owner))
        # "second" (LIFO) was released and counts as running; the owner's new packet waits
        seen.append((port.active, len(port.packets), len(port.dequeuers)))
        return
        yield

    threads = {name: Thread(k, name, dequeuer(name)) for name in ("first", "second")}
    for thread in threads.values():
        k.spawn(thread)
    k.spawn(Thread(k, "poster", poster()))
    k.run(until=1)
    assert seen == [(1, 1, 1)]
    assert got == ["second", "first"]  # the first only once the second had exited
