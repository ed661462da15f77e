"""Nested routines on the actor's own stack: APCs inside alertable waits inside APCs, at any
depth, with values and exceptions passed down as ``yield from`` would pass them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Generator
from typing import Any

import pytest

from emu.codes import INFINITE, WAIT_IO_COMPLETION
from emu.errors import ProgramError
from emu.kernel.limits import DEFAULT_APC_DEPTH_LIMIT, ENDED_APC_DEPTH, ENDED_STEPS
from emu.kernel.nest import INLINE_DEPTH
from emu.kernel.trace import KIND, PAYLOAD
from emu.win32 import Api
from tests.support import Sim, build, run

CURRENT_THREAD = -2


def self_queueing(api: Api, levels: int | None, log: list[int]) -> Any:
    """A thread whose APC queues itself to its own thread and waits alertably: each delivery
    runs one level deeper ("If you perform an alertable wait inside an APC, it will
    recursively dispatch the APCs", QueueUserAPC). ``levels`` None: for ever."""

    def routine(data: int) -> Generator[Any, None, None]:
        log.append(data)
        if levels is None or data < levels:
            yield from api.QueueUserAPC(routine, CURRENT_THREAD, data + 1)
            yield from api.SleepEx(0, True)
        log.append(-data)

    def main(api: Api) -> Generator[Any, None, int]:
        yield from api.QueueUserAPC(routine, CURRENT_THREAD, 1)
        return int((yield from api.SleepEx(INFINITE, True)))

    return main


def apc_events(sim: Sim) -> list[tuple[str, tuple[Any, ...]]]:
    wanted = ("apc.queue", "apc.deliver", "apc.return")
    return [(e[KIND], e[PAYLOAD]) for e in sim.k.trace.events if e[KIND] in wanted]


def test_a_thousand_nested_apc_levels_run_under_the_normal_recursion_limit() -> None:
    # Issue 11: 150 levels used to end in RecursionError. Each level is one entry of the
    # thread's stack of generators, so 1,000 levels need no more Python stack than one.
    assert sys.getrecursionlimit() <= 1000
    log: list[int] = []
    sim = run({"main": lambda api: self_queueing(api, 1000, log)(api)})
    assert sim.reason == "all threads done"
    assert sim.violations() == []
    assert sim.threads["main"].exit_code == WAIT_IO_COMPLETION
    # Every level ran, innermost first to return.
    assert log == [*range(1, 1001), *range(-1000, 0)]
    events = apc_events(sim)
    delivers = [p for kind, p in events if kind == "apc.deliver"]
    returns = [p for kind, p in events if kind == "apc.return"]
    # Depth 1,000 reached, one level per delivery.
    assert [p[4] for p in delivers] == list(range(1, 1001))
    # Every apc.deliver is matched by an apc.return at the same depth, innermost first.
    assert [(p[0], p[2]) for p in returns] == [(p[0], p[4]) for p in reversed(delivers)]
    # FIFO held: the APCs were delivered in the order they were queued.
    queued = [p[0] for kind, p in events if kind == "apc.queue"]
    assert [p[0] for p in delivers] == queued
    # Nothing is left on the thread's stack.
    assert sim.threads["main"].stack == []


def test_nesting_depth_does_not_grow_the_python_stack() -> None:
    # The deepest level runs with as many Python frames as the first one does.
    depths: dict[int, int] = {}

    def main(api: Api) -> Generator[Any, None, None]:
        def routine(data: int) -> Generator[Any, None, None]:
            depths[data] = len(_frames())
            if data < 300:
                yield from api.QueueUserAPC(routine, CURRENT_THREAD, data + 1)
                yield from api.SleepEx(0, True)

        yield from api.QueueUserAPC(routine, CURRENT_THREAD, 1)
        yield from api.SleepEx(0, True)

    run(main)
    assert len(depths) == 300
    # Past the levels run inline, each level runs with the same number of frames.
    assert depths[300] == depths[INLINE_DEPTH + 2]


def _frames() -> list[object]:
    frame = sys._getframe(1)
    found: list[object] = []
    while frame is not None:
        found.append(frame)
        frame = frame.f_back  # type: ignore[assignment]
    return found


def test_a_runaway_self_queueing_apc_chain_ends_by_the_step_limit_with_a_report() -> None:
    # Unbounded nesting at one instant: the step limit ends the run, naming the thread, the
    # function and the program line; no RecursionError, no crash.
    sim = build({"main": lambda api: self_queueing(api, None, [])(api)})
    sim.k.step_limit = 5000
    assert sim.k.run() == ENDED_STEPS
    messages = [e.payload["message"] for e in sim.events("violation")]
    assert len(messages) == 1
    assert messages[0].startswith("thread main in ")
    assert "tests.kernel.test_nest:self_queueing.<locals>.routine line " in messages[0]
    depth = max(p[4] for kind, p in apc_events(sim) if kind == "apc.deliver")
    assert depth > 2500


def test_a_runaway_apc_chain_that_lets_time_advance_ends_at_the_apc_depth_limit() -> None:
    # Time advances between levels, so the step limit never fires: the APC depth limit ends
    # the run, before the chain's generators fill memory.
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        def routine(data: int) -> Generator[Any, None, None]:
            log.append(data)
            yield from api.QueueUserAPC(routine, CURRENT_THREAD, data + 1)
            yield from api.Sleep(1)
            yield from api.SleepEx(0, True)

        yield from api.QueueUserAPC(routine, CURRENT_THREAD, 1)
        yield from api.SleepEx(INFINITE, True)

    sim = build({"main": main})
    sim.k.apc_depth_limit = 200
    assert sim.k.run() == ENDED_APC_DEPTH
    assert log == list(range(1, 201))
    depth = max(p[4] for kind, p in apc_events(sim) if kind == "apc.deliver")
    assert depth == 200
    assert [e.payload["message"] for e in sim.events("violation")] == [
        "thread main in SleepEx at tests.kernel.test_nest:test_a_runaway_apc_chain_that_lets_"
        "time_advance_ends_at_the_apc_depth_limit.<locals>.main.<locals>.routine line "
        f"{routine_line(main)}: user-mode APC delivery nested 201 levels deep, more than the "
        "APC depth limit of 200 (an APC that waits alertably inside APCs that do, without end; "
        "a thread's default 1 MB stack holds far fewer); raise the APC depth limit (limits: "
        "apc_depth:) if this is intended"
    ]
    assert sim.violations() == ["kernel.apc_depth_limit"]


def routine_line(main: Any) -> int:
    """The line of the routine's alertable SleepEx: the program's fifth line after ``def``."""
    return int(main.__code__.co_firstlineno) + 5


def test_the_default_apc_depth_limit_is_ten_thousand_levels() -> None:
    # Ten times the depth issue 11 asks for; more than a default 1 MB stack holds.
    assert DEFAULT_APC_DEPTH_LIMIT == 10_000
    sim = build({"main": lambda api: self_queueing(api, None, [])(api)})
    sim.k.step_limit = 10**9
    assert sim.k.run() == ENDED_APC_DEPTH
    depth = max(p[4] for kind, p in apc_events(sim) if kind == "apc.deliver")
    assert depth == 10_000


DEPTHS = (1, INLINE_DEPTH + 3)
"""A routine run inline (yield from) and one nested on the thread's stack (Nest)."""


def descend(
    api: Api, depth: int, deepest: Callable[[], Generator[Any, None, Any]], log: list[str]
) -> Callable[[int], Generator[Any, None, None]]:
    """An APC routine that queues itself and waits alertably until level ``depth``, where it
    runs ``deepest``; each level logs if it goes on after its wait."""

    def routine(level: int) -> Generator[Any, None, None]:
        if level == depth:
            yield from deepest()
            return
        yield from api.QueueUserAPC(routine, CURRENT_THREAD, level + 1)
        yield from api.SleepEx(0, True)
        log.append(f"level {level} went on")

    return routine


def delivered_depths(sim: Sim) -> list[int]:
    return [p[4] for kind, p in apc_events(sim) if kind == "apc.deliver"]


@pytest.mark.parametrize("depth", DEPTHS)
def test_the_value_an_apc_routine_returns_reaches_nobody(depth: int) -> None:
    # The routine's return value is dropped; the wait returns WAIT_IO_COMPLETION.
    log: list[str] = []

    def main(api: Api) -> Generator[Any, None, int]:
        def deepest() -> Generator[Any, None, str]:
            yield from api.GetLastError()
            return "ignored"

        yield from api.QueueUserAPC(descend(api, depth, deepest, log), CURRENT_THREAD, 1)
        return int((yield from api.SleepEx(0, True)))

    sim = run(main)
    assert sim.threads["main"].exit_code == WAIT_IO_COMPLETION
    assert log == [f"level {n} went on" for n in range(depth - 1, 0, -1)]
    assert delivered_depths(sim) == list(range(1, depth + 1))


@pytest.mark.parametrize("depth", DEPTHS)
def test_an_exception_in_a_nested_apc_reaches_the_program_that_waited(depth: int) -> None:
    # An exception propagates from the routine to the alertable wait's caller, through every
    # level, exactly as a call would raise it.
    log: list[str] = []

    def main(api: Api) -> Generator[Any, None, None]:
        def deepest() -> Generator[Any, None, None]:
            yield from api.GetLastError()
            raise ValueError("deepest failed")

        yield from api.QueueUserAPC(descend(api, depth, deepest, log), CURRENT_THREAD, 1)
        try:
            yield from api.SleepEx(0, True)
        except ValueError as exc:
            log.append(str(exc))
        yield from api.SleepEx(1, False)

    sim = run(main)
    assert log == ["deepest failed"]  # no level went on: the exception passed through
    assert sim.reason == "all threads done"
    assert sim.threads["main"].stack == []
    assert sim.threads["main"].apc_depth == 0


@pytest.mark.parametrize("depth", DEPTHS)
def test_an_uncaught_exception_in_a_nested_apc_is_the_threads_crash(depth: int) -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        def deepest() -> Generator[Any, None, None]:
            yield from api.GetLastError()
            raise KeyError(depth)

        yield from api.QueueUserAPC(descend(api, depth, deepest, []), CURRENT_THREAD, 1)
        yield from api.SleepEx(0, True)

    with pytest.raises(ProgramError, match=f"thread main raised KeyError: {depth}"):
        run(main)


@pytest.mark.parametrize("depth", DEPTHS)
def test_exit_thread_inside_a_nested_apc_ends_the_thread_with_its_code(depth: int) -> None:
    # ExitThread ends the calling thread wherever it is called, an APC many levels deep too.
    log: list[str] = []

    def main(api: Api) -> Generator[Any, None, int]:
        def deepest() -> Generator[Any, None, None]:
            yield from api.ExitThread(42)

        yield from api.QueueUserAPC(descend(api, depth, deepest, log), CURRENT_THREAD, 1)
        yield from api.SleepEx(0, True)
        log.append("main went on")
        return 0

    sim = run(main)
    assert log == []
    assert sim.threads["main"].exit_code == 42
    assert sim.threads["main"].stack == []
    assert delivered_depths(sim) == list(range(1, depth + 1))


@pytest.mark.parametrize("depth", DEPTHS)
def test_a_nested_apc_that_yields_a_value_of_its_own_is_reported(depth: int) -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        def deepest() -> Generator[Any, None, None]:
            yield "park"

        yield from api.QueueUserAPC(descend(api, depth, deepest, []), CURRENT_THREAD, 1)
        yield from api.SleepEx(0, True)

    with pytest.raises(ProgramError, match="thread main yielded 'park'"):
        run(main)


@pytest.mark.parametrize("depth", DEPTHS)
def test_a_nested_apc_that_blocks_parks_its_thread_and_resumes_at_its_level(depth: int) -> None:
    # A routine that waits (non-alertably) parks the thread in the middle of its stack; the
    # other thread runs, then the routine resumes where it was, and every level after it.
    log: list[str] = []

    def main(api: Api) -> Generator[Any, None, None]:
        def deepest() -> Generator[Any, None, None]:
            log.append("apc starts")
            yield from api.SleepEx(5, False)
            log.append("apc resumes")

        yield from api.QueueUserAPC(descend(api, depth, deepest, log), CURRENT_THREAD, 1)
        yield from api.SleepEx(INFINITE, True)
        log.append("main resumes")

    def other(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        log.append("other runs")

    run({"main": main, "other": other})
    levels = [f"level {n} went on" for n in range(depth - 1, 0, -1)]
    assert log == ["apc starts", "other runs", "apc resumes", *levels, "main resumes"]
