"""User-mode APC delivery: FIFO per thread, only in alertable waits, nothing lost silently."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    CREATE_SUSPENDED,
    ERROR_GEN_FAILURE,
    INFINITE,
    THREAD_SET_CONTEXT,
    WAIT_IO_COMPLETION,
    WAIT_OBJECT_0,
    WAIT_TIMEOUT,
)
from emu.win32 import Api
from tests.support import run

CURRENT_THREAD = -2


def test_apcs_run_only_in_an_alertable_wait() -> None:
    log: list[str] = []

    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.QueueUserAPC(lambda d: log.append(f"apc{d}"), CURRENT_THREAD, 1)
        # A non-alertable sleep with a queued APC returns 0 and the APC stays queued (F5.17).
        log.append(f"sleep={(yield from api.SleepEx(1, False))}")
        ev = yield from api.CreateEventW(None, True, False, None)
        log.append(f"wait={(yield from api.WaitForSingleObject(ev, 1))}")
        # The next alertable wait runs it and returns WAIT_IO_COMPLETION.
        log.append(f"alertable={(yield from api.SleepEx(1, True))}")

    run(main)
    assert log == ["sleep=0", f"wait={WAIT_TIMEOUT}", "apc1", f"alertable={WAIT_IO_COMPLETION}"]


def test_F5_24_one_alertable_wait_runs_all_queued_apcs_in_fifo_order() -> None:
    # F5.24: 16 APCs queued while the thread is not alertable; one SleepEx runs them all in
    # queue order, then returns WAIT_IO_COMPLETION.
    log: list[str] = []

    def main(api: Api) -> Generator[Any, None, None]:
        for round_ in range(4):
            for letter in "ABCD":
                yield from api.QueueUserAPC(log.append, CURRENT_THREAD, f"{letter}{round_}")
        log.append(str((yield from api.SleepEx(2000, True))))

    run(main)
    expected = [f"{letter}{r}" for r in range(4) for letter in "ABCD"]
    assert log == [*expected, str(WAIT_IO_COMPLETION)]


def test_an_apc_queued_by_an_apc_to_its_own_thread_runs_in_the_same_wait() -> None:
    log: list[str] = []

    def main(api: Api) -> Generator[Any, None, None]:
        def second(data: int) -> None:
            log.append("second")

        def first(data: int) -> Generator[Any, None, None]:
            log.append("first")
            yield from api.QueueUserAPC(second, CURRENT_THREAD, 0)

        yield from api.QueueUserAPC(first, CURRENT_THREAD, 0)
        log.append(str((yield from api.SleepEx(0, True))))
        # Nothing is left for the next alertable wait.
        log.append(str((yield from api.SleepEx(0, True))))

    run(main)
    assert log == ["first", "second", str(WAIT_IO_COMPLETION), "0"]


def test_an_alertable_wait_inside_an_apc_dispatches_the_rest_recursively() -> None:
    # "If you perform an alertable wait inside an APC, it will recursively dispatch the APCs."
    log: list[str] = []

    def main(api: Api) -> Generator[Any, None, None]:
        def inner(name: str) -> None:
            log.append(name)

        def outer(name: str) -> Generator[Any, None, None]:
            log.append(f"{name}:begin")
            log.append(f"nested={(yield from api.SleepEx(0, True))}")
            log.append(f"{name}:end")

        yield from api.QueueUserAPC(outer, CURRENT_THREAD, "outer")
        yield from api.QueueUserAPC(inner, CURRENT_THREAD, "inner1")
        yield from api.QueueUserAPC(inner, CURRENT_THREAD, "inner2")
        log.append(f"outer={(yield from api.SleepEx(0, True))}")

    sim = run(main)
    assert log == [
        "outer:begin",
        "inner1",
        "inner2",
        f"nested={WAIT_IO_COMPLETION}",
        "outer:end",
        f"outer={WAIT_IO_COMPLETION}",
    ]
    depths = [e.payload["depth"] for e in sim.events("apc.deliver")]
    assert depths == [1, 2, 2]


def test_a_signalled_object_wins_over_a_pending_apc_which_stays_queued() -> None:
    # "If the wait is satisfied before the APC is queued, the thread is no longer in an
    # alertable wait state so the APC function will not be executed. However, the APC is still
    # queued, so the APC function will be executed when the thread calls another alertable
    # wait function." (NT tests the objects before pending APCs.)
    log: list[str] = []

    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, True, None)
        yield from api.QueueUserAPC(lambda d: log.append("apc"), CURRENT_THREAD, 0)
        log.append(f"wait={(yield from api.WaitForSingleObjectEx(ev, INFINITE, True))}")
        log.append(f"sleep={(yield from api.SleepEx(0, True))}")

    run(main)
    assert log == [f"wait={WAIT_OBJECT_0}", "apc", f"sleep={WAIT_IO_COMPLETION}"]


def test_an_apc_queued_during_an_alertable_wait_ends_it() -> None:
    log: list[str] = []

    def main(api: Api) -> Generator[Any, None, None]:
        me = yield from api.GetCurrentThreadId()
        handle = yield from api.OpenThread(THREAD_SET_CONTEXT, False, me)

        def other(param: int) -> Generator[Any, None, None]:
            yield from api.SleepEx(3, False)
            yield from api.QueueUserAPC(lambda d: log.append(f"apc{d}"), handle, 9)

        yield from api.CreateThread(None, 0, other, 0, 0, None)
        log.append(f"wait={(yield from api.SleepEx(INFINITE, True))}")

    sim = run(main)
    assert log == ["apc9", f"wait={WAIT_IO_COMPLETION}"]
    assert sim.k.now == 30_000  # woken at 3 ms by the APC, not by a timeout


def test_queue_user_apc_to_an_exited_thread_fails_with_error_gen_failure() -> None:
    results: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        def worker(param: int) -> int:
            return 0

        handle = yield from api.CreateThread(None, 0, worker, 0, 0, None)
        yield from api.WaitForSingleObject(handle, INFINITE)
        results.append((yield from api.QueueUserAPC(lambda d: None, handle, 0)))
        results.append((yield from api.GetLastError()))

    run(main)
    # "When the thread is in the process of being terminated, calling QueueUserAPC ... will
    # fail with (31) ERROR_GEN_FAILURE."
    assert results == [0, ERROR_GEN_FAILURE]


def test_a_threads_exit_discards_its_pending_apcs_and_the_trace_says_so() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.QueueUserAPC(lambda d: None, CURRENT_THREAD, 1)
        yield from api.QueueUserAPC(lambda d: None, CURRENT_THREAD, 2)

    sim = run(main)
    discards = sim.events("apc.discard")
    assert [e.payload["apc"] for e in discards] == [1, 2]
    assert {e.payload["reason"] for e in discards} == {"thread exited"}
    assert [e.payload["pending"] for e in discards] == [1, 0]
    # Each discard names the queueing event as its cause.
    queued = {e.seq for e in sim.events("apc.queue")}
    assert {e.cause for e in discards} == queued


def test_an_apc_to_a_thread_that_never_waits_alertably_is_reported_undelivered() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, None)
        yield from api.QueueUserAPC(lambda d: None, CURRENT_THREAD, 5)
        yield from api.WaitForSingleObject(ev, INFINITE)  # never alertable, never returns

    sim = run(main)
    undelivered = sim.events("apc.undelivered")
    assert len(undelivered) == 1
    assert undelivered[0].objects == ("main",)
    assert undelivered[0].cause == sim.events("apc.queue")[0].seq


def test_apc_delivery_and_return_are_traced_with_their_cause() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.QueueUserAPC(lambda d: None, CURRENT_THREAD, 3)
        yield from api.SleepEx(0, True)

    sim = run(main)
    queue, deliver, done = (
        sim.events("apc.queue")[0],
        sim.events("apc.deliver")[0],
        sim.events("apc.return")[0],
    )
    assert deliver.cause == queue.seq
    assert queue.payload["pending"] == 1 and deliver.payload["pending"] == 0
    assert deliver.seq < done.seq


def test_an_apc_queued_before_a_thread_starts_runs_first() -> None:
    # "If an application queues an APC before the thread begins running, the thread begins by
    # calling the APC function."
    log: list[str] = []

    def main(api: Api) -> Generator[Any, None, None]:
        def child(param: int) -> None:
            log.append("start routine")

        for flags in (0, CREATE_SUSPENDED):
            handle = yield from api.CreateThread(None, 0, child, 0, flags, None)
            yield from api.QueueUserAPC(lambda d: log.append(f"apc{d}"), handle, flags)
            if flags:
                yield from api.ResumeThread(handle)
            yield from api.WaitForSingleObject(handle, INFINITE)

    sim = run(main)
    assert log == ["apc0", "start routine", f"apc{CREATE_SUSPENDED}", "start routine"]
    assert {e.payload["at"] for e in sim.events("apc.deliver")} == {"thread start"}
    assert sim.events("apc.discard") == []
