"""The SCM's post-hoc checkers (emu/properties/scm/checks.py and scm/client.py), one by one.

For each: a real run where its situation arises and it holds (the situation that must not fire
it); a violation, shown by a buggy program for a client rule and by a tampered trace for a
guarantee (a correct emu never breaks one), with the finding naming the right event; and, where
it is not obvious, a run where its situation never arises ("not exercised"). Tampering keeps
every event a tuple of the documented schema (docs/trace.md) and renumbers the trace.
"""

from __future__ import annotations

from pathlib import Path

from emu.codes.winerror import ERROR_ALREADY_REGISTERED, ERROR_SUCCESS
from emu.explore.declared import declared_verdict
from emu.kernel.trace import TraceTuple
from emu.properties.verdict import HELD, NOT_EXERCISED, VIOLATED, Status, verdict
from emu.scenario import load_scenario
from emu.sim import Result
from tests.properties.test_kernel_checks import (
    only_finding,
    renumber,
    run_status,
    where,
    with_copy,
    with_objects,
    with_payload,
)
from tests.scenario.helpers import run_yaml

SCM = Path(__file__).resolve().parents[3] / "scenarios" / "scm"


def status(events: list[TraceTuple], pid: str, profile: str = "default") -> Status:
    found = verdict(events, profile=profile).status(pid)
    assert found is not None, pid
    return found


def shipped(name: str) -> Result:
    """The run a shipped scenario's declared verdict is about (explored if it must be)."""
    return declared_verdict(load_scenario(SCM / f"{name}.yaml")).assessment.result


def events_of(body: str) -> list[TraceTuple]:
    return list(run_yaml(body).k.trace.events)


def monitor(steps: str, timeline: str = "[]", services: str = "{state: RUNNING}") -> str:
    """One thread with a SERVICE_NOTIFY on Spooler: ``steps`` between opening its handles and
    closing them."""
    return f"""
devices:
  scm:
    services:
      Spooler: {services}
handlers:
  on_change:
    params: [pNotify]
    steps:
      - note: callback
threads:
  main:
    locals:
      note: {{type: SERVICE_NOTIFY, dwVersion: SERVICE_NOTIFY_STATUS_CHANGE}}
      st: SERVICE_STATUS
    steps:
      - set: {{note.pfnNotifyCallback: $on_change}}
      - OpenSCManagerW: {{lpMachineName: null, lpDatabaseName: null, dwDesiredAccess: 0xF003F}}
        as: scm
      - OpenServiceW: {{hSCManager: $scm, lpServiceName: Spooler, dwDesiredAccess: 0xF01FF}}
        as: svc
{steps}
      - CloseServiceHandle: {{hSCObject: $svc}}
      - CloseServiceHandle: {{hSCObject: $scm}}
timeline: {timeline}
run_until: all_done
"""


def notify(mask: str = "SERVICE_NOTIFY_STOPPED | SERVICE_NOTIFY_RUNNING") -> str:
    return f"""      - NotifyServiceStatusChangeW:
          hService: $svc
          dwNotifyMask: {mask}
          pNotifyBuffer: $note
        expect: ERROR_SUCCESS
"""


def sleep(ms: int = 20, alertable: bool = True) -> str:
    flag = "TRUE" if alertable else "FALSE"
    return f"      - SleepEx: {{dwMilliseconds: {ms}ms, bAlertable: {flag}}}\n"


# Registers while RUNNING (fires at once), then again for STOPPED, which comes at 5 ms.
TWO = monitor(notify() + sleep() + notify() + sleep(), "[{at: 5ms, scm.stop: Spooler}]")
ONCE = monitor(notify() + sleep(), "[]")
# The same after an APC of the program's own: the callback is APC #2 for request #1, so a
# checker that took one number for the other would be seen.
QUEUE_FIRST = """      - QueueUserAPC: {pfnAPC: $on_change, hThread: -2, dwData: 0}
      - SleepEx: {dwMilliseconds: 0, bAlertable: TRUE}
"""
ONCE_AFTER_APC = monitor(QUEUE_FIRST + notify() + sleep(), "[]")


# -- scm.immediate_if_in_state --------------------------------------------------------------------


