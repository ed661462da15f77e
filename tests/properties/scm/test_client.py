"""The client rules of NotifyServiceStatusChange (emu/properties/scm/client.py and the inline
rules of scm/rules.py): for each, a buggy program that breaks it (a shipped bug scenario, a few
lines of YAML, or a correct run with the step that kept the rule taken out) and the correct
program whose situation is the same but must not fire it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emu.explore.declared import declared_verdict
from emu.kernel.trace import TraceTuple
from emu.properties.verdict import HELD, NOT_EXERCISED, VIOLATED, Status, verdict
from emu.scenario import load_scenario
from emu.sim import Result
from tests.properties.scm.test_checks import monitor, notify, sleep
from tests.properties.test_kernel_checks import renumber, run_status, where
from tests.scenario.helpers import run_yaml

SCM = Path(__file__).resolve().parents[3] / "scenarios" / "scm"


def shipped(name: str) -> Result:
    return declared_verdict(load_scenario(SCM / f"{name}.yaml")).assessment.result


def status(events: list[TraceTuple], pid: str) -> Status:
    found = verdict(events).status(pid)
    assert found is not None, pid
    return found


# Each client rule: the shipped bug scenario that breaks it, and a shipped correct scenario
# where its situation arises and it holds.
SHIPPED = [
    ("scm.buffer_freed_early", "bug-close-and-free", "monitor"),
    ("scm.lagging_ignored", "bug-ignores-lagging", "lagging"),
    ("scm.status_read_unchecked", "bug-status-unchecked", "marked-for-delete-status"),
    ("scm.thread_exit_outstanding", "bug-thread-exit", "monitor"),
    ("scm.unload_outstanding", "bug-dll-unload", None),
    ("scm.callback_never_runs", "bug-sleep-not-sleepex", "callback-only-alertable"),
    ("scm.buffer_reused", "bug-shared-buffer", "monitor"),
    ("scm.call_in_callback", "bug-query-in-callback", "monitor"),
    ("scm.callback_after_unload", "bug-dll-unload", None),
    ("scm.reregister_after_callback", "bug-missed-reregister", "two-services-one-thread"),
]


@pytest.mark.parametrize(("pid", "bug", "correct"), SHIPPED, ids=[case[0] for case in SHIPPED])
def test_the_bug_scenario_breaks_the_rule_and_the_correct_one_keeps_it(
    pid: str, bug: str, correct: str | None
) -> None:
    broken = run_status(shipped(bug), pid)
    assert broken.state == VIOLATED
    assert broken.findings
    if correct is not None:
        assert run_status(shipped(correct), pid).state == HELD


# What each bug scenario's finding says, at which event, and the event it relates.
FINDINGS = {
    "scm.buffer_freed_early": (
        "bug-close-and-free",
        "mem.end",
        "monitor.note freed by the program while request #1 still holds it",
        ["scm.register"],
    ),
    "scm.lagging_ignored": (
        "bug-ignores-lagging",
        "api",
        "SCM#1 used again after ERROR_SERVICE_NOTIFY_CLIENT_LAGGING instead of being closed and "
        "reopened",
        ["api"],
    ),
    "scm.status_read_unchecked": (
        "bug-status-unchecked",
        "mem.read",
        "the program read monitor.note.ServiceStatus.dwCurrentState although request #1 "
        "delivered dwNotificationStatus 1072, not ERROR_SUCCESS",
        ["scm.deliver"],
    ),
    "scm.thread_exit_outstanding": (
        "bug-thread-exit",
        "actor.exit",
        "worker exited with request #1 outstanding: it leaks",
        ["scm.register"],
    ),
    "scm.unload_outstanding": (
        "bug-dll-unload",
        "module.unload",
        "plugin.dll unloaded with request #1 outstanding (its callback is in the module)",
        ["scm.register"],
    ),
    "scm.callback_never_runs": (
        "bug-sleep-not-sleepex",
        "apc.discard",
        "the callback of request #1 never ran: monitor did not wait alertably after it was queued",
        ["scm.deliver"],
    ),
}


@pytest.mark.parametrize("pid", list(FINDINGS))
def test_each_bug_scenarios_finding_names_its_event_and_what_went_wrong(pid: str) -> None:
    bug, kind, message, related = FINDINGS[pid]
    result = shipped(bug)
    (finding,) = run_status(result, pid).findings
    events = result.k.trace.events
    assert events[finding.seq][2] == kind
    assert finding.message == message
    assert [events[seq][2] for seq in finding.related] == related


# -- scm.reregister_after_callback ----------------------------------------------------------------

CHANGES = "[{at: 5ms, scm.stop: Spooler}, {at: 10ms, scm.start: Spooler}]"


def test_a_monitor_that_registers_once_and_misses_every_later_change_is_a_client_bug() -> None:
    # "After the callback function is invoked, the caller must call NotifyServiceStatusChange
    # to receive additional notifications": one request, one callback (RUNNING, at once), then
    # Spooler stops and starts again while the handle has no request; the close at the end
    # does not excuse the changes already missed.
    result = run_yaml(monitor(notify() + sleep() + sleep(20, alertable=False), CHANGES))
    found = run_status(result, "scm.reregister_after_callback")
    assert found.state == VIOLATED
    (finding,) = found.findings
    events = result.k.trace.events
    stopped = where(list(events), "scm.service", lambda e: e[4][0] == "SERVICE_STOPPED")[0]
    assert finding.seq == stopped
    assert finding.related == (where(list(events), "scm.register")[0],)
    assert finding.message == (
        "Spooler#1 had no new request after the callback of request #1 until it was closed: "
        "this change was missed"
    )


def test_a_monitor_that_registers_after_every_callback_misses_nothing() -> None:
    loop = notify() + sleep() + notify() + sleep() + notify() + sleep()
    result = run_yaml(monitor(loop, CHANGES))
    assert run_status(result, "scm.reregister_after_callback").state == HELD


def test_a_new_request_after_a_missed_change_catches_up() -> None:
    # The new request is evaluated afresh and fires at once for the current state (F1.6):
    # a late re-registration is no missed change.
    late = notify() + sleep() + sleep(7, alertable=False) + notify() + sleep()
    result = run_yaml(monitor(late, "[{at: 5ms, scm.stop: Spooler}]"))
    assert run_status(result, "scm.reregister_after_callback").state == HELD


def test_a_callback_that_runs_after_its_handle_closed_owes_nothing() -> None:
    # A close ends the obligation: the callback queued before CloseServiceHandle runs after it
    # (the SleepEx after the close), and the later changes of Spooler are nobody's to follow.
    body = monitor(notify(), CHANGES).replace(
        "      - CloseServiceHandle: {hSCObject: $scm}\n",
        "      - CloseServiceHandle: {hSCObject: $scm}\n"
        + sleep(1)
        + "      - note: after close\n"
        + sleep(20, alertable=False),
    )
    result = run_yaml(body)
    events = list(result.k.trace.events)
    (closed,) = where(events, "handle.close", lambda e: e[4][0] == "sc" and e[3][0] != 0)[:1]
    assert where(events, "apc.return")[0] > closed  # the callback ran after the close
    assert run_status(result, "scm.reregister_after_callback").state == HELD


def test_closing_the_handle_after_a_callback_ends_what_it_owes() -> None:
    # "closing the handle ends the obligation for later changes": the callback ran (RUNNING,
    # at once), the program closed its service handle instead of registering again, and the
    # service stops later: nothing was missed.
    body = f"""
