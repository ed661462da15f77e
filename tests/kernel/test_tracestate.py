"""state_at rebuilds the world at any event from the trace alone."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.kernel.tracestate import last_touch, state_at
from emu.win32 import LONG, Api
from tests.support import run


def scenario() -> Any:
    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, False, False, "ev")
        yield from api.SetEvent(ev)
        counter = LONG()
        yield from api.InterlockedIncrement(counter)
        yield from api.QueueUserAPC(lambda d: None, -2, 0)
        yield from api.CloseHandle(12345)
        yield from api.SleepEx(1, True)
        yield from api.CloseHandle(ev)

    return run(main)


def test_state_at_every_event_matches_the_objects_it_changed() -> None:
    sim = scenario()
    view = sim.k.trace.view()
    set_event = next(e for e in view if e.kind == "event.state" and e.payload["op"] == "set")
    world = state_at(sim.k.trace, set_event.seq)
    assert world.by_name("ev").fields["signaled"] == 1
    before = state_at(sim.k.trace, set_event.seq - 1)
    assert before.by_name("ev").fields["signaled"] == 0
    assert before.time == 0


def test_handles_objects_and_last_errors_are_rebuilt() -> None:
    sim = scenario()
    view = sim.k.trace.view()
    opened = next(e for e in view if e.kind == "handle.open")
    world = state_at(sim.k.trace, opened.seq)
    assert world.handles == {("kernel", 4): opened.object_ids[0]}
    failed = next(e for e in view if e.kind == "api" and e.payload["error"] == 6)
    assert state_at(sim.k.trace, failed.seq).by_name("main").fields["last_error"] == 6
    end = state_at(sim.k.trace, len(view) - 1)
    assert end.handles == {}
    assert not end.by_name("ev").alive
    assert end.by_name("main").fields["state"] == "TERMINATED"


def test_thread_state_and_apc_queue_length_are_rebuilt() -> None:
    sim = scenario()
    view = sim.k.trace.view()
    queued = next(e for e in view if e.kind == "apc.queue")
    assert state_at(sim.k.trace, queued.seq).by_name("main").fields["pending"] == 1
    delivered = next(e for e in view if e.kind == "apc.deliver")
    assert state_at(sim.k.trace, delivered.seq).by_name("main").fields["pending"] == 0


def test_structure_fields_are_rebuilt() -> None:
    sim = scenario()
    rmw = next(e for e in sim.k.trace.view() if e.kind == "mem.rmw")
    assert state_at(sim.k.trace, rmw.seq).objects[rmw.object_ids[0]].fields["value"] == 1


def test_incremental_reconstruction_agrees_with_every_state_event() -> None:
    # For every event that carries new state, the world rebuilt up to it holds that state.
    from emu.demo import run_demo
    from emu.kernel.trace import TRACE_KINDS
    from emu.kernel.tracestate import World, apply_event

    for k in (scenario().k, run_demo(4)):
        world = World(seq=-1, time=0)
        for seq, event in enumerate(k.trace.events):
            apply_event(world, seq, event)
            schema = TRACE_KINDS[event[2]]
            if schema.state and event[3]:
                fields = world.objects[event[3][0]].fields
                for name, value in zip(schema.fields, event[4], strict=True):
                    if name in schema.state:
                        assert fields[name] == value, (event, name)
        assert world == state_at(k.trace, len(k.trace) - 1)


def test_a_structures_initial_values_are_rebuilt_from_mem_init() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        counter = LONG(value=5)
        yield from api.InterlockedIncrement(counter)

    sim = run(main)
    view = sim.k.trace.view()
    init = next(e for e in view if e.kind == "mem.init")
    world = state_at(sim.k.trace, init.seq)
    assert world.objects[init.object_ids[0]].fields["value"] == 5


def test_last_touch_skips_wait_bookkeeping_and_the_waiters_own_events() -> None:
    # "The last event before ``before`` that touched one of ``objects``, by another actor than
    # ``exclude_actor`` and not wait bookkeeping: what could have woken a waiter on them."
    events = [
        (0, 3, "event.state", (9,), ("set", 1), -1),
        (0, 4, "thread.wait", (4, 9), ("WAITING", False, False, None, (9,)), -1),
        (0, 2, "event.state", (9,), ("reset", 0), -1),
    ]
    assert last_touch(events, 3, frozenset({9}), exclude_actor=2) == 0
    assert last_touch(events, 3, frozenset({9}), exclude_actor=5) == 2
    assert last_touch(events, 3, frozenset({8}), exclude_actor=2) is None


def racers() -> dict[str, Any]:
    def worker(api: Api) -> Generator[Any, None, None]:
        counter = LONG()
        for _ in range(6):
            yield from api.InterlockedIncrement(counter)

    return {"a": worker, "b": worker, "c": worker}


def test_a_switching_choice_names_both_threads_and_implies_their_states() -> None:
    # docs/trace.md (schema 2): a preemption that switches threads is one `choice` naming the
    # preempted thread and the chosen one; from it the first is READY and the second RUNNING,
    # and the switch records no actor.state events.
    from emu.kernel.chooser import RandomChooser

    switches = 0
    for seed in range(8):
        sim = run(racers(), chooser=RandomChooser(seed))
        events = sim.k.trace.events
        names = sim.k.trace.names()
        for seq, (_t, actor, kind, objects, payload, _c) in enumerate(events):
            if kind != "choice" or not objects:
                continue
            switches += 1
            preempted, chosen = objects
            assert actor == preempted and payload[2] > 0  # the acting thread loses the CPU
            assert payload[3] == ("thread", names[chosen])  # the chosen option's key
            world = state_at(sim.k.trace, seq)
            assert world.objects[preempted].fields["state"] == "READY"
            assert world.objects[chosen].fields["state"] == "RUNNING"
            following = events[seq + 1]
            assert following[2] != "actor.state" or following[3][0] not in objects
            assert following[1] == chosen  # the chosen thread acts next
    assert switches > 0


def test_last_touch_does_not_count_a_switch_as_touching_a_thread() -> None:
    # A thread waited on (WaitForSingleObject on its handle) is touched by what it does, not by
    # the scheduler naming it in a switching choice.
    events = [
        (0, 5, "actor.exit", (5,), ("TERMINATED", 0), -1),
        (0, 6, "choice", (6, 5), ("sched", "x", 1, ("thread", "t"), 2), -1),
    ]
    assert last_touch(events, 2, frozenset({5}), exclude_actor=4) == 0