def test_a_request_for_the_current_state_fires_at_once_and_the_next_does_not() -> None:
    # "If the service is already in any of the requested states ... the callback function is
    # queued immediately"; the next request waits for the next change (F1.12).
    events = events_of(TWO)
    assert [e[4][7] for e in events if e[2] == "scm.fire"] == [True, False]
    assert status(events, "scm.immediate_if_in_state").state == HELD


def test_a_request_in_state_that_did_not_fire_at_once_is_a_violation() -> None:
    # Tampered: the first fire is no longer immediate.
    events = events_of(TWO)
    first = where(events, "scm.fire")[0]
    payload = events[first][4]
    events[first] = with_payload(events[first], (*payload[:7], False))
    finding = only_finding(status(events, "scm.immediate_if_in_state"))
    assert finding.seq == where(events, "scm.register")[0]
    assert finding.message == (
        "request #1: the service was in a requested state, yet the callback was not queued "
        "immediately"
    )


def test_a_request_that_fired_at_once_though_already_notified_is_a_violation() -> None:
    # Tampered: the second request (this handle already notified of RUNNING) fires at once,
    # inside its call: its scm.fire moves right after its scm.register, marked immediate.
    events = events_of(TWO)
    register, fire = where(events, "scm.register")[1], where(events, "scm.fire")[1]
    moved = with_payload(events[fire], (*events[fire][4][:7], True))
    rest = [e for i, e in enumerate(events) if i != fire]
    events = renumber(events, [*rest[: register + 1], moved, *rest[register + 1 :]], {moved: fire})
    finding = only_finding(status(events, "scm.immediate_if_in_state"))
    assert finding.seq == register
    assert finding.message == (
        "request #2 fired at once though this handle was already notified of the current state"
    )


def test_after_the_state_changed_and_came_back_a_request_fires_at_once_again() -> None:
    # F1.12: "If the service state has not changed by the next time ..., the callback function
    # is not queued immediately": it did change (stopped at 5 ms, running again at 10 ms), so
    # the request at 15 ms for RUNNING fires at once, and the checker expects it to.
    body = monitor(
        notify() + sleep() + sleep(15, alertable=False) + notify() + sleep(),
        "[{at: 5ms, scm.stop: Spooler}, {at: 10ms, scm.start: Spooler}]",
    )
    events = events_of(body)
    assert [e[4][7] for e in events if e[2] == "scm.fire"] == [True, True]
    assert status(events, "scm.immediate_if_in_state").state == HELD


def test_no_request_leaves_immediate_if_in_state_not_exercised() -> None:
    events = events_of(monitor("", "[]"))
    assert status(events, "scm.immediate_if_in_state").state == NOT_EXERCISED


# -- scm.triggered_state_bit ----------------------------------------------------------------------


def test_the_triggered_bit_is_the_state_that_fired() -> None:
    assert status(events_of(TWO), "scm.triggered_state_bit").state == HELD


def test_a_triggered_bit_of_another_state_is_a_violation() -> None:
    # Tampered: STOPPED fires with the RUNNING bit (0x8).
    events = events_of(TWO)
    second = where(events, "scm.fire")[1]
    payload = events[second][4]
    events[second] = with_payload(events[second], (*payload[:3], 0x8, *payload[4:]))
    finding = only_finding(status(events, "scm.triggered_state_bit"))
    assert finding.seq == second
    assert finding.message == "request #2: triggered 0x8 is not the bit of SERVICE_STOPPED"


def test_a_triggered_bit_outside_the_mask_is_a_violation() -> None:
    # Tampered: the request asked for STOPPED only, yet RUNNING (0x8) fired.
    events = events_of(monitor(notify("SERVICE_NOTIFY_RUNNING") + sleep(), "[]"))
    (register,) = where(events, "scm.register")
    payload = events[register][4]
    events[register] = with_payload(events[register], (payload[0], payload[1], 0x1, *payload[3:]))
    finding = only_finding(status(events, "scm.triggered_state_bit"))
    assert finding.message == "request #1: triggered 0x8 outside the mask 0x1"