devices:
  scm:
    services:
      Spooler: {{state: RUNNING}}
handlers:
  on_change:
    params: [pNotify]
    steps:
      - note: callback
threads:
  main:
    locals:
      note: {{type: SERVICE_NOTIFY, dwVersion: SERVICE_NOTIFY_STATUS_CHANGE}}
    steps:
      - set: {{note.pfnNotifyCallback: $on_change}}
      - OpenSCManagerW: {{lpMachineName: null, lpDatabaseName: null, dwDesiredAccess: 0xF003F}}
        as: scm
      - OpenServiceW: {{hSCManager: $scm, lpServiceName: Spooler, dwDesiredAccess: 0xF01FF}}
        as: svc
{notify()}{sleep()}      - CloseServiceHandle: {{hSCObject: $svc}}
      - Sleep: {{dwMilliseconds: 10ms}}
      - CloseServiceHandle: {{hSCObject: $scm}}
timeline: [{{at: 5ms, scm.stop: Spooler}}]
run_until: all_done
"""
    result = run_yaml(body)
    assert [e[4][0] for e in result.k.trace.events if e[2] == "scm.service"][-1] == (
        "SERVICE_STOPPED"
    )
    assert run_status(result, "scm.reregister_after_callback").state == HELD


def test_a_service_marked_for_deletion_while_the_handle_owes_a_request_owes_nothing() -> None:
    # The callback ran (RUNNING), and before the program registers again Spooler is marked for
    # deletion (5 ms, the handle still open): a new request could only fail with
    # ERROR_SERVICE_MARKED_FOR_DELETE, so its stop at 10 ms is not a missed change.
    timeline = "[{at: 5ms, scm.delete: Spooler}, {at: 10ms, scm.stop: Spooler}]"
    result = run_yaml(monitor(notify() + sleep() + sleep(20, alertable=False), timeline))
    events = result.k.trace.events
    last = [e[4] for e in events if e[2] == "scm.service"][-1]
    assert last[0] == "SERVICE_STOPPED" and last[3]  # stopped, and marked for deletion
    assert run_status(result, "scm.reregister_after_callback").state == HELD


def test_a_service_marked_for_deletion_owes_no_new_request() -> None:
    # A new request would only fail with ERROR_SERVICE_MARKED_FOR_DELETE: the handle must be
    # closed instead (delete-pending.yaml's monitor does exactly that).
    assert run_status(shipped("delete-pending"), "scm.reregister_after_callback").state == HELD


# -- scm.buffer_freed_early -----------------------------------------------------------------------


def test_freeing_the_buffer_of_an_outstanding_request_is_a_client_bug() -> None:
    # "This structure must remain valid until the callback function is invoked or the calling
    # thread cancels the notification request."
    freed = monitor(notify("SERVICE_NOTIFY_STOPPED") + "      - free: $note\n", "[]")
    found = run_status(run_yaml(freed), "scm.buffer_freed_early")
    assert found.state == VIOLATED
    assert found.findings[0].message == (
        "main.note freed by the program while request #1 still holds it"
    )


def test_freeing_the_buffer_after_the_request_was_cancelled_is_no_bug() -> None:
    body = monitor(notify("SERVICE_NOTIFY_STOPPED"), "[]").replace(
        "      - CloseServiceHandle: {hSCObject: $scm}\n",
        "      - CloseServiceHandle: {hSCObject: $scm}\n      - free: $note\n",
    )
    assert run_status(run_yaml(body), "scm.buffer_freed_early").state == HELD


# -- scm.status_read_unchecked ---------------------------------------------------------------------


def test_reading_service_status_after_the_buffer_was_lent_again_is_no_bug() -> None:
    # "If this member is ERROR_SUCCESS, ... the ServiceStatus member contains valid
    # information": Spooler's request fails (marked for deletion, 1072); the program lends
    # the same SERVICE_NOTIFY to a request on Other, so the failure no longer describes it, and
    # reads ServiceStatus (what the new request has written there so far is another matter).
    body = """
