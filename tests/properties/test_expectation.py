"""assess(): the run's verdict and end compared with the scenario's expect: (end, exit_codes,
hold, violated, sometimes), and property ids checked against the catalogue."""

from __future__ import annotations

import pytest

from emu.errors import ScenarioError
from emu.properties.expectation import assess, check_refs
from emu.scenario import load_text
from tests.scenario.helpers import failures, run_yaml, scenario_text

ONE_THREAD = """
threads:
  main:
    steps:
      - note: started
      - return: 0
run_until: all_done
"""

ORPHAN = """
shared:
  cs: CRITICAL_SECTION
handlers:
  leaver:
    steps:
      - EnterCriticalSection: {lpCriticalSection: $cs}
threads:
  main:
    steps:
      - InitializeCriticalSection: {lpCriticalSection: $cs}
      - CreateThread: {dwStackSize: 0, lpStartAddress: $leaver, dwCreationFlags: 0}
        as: t
      - WaitForSingleObject: {hHandle: $t, dwMilliseconds: INFINITE}
run_until: all_done
"""


def test_nothing_fails_when_the_expectation_holds() -> None:
    result = run_yaml(ONE_THREAD + "expect: {end: all_done, exit_codes: {main: 0}, hold: all}\n")
    assessment = assess(result)
    assert assessment.ok
    assert assessment.failures == []
    assert assessment.notes_seen == ("started",)


def test_a_different_end_reason_is_a_failure() -> None:
    # expect.end: all_done, quiescent, time_limit or step_limit, compared with the run's end.
    result = run_yaml(ONE_THREAD + "expect: {end: time_limit}\n")
    assert failures(result) == ["the run ended 'all threads done', expected 'time limit'"]


def test_a_different_exit_code_is_a_failure() -> None:
    result = run_yaml(ONE_THREAD + "expect: {exit_codes: {main: 1}}\n")
    assert failures(result) == ["thread main exited with 0, expected 1"]


def test_an_exit_code_expected_of_a_thread_that_never_exited_is_a_failure() -> None:
    result = run_yaml(
        """
        threads:
          main:
            steps:
              - Sleep: {dwMilliseconds: 10ms}
        run_until: 1ms
        expect: {exit_codes: {main: 0}}
        """
    )
    assert failures(result) == [
        "thread main exited with no exit (still running or blocked), expected 0"
    ]


def test_by_default_every_property_must_hold() -> None:
    # hold: all is the default: a violated client rule fails the run, naming the event.
    result = run_yaml(ORPHAN)
    (failure,) = assess(result).failures
    assert failure.property_id == "kernel.lock_orphaned"
    assert failure.message.startswith("kernel.lock_orphaned violated at event #")


def test_a_violated_property_the_scenario_declares_is_not_a_failure() -> None:
    result = run_yaml(ORPHAN + "expect: {violated: [kernel.lock_orphaned]}\n")
    assessment = assess(result)
    assert assessment.ok
    assert [s.property.id for s in assessment.expected_violations] == ["kernel.lock_orphaned"]


def test_a_declared_violation_that_did_not_happen_is_a_failure() -> None:
    result = run_yaml(ONE_THREAD + "expect: {violated: [kernel.lock_orphaned]}\n")
    assert failures(result) == [
        "kernel.lock_orphaned was expected to be violated, but it was not exercised"
    ]


def test_an_explicit_hold_list_reports_other_client_rules_without_failing() -> None:
    result = run_yaml(ORPHAN + "expect: {hold: [kernel.lost_wakeup]}\n")
    assessment = assess(result)
    assert assessment.ok
    assert [s.property.id for s in assessment.tolerated] == ["kernel.lock_orphaned"]


def test_a_listed_property_that_is_violated_fails() -> None:
    result = run_yaml(ORPHAN + "expect: {hold: [kernel.lock_orphaned]}\n")
    assert [f.property_id for f in assess(result).failures] == ["kernel.lock_orphaned"]


def test_sometimes_needs_the_note_at_least_once() -> None:
    assert failures(run_yaml(ONE_THREAD + "expect: {sometimes: [started]}\n")) == []
    assert failures(run_yaml(ONE_THREAD + "expect: {sometimes: [finished]}\n")) == [
        "the note 'finished' was expected at least once; not seen"
    ]


def test_a_lost_wake_up_fails_the_run_by_default() -> None:
    result = run_yaml(
        """
        devices:
          kernel:
            events:
              ev: {}
        threads:
          main:
            steps:
              - WaitForSingleObject: {hHandle: $ev, dwMilliseconds: INFINITE}
        """
    )
    (failure,) = assess(result).failures
    assert failure.property_id == "kernel.lost_wakeup"
    assert "main is still WAITING on ev at the end" in failure.message


def test_an_unknown_property_id_is_a_one_line_error_at_its_position() -> None:
    scenario = load_text(
        scenario_text(ONE_THREAD + "expect: {violated: [kernel.lost_updat]}\n"), "t.yaml"
    )
    with pytest.raises(ScenarioError) as info:
        check_refs(scenario)
    assert str(info.value) == (
        "t.yaml:10:21: no property named 'kernel.lost_updat' (did you mean "
        "'kernel.lost_update'?) (emu properties lists the catalogue) [in expect.violated[0]]"
    )


def test_a_property_cannot_both_hold_and_be_violated() -> None:
    with pytest.raises(ScenarioError, match="cannot both hold and be violated"):
        load_text(
            scenario_text(
                ONE_THREAD
                + "expect: {hold: [kernel.lost_update], violated: [kernel.lost_update]}\n"
            ),
            "t.yaml",
        )
