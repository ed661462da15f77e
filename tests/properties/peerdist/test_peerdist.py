"""BranchCache's properties (emu/properties/peerdist/): each client rule fires on a program
that breaks it and not on the correct one (small scenarios written to tmp_path); each
guarantee holds on a correct run and reports a trace planted with its breach (emu is right,
so the breach is planted in a copy of the trace)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import lookup
from emu.properties.verdict import HELD, VIOLATED, Status, verdict
from emu.scenario import load_scenario
from emu.sim.simulation import run_scenario

HEAD = """version: 1
name: pd
description: pd
devices:
  kernel:
    events:
      done: {manual_reset: true}
  branchcache:
    status: DISABLED
timeline:
TIMELINE
threads:
  monitor:
    locals:
      h: HANDLE
      ov: OVERLAPPED
      st: PEERDIST_STATUS
      tag: PEERDIST_CONTENT_TAG
      hc: HANDLE
    steps:
      - CreateEventW:
          {lpEventAttributes: null, bManualReset: false, bInitialState: false, lpName: null}
        as: ev
      - set: {ov.hEvent: $ev}
      - PeerDistStartup:
          {dwVersionRequested: PEERDIST_VERSION, phPeerDist: $h, pdwSupportedVersion: null}
        expect: ERROR_SUCCESS
STEPS
run_until: all_done
"""
REGISTER = """      - PeerDistRegisterForStatusChangeNotification:
          hPeerDist: $h.value
          hCompletionPort: null
          ulCompletionKey: 0
          lpOverlapped: $ov
          pPeerDistStatus: $st
        expect: ERROR_IO_PENDING
"""
WAIT = """      - WaitForSingleObject: {hHandle: $ev, dwMilliseconds: INFINITE}
        expect: WAIT_OBJECT_0
"""
SLEEP = """      - Sleep: {dwMilliseconds: 5}
"""
OPEN = """      - PeerDistClientOpenContent:
          hPeerDist: $h.value
          pContentTag: $tag
          hCompletionPort: null
          ulCompletionKey: 0
          phContentHandle: $hc
"""
READ = """      - assert: {that: $st.value, equals: PEERDIST_STATUS_DISABLED}
"""
SHUTDOWN = """      - PeerDistShutdown: {hPeerDist: $h.value}
        expect: ERROR_SUCCESS
"""
ENABLE_THEN_RESTART = """  - {at: 1ms, branchcache.policy: enable}
  - {at: 2ms, branchcache.service: restart}
  - {at: 3ms, branchcache.policy: disable}"""


def run(tmp_path: Path, steps: str, timeline: str = ENABLE_THEN_RESTART) -> list[TraceTuple]:
    path = tmp_path / "pd.yaml"
    path.write_text(HEAD.replace("TIMELINE", timeline).replace("STEPS\n", steps))
    return list(run_scenario(load_scenario(path)).k.trace.events)


def status(events: list[TraceTuple], pid: str) -> Status:
    found = verdict(events).status(pid)
    assert found is not None, pid
    return found


# A monitor that registers again after each notification, until it saw all three changes, and
# uses the service in between (what peerdist.missed_change judges).
CORRECT = REGISTER + WAIT + OPEN + REGISTER + WAIT + REGISTER + WAIT + OPEN + SHUTDOWN


def test_the_inline_rule_is_in_the_catalogue() -> None:
    entry = lookup("peerdist.overlapping_add")
    assert entry is not None and entry.inline and entry.exercised_by


def test_a_monitor_that_registers_after_each_notification_breaks_nothing(tmp_path: Path) -> None:
    events = run(tmp_path, CORRECT)
    for pid in (
        "peerdist.exactly_once",
        "peerdist.one_registration",
        "peerdist.notify_on_change",
        "peerdist.missed_change",
        "peerdist.status_read_early",
        "peerdist.no_shutdown",
        "peerdist.shutdown_cancels",
    ):
        assert status(events, pid).state == HELD, pid


def test_a_monitor_that_does_not_register_again_misses_the_change(tmp_path: Path) -> None:
    # the status page: "The caller must register for notification each time after it signals."
    found = status(
        run(tmp_path, REGISTER + WAIT + SLEEP + OPEN + SHUTDOWN), "peerdist.missed_change"
    )
    assert found.state == VIOLATED
    assert "did not register again" in found.findings[0].message
    assert "PeerDistClientOpenContent" in found.findings[0].message


def test_a_monitor_that_stops_without_registering_again_misses_nothing(tmp_path: Path) -> None:
    # Notified, then the status changes and it only shuts down: it does not act on the old
    # status, so it missed nothing it needed (a monitor that stops).
    found = status(run(tmp_path, REGISTER + WAIT + SLEEP + SHUTDOWN), "peerdist.missed_change")
    assert found.state != VIOLATED


def test_a_client_that_asks_the_status_again_misses_nothing(tmp_path: Path) -> None:
    ask = """      - PeerDistGetStatus: {hPeerDist: $h.value, pPeerDistStatus: $st}
        expect: ERROR_SUCCESS