def test_an_scm_handle_notification_holds_created_or_deleted_bits_with_the_names() -> None:
    # On an SCM handle, dwNotificationTriggered holds SERVICE_NOTIFY_CREATED and/or
    # SERVICE_NOTIFY_DELETED, with the names (the shipped run holds it) ...
    events = list(shipped("created-deleted").k.trace.events)
    assert status(events, "scm.triggered_state_bit").state == HELD
    # ... an SCM-handle notification without its names is a violation (tampered).
    fire = where(events, "scm.fire", lambda e: e[4][3] == 0x80)[0]
    payload = events[fire][4]
    events[fire] = with_payload(events[fire], (*payload[:6], (), payload[7]))
    finding = only_finding(status(events, "scm.triggered_state_bit"))
    assert finding.seq == fire
    assert finding.message == (
        f"request #{payload[0]}: an SCM-handle notification with triggered 0x80 and names ()"
    )


# -- scm.one_notification_per_request -------------------------------------------------------------


def test_each_request_fires_and_is_delivered_once() -> None:
    assert status(events_of(TWO), "scm.one_notification_per_request").state == HELD


def test_a_second_delivery_of_one_request_is_a_violation() -> None:
    # "After the callback function is invoked, the caller must call NotifyServiceStatusChange
    # to receive additional notifications" (tampered: request #1 delivered twice).
    events = events_of(TWO)
    deliver = where(events, "scm.deliver")[0]
    events = with_copy(events, deliver)
    finding = only_finding(status(events, "scm.one_notification_per_request"))
    assert finding.seq == deliver + 1
    assert finding.message == "request #1: a second scm.deliver"


def test_a_replaced_request_that_is_delivered_is_a_violation() -> None:
    # F1.9 (win8plus): the replaced request is never delivered (tampered: request #2 of the
    # shipped scenario, replaced, gets the delivery of request #3).
    events = list(shipped("second-request-win8plus").k.trace.events)
    delivers = where(events, "scm.deliver", lambda e: e[4][0] == 3)
    (deliver,) = delivers
    payload = events[deliver][4]
    events[deliver] = with_payload(events[deliver], (2, *payload[1:]))
    found = status(events, "scm.one_notification_per_request")
    assert found.state == VIOLATED
    assert (deliver, "request #2 was replaced, yet delivered") in [
        (f.seq, f.message) for f in found.findings
    ]


# -- scm.no_apc_after_close -----------------------------------------------------------------------


def test_a_request_cancelled_by_close_queues_no_apc() -> None:
    result = run_yaml(monitor(notify("SERVICE_NOTIFY_STOPPED"), "[]"))
    assert run_status(result, "scm.no_apc_after_close").state == HELD


def test_an_apc_queued_after_close_service_handle_is_a_violation() -> None:
    # "After CloseServiceHandle succeeds, no more notification APCs will be queued" (tampered:
    # the service handle's close moves before the delivery).
    events = events_of(ONCE_AFTER_APC)
    (deliver,) = where(events, "scm.deliver")
    assert events[deliver][4][:2] == (1, 2)  # request #1, APC #2
    handle = events[deliver][3][2]
    (close,) = where(events, "handle.close", lambda e: e[3][0] == handle)
    moved = events[close]
    events = renumber(
        events, [*events[:deliver], moved, *[e for e in events[deliver:] if e is not moved]]
    )
    finding = only_finding(status(events, "scm.no_apc_after_close"))
    assert finding.seq == deliver + 1
    assert finding.related == (deliver,)
    assert finding.message == "request #1: APC queued after CloseServiceHandle"


# -- scm.apc_to_registering_thread ----------------------------------------------------------------


def test_the_callback_is_queued_to_the_registering_thread() -> None:
    assert status(events_of(ONCE), "scm.apc_to_registering_thread").state == HELD
    assert status(events_of(ONCE_AFTER_APC), "scm.apc_to_registering_thread").state == HELD


