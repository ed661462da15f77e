"""emu/sim/simulation.py: building a run from a compiled scenario, its strategy and its end."""

from __future__ import annotations

import textwrap

import pytest

from emu.codes import WAIT_OBJECT_0
from emu.kernel.chooser import CanonicalChooser, ReplayChooser
from emu.scenario import Scenario, load_text
from emu.sim import Result, Simulation, run_scenario
from tests.scenario.helpers import failures

MS = 10_000  # ticks


def scenario(body: str) -> Scenario:
    return load_text("version: 1\nname: t\n" + textwrap.dedent(body), "t.yaml")


TWO_THREADS = """
threads:
  a:
    steps:
      - SwitchToThread
  b:
    steps:
      - SwitchToThread
"""
RECORDED = "schedule: [[1, [thread, b]], [1, [thread, b]], [0, [thread, b]]]\n"


# -- the strategy -------------------------------------------------------------------------------


def test_an_explicit_chooser_wins_over_a_seed_and_the_scenario() -> None:
    # The strategy: an explicit chooser if given.
    s = scenario(TWO_THREADS + "seed: 11\n")
    result = Simulation(s, chooser=CanonicalChooser(), seed=5).run()
    assert result.strategy == {"strategy": "canonical"}


def test_an_explicit_replay_chooser_is_used_as_given() -> None:
    # The strategy: an explicit chooser if given (here a replay of b-first).
    s = scenario(TWO_THREADS)
    recorded = [(1, ("thread", "b")), (1, ("thread", "b")), (0, ("thread", "b"))]
    result = Simulation(s, chooser=ReplayChooser(recorded)).run()
    assert result.strategy == {"strategy": "replay", "steps": 3, "strict": True}
    running = [e.objects[0] for e in result.events if e.payload.get("state") == "RUNNING"]
    assert running[0] == "b"


def test_the_seed_argument_wins_over_the_scenario_seed() -> None:
    # The strategy: else a seeded random one with ``seed=`` (emu run --seed overrides seed:).
    result = run_scenario(scenario(TWO_THREADS + "seed: 11\n"), seed=4)
    assert result.strategy == {"strategy": "random", "seed": 4}


def test_the_seed_argument_wins_over_the_scenario_schedule() -> None:
    # The strategy: a seeded random one (``seed=``) before a replay of ``schedule:``.
    result = run_scenario(scenario(TWO_THREADS + RECORDED), seed=4)
    assert result.strategy == {"strategy": "random", "seed": 4}


def test_a_scenario_schedule_is_replayed() -> None:
    # ... else a replay of the scenario's ``schedule:``: b runs first, as recorded.
    result = run_scenario(scenario(TWO_THREADS + RECORDED))
    assert result.strategy == {"strategy": "replay", "steps": 3, "strict": True}
    assert result.schedule == [
        (1, ("thread", "b")),
        (1, ("thread", "b")),
        (0, ("thread", "b")),
    ]


def test_a_scenario_seed_gives_a_random_strategy() -> None:
    # ... or the scenario's ``seed:``.
    result = run_scenario(scenario(TWO_THREADS + "seed: 11\n"))
    assert result.strategy == {"strategy": "random", "seed": 11}


def test_with_nothing_given_the_strategy_is_canonical() -> None:
    # ... else the canonical one.
    assert run_scenario(scenario(TWO_THREADS)).strategy == {"strategy": "canonical"}


# -- run_until ----------------------------------------------------------------------------------

UNTIL_BODY = """
devices:
  kernel:
    events:
      ready: {manual_reset: true}
      never: {manual_reset: true}
threads:
  main:
    steps:
      - WaitForSingleObject: {hHandle: $ready, dwMilliseconds: INFINITE}
        expect: WAIT_OBJECT_0
      - return: 0
  server:
    blocks_forever: true
    steps:
      - WaitForSingleObject: {hHandle: $never, dwMilliseconds: INFINITE}
timeline:
  - {at: 1ms, kernel.set_event: ready}
  - {at: 5ms, kernel.reset_event: ready}
"""