devices:
  scm:
    services:
      Spooler: {state: RUNNING}
      Other: {state: RUNNING}
handlers:
  on_change:
    params: [pNotify]
    steps:
      - note: callback
threads:
  main:
    locals:
      note: {type: SERVICE_NOTIFY, dwVersion: SERVICE_NOTIFY_STATUS_CHANGE}
    steps:
      - set: {note.pfnNotifyCallback: $on_change}
      - OpenSCManagerW: {lpMachineName: null, lpDatabaseName: null, dwDesiredAccess: 0xF003F}
        as: scm
      - OpenServiceW: {hSCManager: $scm, lpServiceName: Spooler, dwDesiredAccess: 0xF01FF}
        as: svc
      - OpenServiceW: {hSCManager: $scm, lpServiceName: Other, dwDesiredAccess: 0xF01FF}
        as: other
      - NotifyServiceStatusChangeW:
          hService: $svc
          dwNotifyMask: SERVICE_NOTIFY_STOPPED
          pNotifyBuffer: $note
      - SleepEx: {dwMilliseconds: 20ms, bAlertable: TRUE}
      - assert: {that: $note.dwNotificationStatus, equals: ERROR_SERVICE_MARKED_FOR_DELETE}
      - NotifyServiceStatusChangeW:
          hService: $other
          dwNotifyMask: SERVICE_NOTIFY_STOPPED
          pNotifyBuffer: $note
        expect: ERROR_SUCCESS
      - set: {seen: $note.ServiceStatus.dwCurrentState}
      - CloseServiceHandle: {hSCObject: $other}
      - CloseServiceHandle: {hSCObject: $svc}
      - CloseServiceHandle: {hSCObject: $scm}