def test_a_callback_queued_to_another_thread_is_a_violation() -> None:
    # "the system invokes the specified callback function as an asynchronous procedure call
    # (APC) queued to the calling thread" (tampered: the delivery names another object).
    events = events_of(ONCE_AFTER_APC)
    (deliver,) = where(events, "scm.deliver")
    objects = events[deliver][3]
    process = events[0][3][0]  # the Process object: not the registering thread
    events[deliver] = with_objects(events[deliver], (process, *objects[1:]))
    found = status(events, "scm.apc_to_registering_thread")
    assert found.state == VIOLATED
    queued, ran = found.findings
    assert queued.seq == deliver
    assert queued.message == "request #1 queued to Process, not to main"
    assert ran.seq == where(events, "apc.deliver")[1]  # APC #2's; #1 was the program's own
    assert ran.message == "the callback of request #1 ran on main"


# -- scm.deleted_after_last_handle ----------------------------------------------------------------


def test_a_service_is_deleted_once_its_last_handle_closes() -> None:
    result = shipped("created-deleted")
    assert run_status(result, "scm.deleted_after_last_handle").state == HELD


def test_a_deletion_with_a_handle_open_is_a_violation() -> None:
    # "An application cannot receive this notification if it has an open handle to the
    # service" (tampered: the deletion moves before the last handle's close).
    events = list(shipped("created-deleted").k.trace.events)
    delete = where(events, "scm.delete")[0]
    name = str(events[delete][4][0])
    closes = [
        i
        for i in where(events, "handle.close")
        if i < delete and events[i][3][0] in service_handles(events, name)
    ]
    last_close = closes[-1]
    moved = events[delete]
    after = [e for e in events[last_close:] if e is not moved]
    events = renumber(events, [*events[:last_close], moved, *after])
    found = status(events, "scm.deleted_after_last_handle")
    assert found.state == VIOLATED
    assert f"{name} deleted with 1 handle(s) open" in [f.message for f in found.findings]


def service_handles(events: list[TraceTuple], service: str) -> set[int]:
    return {
        e[3][0]
        for e in events
        if e[2] == "obj.create"
        and e[4][0] == "ServiceHandle"
        and str(e[4][1]).rsplit("#", 1)[0].lower() == service.lower()
    }


def test_deleted_reported_for_a_service_never_deleted_is_a_violation() -> None:
    # Tampered: a DELETED notification names a service that still exists.
    events = list(shipped("created-deleted").k.trace.events)
    fires = where(events, "scm.fire", lambda e: bool(e[4][3] & 0x100))
    fire = fires[0]
    payload = events[fire][4]
    events[fire] = with_payload(events[fire], (*payload[:6], ("Ghost",), payload[7]))
    found = status(events, "scm.deleted_after_last_handle")
    assert "DELETED reported for Ghost, which was not deleted" in [
        f.message for f in found.findings
    ]


# -- scm.requests_accounted -----------------------------------------------------------------------


def test_every_request_ends_exactly_once() -> None:
    # Replaced, cancelled, delivered: each request of the shipped scenario ends once.
    result = shipped("second-request-win8plus")
    assert run_status(result, "scm.requests_accounted").state == HELD


def test_a_replaced_request_that_ends_again_is_a_violation() -> None:
    # A replaced request ends exactly once (tampered: the replaced request #2 is also
    # cancelled by the close at the end).
    events = list(shipped("second-request-win8plus").k.trace.events)
    (replace,) = where(events, "scm.replace")
    close = where(events, "handle.close", lambda e: e[4][0] == "sc")[0]
    cancel: TraceTuple = (
        events[close][0],
        events[close][1],
        "scm.cancel",
        events[replace][3],
        (2, "CloseServiceHandle: no APC will be queued"),
        -1,
    )
    events = renumber(events, [*events[: close + 1], cancel, *events[close + 1 :]])
    finding = only_finding(status(events, "scm.requests_accounted"))
    assert finding.seq == close + 1
    assert finding.related == (replace,)
    assert finding.message == (f"request #2 ended twice: replaced at #{replace}, then scm.cancel")


def test_a_callback_that_returns_twice_ends_its_request_twice() -> None:
    # Tampered: request #1's callback returns twice (its apc.return recorded again).
    events = events_of(ONCE_AFTER_APC)
    end = where(events, "apc.return", lambda e: e[4][0] == 2)[0]
    events = with_copy(events, end)
    finding = only_finding(status(events, "scm.requests_accounted"))
    assert finding.seq == end + 1
    assert finding.related == (end,)
    assert finding.message == f"request #1 ended twice: done at #{end}, then apc.return"


