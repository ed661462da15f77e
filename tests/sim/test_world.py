"""emu/sim/world.py: the timeline and the faults, played by world actors the chooser orders."""

from __future__ import annotations

import textwrap

from emu.codes import WAIT_IO_COMPLETION, WAIT_OBJECT_0, WAIT_TIMEOUT
from emu.kernel.trace import TraceEvent
from emu.scenario import Scenario, load_text
from emu.sim import Result, run_scenario
from tests.scenario.helpers import failures

MS = 10_000  # ticks
SEEDS = range(30)


def text(body: str) -> str:
    return "version: 1\nname: t\n" + textwrap.dedent(body)


def scenario(body: str) -> Scenario:
    return load_text(text(body), "t.yaml")


def line_of(body: str, fragment: str) -> int:
    """The line of the scenario file (as ``text`` builds it) holding ``fragment``."""
    lines = text(body).splitlines()
    return next(i + 1 for i, line in enumerate(lines) if fragment in line)


def of_kind(result: Result, kind: str) -> list[TraceEvent]:
    return [e for e in result.events if e.kind == kind]


def exit_code(result: Result, name: str = "main") -> int | None:
    return next(t.exit_code for t in result.threads if t.name == name)


# -- the timeline -------------------------------------------------------------------------------

TIMELINE = """
devices:
  kernel:
    events:
      a: {manual_reset: true}
      b: {manual_reset: true}
threads:
  main:
    steps:
      - Sleep: {dwMilliseconds: 10ms}
timeline:
  - {at: 1ms, kernel.set_event: a}
  - {at: 3ms, kernel.set_event: b}
  - {at: 3ms, kernel.reset_event: a}
  - {at: 3ms, kernel.reset_event: b}
"""


def test_timeline_actions_happen_at_their_times_with_their_line() -> None:
    # Every action is recorded (world.action) at its time; `line` is where the file declares it
    # (the timeline entries are lines 14 to 17 of the file).
    result = run_scenario(scenario(TIMELINE))
    assert line_of(TIMELINE, "at: 1ms") == 14
    assert [
        (e.time, e.actor, e.payload["action"], e.payload["line"], e.payload["fault"])
        for e in of_kind(result, "world.action")
    ] == [
        (1 * MS, "world", "kernel.set_event: a", 14, False),
        (3 * MS, "world", "kernel.set_event: b", 15, False),
        (3 * MS, "world", "kernel.reset_event: a", 16, False),
        (3 * MS, "world", "kernel.reset_event: b", 17, False),
    ]


def test_actions_at_the_same_instant_run_in_file_order_under_the_canonical_chooser() -> None:
    # The timeline is one actor that performs its entries in order: b set, a reset, b reset.
    result = run_scenario(scenario(TIMELINE))
    changes = [(e.time, e.objects[0], e.payload["op"]) for e in of_kind(result, "event.state")]
    assert changes[-3:] == [(3 * MS, "b", "set"), (3 * MS, "a", "reset"), (3 * MS, "b", "reset")]
    final = result.final_state()
    assert (final.by_name("a").fields["signaled"], final.by_name("b").fields["signaled"]) == (0, 0)


RACE = """
devices:
  kernel:
    events:
      ev: {manual_reset: true}
threads:
  main:
    steps:
      - Sleep: {dwMilliseconds: 1ms}
      - WaitForSingleObject: {hHandle: $ev, dwMilliseconds: 0}
        as: rc
      - return: $rc
timeline:
  - {at: 1ms, kernel.set_event: ev}
"""


def test_a_world_action_and_a_thread_at_the_same_instant_are_ordered_by_the_chooser() -> None:
    # What the world does at an instant is ordered against the threads enabled at that instant
    # by the chooser: the world's step is one more enabled actor. The thread's poll sees the
    # event set (world first) or not yet (thread first).
    s = scenario(RACE)
    assert exit_code(run_scenario(s)) == WAIT_TIMEOUT  # canonical: the thread ready longest
    seen = {exit_code(run_scenario(s, seed=seed)) for seed in SEEDS}
    assert seen == {WAIT_OBJECT_0, WAIT_TIMEOUT}


