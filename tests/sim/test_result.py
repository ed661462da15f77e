"""emu/sim/result.py: what a run left (lost wake-ups, undone work), and how it meets expect:."""

from __future__ import annotations

import gc
import textwrap
from pathlib import Path

from emu.scenario import Scenario, load_text
from emu.sim import LostWakeup, Result, run_scenario
from tests.scenario.helpers import failures

MS = 10_000  # ticks


def scenario(body: str) -> Scenario:
    return load_text("version: 1\nname: t\n" + textwrap.dedent(body), "t.yaml")


def run(body: str) -> Result:
    return run_scenario(scenario(body))


# -- lost wake-ups ------------------------------------------------------------------------------

LOST = """
devices:
  kernel:
    events:
      ev: {}
      never: {manual_reset: true}
threads:
  taker:
    steps:
      - WaitForSingleObject: {hHandle: $ev, dwMilliseconds: INFINITE}
  setter:
    steps:
      - SetEvent: {hEvent: $ev}
  late:
    steps:
      - Sleep: {dwMilliseconds: 1ms}
      - WaitForSingleObject: {hHandle: $ev, dwMilliseconds: INFINITE}
  server:
    blocks_forever: true
    steps:
      - WaitForSingleObject: {hHandle: $never, dwMilliseconds: INFINITE}
"""


def test_a_thread_blocked_at_the_end_is_a_possible_lost_wake_up() -> None:
    # A thread still blocked at the end that is not declared blocks_forever is reported with
    # what it waited on, since when, and the last event by another actor that touched it: here
    # the auto-reset event that setter set and taker's wait consumed before late waited.
    result = run(LOST)
    (lost,) = result.lost_wakeups
    assert (lost.thread, lost.state, lost.waiting_on, lost.since) == (
        "late",
        "WAITING",
        ("ev",),
        1 * MS,
    )
    last = lost.last_event
    assert last is not None
    assert (last.kind, last.actor, last.time, last.objects) == ("event.state", "setter", 0, ("ev",))
    assert last.payload == {"op": "consume", "signaled": 0}


def test_a_lost_wake_up_reads_with_its_text() -> None:
    result = run(LOST)
    (lost,) = result.lost_wakeups
    assert lost.last_event is not None
    assert lost.text() == (
        "late still WAITING on ev since 1ms: a possible lost wake-up; last touched by setter "
        f"at 0ms: ev consume -> signaled=0 (event #{lost.last_event.seq})"
    )


def test_a_thread_declared_blocks_forever_is_not_a_lost_wake_up() -> None:
    # blocks_forever: waits for ever on purpose: not a lost wake-up.
    result = run(LOST)
    assert "server" not in [lost.thread for lost in result.lost_wakeups]
    assert [(t.name, t.state, t.blocks_forever) for t in result.threads][-1] == (
        "server",
        "WAITING",
        True,
    )


def test_a_wait_nothing_ever_signalled_says_so() -> None:
    # With no event by another actor on the waited objects: "nothing ever signalled it".
    lost = LostWakeup("t", "WAITING", ("ev",), 0, None)
    assert lost.text() == (
        "t still WAITING on ev since 0ms: a possible lost wake-up; nothing ever signalled it"
    )


# -- reports ------------------------------------------------------------------------------------


def test_thread_lines_give_state_exit_code_and_last_error_by_name() -> None:
    result = run(
        """
        devices:
          kernel:
            events:
              never: {manual_reset: true}
        threads:
          main:
            steps:
              - CloseHandle: {hObject: 0x7777}
                expect: FALSE
              - return: 3
          server:
            blocks_forever: true
            steps:
              - WaitForSingleObject: {hHandle: $never, dwMilliseconds: INFINITE}
        """
    )
    assert result.thread_lines() == [
        "main: TERMINATED, exit code 3, last error ERROR_INVALID_HANDLE",
        "server: WAITING, exit code -, last error ERROR_SUCCESS (blocks forever by design)",
    ]


def test_summary_gives_end_time_and_counts() -> None:
    result = run(
        """
        threads:
          main:
            steps:
              - Sleep: {dwMilliseconds: 2ms}
        """
    )
    events = len(result.events)
    assert result.summary() == (
        f"all threads done at 2ms: {events} trace events, 1 API calls, 0 recorded choices"
    )


def test_final_state_holds_each_declared_event_with_its_final_signal_state() -> None:
    # final_state(): every object's state at the end, rebuilt from the trace.
    result = run(
        """
        devices:
          kernel:
            events:
              ready: {manual_reset: true}
              other: {manual_reset: true, initial: true}
        threads:
          main:
            steps:
              - SetEvent: {hEvent: $ready}
              - ResetEvent: {hEvent: $other}
        """
    )
    world = result.final_state()
    assert world.seq == len(result.events) - 1
    assert (world.by_name("ready").type, world.by_name("ready").fields["signaled"]) == ("Event", 1)
    assert world.by_name("other").fields["signaled"] == 0


def test_an_apc_to_a_thread_that_never_waits_alertably_is_left_undone() -> None:
    # undone: undelivered APCs.
    result = run(
        """
        devices:
          kernel:
            events:
              never: {manual_reset: true}
        handlers:
          on_apc:
            steps:
              - note: never runs
        threads:
          server:
            blocks_forever: true
            steps:
              - WaitForSingleObject: {hHandle: $never, dwMilliseconds: INFINITE}
        timeline:
          - {at: 1ms, kernel.queue_apc: {thread: server, handler: on_apc}}
        """
    )
    assert [(e.kind, e.objects, e.payload["routine"]) for e in result.undone] == [
        ("apc.undelivered", ("server",), "on_apc")
    ]
    assert failures(result)[0].startswith("kernel.apc_never_delivered violated")


def test_the_reports_of_a_run_view_only_the_events_they_show() -> None:
    # A run stopped by its event budget holds millions of events: violations, undone work and
    # lost wake-ups build readable views of their own events only, never of the whole trace.
    result = run(LOST)
    assert [w.thread for w in result.lost_wakeups] == ["late"]
    assert result.violations == [e for e in result.k.trace.view() if e.kind == "violation"]
    assert result.undone == []
    assert "events" not in result.__dict__  # the whole-trace view was never built
    last = result.lost_wakeups[0].last_event
    assert last is not None
    assert last == result.k.trace.view()[last.seq]


def _garbage_left_by(release: bool) -> int:
    """How many objects the cyclic collector has to find after a run is dropped."""

    from emu.explore.judge import run_once
    from emu.kernel.chooser import RandomChooser
    from emu.scenario import load_scenario

    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    scenario = load_scenario(scenarios / "kernel" / "bug-apc-counter-race.yaml")
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        assessment = run_once(scenario, RandomChooser(3))
        if release:
            assessment.result.release()
        del assessment
        return gc.collect()
    finally:
        if enabled:
            gc.enable()


def test_a_released_run_is_freed_without_the_cyclic_collector() -> None:
    # Result.release (Kernel.release): a campaign drops each judged run; breaking the kernel's
    # cycles lets reference counting free most of it at once instead of the collector.
    kept = _garbage_left_by(release=False)
    released = _garbage_left_by(release=True)
    assert kept > 200
    assert released < kept // 2
