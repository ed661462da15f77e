"""The scenario's own checks are recorded once per run: the first check of each kind writes one
``scenario.check`` event, whichever program (thread, handler, another thread) ran it."""

from __future__ import annotations

from emu.scenario import load_text
from emu.sim import run_scenario
from tests.scenario.helpers import scenario_text

BODY = """
handlers:
  on_apc:
    params: [data]
    steps:
      - assert: {that: $data, equals: 7}
      - SleepEx: {dwMilliseconds: 0, bAlertable: FALSE}
        expect: 0
threads:
  main:
    steps:
      - GetCurrentThreadId:
        as: me
      - OpenThread: {dwDesiredAccess: THREAD_SET_CONTEXT, bInheritHandle: FALSE, dwThreadId: $me}
        as: self
      - QueueUserAPC: {pfnAPC: $on_apc, hThread: $self, dwData: 7}
        expect: TRUE
      - SleepEx: {dwMilliseconds: 0, bAlertable: TRUE}
        expect: WAIT_IO_COMPLETION
      - QueueUserAPC: {pfnAPC: $on_apc, hThread: $self, dwData: 7}
      - SleepEx: {dwMilliseconds: 0, bAlertable: TRUE}
      - assert: {that: $me, not_equals: 0}
  second:
    steps:
      - SleepEx: {dwMilliseconds: 0, bAlertable: FALSE}
        expect: 0
      - assert: {that: 1, equals: 1}
run_until: all_done
"""


def checks(events: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return [(e[4][0], e[3]) for e in events if e[2] == "scenario.check"]


def test_each_kind_of_check_is_recorded_once_per_run_across_threads_and_handlers() -> None:
    scenario = load_text(scenario_text(BODY), "t.yaml")
    first = run_scenario(scenario)
    found = checks(first.k.trace.events)
    assert [rule for rule, _objects in found] == ["scenario.expect", "scenario.assert"]
    main = first.thread_actors["main"]
    # The expect: of main's QueueUserAPC came first; the handler's assert: (running on main,
    # inside its SleepEx) was the first assert:.
    assert [objects for _rule, objects in found] == [(main.oid,), (main.oid,)]
    assert not [e for e in first.k.trace.events if e[2] == "violation"]
    # A second run of the same compiled scenario records its own first checks.
    again = run_scenario(scenario)
    assert checks(again.k.trace.events) == found
