"""Completion ports through kernel32: each test pins a fact of docs/sources.md (F5)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    ERROR_ABANDONED_WAIT_0,
    ERROR_INVALID_FUNCTION,
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER,
    ERROR_IO_INCOMPLETE,
    ERROR_IO_PENDING,
    ERROR_NOT_FOUND,
    ERROR_OPERATION_ABORTED,
    INFINITE,
    INVALID_HANDLE_VALUE,
    STATUS_CANCELLED,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_PIPE_BROKEN,
    THREAD_SET_CONTEXT,
    WAIT_FAILED,
    WAIT_IO_COMPLETION,
    WAIT_OBJECT_0,
    WAIT_TIMEOUT,
)
from emu.kernel.chooser import RandomChooser
from emu.kernel.iocp import IoCompletionPort
from emu.win32 import DWORD, OVERLAPPED, OVERLAPPED_ENTRY, PVOID, ULONG, ULONG_PTR, Api
from tests.support import calls, run
from tests.win32.kernel32.pipes import client_end, pipe_pair, server_end


def new_port(api: Api, concurrency: int = 0) -> Generator[Any, None, int]:
    port: int = yield from api.CreateIoCompletionPort(INVALID_HANDLE_VALUE, None, 0, concurrency)
    return port


def dequeue(api: Api, port: int, ms: int = 0) -> Generator[Any, None, tuple[Any, ...]]:
    """GetQueuedCompletionStatus: (result, bytes, key, overlapped, last error)."""
    n, key, ov = DWORD(), ULONG_PTR(), PVOID()
    rc = yield from api.GetQueuedCompletionStatus(port, n, key, ov, ms)
    error = yield from api.GetLastError()
    return rc, n.value, key.value, ov.value, error


def entries(count: int) -> list[OVERLAPPED_ENTRY]:
    return [OVERLAPPED_ENTRY() for _ in range(count)]


def test_F5_4_packets_are_dequeued_fifo() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        port = yield from new_port(api)
        for key in (3, 4, 5):
            yield from api.PostQueuedCompletionStatus(port, 0, key, None)
        for _ in range(3):
            log.append((yield from dequeue(api, port))[2])
        yield from api.PostQueuedCompletionStatus(port, 0, 123, None)
        yield from api.PostQueuedCompletionStatus(port, 0, 12, None)
        got, removed = entries(2), ULONG()
        yield from api.GetQueuedCompletionStatusEx(port, got, 2, removed, 0, False)
        log.append([e.lpCompletionKey for e in got])

    assert calls(program) == [3, 4, 5, [123, 12]]


def test_F5_5_F5_19_blocked_threads_are_released_lifo_the_latest_getting_the_oldest() -> None:
    got: dict[str, int] = {}
    port_box: list[int] = []

    def waiter(name: str, delay: int) -> Any:
        def program(api: Api) -> Generator[Any, None, None]:
            yield from api.SleepEx(delay, False)
            got[name] = (yield from dequeue(api, port_box[0], INFINITE))[2]

        return program

    def main(api: Api) -> Generator[Any, None, None]:
        port_box.append((yield from new_port(api, 4)))
        yield from api.SleepEx(100, False)
        for key in (3, 4, 5):
            yield from api.PostQueuedCompletionStatus(port_box[0], 0, key, None)
        got["main"] = (yield from dequeue(api, port_box[0]))[2]

    run({"main": main, "B": waiter("B", 10), "A": waiter("A", 50)})
    # "Both threads are waiting in GetQueuedCompletionStatus, LIFO wake up order."
    assert got == {"A": 3, "B": 4, "main": 5}


def test_F5_6_waiters_on_the_port_handle_all_wake_and_the_packet_remains() -> None:
    woken: list[str] = []
    box: list[int] = []

    def watcher(name: str) -> Any:
        def program(api: Api) -> Generator[Any, None, None]:
            yield from api.SleepEx(1, False)
            if (yield from api.WaitForSingleObject(box[0], INFINITE)) == WAIT_OBJECT_0:
                woken.append(name)

        return program

    def main(api: Api) -> Generator[Any, None, None]:
        box.append((yield from new_port(api)))
        yield from api.SleepEx(5, False)
        yield from api.PostQueuedCompletionStatus(box[0], 7, 9, None)
        yield from api.SleepEx(1, False)
        woken.append(f"key {(yield from dequeue(api, box[0]))[2]}")

    run({"main": main, "w1": watcher("w1"), "w2": watcher("w2")})
    assert woken == ["w1", "w2", "key 9"]


def test_F5_7_a_blocked_dequeuer_takes_the_packet_and_port_waiters_stay_asleep() -> None:
    log: list[Any] = []
    box: list[int] = []

    def watcher(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        log.append(("watcher", (yield from api.WaitForSingleObject(box[0], 100))))

    def dequeuer(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        log.append(("dequeuer", (yield from dequeue(api, box[0], INFINITE))[2]))

    def main(api: Api) -> Generator[Any, None, None]:
        box.append((yield from new_port(api)))
        yield from api.SleepEx(5, False)
        yield from api.PostQueuedCompletionStatus(box[0], 0, 42, None)

    run({"main": main, "watcher": watcher, "dequeuer": dequeuer})
    assert log == [("dequeuer", 42), ("watcher", WAIT_TIMEOUT)]


def test_F5_8_closing_the_port_abandons_its_waiters() -> None:
    log: list[Any] = []
    box: list[int] = []

    def getter(api: Api) -> Generator[Any, None, None]:
        rc, _, _, ov, error = yield from dequeue(api, box[0], INFINITE)
        log.append(("gqcs", rc, ov, error))

    def getter_ex(api: Api) -> Generator[Any, None, None]:
        got, removed = entries(1), ULONG()
        rc = yield from api.GetQueuedCompletionStatusEx(box[0], got, 1, removed, INFINITE, True)
        log.append(("gqcsex", rc, (yield from api.GetLastError())))

    def watcher(api: Api) -> Generator[Any, None, None]:
        log.append(("wait", (yield from api.WaitForSingleObject(box[0], INFINITE))))

    def main(api: Api) -> Generator[Any, None, None]:
        box.append((yield from new_port(api)))
        yield from api.SleepEx(5, False)
        yield from api.CloseHandle(box[0])
        yield from api.SleepEx(1, False)
        # A handle closed before the wait began: ERROR_INVALID_HANDLE.
        rc, _, _, ov, error = yield from dequeue(api, box[0])
        log.append(("after", rc, ov, error))
        log.append(("post", (yield from api.PostQueuedCompletionStatus(box[0], 0, 1, None))))
        rc = yield from api.WaitForSingleObject(box[0], 0)
        log.append(("wait after", rc, (yield from api.GetLastError())))

    run({"main": main, "getter": getter, "getter_ex": getter_ex, "watcher": watcher})
    assert sorted(log[:3]) == [
        ("gqcs", 0, None, ERROR_ABANDONED_WAIT_0),
        ("gqcsex", 0, ERROR_ABANDONED_WAIT_0),
        ("wait", WAIT_OBJECT_0),
    ]
    assert log[3:] == [
        ("after", 0, None, ERROR_INVALID_HANDLE),
        ("post", 0),
        ("wait after", WAIT_FAILED, ERROR_INVALID_HANDLE),
    ]


def test_F5_8_closing_the_port_drops_and_reports_its_queued_packets() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        port = yield from new_port(api)
        yield from api.PostQueuedCompletionStatus(port, 0, 1, None)
        yield from api.PostQueuedCompletionStatus(port, 0, 2, None)
        yield from api.CloseHandle(port)

    sim = run(main)
    drops = sim.events("iocp.drop")
    assert [e.payload["key"] for e in drops] == [1, 2]
    assert {e.payload["reason"] for e in drops} == {"the port was closed"}


def test_only_the_last_handle_to_the_port_runs_it_down() -> None:
    log: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        port = yield from new_port(api)
        obj = api.k.handles.get(port).obj
        second = api.k.handles.insert(obj, 0x1F0003)  # as DuplicateHandle would
        yield from api.PostQueuedCompletionStatus(port, 0, 5, None)
        yield from api.CloseHandle(port)
        log.append((yield from dequeue(api, second))[2])
        yield from api.CloseHandle(second)
        log.append(isinstance(obj, IoCompletionPort) and obj.closed)

    run(main)
    assert log == [5, True]


def test_F5_9_packets_come_back_verbatim() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        port = yield from new_port(api)
        ov = OVERLAPPED()
        yield from api.PostQueuedCompletionStatus(port, 456, 123, ov)
        rc, n, key, got, _ = yield from dequeue(api, port)
        log.append((rc, n, key, got is ov))
        yield from api.PostQueuedCompletionStatus(port, 0, 0, None)
        log.append((yield from dequeue(api, port))[:4])

    assert calls(program) == [(1, 456, 123, True), (1, 0, 0, None)]


def test_F5_10_an_empty_port_with_a_zero_timeout_times_out() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        port = yield from new_port(api)
        log.append((yield from dequeue(api, port)))

    assert calls(program) == [(0, 0, 0, None, WAIT_TIMEOUT)]


def test_F5_11_several_queued_packets_come_out_in_one_call() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        port = yield from new_port(api)
        for key in (1, 2, 3):
            yield from api.PostQueuedCompletionStatus(port, 0, key, None)
        got, removed = entries(2), ULONG()
        log.append((yield from api.GetQueuedCompletionStatusEx(port, got, 2, removed, 0, False)))
        log.append((removed.value, [e.lpCompletionKey for e in got]))
        got, removed = entries(2), ULONG()
        yield from api.GetQueuedCompletionStatusEx(port, got, 2, removed, INFINITE, False)
        log.append((removed.value, got[0].lpCompletionKey))

    assert calls(program) == [1, (2, [1, 2]), (1, 3)]


def test_F5_12_a_non_alertable_dequeue_never_runs_apcs() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        port = yield from new_port(api)
        yield from api.QueueUserAPC(lambda d: log.append("apc"), -2, 0)
        got, removed = entries(2), ULONG()
        log.append((yield from api.GetQueuedCompletionStatusEx(port, got, 2, removed, 0, False)))
        log.append((yield from api.GetLastError()))
        log.append((yield from dequeue(api, port, 1))[4])
        yield from api.SleepEx(0, True)

    assert calls(program) == [0, WAIT_TIMEOUT, WAIT_TIMEOUT, "apc"]


def test_F5_13_an_alertable_dequeue_of_an_empty_port_runs_the_apc() -> None:
    # F5.13, for a thread not associated with the port and for one that is (it dequeued a
    # packet first): the APC runs exactly once, the call fails with WAIT_IO_COMPLETION and
    # no entries.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        port = yield from new_port(api)
        for label in ("apc", "apc when associated"):
            yield from api.QueueUserAPC(lambda d, label=label: log.append(label), -2, 0)
            got, removed = entries(2), ULONG()
            rc = yield from api.GetQueuedCompletionStatusEx(port, got, 2, removed, 0, True)
            log.append((rc, (yield from api.GetLastError()), removed.value))
            yield from api.PostQueuedCompletionStatus(port, 0, 1, None)
            log.append((yield from dequeue(api, port))[0])  # now associated

    assert calls(program) == [
        "apc",
        (0, WAIT_IO_COMPLETION, 0),
        1,
        "apc when associated",
        (0, WAIT_IO_COMPLETION, 0),
        1,
    ]


def test_F5_14_F5_25_an_apc_wins_over_a_packet_until_the_thread_is_associated() -> None:
    # The sequence of Wine's test_set_io_completion, through GetQueuedCompletionStatusEx.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        def remove(port: int) -> Generator[Any, None, tuple[int, int, int]]:
            got, removed = entries(2), ULONG()
            rc = yield from api.GetQueuedCompletionStatusEx(port, got, 2, removed, 0, True)
            return rc, (yield from api.GetLastError()), removed.value

        apcs: list[int] = []

        def apc() -> Generator[Any, None, None]:
            yield from api.QueueUserAPC(apcs.append, -2, 1)

        other = yield from new_port(api)
        yield from api.PostQueuedCompletionStatus(other, 0, 1, None)
        log.append((yield from remove(other))[0])  # associated with the other port now
        port = yield from new_port(api)
        yield from apc()
        yield from api.PostQueuedCompletionStatus(port, 0, 123, None)
        # "APC takes priority over pending completion. Even if the thread is associated with
        # some other completion port."
        log.append(((yield from remove(port)), len(apcs)))
        yield from api.CloseHandle(other)
        yield from apc()
        # "Previous call resulted in STATUS_USER_APC did not associate the thread with the port."
        log.append(((yield from remove(port)), len(apcs)))
        # "Now the thread is associated."
        log.append((yield from remove(port)))
        yield from apc()
        yield from api.PostQueuedCompletionStatus(port, 0, 123, None)
        # "After a thread is associated with completion port existing completion is returned if
        # APC is pending."
        log.append(((yield from remove(port)), len(apcs)))
        yield from api.SleepEx(0, True)  # F5.25: the pending APC runs at the next alertable wait
        log.append(len(apcs))

    assert calls(program) == [
        1,
        ((0, WAIT_IO_COMPLETION, 0), 1),
        ((0, WAIT_IO_COMPLETION, 0), 2),
        (1, WAIT_IO_COMPLETION, 1),
        ((1, WAIT_IO_COMPLETION, 1), 2),
        3,
    ]


def test_F5_20_a_packet_releases_a_waiter_only_below_the_concurrency_value() -> None:
    log: list[Any] = []
    box: list[int] = []

    def worker(name: str, delay: int) -> Any:
        def program(api: Api) -> Generator[Any, None, None]:
            yield from api.SleepEx(delay, False)
            key = (yield from dequeue(api, box[0], INFINITE))[2]
            log.append((name, key, api.k.now // 10_000))
            yield from api.work(50_000)  # 5 ms of CPU: still running, still counted
            key = (yield from dequeue(api, box[0], INFINITE))[2]
            log.append((name, key, api.k.now // 10_000))

        return program

    def main(api: Api) -> Generator[Any, None, None]:
        box.append((yield from new_port(api, 1)))
        yield from api.SleepEx(10, False)
        yield from api.PostQueuedCompletionStatus(box[0], 0, 1, None)
        yield from api.SleepEx(1, False)
        yield from api.PostQueuedCompletionStatus(box[0], 0, 2, None)  # A is running: queued
        yield from api.SleepEx(100, False)
        yield from api.PostQueuedCompletionStatus(box[0], 0, 3, None)

    run({"main": main, "A": worker("A", 5), "B": worker("B", 1)}, processors=2)
    # A (the latest waiter) takes 1; with A running, 2 stays queued although B waits; A, done,
    # calls again and takes 2 at once, without blocking; B gets 3 later.
    assert log[:2] == [("A", 1, 10), ("A", 2, 15)]
    assert ("B", 3, 111) in log


def test_F5_20_a_thread_that_blocks_elsewhere_stops_counting_and_can_overshoot() -> None:
    log: list[Any] = []
    box: list[int] = []

    def a(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        key = (yield from dequeue(api, box[0], INFINITE))[2]  # the latest waiter
        log.append(("A got", key))
        yield from api.SleepEx(10, False)  # blocks in another wait: stops counting
        log.append(("A resumes", box[1].active))
        yield from api.work(10_000)

    def b(api: Api) -> Generator[Any, None, None]:
        key = (yield from dequeue(api, box[0], INFINITE))[2]
        log.append(("B got", key, box[1].active))
        yield from api.work(200_000)

    def main(api: Api) -> Generator[Any, None, None]:
        box.append((yield from new_port(api, 1)))
        box.append(api.k.handles.get(box[0]).obj)
        yield from api.SleepEx(2, False)
        yield from api.PostQueuedCompletionStatus(box[0], 0, 1, None)
        yield from api.PostQueuedCompletionStatus(box[0], 0, 2, None)

    run({"main": main, "A": a, "B": b}, processors=4)
    # A takes 1 and blocks in a sleep: B is released for 2 while A sleeps; when A resumes,
    # two associated threads run on a port whose concurrency value is 1.
    assert log == [("A got", 1), ("B got", 2, 1), ("A resumes", 2)]


def test_F5_20_a_running_thread_that_blocks_releases_one_waiter_not_all() -> None:
    """F5.20 with enough waiters and packets to tell the rule from its plausible misreadings:
    releasing every waiter, releasing none, releasing at ``active <= value``, no overshoot
    when the blocked thread resumes, or releasing the oldest waiter first. Each release
    gives the latest waiter the oldest packet (F5.19)."""
    got: list[tuple[int, str, int]] = []
    box: list[Any] = []
    ms = 10_000

    def waiter(name: str, delay: int, work: int, nap: int, again: bool) -> Any:
        def program(api: Api) -> Generator[Any, None, None]:
            yield from api.SleepEx(delay, False)
            key = (yield from dequeue(api, box[0], INFINITE))[2]
            got.append((api.k.now // ms, name, key))
            yield from api.work(work * ms)  # runs: still counted
            yield from api.SleepEx(nap, False)  # blocks elsewhere: stops counting
            if again:  # a running thread that calls again takes a queued packet at once
                key = (yield from dequeue(api, box[0], 0))[2]
                got.append((api.k.now // ms, name, key))

        return program

    def a(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(4, False)
        assert (yield from dequeue(api, box[0], 0))[0] == 0  # times out; now associated
        yield from api.work(6 * ms)  # running, counted: 1 of 1 while the packets come
        yield from api.SleepEx(10, False)  # t=10: blocks elsewhere
        box.append(("A resumes", api.k.now // ms, box[1].active, len(box[1].packets)))
        yield from api.work(20 * ms)
        yield from api.SleepEx(100, False)  # t=40: blocks again

    def main(api: Api) -> Generator[Any, None, None]:
        box.append((yield from new_port(api, 1)))
        box.append(api.k.handles.get(box[0]).obj)
        yield from api.SleepEx(5, False)
        for key in (1, 2, 3, 4):  # A runs: every packet stays queued although three wait
            yield from api.PostQueuedCompletionStatus(box[0], 0, key, None)

    sim = run(
        {
            "main": main,
            "A": a,
            "W1": waiter("W1", 1, 5, 100, False),
            "W2": waiter("W2", 2, 5, 100, False),
            "W3": waiter("W3", 3, 20, 30, True),
        },
        processors=8,
    )
    # "If an associated running thread blocks for another reason, a waiter may be released":
    # one waiter (the latest, W3) for the first packet, not every waiter while packets remain.
    # "When it resumes, active count may briefly exceed the concurrency value": A resumes at 20
    # with W3 running, 2 of 1, and three packets still queued; "no new threads are released
    # until it drops below": W3 blocking at 30 leaves 1 of 1 and releases nobody; A blocking
    # at 40 releases W2 (the latest still waiting); W2 blocking at 45 releases W1; W3, back at
    # 60 and running, takes the last packet without blocking.
    assert got == [(10, "W3", 1), (40, "W2", 2), (45, "W1", 3), (60, "W3", 4)]
    assert box[2] == ("A resumes", 20, 2, 3)
    counts = [
        (e.time // ms, e.payload["active"], e.payload["op"]) for e in sim.events("iocp.active")
    ]
    assert counts[:8] == [
        (1, 1, "associate"),  # W1 dequeues...
        (1, 0, "block"),  # ...and blocks
        (2, 1, "associate"),
        (2, 0, "block"),
        (3, 1, "associate"),
        (3, 0, "block"),
        (4, 1, "associate"),  # A: running, counted
        (10, 0, "block"),  # A sleeps...
    ]
    assert counts[8:12] == [
        (10, 1, "resume"),  # ...and only W3 is released
        (20, 2, "resume"),  # A resumes: 2 of 1
        (30, 1, "block"),  # W3 sleeps: 1 of 1, nobody released
        (40, 0, "block"),  # A sleeps: 0 of 1...
    ]
    assert counts[12] == (40, 1, "resume")  # ...W2 released


def test_F5_21_a_thread_is_associated_with_one_port_until_it_moves_exits_or_the_port_closes() -> (
    None
):
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        first = yield from new_port(api)
        second = yield from new_port(api)
        thread = api.k.current
        ports = [api.k.handles.get(h).obj for h in (first, second)]
        log.append(thread.port)
        yield from dequeue(api, first)  # a timeout still associates
        log.append(thread.port is ports[0])
        yield from dequeue(api, second)
        log.append((thread.port is ports[1], ports[0].threads, len(ports[1].threads)))
        yield from api.CloseHandle(second)
        log.append(thread.port)

    assert calls(program) == [None, True, (True, [], 1), None]


def test_F5_22_gqcsex_returns_true_with_entries_whatever_their_statuses() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        port = yield from new_port(api)
        obj = api.k.handles.get(port).obj
        obj.post(7, None, STATUS_INVALID_DEVICE_REQUEST, 3)  # a failed operation's packet
        got, removed = entries(1), ULONG()
        log.append((yield from api.GetQueuedCompletionStatusEx(port, got, 1, removed, 0, False)))
        log.append((got[0].Internal, got[0].dwNumberOfBytesTransferred))
        obj.post(7, None, STATUS_INVALID_DEVICE_REQUEST, 3)
        # GetQueuedCompletionStatus reports the failed operation as FALSE with its error.
        log.append((yield from dequeue(api, port)))

    assert calls(program) == [
        1,
        (STATUS_INVALID_DEVICE_REQUEST, 3),
        (0, 3, 7, None, ERROR_INVALID_FUNCTION),
    ]


def test_gqcsex_argument_errors() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        port = yield from new_port(api)
        log.append((yield from api.GetQueuedCompletionStatusEx(port, [], 0, ULONG(), 0, False)))
        log.append((yield from api.GetLastError()))
        log.append(
            (yield from api.GetQueuedCompletionStatusEx(0xBAD0, entries(1), 1, ULONG(), 0, 0))
        )
        log.append((yield from api.GetLastError()))

    assert calls(program) == [0, ERROR_INVALID_PARAMETER, 0, ERROR_INVALID_HANDLE]


def test_create_io_completion_port_argument_errors() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        port = yield from new_port(api)
        cases = [
            (INVALID_HANDLE_VALUE, port),  # no file but an existing port
            (0xBAD0, None),  # not a handle
            (port, None),  # a port is not a file
        ]
        for file, existing in cases:
            log.append((yield from api.CreateIoCompletionPort(file, existing, 0, 0)))
            log.append((yield from api.GetLastError()))

    assert calls(program) == [
        0,
        ERROR_INVALID_PARAMETER,
        0,
        ERROR_INVALID_HANDLE,
        0,
        ERROR_INVALID_HANDLE,
    ]


def test_the_concurrency_value_zero_means_the_number_of_processors() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        port = yield from new_port(api, 0)
        log.append(api.k.handles.get(port).obj.concurrency)

    log: list[int] = []
    run(main, processors=3)
    assert log == [3]


def test_post_needs_a_port_with_modify_access() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, None)
        log.append((yield from api.PostQueuedCompletionStatus(ev, 0, 0, None)))
        log.append((yield from api.GetLastError()))
        me = yield from api.GetCurrentThreadId()
        log.append((yield from api.OpenThread(THREAD_SET_CONTEXT, False, me)) > 0)

    assert calls(program) == [0, ERROR_INVALID_HANDLE, True]


# -- GetOverlappedResult and cancellation (F5.26, F5.27) ---------------------------------------


def test_get_overlapped_result_reports_pending_then_the_outcome() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, client = yield from pipe_pair(api)
        ev = yield from api.CreateEventW(None, True, True, None)
        ov = OVERLAPPED(hEvent=ev)
        yield from api.ReadFile(server, bytearray(4), 4, None, ov)
        n = DWORD()
        # "If the bWait parameter is FALSE and the operation is still pending, the function
        # returns FALSE and the GetLastError function returns ERROR_IO_INCOMPLETE."
        log.append((yield from api.GetOverlappedResult(server, ov, n, False)))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.WaitForSingleObject(ev, 0)))  # reset when the read began
        yield from api.WriteFile(client, b"data", 4, DWORD(), OVERLAPPED())
        log.append((yield from api.GetOverlappedResult(server, ov, n, True)))
        log.append(n.value)

    assert calls(program) == [0, ERROR_IO_INCOMPLETE, WAIT_TIMEOUT, 1, 4]


def test_get_overlapped_result_waits_on_the_file_without_an_event() -> None:
    log: list[Any] = []

    def server(api: Api) -> Generator[Any, None, None]:
        handle = yield from server_end(api)
        connect = OVERLAPPED()
        yield from api.ConnectNamedPipe(handle, connect)
        n = DWORD()
        log.append((yield from api.GetOverlappedResult(handle, connect, n, True)))
        log.append(api.k.now)
        ov = OVERLAPPED()
        yield from api.ReadFile(handle, bytearray(2), 2, None, ov)
        log.append((yield from api.GetOverlappedResult(handle, ov, n, True)))
        log.append((n.value, api.k.now))

    def client(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        handle = yield from client_end(api)
        yield from api.SleepEx(2, False)
        yield from api.WriteFile(handle, b"ok", 2, DWORD(), OVERLAPPED())

    run({"server": server, "client": client})
    assert log == [1, 10_000, 1, (2, 30_000)]


def test_F5_26_cancel_io_ex_semantics() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, _client = yield from pipe_pair(api)
        # Nothing pending: FALSE, ERROR_NOT_FOUND.
        log.append((yield from api.CancelIoEx(server, None)))
        log.append((yield from api.GetLastError()))
        ov = OVERLAPPED()
        log.append((yield from api.ReadFile(server, bytearray(1), 1, None, ov)))
        log.append((yield from api.CancelIoEx(server, ov)))
        n = DWORD()
        log.append((yield from api.GetOverlappedResult(server, ov, n, True)))
        log.append(((yield from api.GetLastError()), n.value))
        # Cancelling the same OVERLAPPED again: FALSE, ERROR_NOT_FOUND.
        log.append((yield from api.CancelIoEx(server, ov)))
        log.append((yield from api.GetLastError()))

    assert calls(program) == [
        0,
        ERROR_NOT_FOUND,
        0,
        1,
        0,
        (ERROR_OPERATION_ABORTED, 0),
        0,
        ERROR_NOT_FOUND,
    ]


def test_F5_26_cancel_io_ex_cancels_requests_of_other_threads_cancel_io_only_its_own() -> None:
    log: list[Any] = []
    box: dict[str, Any] = {}

    def reader(api: Api) -> Generator[Any, None, None]:
        server, _client = yield from pipe_pair(api)
        ev = yield from api.CreateEventW(None, True, False, None)
        ov = OVERLAPPED(hEvent=ev)
        box.update(server=server, ov=ov, ev=ev)
        yield from api.ReadFile(server, bytearray(1), 1, None, ov)
        yield from api.SleepEx(20, False)

    def canceller(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(5, False)
        log.append(("CancelIo", (yield from api.CancelIo(box["server"]))))
        log.append(("still pending", box["ov"].Internal == 0x103))
        log.append(("CancelIoEx", (yield from api.CancelIoEx(box["server"], None))))
        log.append(("event", (yield from api.WaitForSingleObject(box["ev"], 0))))
        n = DWORD()
        log.append(
            ("result", (yield from api.GetOverlappedResult(box["server"], box["ov"], n, False)))
        )
        log.append(("error", (yield from api.GetLastError())))

    run({"reader": reader, "canceller": canceller})
    assert log == [
        ("CancelIo", 1),
        ("still pending", True),
        ("CancelIoEx", 1),
        ("event", WAIT_OBJECT_0),
        ("result", 0),
        ("error", ERROR_OPERATION_ABORTED),
    ]


def test_F5_26_a_threads_requests_are_cancelled_when_it_exits() -> None:
    log: list[Any] = []
    box: dict[str, Any] = {}

    def issuer(api: Api) -> Generator[Any, None, None]:
        server, _client = yield from pipe_pair(api)
        box.update(server=server, ov=OVERLAPPED())
        yield from api.ReadFile(server, bytearray(1), 1, None, box["ov"])

    def observer(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        n = DWORD()
        log.append((yield from api.GetOverlappedResult(box["server"], box["ov"], n, False)))
        log.append((yield from api.GetLastError()))

    run({"issuer": issuer, "observer": observer})
    assert log == [0, ERROR_OPERATION_ABORTED]


def test_F5_27_cancel_io_signals_the_event_and_the_result_is_aborted_with_no_bytes() -> None:
    # F5.27 (Wine's httpapi test): CancelIo with a request pending: the OVERLAPPED's event is
    # signalled within 100 ms, GetOverlappedResult(..., FALSE) is FALSE with
    # ERROR_OPERATION_ABORTED and no bytes.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, _client = yield from pipe_pair(api)
        ev = yield from api.CreateEventW(None, True, False, None)
        ov = OVERLAPPED(hEvent=ev)
        log.append((yield from api.ReadFile(server, bytearray(4), 4, None, ov)))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.WaitForSingleObject(ev, 0)))  # pending: not signalled
        log.append((yield from api.CancelIo(server)))
        log.append((yield from api.WaitForSingleObject(ev, 100)))
        n = DWORD(value=7)
        log.append((yield from api.GetOverlappedResult(server, ov, n, False)))
        log.append(((yield from api.GetLastError()), n.value, ov.Internal))

    assert calls(program) == [
        0,
        ERROR_IO_PENDING,
        WAIT_TIMEOUT,
        1,
        WAIT_OBJECT_0,
        0,
        (ERROR_OPERATION_ABORTED, 0, STATUS_CANCELLED),
    ]


def test_F5_26_a_cancelled_read_takes_no_later_data_and_pending_reads_complete_in_order() -> None:
    # F5.26: CancelIoEx(h, &ov) cancels that request alone; the pipe's other pending reads
    # complete in the order they were issued, and the data written after the cancel goes to
    # them, never to the cancelled one. Closing the handle breaks what is still pending, once.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, client = yield from pipe_pair(api)
        bufs = [bytearray(1) for _ in range(4)]
        ovs = [OVERLAPPED() for _ in range(4)]
        for buf, ov in zip(bufs, ovs, strict=True):
            assert (yield from api.ReadFile(server, buf, 1, None, ov)) == 0
        log.append((yield from api.CancelIoEx(server, ovs[1])))
        for data in (b"x", b"y"):
            yield from api.WriteFile(client, data, 1, DWORD(), OVERLAPPED())
        yield from api.CloseHandle(server)
        log.append([(ov.Internal, bytes(buf)) for ov, buf in zip(ovs, bufs, strict=True)])

    log: list[Any] = []
    sim = run(lambda api: program(api, log))
    assert log == [
        1,
        [
            (0, b"x"),
            (STATUS_CANCELLED, b"\0"),
            (0, b"y"),
            (STATUS_PIPE_BROKEN, b"\0"),
        ],
    ]
    assert sim.events("io.late") == []  # every request completed exactly once


def test_F5_26_a_cancelled_connect_is_not_completed_again_when_a_client_comes() -> None:
    # F5.26 for ConnectNamedPipe: the cancelled request completes once, STATUS_CANCELLED; a
    # later client connects to the instance without completing it a second time.
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server = yield from server_end(api)
        ov = OVERLAPPED()
        log.append((yield from api.ConnectNamedPipe(server, ov)))
        log.append((yield from api.CancelIoEx(server, ov)))
        log.append(ov.Internal)
        log.append(bool((yield from client_end(api))))
        log.append(ov.Internal)

    log: list[Any] = []
    sim = run(lambda api: program(api, log))
    assert log == [0, 1, STATUS_CANCELLED, True, STATUS_CANCELLED]
    assert sim.events("io.late") == []


def test_F5_27_a_cancelled_request_still_posts_a_packet_with_status_cancelled() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, _client = yield from pipe_pair(api)
        port = yield from api.CreateIoCompletionPort(server, None, 5, 0)
        ov = OVERLAPPED()
        yield from api.ReadFile(server, bytearray(1), 1, None, ov)
        yield from api.CancelIo(server)
        rc, n, key, got, error = yield from dequeue(api, port)
        log.append((rc, n, key, got is ov, error, ov.Internal))

    assert calls(program) == [(0, 0, 5, True, ERROR_OPERATION_ABORTED, STATUS_CANCELLED)]


def test_a_cancel_racing_a_completion_resolves_to_exactly_one_outcome_both_reachable() -> None:
    def outcome(seed: int) -> tuple[int, int]:
        box: dict[str, Any] = {}
        result: list[int] = []

        def reader(api: Api) -> Generator[Any, None, None]:
            server, client = yield from pipe_pair(api)
            box.update(server=server, client=client, ov=OVERLAPPED())
            yield from api.ReadFile(server, bytearray(1), 1, None, box["ov"])
            yield from api.SleepEx(10, False)
            n = DWORD()
            yield from api.GetOverlappedResult(server, box["ov"], n, True)
            result.append((yield from api.GetLastError()) if not n.value else 0)

        def writer(api: Api) -> Generator[Any, None, None]:
            yield from api.SleepEx(5, False)
            yield from api.WriteFile(box["client"], b"w", 1, DWORD(), OVERLAPPED())

        def canceller(api: Api) -> Generator[Any, None, None]:
            yield from api.SleepEx(5, False)
            yield from api.CancelIoEx(box["server"], box["ov"])

        sim = run(
            {"reader": reader, "writer": writer, "canceller": canceller},
            chooser=RandomChooser(seed),
        )
        completions = [e for e in sim.events("io.complete") if e.payload["op"] == "ReadFile"]
        return result[0], len(completions)

    outcomes = {outcome(seed) for seed in range(40)}
    # Exactly one completion every time; the read either got its byte or was aborted.
    assert outcomes == {(0, 1), (ERROR_OPERATION_ABORTED, 1)}


def test_F5_23_the_port_lives_while_associated_files_remain() -> None:
    def program(api: Api, log: list[Any]) -> Generator[Any, None, None]:
        server, _client = yield from pipe_pair(api)
        port = yield from api.CreateIoCompletionPort(server, None, 1, 0)
        obj = api.k.handles.get(port).obj
        yield from api.CloseHandle(port)
        log.append((obj.closed, obj.alive))  # run down, but still referenced by the file
        yield from api.CloseHandle(server)
        log.append((obj.closed, obj.alive))

    assert calls(program) == [(True, True), (True, False)]