timeline: [{at: 5ms, scm.delete: Spooler}]
run_until: all_done
"""
    result = run_yaml(body)
    events = result.k.trace.events
    reads = [e for e in events if e[2] == "mem.read" and e[4][0] == "dwCurrentState"]
    assert reads and reads[-1][0] > where(list(events), "scm.register")[-1]
    assert run_status(result, "scm.status_read_unchecked").state == HELD
    # Without the second request, that read is the bug.
    alone = body.replace(
        """      - NotifyServiceStatusChangeW:
          hService: $other
          dwNotifyMask: SERVICE_NOTIFY_STOPPED
          pNotifyBuffer: $note
        expect: ERROR_SUCCESS
""",
        "",
    )
    assert run_status(run_yaml(alone), "scm.status_read_unchecked").state == VIOLATED


# -- scm.marked_handle_kept, scm.names_not_freed --------------------------------------------------


def test_a_handle_kept_after_marked_for_delete_is_a_client_bug() -> None:
    # "... the handle to the service must be closed" (the correct run, with the program's close
    # of the service handle taken out).
    result = shipped("marked-for-delete-status")
    assert run_status(result, "scm.marked_handle_kept").state == HELD
    events = list(result.k.trace.events)
    (register,) = where(events, "scm.register")[-1:]
    handle = events[register][3][0]
    events = renumber(
        events, [e for e in events if not (e[2] == "handle.close" and e[3][0] == handle)]
    )
    found = status(events, "scm.marked_handle_kept")
    assert found.state == VIOLATED
    (finding,) = found.findings
    # The finding is at the callback that delivered ERROR_SERVICE_MARKED_FOR_DELETE.
    assert events[finding.seq][2] == "apc.return"
    assert finding.message.endswith(
        "its service is marked for deletion and the handle was never closed (the service cannot go)"
    )
    # A request to an outstanding one's handle still owes nothing after the service was
    # marked: the late stop (20 ms) is no missed change, though the handle stayed open.
    assert status(events, "scm.reregister_after_callback").state == HELD


def test_a_handle_kept_after_the_call_returned_marked_for_delete_is_a_client_bug() -> None:
    # "If the service has been marked for deletion, the return value is
    # ERROR_SERVICE_MARKED_FOR_DELETE and the handle to the service must be closed" (returned
    # by the call; the correct run with the close of that handle taken out).
    result = shipped("delete-pending")
    assert run_status(result, "scm.marked_handle_kept").state == HELD
    events = list(result.k.trace.events)
    refused = where(events, "api", lambda e: e[4][0] == "NotifyServiceStatusChangeW")
    returned = next(i for i in refused if events[i][4][2] == 1072)  # MARKED_FOR_DELETE
    handle = events[returned][4][1][0]
    opened = [e[3][0] for e in events if e[2] == "handle.open" and e[4][1] == handle]
    events = renumber(
        events, [e for e in events if not (e[2] == "handle.close" and e[3][0] == opened[0])]
    )
    found = status(events, "scm.marked_handle_kept")
    assert found.state == VIOLATED
    (finding,) = found.findings
    assert finding.seq == returned
    assert finding.message == (
        "OldSvc#1: its service is marked for deletion and the handle was never closed (the "
        "service cannot go)"
    )


def test_a_lagging_handle_never_closed_is_a_client_bug() -> None:
    # On ERROR_SERVICE_NOTIFY_CLIENT_LAGGING "the client should close the handle to the SCM,
    # open a new handle, and call this function again" (the correct run with the close of the
    # lagging handle taken out).
    result = shipped("lagging")
    assert run_status(result, "scm.lagging_ignored").state == HELD
    events = list(result.k.trace.events)
    (lagged,) = where(events, "api", lambda e: e[4][2] == 1294)  # CLIENT_LAGGING
    first = where(events, "handle.close", lambda e: e[4][0] == "sc")[0]
    events = renumber(events, [e for i, e in enumerate(events) if i != first])
    (finding,) = status(events, "scm.lagging_ignored").findings
    assert finding.seq == lagged
    assert finding.message == "SCM#1 lagged and was never closed"


def test_a_names_block_never_freed_is_a_client_bug() -> None:
    # SERVICE_NOTIFY_2: "The caller must free the buffer pointed to by pszServiceNames by
    # calling LocalFree" (the correct run, with its LocalFree calls taken out).
    result = shipped("created-deleted")
    assert run_status(result, "scm.names_not_freed").state == HELD
    events = list(result.k.trace.events)
    blocks = {e[3][4] for e in events if e[2] == "scm.deliver" and e[3][4]}
    events = renumber(events, [e for e in events if not (e[2] == "mem.end" and e[3][0] in blocks)])
    found = status(events, "scm.names_not_freed")
    assert found.state == VIOLATED
    assert len(found.findings) == len(blocks)
    assert found.findings[0].message.endswith("(pszServiceNames) was never freed")


# -- scm.unload_outstanding, scm.callback_after_unload --------------------------------------------


def test_unloading_the_dll_after_closing_the_handle_is_no_bug() -> None:
    # The host closes its handles before the DLL goes: nothing outstanding, no callback into it.
    text = (SCM / "bug-dll-unload.yaml").read_text(encoding="utf-8")
    body = text.split("devices:", 1)[1]
    body = "devices:" + body
    body = body.replace("  - {at: 2ms, kernel.unload_module: plugin.dll}\n", "")
    body = body.replace(
        "  - {at: 4ms, scm.stop: Spooler}\n",
        "  - {at: 4ms, scm.stop: Spooler}\n  - {at: 20ms, kernel.unload_module: plugin.dll}\n",
    )
    body = body.replace(
        "      - CloseServiceHandle: {hSCObject: $scm}\n",
        "      - CloseServiceHandle: {hSCObject: $scm}\n      - Sleep: {dwMilliseconds: 30ms}\n",
    )
    body = body.split("\nexpect:\n", 1)[0] + "\n"
    result = run_yaml(body)
    assert run_status(result, "scm.unload_outstanding").state == HELD
    assert run_status(result, "scm.callback_after_unload").state == HELD


def test_unloading_another_module_with_a_request_outstanding_is_no_bug() -> None:
    # Only the module the callback is in matters: the host unloads other.dll, not plugin.dll,
    # with the request outstanding.
    text = (SCM / "bug-dll-unload.yaml").read_text(encoding="utf-8")
    body = "devices:" + text.split("devices:", 1)[1].split("\nexpect:\n", 1)[0] + "\n"
    body = body.replace("kernel.unload_module: plugin.dll", "kernel.unload_module: other.dll")
    result = run_yaml(body)
    assert [e[4] for e in result.k.trace.events if e[2] == "module.unload"] == [("other.dll",)]
    assert run_status(result, "scm.unload_outstanding").state == NOT_EXERCISED
    assert run_status(result, "scm.callback_after_unload").state != VIOLATED