def actions(result: Result) -> list[str]:
    return [str(e.payload["action"]) for e in result.events if e.kind == "world.action"]


def test_all_done_ends_the_run_when_every_thread_not_blocking_forever_has_exited() -> None:
    # run_until: all_done ends the run at the first instant every thread not declared
    # blocks_forever has exited; the timeline's later entries never happen.
    result = run_scenario(scenario(UNTIL_BODY + "run_until: all_done\n"))
    assert result.end_reason == "all threads done"
    assert result.end_time == 1 * MS
    assert actions(result) == ["kernel.set_event: ready"]
    assert result.events[-1].kind == "run.end"
    assert result.events[-1].payload == {"reason": "all threads done"}


def test_the_default_run_until_is_quiescent_and_plays_the_whole_timeline() -> None:
    # run_until: quiescent (the default): stop when nothing can run and no timer is pending.
    s = scenario(UNTIL_BODY)
    assert s.run_until == "quiescent"
    result = run_scenario(s)
    assert result.end_reason == "quiescent"  # server still waits
    assert result.end_time == 5 * MS
    assert actions(result) == ["kernel.set_event: ready", "kernel.reset_event: ready"]


def test_a_duration_ends_the_run_at_that_time_while_something_is_pending() -> None:
    # run_until: a duration (200ms: stop then).
    result = run_scenario(
        scenario(
            """
            threads:
              main:
                steps:
                  - Sleep: {dwMilliseconds: 10ms}
            run_until: 3ms
            """
        )
    )
    assert result.end_reason == "time limit"
    assert result.end_time == 3 * MS
    assert [(t.name, t.state, t.exit_code) for t in result.threads] == [("main", "WAITING", None)]


# -- what a Simulation builds -------------------------------------------------------------------

FILE_ORDER = """
threads:
  zeta:
    steps:
      - return: 1
  alpha:
    steps:
      - return: 2
  mid:
    steps:
      - return: 3
"""


def test_threads_start_in_the_order_the_file_lists_them() -> None:
    # The threads are started in the order the file lists them, all enabled at time 0.
    sim = Simulation(scenario(FILE_ORDER))
    assert list(sim.threads) == ["zeta", "alpha", "mid"]
    result = sim.run()
    created = [e.payload["name"] for e in result.events if e.kind == "obj.create"]
    assert created[-3:] == ["zeta", "alpha", "mid"]
    exits = [(e.objects[0], e.time) for e in result.events if e.kind == "actor.exit"]
    assert exits == [("zeta", 0), ("alpha", 0), ("mid", 0)]
    assert result.thread_names == ("zeta", "alpha", "mid")


DECLARED = """
devices:
  kernel:
    events:
      ready: {manual_reset: true}
      named: {name: "Global-thing"}
    ports:
      port: {concurrency: 1}
threads:
  main:
    steps:
      - SetEvent: {hEvent: $ready}
        expect: TRUE
      - WaitForSingleObject: {hHandle: $ready, dwMilliseconds: 0}
        expect: WAIT_OBJECT_0
      - PostQueuedCompletionStatus:
          CompletionPort: $port
          dwNumberOfBytesTransferred: 3
          dwCompletionKey: 9
        expect: TRUE
expect: {intended: [kernel.iocp_packets_left]}   # nobody dequeues the packet
"""


def test_declared_objects_are_handles_the_process_holds_from_the_start() -> None:
    # Declared objects are handles the process holds from the start ($ready, $port).
    result = run_scenario(scenario(DECLARED))
    assert failures(result) == []
    opened = [(e.objects[0], e.time) for e in result.events if e.kind == "handle.open"]
    assert opened[:3] == [("ready", 0), ("Global-thing", 0), ("port", 0)]
    first_thread = next(e.seq for e in result.events if e.payload.get("type") == "Thread")
    assert all(e.seq < first_thread for e in result.events if e.kind == "handle.open")
    wait = next(e for e in result.events if e.payload.get("name") == "WaitForSingleObject")
    assert wait.payload["result"] == WAIT_OBJECT_0


