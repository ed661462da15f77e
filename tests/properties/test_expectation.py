"""assess(): the run's verdict and end compared with the scenario's expect: (end, exit_codes,
hold, violated, intended, sometimes), and property ids checked against the catalogue."""

from __future__ import annotations

import pytest

from emu.errors import ScenarioError
from emu.properties.expectation import assess, check_refs
from emu.properties.report import report_object, report_text
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
      - CloseHandle: {hObject: $t}
run_until: all_done
"""

# A worker that never waits alertably: the APC queued to it is lost when it exits (documented),
# and main leaves its thread handle open.
DISCARD = """
handlers:
  on_apc:
    params: [dwData]
    steps:
      - note: apc ran
  worker:
    steps:
      - work: 2ms
threads:
  main:
    steps:
      - CreateThread: {dwStackSize: 0, lpStartAddress: $worker, dwCreationFlags: 0}
        as: t
      - Sleep: {dwMilliseconds: 1ms}   # the worker has started: the APC does not run first
      - QueueUserAPC: {pfnAPC: $on_apc, hThread: $t, dwData: 1}
        expect: TRUE
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
    assert failure.status is not None
    (first,) = failure.status.findings
    assert failure.message == f"kernel.lock_orphaned violated at event #{first.seq}: " + (
        first.message
    )


def test_a_property_violated_several_times_fails_once_naming_its_first_finding() -> None:
    # One failure per property: the first finding's event and message, then how many more.
    result = run_yaml(
        """
        threads:
          main:
            steps:
              - CreateEventW: {bManualReset: TRUE, bInitialState: FALSE, lpName: first}
              - CreateEventW: {bManualReset: TRUE, bInitialState: FALSE, lpName: second}
        run_until: all_done
        """
    )
    (failure,) = assess(result).failures
    assert failure.property_id == "kernel.handle_leak"
    assert failure.status is not None and len(failure.status.findings) == 2
    first = failure.status.findings[0]
    assert failure.message == f"kernel.handle_leak violated at event #{first.seq}: " + (
        f"{first.message} (and 1 more)"
    )
    assert "opened first " in first.message


def test_a_violated_property_the_scenario_declares_is_not_a_failure() -> None:
    result = run_yaml(ORPHAN + "expect: {violated: [kernel.lock_orphaned]}\n")
    assessment = assess(result)
    assert assessment.ok
    assert [s.property.id for s in assessment.expected_violations] == ["kernel.lock_orphaned"]
    # Assessment.tolerated: the violations that do not fail the run ("violated, expected or
    # not required"): a declared one is among them.
    assert [s.property.id for s in assessment.tolerated] == ["kernel.lock_orphaned"]


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


# -- intended: -----------------------------------------------------------------------------------


def test_findings_the_scenario_does_not_declare_fail_the_run() -> None:
    # A discarded APC and a leaked handle are findings (liveness, client rule) by default.
    assert sorted(f.property_id for f in assess(run_yaml(DISCARD)).failures) == [
        "kernel.apc_discarded",
        "kernel.handle_leak",
    ]


def test_intended_findings_are_reported_as_intended_and_do_not_fail() -> None:
    body = DISCARD + "expect: {intended: [kernel.apc_discarded, kernel.handle_leak]}\n"
    assessment = assess(run_yaml(body))
    assert assessment.ok
    assert [s.property.id for s in assessment.intended_violations] == [
        "kernel.apc_discarded",
        "kernel.handle_leak",
    ]
    assert assessment.expected_violations == []
    # Intended violations are tolerated too: they are violated and do not fail the run.
    assert [s.property.id for s in assessment.tolerated] == [
        "kernel.apc_discarded",
        "kernel.handle_leak",
    ]
    text = "\n".join(report_text(assessment))
    assert "VIOLATED kernel.apc_discarded (liveness, intended)" in text
    assert "VIOLATED kernel.handle_leak (client rule, intended)" in text
    assert "2 violated (2 intended)" in text
    report = report_object(assessment)
    assert [(v["property"], v["intended"], v["expected"]) for v in report["violations"]] == [
        ("kernel.apc_discarded", True, False),
        ("kernel.handle_leak", True, False),
    ]


def test_only_the_intended_ones_are_forgiven() -> None:
    assessment = assess(run_yaml(DISCARD + "expect: {intended: [kernel.apc_discarded]}\n"))
    assert [f.property_id for f in assessment.failures] == ["kernel.handle_leak"]


def test_an_intended_property_need_not_be_violated() -> None:
    # Unlike violated:, intended: is not a bug demonstration: nothing requires it to happen.
    assessment = assess(run_yaml(ORPHAN + "expect: {intended: [kernel.handle_leak]}\n"))
    assert [f.property_id for f in assessment.failures] == ["kernel.lock_orphaned"]
    assert assessment.intended_violations == []


def test_a_guarantee_or_a_scenario_check_cannot_be_intended() -> None:
    for pid, kind in (("kernel.apc_fifo", "guarantee"), ("scenario.assert", "scenario check")):
        scenario = load_text(
            scenario_text(ONE_THREAD + f"expect: {{intended: [{pid}]}}\n"), "t.yaml"
        )
        with pytest.raises(ScenarioError) as info:
            check_refs(scenario)
        assert str(info.value) == (
            f"t.yaml:10:21: {pid} is a {kind} and cannot be intended (only client rules, "
            "liveness rules and hazards can) [in expect.intended[0]]"
        )


def test_a_property_cannot_be_both_intended_and_violated_or_held() -> None:
    for other, word in (("violated", "be violated"), ("hold", "hold")):
        text = f"expect: {{intended: [kernel.handle_leak], {other}: [kernel.handle_leak]}}\n"
        with pytest.raises(ScenarioError, match=f"cannot both be intended and {word}"):
            load_text(scenario_text(ONE_THREAD + text), "t.yaml")
