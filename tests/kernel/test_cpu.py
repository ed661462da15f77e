"""CPU time: ``work`` holds one of ``processors`` for its duration."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.kernel.actor import ActorState
from emu.kernel.chooser import RandomChooser
from emu.kernel.time import TICKS_PER_MS
from emu.win32 import Api
from tests.support import run


def worker(finished: dict[str, int], name: str) -> Any:
    def program(api: Api) -> Generator[Any, None, None]:
        yield from api.work(10 * TICKS_PER_MS)
        finished[name] = api.k.now

    return program


def test_threads_work_in_parallel_up_to_the_processor_count() -> None:
    finished: dict[str, int] = {}
    names = ("a", "b", "c")
    run({n: worker(finished, n) for n in names}, processors=2)
    # Two processors: a and b run together, c waits for a processor.
    assert finished == {"a": 100_000, "b": 100_000, "c": 200_000}


def test_one_processor_serialises_work() -> None:
    finished: dict[str, int] = {}
    run({n: worker(finished, n) for n in ("a", "b")}, processors=1)
    assert sorted(finished.values()) == [100_000, 200_000]


def test_a_working_thread_is_running_and_a_queued_one_ready() -> None:
    states: dict[str, ActorState] = {}

    def observer(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(5, False)
        for thread in api.k.actors:
            states[thread.name] = thread.state

    finished: dict[str, int] = {}
    run({"a": worker(finished, "a"), "b": worker(finished, "b"), "observer": observer})
    assert states["a"] is ActorState.RUNNING
    assert states["b"] is ActorState.READY


def test_which_queued_thread_gets_a_freed_processor_is_a_choice() -> None:
    orders = set()
    for seed in range(20):
        finished: dict[str, int] = {}
        run({n: worker(finished, n) for n in ("a", "b", "c")}, chooser=RandomChooser(seed))
        orders.add(tuple(sorted(finished, key=finished.__getitem__)))
    assert len(orders) > 1


def test_work_is_traced() -> None:
    finished: dict[str, int] = {}
    sim = run({"a": worker(finished, "a"), "b": worker(finished, "b")})
    kinds = [e.kind for e in sim.events() if e.kind.startswith("cpu.")]
    assert kinds == ["cpu.work", "cpu.queue", "cpu.done", "cpu.work", "cpu.done"]


def test_a_queued_thread_granted_a_processor_holds_it_until_its_work_ends() -> None:
    # ``work`` holds one of ``processors`` for its duration, a thread that waited in the
    # processor queue too: b gets the one processor at 2 ms (when a's work ends) and holds it
    # to 4 ms, so c, arriving at 3 ms, queues behind it and ends at 6 ms.
    finished: dict[str, int] = {}

    def timed(name: str, start: int) -> Any:
        def program(api: Api) -> Generator[Any, None, None]:
            if start:
                yield from api.SleepEx(start, False)
            yield from api.work(2 * TICKS_PER_MS)
            finished[name] = api.k.now

        return program

    sim = run({"a": timed("a", 0), "b": timed("b", 0), "c": timed("c", 3)}, processors=1)
    assert finished == {"a": 2 * TICKS_PER_MS, "b": 4 * TICKS_PER_MS, "c": 6 * TICKS_PER_MS}
    # cpu.work's `busy` counts processors in use: always the one.
    assert [e.payload["busy"] for e in sim.events("cpu.work")] == [1, 1, 1]


def test_a_processor_is_released_by_the_kernel() -> None:
    # docs/trace.md: the actor 0 "is the kernel itself (timers, end-of-run reports)": the end
    # of a CPU burst is a timer's, whichever thread ran last.
    finished: dict[str, int] = {}
    sim = run({"a": worker(finished, "a"), "b": worker(finished, "b")})
    done = [e for e in sim.k.trace.events if e[2] == "cpu.done"]
    assert len(done) == 2 and {e[1] for e in done} == {0}