# -- faults -------------------------------------------------------------------------------------

MAYBE = """
devices:
  kernel:
    events:
      alarm: {manual_reset: true}
threads:
  main:
    steps:
      - WaitForSingleObject: {hHandle: $alarm, dwMilliseconds: 10ms}
        as: rc
      - return: $rc
faults:
  - {at: 2ms, probability: 0.3, kernel.set_event: alarm}
"""


def test_a_fault_below_probability_one_is_not_injected_canonically() -> None:
    # Option 0, the canonical choice, is "no fault"; a fault not injected is world.no_fault.
    result = run_scenario(scenario(MAYBE))
    skipped = of_kind(result, "world.no_fault")
    assert [(e.time, e.actor, e.payload) for e in skipped] == [
        (
            2 * MS,
            "fault1",
            {"action": "kernel.set_event: alarm", "line": line_of(MAYBE, "probability: 0.3")},
        )
    ]
    assert of_kind(result, "world.action") == []
    assert exit_code(result) == WAIT_TIMEOUT
    assert result.final_state().by_name("alarm").fields["signaled"] == 0


def test_some_seed_injects_a_fault_below_probability_one() -> None:
    # Whether it happens goes through the chooser: a random schedule may inject it.
    s = scenario(MAYBE)
    injected = [
        r for r in (run_scenario(s, seed=seed) for seed in SEEDS) if of_kind(r, "world.action")
    ]
    assert injected
    for result in injected:
        (action,) = of_kind(result, "world.action")
        assert (action.time, action.actor, action.payload["fault"]) == (2 * MS, "fault1", True)
        assert of_kind(result, "world.no_fault") == []
        assert exit_code(result) == WAIT_OBJECT_0


WINDOW = """
devices:
  kernel:
    events:
      alarm: {manual_reset: true}
threads:
  main:
    steps:
      - Sleep: {dwMilliseconds: 30ms}
faults:
  - {between: [1ms, 20ms], kernel.set_event: alarm}
"""


def fault_times(result: Result) -> list[int]:
    return [e.time for e in of_kind(result, "world.action")]


def test_a_fault_with_between_fires_at_the_lower_bound_canonically() -> None:
    # When: the bounds, or the instants where it would cross another pending timer; option 0
    # is the minimum.
    assert fault_times(run_scenario(scenario(WINDOW))) == [1 * MS]


def test_a_fault_with_between_fires_within_its_window_under_any_seed() -> None:
    # With ``between: [a, b]`` the chooser picks an instant in [a, b] (the bounds among them).
    s = scenario(WINDOW)
    times = [fault_times(run_scenario(s, seed=seed)) for seed in SEEDS]
    assert all(len(t) == 1 and 1 * MS <= t[0] <= 20 * MS for t in times)
    assert {1 * MS, 20 * MS} <= {t[0] for t in times}


def test_a_fault_with_probability_one_and_at_always_fires_then() -> None:
    # Only a probability below 1 asks whether the fault happens.
    s = scenario(WINDOW.replace("{between: [1ms, 20ms],", "{at: 4ms, probability: 1,"))
    for seed in (None, *SEEDS):
        result = run_scenario(s, seed=seed)
        assert fault_times(result) == [4 * MS]
        assert of_kind(result, "world.no_fault") == []
        assert result.final_state().by_name("alarm").fields["signaled"] == 1


# -- actions that cannot act --------------------------------------------------------------------


def skips(body: str) -> list[tuple[int, str]]:
    result = run_scenario(scenario(body))
    found = of_kind(result, "world.skip")
    assert found == [e for e in result.undone if e.kind == "world.skip"]
    by_seq = {e.seq: e for e in result.events}
    for skip in found:  # caused by the world.action it follows
        assert by_seq[skip.cause].kind == "world.action"
        assert skip.payload["action"] == by_seq[skip.cause].payload["action"]
    return [(e.time, str(e.payload["reason"])) for e in found]