def test_a_request_fired_after_its_end_is_a_violation() -> None:
    # Tampered: request #1, whose callback ran, fires again.
    events = events_of(TWO)
    fire = where(events, "scm.fire")[0]
    end = where(events, "apc.return")[0]
    refire = events[fire]
    events = renumber(events, [*events[: end + 1], refire, *events[end + 1 :]])
    found = status(events, "scm.requests_accounted")
    assert found.state == VIOLATED
    assert found.findings[0].message == "request #1: scm.fire after it ended (done)"


def test_a_request_with_no_end_is_a_violation() -> None:
    # Nothing lost silently (tampered: the cancellation of the last request is removed).
    events = events_of(monitor(notify("SERVICE_NOTIFY_STOPPED"), "[]"))
    cancels = where(events, "scm.cancel")
    assert cancels
    events = renumber(events, [e for i, e in enumerate(events) if i not in cancels])
    found = status(events, "scm.requests_accounted")
    assert found.state == VIOLATED
    assert found.findings[-1].message.endswith("has no end in the trace")


# -- scm.second_request_replaces / scm.second_request_refused -------------------------------------


def test_a_second_request_replaces_under_win8plus_and_is_refused_under_win7() -> None:
    replaces = run_status(shipped("second-request-win8plus"), "scm.second_request_replaces")
    refused = run_status(shipped("second-request-win7"), "scm.second_request_refused")
    assert (replaces.state, refused.state) == (HELD, HELD)


def test_two_outstanding_requests_on_one_handle_are_a_violation() -> None:
    # F1.9: never two outstanding requests on one handle (tampered: the replacement is removed).
    events = list(shipped("second-request-win8plus").k.trace.events)
    (replace,) = where(events, "scm.replace")
    events = renumber(events, [e for i, e in enumerate(events) if i != replace])
    found = status(events, "scm.second_request_replaces")
    assert found.state == VIOLATED
    assert found.findings[0].message == (
        "request #3 registered while #2 is still outstanding on the same handle"
    )


def test_already_registered_under_a_profile_that_replaces_is_a_violation() -> None:
    # Tampered: the second request's call returns ERROR_ALREADY_REGISTERED under win8plus.
    events = list(shipped("second-request-win8plus").k.trace.events)
    calls = where(events, "api", lambda e: e[4][0] == "NotifyServiceStatusChangeW")
    third = calls[2]
    payload = events[third][4]
    refused = (payload[0], payload[1], ERROR_ALREADY_REGISTERED, None)
    events[third] = with_payload(events[third], refused)
    found = status(events, "scm.second_request_replaces", "win8plus")
    assert found.state == VIOLATED
    assert found.findings[0].seq == third


def test_a_replacement_under_win7_is_a_violation() -> None:
    # Tampered: a replacement recorded under the profile that refuses.
    events = list(shipped("second-request-win8plus").k.trace.events)
    found = status(events, "scm.second_request_refused", "win7")
    assert found.state == VIOLATED
    (replace,) = where(events, "scm.replace")
    assert found.findings[0].seq == replace
    assert found.findings[0].message == "request #2 replaced under a profile that refuses"


def test_the_call_refused_with_nothing_outstanding_is_a_violation() -> None:
    # Tampered (win7): the first call, with nothing outstanding, returns ERROR_ALREADY_REGISTERED.
    events = list(shipped("second-request-win7").k.trace.events)
    first = where(events, "api", lambda e: e[4][0] == "NotifyServiceStatusChangeW")[0]
    payload = events[first][4]
    assert payload[2] == ERROR_SUCCESS
    refused = (payload[0], payload[1], ERROR_ALREADY_REGISTERED, None)
    events[first] = with_payload(events[first], refused)
    found = status(events, "scm.second_request_refused", "win7")
    assert found.state == VIOLATED
    assert found.findings[0].seq == first


# -- scm.request_outstanding, scm.notification_dropped ------------------------------------------

