"""Waits at the kernel level: any/all, timeouts, the order of NT's tests, references."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import STATUS_TIMEOUT, STATUS_USER_APC, STATUS_WAIT_0
from emu.kernel import Kernel
from emu.kernel.actor import ActorBody
from emu.kernel.apc import queue_user_apc
from emu.kernel.event import create_event
from emu.kernel.thread import Thread
from emu.kernel.time import TICKS_PER_MS
from emu.kernel.waits import wait
from tests.kernel.test_dispatcher import Recording


def spawn(k: Kernel, name: str, body: ActorBody) -> Thread:
    thread = Thread(k, name, body)
    k.spawn(thread)
    return thread


def test_wait_any_returns_the_lowest_signalled_index() -> None:
    k = Kernel()
    a, b, c = (create_event(k, True, s) for s in (False, True, True))
    got: list[int] = []

    def body() -> Generator[Any, None, None]:
        got.append((yield from wait(k, thread, (a, b, c), False, None, False)))

    thread = spawn(k, "t", body())
    k.run()
    assert got == [STATUS_WAIT_0 + 1]


def test_wait_all_acquires_only_when_every_object_is_signalled_at_once() -> None:
    k = Kernel()
    a = create_event(k, False, False)
    b = create_event(k, False, False)
    got: list[tuple[int, int]] = []

    def waiter() -> Generator[Any, None, None]:
        status = yield from wait(k, t1, (a, b), True, None, False)
        got.append((status, k.now))

    def setter() -> Generator[Any, None, None]:
        a.set()  # only a: the wait-all must not take it
        yield from wait(k, t2, (), False, 5 * TICKS_PER_MS, False)
        assert a.signaled, "a wait-all must not consume a while b is unsignalled"
        b.set()

    t1 = spawn(k, "waiter", waiter())
    t2 = spawn(k, "setter", setter())
    k.run()
    assert got == [(STATUS_WAIT_0, 5 * TICKS_PER_MS)]
    # Both auto-reset events were consumed together.
    assert not a.signaled and not b.signaled


def test_a_wait_with_zero_timeout_polls() -> None:
    k = Kernel()
    ev = create_event(k, True, False)
    got: list[int] = []

    def body() -> Generator[Any, None, None]:
        got.append((yield from wait(k, t, (ev,), False, 0, True)))

    t = spawn(k, "t", body())
    k.run()
    assert got == [STATUS_TIMEOUT]
    assert k.now == 0


def test_an_alertable_wait_returns_user_apc_after_running_them() -> None:
    k = Kernel()
    ran: list[int] = []
    got: list[int] = []

    def body() -> Generator[Any, None, None]:
        queue_user_apc(k, t, ran.append, (1,), 1)
        got.append((yield from wait(k, t, (), False, None, True)))

    t = spawn(k, "t", body())
    k.run()
    assert (ran, got) == ([1], [STATUS_USER_APC])


def test_a_wait_holds_a_reference_on_the_object() -> None:
    k = Kernel()
    ev = create_event(k, True, False)
    handle = k.handles.insert(ev, 0)
    seen: list[bool] = []

    def waiter() -> Generator[Any, None, None]:
        yield from wait(k, t1, (ev,), False, None, False)
        seen.append(ev.alive)

    def closer() -> Generator[Any, None, None]:
        k.handles.remove(handle)  # the last handle goes while the wait is in progress
        seen.append(ev.alive)
        ev.set()
        return
        yield

    t1 = spawn(k, "waiter", waiter())
    spawn(k, "closer", closer())
    k.run()
    # Alive after its last handle closed (the wait's reference), gone once the wait ended.
    assert seen == [True, False]
    kinds = [e[2] for e in k.trace.events]
    assert kinds.index("thread.wake") < kinds.index("obj.destroy")


def test_a_satisfied_wait_cancels_its_timer_so_the_run_is_quiescent_at_once() -> None:
    k = Kernel()
    ev = create_event(k, True, False)

    def waiter() -> Generator[Any, None, None]:
        yield from wait(k, t1, (ev,), False, 1000 * TICKS_PER_MS, False)

    def setter() -> Generator[Any, None, None]:
        ev.set()
        return
        yield

    t1 = spawn(k, "waiter", waiter())
    spawn(k, "setter", setter())
    k.run()
    assert k.now == 0  # the cancelled 1 s timeout did not keep the run going
    assert k.clock.timers == {}


class CountingThread(Thread):
    __slots__ = ("blocks", "unblocks")

    def __init__(self, k: Kernel, name: str, body: ActorBody) -> None:
        super().__init__(k, name, body)
        self.blocks = 0
        self.unblocks = 0

    def on_block(self) -> None:
        self.blocks += 1

    def on_unblock(self) -> None:
        self.unblocks += 1


def test_every_block_is_matched_by_an_unblock_however_the_wait_ends() -> None:
    k = Kernel()
    ev = create_event(k, False, False)

    def body() -> Generator[Any, None, None]:
        yield from wait(k, t, (ev,), False, 2, False)  # times out
        queue_user_apc(k, t, lambda: None, (), 0)
        yield from wait(k, t, (), False, None, True)  # an APC queued before: no block
        yield from wait(k, t, (ev,), False, None, False)  # signalled by the other thread

    def setter() -> Generator[Any, None, None]:
        yield from wait(k, s, (), False, 5, False)
        ev.set()

    t = CountingThread(k, "t", body())
    k.spawn(t)
    s = spawn(k, "s", setter())
    k.run()
    assert (t.blocks, t.unblocks) == (2, 2)


def test_a_blocked_wait_any_reports_the_index_of_the_object_that_satisfied_it() -> None:
    k = Kernel()
    a, b = create_event(k, True, False), create_event(k, True, False)
    got: list[int] = []

    def waiter() -> Generator[Any, None, None]:
        got.append((yield from wait(k, t1, (a, b), False, None, False)))

    def setter() -> Generator[Any, None, None]:
        yield from wait(k, t2, (), False, 3, False)
        b.set()

    t1 = spawn(k, "waiter", waiter())
    t2 = spawn(k, "setter", setter())
    k.run()
    assert got == [STATUS_WAIT_0 + 1]


def test_a_wake_names_the_signal_that_caused_it_and_clears_alertable() -> None:
    k = Kernel()
    ev = create_event(k, True, False)

    def waiter() -> Generator[Any, None, None]:
        yield from wait(k, t1, (ev,), False, None, True)

    def setter() -> Generator[Any, None, None]:
        yield from wait(k, t2, (), False, 3, False)
        ev.set()

    t1 = spawn(k, "waiter", waiter())
    t2 = spawn(k, "setter", setter())
    k.run()
    events = k.trace.events
    set_seq = next(i for i, e in enumerate(events) if e[2] == "event.state" and e[4][0] == "set")
    wake = next(e for e in events if e[2] == "thread.wake" and e[3] == (t1.oid,))
    assert wake[5] == set_seq
    assert wake[4][2] is False  # alertable no more


def test_the_wait_event_names_what_the_actor_waits_on() -> None:
    # thread.wait: "An actor blocked: on the objects listed in `on` (ids; empty for a sleep)";
    # a wait that another mechanism ends (a dequeue from a completion port) names what it
    # shows instead (wait(..., shown=...)).
    k = Kernel()
    ev1, ev2 = create_event(k, True, False), create_event(k, True, False)
    port_like = create_event(k, True, False)

    def main() -> Generator[Any, None, None]:
        yield from wait(k, t, (ev1, ev2), False, TICKS_PER_MS, False)
        yield from wait(k, t, (), False, TICKS_PER_MS, False)
        yield from wait(k, t, (), False, TICKS_PER_MS, False, shown=(port_like,))

    t = spawn(k, "main", main())
    k.run()
    waits = [(e[3], e[4][4]) for e in k.trace.events if e[2] == "thread.wait"]
    assert waits == [
        ((t.oid, ev1.oid, ev2.oid), (ev1.oid, ev2.oid)),
        ((t.oid,), ()),
        ((t.oid, port_like.oid), (port_like.oid,)),
    ]


def test_a_timed_out_waiter_offers_the_objects_it_waited_on_as_its_footprint() -> None:
    # A scheduling point carries "each option's footprint: the objects its next step touches
    # and how" (emu.kernel.chooser). A waiter whose timeout fired takes itself off the wait
    # lists of its objects when it runs, so its step writes them: at 3 ms it races a thread
    # that wakes from a sleep at the same instant (and would set the event).
    chooser = Recording()
    k = Kernel(chooser=chooser)
    ev = create_event(k, True, False)

    def waiter() -> Generator[Any, None, None]:
        yield from wait(k, t1, (ev,), False, 3 * TICKS_PER_MS, False)

    def sleeper() -> Generator[Any, None, None]:
        yield from wait(k, t2, (), False, 3 * TICKS_PER_MS, False)
        ev.set()

    t1 = spawn(k, "waiter", waiter())
    t2 = spawn(k, "sleeper", sleeper())
    k.run()
    # Two dispatch points: both threads new at 0 ms, both woken by their timers at 3 ms.
    at_start, at_3ms = [p for p in chooser.points if p.label == "dispatch"]
    assert at_start.footprints == ((), ())
    assert dict(zip(at_3ms.options, at_3ms.footprints or (), strict=True)) == {
        t1.key: ((ev.oid, "w"),),
        t2.key: (),
    }
    assert k.now == 3 * TICKS_PER_MS