"""
    found = status(
        run(tmp_path, REGISTER + WAIT + SLEEP + ask + OPEN + SHUTDOWN), "peerdist.missed_change"
    )
    assert found.state == HELD


def test_reading_the_status_before_the_registration_completed(tmp_path: Path) -> None:
    # the status page: "Upon successful completion, the pPeerDistStatus parameter will contain a
    # valid PEERDIST_STATUS value."
    events = run(tmp_path, REGISTER + READ + WAIT + SHUTDOWN)
    assert status(events, "peerdist.status_read_early").state == VIOLATED
    # the same read after the wait is the correct program
    events = run(tmp_path, REGISTER + WAIT + SHUTDOWN)
    assert status(events, "peerdist.status_read_early").state == HELD


def test_a_session_never_shut_down(tmp_path: Path) -> None:
    # PeerDistStartup: the handle "should be closed via a call to PeerDistShutdown".
    found = status(run(tmp_path, REGISTER + WAIT), "peerdist.no_shutdown")
    assert found.state == VIOLATED
    assert "was never shut down" in found.findings[0].message


def planted(
    tmp_path: Path, kind: str, change: Callable[[TraceTuple], list[TraceTuple]]
) -> list[TraceTuple]:
    """The correct monitor's trace with its first event of ``kind`` changed by
    ``change(event) -> list of events`` (what replaces it)."""
    events = run(tmp_path, CORRECT)
    at = next(i for i, e in enumerate(events) if e[2] == kind)
    return events[:at] + change(events[at]) + events[at + 1 :]


def test_a_completion_delivered_twice_breaks_exactly_once(tmp_path: Path) -> None:
    events = planted(tmp_path, "io.complete", lambda e: [e, e])
    found = status(events, "peerdist.exactly_once")
    assert found.state == VIOLATED
    assert "completes a second time" in found.findings[0].message


def test_a_lost_registration_breaks_exactly_once(tmp_path: Path) -> None:
    events = planted(tmp_path, "io.complete", lambda e: [])
    assert status(events, "peerdist.exactly_once").state == VIOLATED


def test_a_second_active_registration_breaks_one_registration(tmp_path: Path) -> None:
    events = run(tmp_path, CORRECT)
    first = next(i for i, e in enumerate(events) if e[2] == "io.complete")
    registers = [i for i, e in enumerate(events) if e[2] == "peerdist.register"]
    # the second registration made while the first is still active (its completion later)
    moved = [*events[:first], events[registers[1]], *events[first:]]
    found = status(moved, "peerdist.one_registration")
    assert found.state == VIOLATED


def test_a_notification_of_no_change_breaks_notify_on_change(tmp_path: Path) -> None:
    def same(e: TraceTuple) -> list[TraceTuple]:
        return [(e[0], e[1], e[2], e[3], (e[4][0], e[4][2], e[4][2]), e[5])]

    found = status(planted(tmp_path, "peerdist.notify", same), "peerdist.notify_on_change")
    assert found.state == VIOLATED
    assert "no change" in found.findings[0].message