LEFT = """
devices:
  scm:
    services:
      Spooler: {state: RUNNING}
shared:
  note: {type: SERVICE_NOTIFY, dwVersion: SERVICE_NOTIFY_STATUS_CHANGE}
handlers:
  on_change:
    params: [pNotify]
    steps:
      - note: callback
threads:
  worker:
    steps:
      - set: {note.pfnNotifyCallback: $on_change}
      - OpenSCManagerW: {lpMachineName: null, lpDatabaseName: null, dwDesiredAccess: 0xF003F}
        as: scm
      - OpenServiceW: {hSCManager: $scm, lpServiceName: Spooler, dwDesiredAccess: 0xF01FF}
        as: svc
      - NotifyServiceStatusChangeW:
          hService: $svc
          dwNotifyMask: SERVICE_NOTIFY_STOPPED
          pNotifyBuffer: $note
        expect: ERROR_SUCCESS
run_until: all_done
"""


def test_a_request_outstanding_when_every_program_finished_is_a_violation() -> None:
    # "To cancel outstanding notifications, close the service handle": the worker returned
    # with its request outstanding and the handle open.
    result = run_yaml(LEFT)
    found = run_status(result, "scm.request_outstanding")
    assert found.state == VIOLATED
    (finding,) = found.findings
    assert finding.seq == where(list(result.k.trace.events), "scm.outstanding")[0]
    assert finding.message == (
        "request #1 on Spooler#1 (by worker) was still outstanding when every program had "
        "finished: the handle was never closed to cancel it"
    )


def test_a_request_cancelled_by_close_is_not_outstanding() -> None:
    closed = LEFT.replace(
        "        expect: ERROR_SUCCESS\nrun_until",
        "        expect: ERROR_SUCCESS\n      - CloseServiceHandle: {hSCObject: $svc}\n"
        "      - CloseServiceHandle: {hSCObject: $scm}\nrun_until",
    )
    assert run_status(run_yaml(closed), "scm.request_outstanding").state == HELD


def test_request_outstanding_is_judged_only_when_every_program_finished_with_a_request() -> None:
    # "checked when the run ends with every program finished": a run stopped at a time limit
    # with the request outstanding is not judged, and a run with no request has nothing to
    # judge.
    stopped = LEFT.replace(
        "        expect: ERROR_SUCCESS\nrun_until: all_done",
        "        expect: ERROR_SUCCESS\n      - Sleep: {dwMilliseconds: 10ms}\nrun_until: 5ms",
    )
    assert run_status(run_yaml(stopped), "scm.request_outstanding").state == NOT_EXERCISED
    nothing = run_yaml(monitor(sleep(1), "[]"))
    assert run_status(nothing, "scm.request_outstanding").state == NOT_EXERCISED


def test_a_notification_that_fired_after_its_thread_exited_is_delivered_to_nobody() -> None:
    result = shipped("bug-thread-exit")
    found = run_status(result, "scm.notification_dropped")
    assert found.state == VIOLATED
    (finding,) = found.findings
    assert finding.seq == where(list(result.k.trace.events), "scm.drop")[0]
    assert finding.message == (
        "request #1 fired and was delivered to nobody: worker exited before the result came: "
        "the request leaked"
    )


def test_a_delivered_notification_is_not_dropped() -> None:
    assert run_status(run_yaml(ONCE), "scm.notification_dropped").state == HELD
    assert run_status(run_yaml(monitor("", "[]")), "scm.notification_dropped").state == (
        NOT_EXERCISED
    )


def test_service_handles_without_a_request_exercise_no_scm_property() -> None:
    # The situation of every SCM property is a request (or a deletion): a program that opens
    # and closes its handles (its SERVICE_NOTIFY ends with its thread) and never registers
    # leaves them all "not exercised", scm.no_apc_after_close included (closing a handle that
    # never had a request proves nothing about the APCs of its requests).
    judged = verdict(events_of(monitor(sleep(1), "[{at: 5ms, scm.stop: Spooler}]")))
    states = {s.property.id: s.state for s in judged.statuses if s.property.id.startswith("scm.")}
    assert set(states.values()) == {NOT_EXERCISED}
    assert len(states) >= 20
