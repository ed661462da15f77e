"""Properties over random programs and random schedules.

Each example builds 2-4 threads that share two named events (one manual-reset, one auto-reset)
and perform a random list of operations: queue APCs to each other (some of which wait
alertably inside the APC), sleep and wait (alertable or not, with timeouts), set and reset the
events, and work on the processors. The run uses a seeded random chooser. The trace must show:

- APCs are delivered only inside an alertable wait, which then returns WAIT_IO_COMPLETION (or,
  queued before the thread began running, as it starts);
- per thread, APCs are delivered in FIFO (queueing) order;
- nothing is lost: every queued APC is delivered, discarded by its thread's exit, or reported
  undelivered at the end;
- an auto-reset event never releases two waiters for one signal (every consume follows a set);
- the same program and seed give the same trace.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Generator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from emu.codes import THREAD_SET_CONTEXT, WAIT_IO_COMPLETION
from emu.kernel.chooser import RandomChooser
from emu.kernel.trace import TraceTuple
from emu.win32 import Api
from tests.support import Sim, build

ALERTABLE_WAITS = {"SleepEx", "WaitForSingleObjectEx", "WaitForMultipleObjectsEx"}

op = st.one_of(
    st.tuples(st.just("apc"), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("sleep"), st.sampled_from([0, 1, 3]), st.booleans()),
    st.tuples(st.just("wait"), st.integers(0, 1), st.sampled_from([0, 1, 4]), st.booleans()),
    st.tuples(st.just("set"), st.integers(0, 1)),
    st.tuples(st.just("reset"), st.integers(0, 1)),
    st.tuples(st.just("work"), st.sampled_from([5_000, 10_000])),
)
programs_strategy = st.lists(st.lists(op, max_size=8), min_size=2, max_size=4)


def make_sim(plans: list[list[tuple[Any, ...]]], seed: int) -> Sim:
    names = [f"t{i}" for i in range(len(plans))]
    holder: dict[str, Sim] = {}

    def program(plan: list[tuple[Any, ...]]) -> Any:
        def body(api: Api) -> Generator[Any, None, None]:
            events = [
                (yield from api.CreateEventW(None, True, False, "manual")),
                (yield from api.CreateEventW(None, False, False, "auto")),
            ]
            peers = []
            for name in names:
                tid = holder["sim"].threads[name].tid
                peers.append((yield from api.OpenThread(THREAD_SET_CONTEXT, False, tid)))

            def nested(data: int) -> Generator[Any, None, None]:
                yield from api.SleepEx(0, True)

            for step in plan:
                kind = step[0]
                if kind == "apc":
                    target = peers[step[1] % len(peers)]
                    routine = nested if step[2] else (lambda data: None)
                    yield from api.QueueUserAPC(routine, target, step[1])
                elif kind == "sleep":
                    yield from api.SleepEx(step[1], step[2])
                elif kind == "wait":
                    yield from api.WaitForSingleObjectEx(events[step[1]], step[2], step[3])
                elif kind == "set":
                    yield from api.SetEvent(events[step[1]])
                elif kind == "reset":
                    yield from api.ResetEvent(events[step[1]])
                else:
                    yield from api.work(step[1])

        return body

    sim = build(
        {name: program(plan) for name, plan in zip(names, plans, strict=True)},
        processors=2,
        chooser=RandomChooser(seed),
    )
    holder["sim"] = sim
    sim.reason = sim.k.run()
    return sim


def check_apcs_only_in_alertable_waits(events: list[TraceTuple]) -> None:
    depth: dict[int, int] = defaultdict(int)
    owed: dict[tuple[int, int], bool] = {}
    for _t, actor, kind, objects, payload, _cause in events:
        if kind == "apc.deliver":
            thread = objects[0]
            assert payload[4] == depth[thread] + 1
            if payload[5] == "alertable wait":  # not an APC queued before the thread started
                owed[(thread, depth[thread])] = True
            else:
                assert payload[5] == "thread start" and depth[thread] == 0
            depth[thread] += 1
        elif kind == "apc.return":
            depth[objects[0]] -= 1
        elif kind == "api" and owed.pop((actor, depth[actor]), False):
            # The call during which the APCs ran must be an alertable wait that returned
            # WAIT_IO_COMPLETION.
            name, args, result = payload[0], payload[1], payload[2]
            assert name in ALERTABLE_WAITS, name
            assert args[-1], f"{name} was not alertable"
            assert result == WAIT_IO_COMPLETION


def check_fifo_and_nothing_lost(events: list[TraceTuple]) -> None:
    queued: dict[int, list[int]] = defaultdict(list)
    disposed: dict[int, list[int]] = defaultdict(list)
    for event in events:
        kind = event[2]
        if kind == "apc.queue":
            queued[event[3][0]].append(event[4][0])
        elif kind in ("apc.deliver", "apc.discard", "apc.undelivered"):
            disposed[event[3][0]].append(event[4][0])
    assert disposed == queued


def check_auto_reset_releases_one_per_signal(events: list[TraceTuple]) -> None:
    signaled: dict[int, int] = {}
    for event in events:
        if event[2] != "event.state":
            continue
        oid, (op, value) = event[3][0], event[4]
        if op == "consume":
            assert signaled[oid] == 1, "an auto-reset event was consumed while not signalled"
        signaled[oid] = value


@given(plans=programs_strategy, seed=st.integers(0, 2**32))
def test_random_programs_keep_the_apc_and_event_rules(
    plans: list[list[tuple[Any, ...]]], seed: int
) -> None:
    sim = make_sim(plans, seed)
    events = sim.k.trace.events
    check_apcs_only_in_alertable_waits(events)
    check_fifo_and_nothing_lost(events)
    check_auto_reset_releases_one_per_signal(events)


@given(plans=programs_strategy, seed=st.integers(0, 2**32))
def test_the_same_program_and_seed_give_the_same_trace(
    plans: list[list[tuple[Any, ...]]], seed: int
) -> None:
    assert make_sim(plans, seed).k.trace.to_jsonl() == make_sim(plans, seed).k.trace.to_jsonl()