def test_a_post_to_a_closed_port_is_a_skip() -> None:
    # One that could not act (a closed port) is recorded as world.skip with the reason.
    body = """
    devices:
      kernel:
        ports:
          port: {}
    threads:
      main:
        steps:
          - Sleep: {dwMilliseconds: 5ms}
    timeline:
      - {at: 1ms, kernel.close: port}
      - {at: 2ms, kernel.post: {port: port, key: 1}}
    """
    assert skips(body) == [(2 * MS, "port was closed: the packet is not posted")]
    assert of_kind(run_scenario(scenario(body)), "iocp.post") == []


def test_an_apc_to_a_thread_that_has_exited_is_a_skip() -> None:
    # One that could not act (an exited thread) is recorded as world.skip with the reason.
    body = """
    handlers:
      on_apc:
        steps:
          - note: never
    threads:
      main:
        steps:
          - return: 0
    timeline:
      - {at: 1ms, kernel.queue_apc: {thread: main, handler: on_apc}}
    """
    assert skips(body) == [(1 * MS, "main has exited: no APC is queued")]


def test_closing_the_same_object_twice_is_a_skip() -> None:
    # kernel.close closes the scenario's handle; a second close has nothing to close.
    body = """
    devices:
      kernel:
        events:
          ev: {}
    threads:
      main:
        steps:
          - Sleep: {dwMilliseconds: 5ms}
    timeline:
      - {at: 1ms, kernel.close: ev}
      - {at: 2ms, kernel.close: ev}
    """
    assert skips(body) == [(2 * MS, "the scenario's handle to ev was already closed")]


def test_a_world_apc_runs_on_the_target_thread_in_its_next_alertable_wait() -> None:
    # queue_apc queues a user-mode APC as another process's QueueUserAPC would: it runs in the
    # thread's next alertable wait, which returns WAIT_IO_COMPLETION.
    result = run_scenario(
        scenario(
            """
            shared:
              hits: LONG
            handlers:
              on_apc:
                params: [dwData]
                steps:
                  - InterlockedExchangeAdd: {Addend: $hits, Value: $dwData}
            threads:
              main:
                steps:
                  - Sleep: {dwMilliseconds: 2ms}
                  - SleepEx: {dwMilliseconds: 10ms, bAlertable: TRUE}
                    as: rc
                  - return: $rc
            timeline:
              - {at: 1ms, kernel.queue_apc: {thread: main, handler: on_apc, data: 9}}
            """
        )
    )
    (queued,) = of_kind(result, "apc.queue")
    assert (queued.time, queued.actor, queued.objects) == (1 * MS, "world", ("main",))
    (delivered,) = of_kind(result, "apc.deliver")
    assert (delivered.time, delivered.actor, delivered.payload["data"]) == (2 * MS, "main", 9)
    assert delivered.payload["at"] == "alertable wait"
    (added,) = of_kind(result, "mem.rmw")
    assert (added.actor, added.payload["new"]) == ("main", 9)
    assert exit_code(result) == WAIT_IO_COMPLETION
    assert failures(result) == []


def test_setting_a_closed_and_destroyed_event_is_a_skip() -> None:
    result = run_scenario(
        scenario(
            """
            devices: {kernel: {events: {e: {}}}}
            threads: {main: {steps: []}}
            timeline:
              - {at: 1ms, kernel.close: e}
              - {at: 2ms, kernel.set_event: e}
              - {at: 3ms, kernel.reset_event: e}
            """
        )
    )
    reasons = [e.payload["reason"] for e in of_kind(result, "world.skip")]
    assert reasons == ["e was closed and destroyed", "e was closed and destroyed"]
    assert [e for e in of_kind(result, "event.state") if e.time >= 2 * MS] == []