def test_declared_events_show_under_their_variable_name_or_their_name() -> None:
    # Each object is displayed in the trace under its variable name (or its ``name:``).
    result = run_scenario(scenario(DECLARED))
    created = {
        str(e.payload["name"]): str(e.payload["type"])
        for e in result.events
        if e.kind == "obj.create"
    }
    assert created["ready"] == "Event"
    assert created["Global-thing"] == "Event"
    assert created["port"] == "IoCompletion"
    signalled = [e.objects for e in result.events if e.kind == "event.state"]
    assert ("ready",) in signalled


def test_shared_structures_are_traced_from_the_start() -> None:
    # Declared structures are traced under their names from the start: a program's read of a
    # shared LONG is a mem.read of that name.
    result = run_scenario(
        scenario(
            """
            shared:
              n: LONG
            threads:
              main:
                steps:
                  - assert: {that: $n.value, equals: 0}
            """
        )
    )
    created = next(e for e in result.events if e.kind == "obj.create" and e.objects == ("n",))
    assert created.payload == {"type": "LONG", "name": "n"}
    reads = [e for e in result.events if e.kind == "mem.read"]
    assert [(e.actor, e.objects, e.payload) for e in reads] == [
        ("main", ("n",), {"field": "value", "value": 0, "by": "program"})
    ]
    assert created.seq < reads[0].seq


def test_all_done_waits_for_the_drivers_entry_too() -> None:
    # run_until: all_done ends when every thread not declared blocks_forever, and every
    # driver's DriverEntry, has finished: a driver-only scenario runs its DriverEntry out.
    text = textwrap.dedent(
        """
        version: 1
        name: driver-only
        drivers:
          d:
            locals: {ev: KEVENT}
            entry:
              - KeInitializeEvent: {Event: $ev, Type: NotificationEvent, State: FALSE}
              - KeWaitForSingleObject:
                  Object: $ev
                  WaitReason: 0
                  WaitMode: KernelMode
                  Alertable: FALSE
                  Timeout: {new: LARGE_INTEGER, QuadPart: -10000}
                expect: STATUS_TIMEOUT
              - note: entry done
        run_until: all_done
        """
    )
    result = run_scenario(load_text(text))
    assert (result.end_reason, result.end_time) == ("all threads done", 10_000)
    assert [e.payload["text"] for e in result.events if e.kind == "scenario.note"] == ["entry done"]
    assert failures(result) == []


def test_a_run_whose_clock_stands_exactly_at_run_until_ends_with_time_limit() -> None:
    result = run_scenario(
        load_text(
            textwrap.dedent(
                """
                version: 1
                name: exact
                run_until: 50ms
                threads:
                  main:
                    steps:
                      - Sleep: {dwMilliseconds: 50}
                      - Sleep: {dwMilliseconds: 10}
                """
            )
        )
    )
    assert (result.end_reason, result.end_time) == ("time limit", 500_000)


def test_a_thread_named_like_the_worlds_actor_keeps_its_own_outcome() -> None:
    result = run_scenario(
        load_text(
            textwrap.dedent(
                """
                version: 1
                name: names
                devices: {kernel: {events: {e: {}}}}
                threads:
                  world:
                    steps:
                      - return: 3
                timeline:
                  - {at: 1ms, kernel.set_event: e}
                expect: {exit_codes: {world: 3}}
                """
            )
        )
    )
    assert failures(result) == []
    assert sorted({e.actor for e in result.events if e.kind == "world.action"}) == ["world-2"]


def test_a_python_driver_factory_that_raises_is_a_program_error() -> None:
    from emu.errors import ProgramError

    scenario = load_text(
        "version: 1\nname: t\ndrivers:\n  d:\n    python: emu.scenario.nodes:child_path\n"
    )
    with pytest.raises(ProgramError, match="TypeError"):
        run_scenario(scenario)
