"""A violation's story: the program's own steps and the world's events that led to it, handles
by object name, short."""

from __future__ import annotations

from emu.timeline.story import story
from tests.scenario.helpers import run_yaml

PORT = """
devices:
  kernel:
    ports:
      port: {concurrency: 1}
threads:
  main:
    locals:
      n: DWORD
      key: ULONG_PTR
      ov: PVOID
    steps:
      - PostQueuedCompletionStatus:
          {CompletionPort: $port, dwNumberOfBytesTransferred: 1, dwCompletionKey: 7,
           lpOverlapped: null}
      - GetQueuedCompletionStatus:
          {CompletionPort: $port, lpNumberOfBytesTransferred: $n, lpCompletionKey: $key,
           lpOverlapped: $ov, dwMilliseconds: 0}
      - note: took it
run_until: all_done
"""


def test_the_story_names_handles_by_object_and_marks_the_named_event() -> None:
    result = run_yaml(PORT)
    events = result.k.trace.events
    dequeue = next(i for i, e in enumerate(events) if e[2] == "iocp.dequeue")
    told = story(events, result.k.trace.names(), [dequeue])
    texts = [line.text for line in told.lines]
    assert any(t.startswith("PostQueuedCompletionStatus(port, 1, 7, NULL)") for t in texts)
    assert [line.seq for line in told.lines if line.named] == [dequeue]
    assert told.lines[-1].seq == dequeue  # nothing after the last named event
    assert "note: took it" not in texts


def test_a_long_story_keeps_the_named_events_and_says_how_much_it_left_out() -> None:
    body = """
    threads:
      main:
        steps:
          - repeat: 40
            steps:
              - Sleep: {dwMilliseconds: 1}
          - note: end
    run_until: all_done
    """
    result = run_yaml(body)
    events = result.k.trace.events
    note = next(i for i, e in enumerate(events) if e[2] == "scenario.note")
    told = story(events, result.k.trace.names(), [note], limit=10)
    assert len(told.lines) == 10
    assert told.elided > 0
    assert told.lines[-1].named and told.lines[-1].text == "note: end"
    assert told.render().splitlines()[0] == f"  ({told.elided} earlier steps not shown)"


def test_no_named_event_is_an_empty_story() -> None:
    result = run_yaml("threads: {main: {steps: [{return: 0}]}}\n")
    assert story(result.k.trace.events, {}, []).lines == ()


RACE = """
shared:
  total: LONG
threads:
  main:
    steps:
      - set: {total.value: 1}
      - Sleep: {dwMilliseconds: 2}
      - assert: {that: $total.value, equals: 3}
  other:
    steps:
      - Sleep: {dwMilliseconds: 1}
      - CreateEventW: {lpEventAttributes: null, bManualReset: TRUE, bInitialState: FALSE,
                       lpName: null}
        as: ev
      - set: {total.value: 2}
      - CloseHandle: {hObject: $ev}
run_until: all_done
expect: {violated: [scenario.assert]}
"""


def test_an_assertion_story_shows_the_other_thread_that_wrote_what_it_read() -> None:
    # The assert reads $total.value; whoever wrote it, and that thread's own calls, are part
    # of the story, not only the thread whose assertion failed.
    result = run_yaml(RACE)
    events = result.k.trace.events
    failed = next(
        i for i, e in enumerate(events) if e[2] == "violation" and e[4][0] == "scenario.assert"
    )
    told = story(events, result.k.trace.names(), [failed])
    lines = [(line.actor, line.text) for line in told.lines]
    assert ("other", "program writes total.value = 2") in lines
    assert ("main", "program writes total.value = 1") in lines
    assert any(actor == "other" and text.startswith("CreateEventW(") for actor, text in lines)


SC_HANDLES = """
devices:
  scm:
    services:
      Spooler: {state: RUNNING}
threads:
  main:
    steps:
      - OpenSCManagerW: {lpMachineName: null, lpDatabaseName: null,
                         dwDesiredAccess: SC_MANAGER_CONNECT}
        as: scm
      - OpenServiceW: {hSCManager: $scm, lpServiceName: Spooler,
                       dwDesiredAccess: SERVICE_QUERY_STATUS}
        as: svc
      - note: opened
      - CloseServiceHandle: {hSCObject: $svc}
      - CloseServiceHandle: {hSCObject: $scm}
run_until: all_done
"""


def test_service_handles_print_by_object_name_too() -> None:
    result = run_yaml(SC_HANDLES)
    events = result.k.trace.events
    noted = next(i for i, e in enumerate(events) if e[2] == "scenario.note")
    texts = [line.text for line in story(events, result.k.trace.names(), [noted]).lines]
    assert any(t.startswith('OpenServiceW(SCM#1, "Spooler", SERVICE_QUERY_STATUS)') for t in texts)
