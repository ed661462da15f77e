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
