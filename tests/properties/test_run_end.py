"""What a run left behind (emu/properties/run_end.py): a discarded APC, packets left in a port,
I/O left pending, handles left open; and when a run ends "with every program finished".

For each property: a run that shows it (its finding names the event), a run where its
situation arises and it holds (the situation that must not fire it), and a run where it cannot
arise, "not exercised". The ones judged at the end are judged only when every program
finished: a run that stops at a time limit or with a thread blocked is not judged on them.
"""

from __future__ import annotations

from emu.kernel.trace import TraceTuple
from emu.properties.checker import Context
from emu.properties.expectation import run_verdict
from emu.properties.verdict import HELD, NOT_EXERCISED, VIOLATED, Status
from emu.sim import Result
from tests.scenario.helpers import run_yaml


def run_status(result: Result, pid: str) -> Status:
    found = run_verdict(result).status(pid)
    assert found is not None, pid
    return found


def finished(result: Result) -> bool:
    return Context(
        blocks_forever=frozenset(result.blocks_forever),
        names={e[3][0]: str(e[4][1]) for e in result.k.trace.events if e[2] == "obj.create"},
        events=result.k.trace.events,
    ).programs_finished()


def where(events: list[TraceTuple], kind: str) -> list[int]:
    return [i for i, e in enumerate(events) if e[2] == kind]


# -- every program finished -----------------------------------------------------------------------

DONE = """
threads:
  main:
    steps:
      - Sleep: {dwMilliseconds: 2ms}
"""


def test_a_run_whose_threads_all_returned_ended_with_every_program_finished() -> None:
    assert finished(run_yaml(DONE + "run_until: all_done\n"))
    assert finished(run_yaml(DONE))  # quiescent: nothing left to happen


def test_a_run_stopped_at_a_time_limit_did_not_finish() -> None:
    assert not finished(run_yaml(DONE + "run_until: 1ms\n"))


def test_a_thread_left_blocked_means_the_programs_did_not_finish() -> None:
    blocked = """
    devices:
      kernel:
        events:
          never: {manual_reset: true}
    threads:
      main:
        blocks_forever: BLOCKS
        steps:
          - WaitForSingleObject: {hHandle: $never, dwMilliseconds: INFINITE}
    """
    assert not finished(run_yaml(blocked.replace("BLOCKS", "false")))
    # declared blocks_forever: still not finished (it never ran to its end)
    assert not finished(run_yaml(blocked.replace("BLOCKS", "true")))


# -- kernel.apc_discarded -------------------------------------------------------------------------

# main queues an APC to a worker that never waits alertably: lost when the worker exits.
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
      - Sleep: {dwMilliseconds: 1ms}
      - QueueUserAPC: {pfnAPC: $on_apc, hThread: $t, dwData: 1}
        expect: TRUE
      - WaitForSingleObject: {hHandle: $t, dwMilliseconds: INFINITE}
      - CloseHandle: {hObject: $t}
run_until: all_done
"""


def test_an_apc_lost_when_its_thread_exits_is_a_liveness_violation() -> None:
    # QueueUserAPC: "When the thread is terminated using the ExitThread function or
    # TerminateThread function, the APCs in its APC queue are lost."
    result = run_yaml(DISCARD)
    found = run_status(result, "kernel.apc_discarded")
    assert found.state == VIOLATED
    (finding,) = found.findings
    events = result.k.trace.events
    assert finding.seq == where(events, "apc.discard")[0]
    assert finding.related == (where(events, "apc.queue")[0],)
    assert finding.message == (
        "APC #1 on_apc queued to worker was lost: thread exited before it waited alertably"
    )


def test_an_apc_that_ran_is_not_discarded() -> None:
    alertable = DISCARD.replace(
        "      - work: 2ms\n", "      - SleepEx: {dwMilliseconds: 5ms, bAlertable: TRUE}\n"
    )
    assert run_status(run_yaml(alertable), "kernel.apc_discarded").state == HELD


def test_no_apc_leaves_apc_discarded_not_exercised() -> None:
    assert run_status(run_yaml(DONE), "kernel.apc_discarded").state == NOT_EXERCISED


# -- kernel.iocp_packets_left ---------------------------------------------------------------------

PORT = """
threads:
  main:
    locals: {n: DWORD, key: ULONG_PTR, ov: PVOID}
    steps:
      - CreateIoCompletionPort:
          FileHandle: INVALID_HANDLE_VALUE
          ExistingCompletionPort: null
          CompletionKey: 0
          NumberOfConcurrentThreads: 1
        as: port
      - PostQueuedCompletionStatus:
          CompletionPort: $port
          dwNumberOfBytesTransferred: 1
          dwCompletionKey: 7
        expect: TRUE
      - Sleep: {dwMilliseconds: 2ms}
"""
TAKE = """      - GetQueuedCompletionStatus:
          CompletionPort: $port
          lpNumberOfBytesTransferred: $n
          lpCompletionKey: $key
          lpOverlapped: $ov
          dwMilliseconds: 0
        expect: TRUE
"""
CLOSE_PORT = "      - CloseHandle: {hObject: $port}\n"


def test_a_packet_left_in_a_port_when_every_program_finished_is_a_violation() -> None:
    # Nobody will dequeue it: the port outlives every program that could have.
    result = run_yaml(PORT + "run_until: all_done\n")
    found = run_status(result, "kernel.iocp_packets_left")
    assert found.state == VIOLATED
    (finding,) = found.findings
    assert finding.seq == where(result.k.trace.events, "iocp.pending")[0]
    # iocp.pending names no cause, so the finding relates no event.
    assert finding.related == ()
    assert finding.message == (
        "packet #1 (key 7) was still queued in IoCompletion#6 when every program had "
        "finished: nobody will dequeue it"
    )


def test_a_dequeued_packet_is_not_left() -> None:
    result = run_yaml(PORT + TAKE + CLOSE_PORT + "run_until: all_done\n")
    assert run_status(result, "kernel.iocp_packets_left").state == HELD


def test_packets_dropped_by_closing_the_port_are_not_left() -> None:
    # CloseHandle on the port drops its packets by a documented rule (F5.8): nothing is left.
    result = run_yaml(PORT + CLOSE_PORT + "run_until: all_done\n")
    assert run_status(result, "kernel.iocp_packets_left").state == HELD


def test_a_packet_still_queued_at_a_time_limit_is_not_judged() -> None:
    result = run_yaml(PORT + "run_until: 1ms\n")
    assert run_status(result, "kernel.iocp_packets_left").state == NOT_EXERCISED


def test_no_packet_leaves_iocp_packets_left_not_exercised() -> None:
    assert run_status(run_yaml(DONE), "kernel.iocp_packets_left").state == NOT_EXERCISED


# -- kernel.io_outstanding ------------------------------------------------------------------------

# An overlapped ConnectNamedPipe on a pipe associated with a port survives its thread.
PENDING_IO = """
threads:
  main:
    locals: {ov: OVERLAPPED}
    steps:
      - CreateNamedPipeW:
          lpName: "\\\\\\\\.\\\\pipe\\\\left"
          dwOpenMode: PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED
          dwPipeMode: 0
          nMaxInstances: 1
          nOutBufferSize: 64
          nInBufferSize: 64
          nDefaultTimeOut: 0
        as: pipe
      - CreateIoCompletionPort:
          FileHandle: $pipe
          ExistingCompletionPort: null
          CompletionKey: 1
          NumberOfConcurrentThreads: 1
        as: port
      - ConnectNamedPipe: {hNamedPipe: $pipe, lpOverlapped: $ov}
        expect: ERROR_IO_PENDING
"""


def test_an_io_request_pending_when_every_program_finished_is_a_violation() -> None:
    result = run_yaml(PENDING_IO + "run_until: all_done\n")
    found = run_status(result, "kernel.io_outstanding")
    assert found.state == VIOLATED
    (finding,) = found.findings
    assert finding.seq == where(result.k.trace.events, "io.pending")[0]
    assert finding.related == tuple(where(result.k.trace.events, "io.start"))  # its start
    pipe = next(
        e[4][1] for e in result.k.trace.events if e[2] == "obj.create" and e[4][0] == "NamedPipe"
    )
    assert finding.message == (
        f"ConnectNamedPipe #1 on {pipe} was still pending when every program had finished: "
        "nobody will see it complete"
    )


def test_a_request_completed_by_closing_its_handle_is_not_outstanding() -> None:
    # Closing the handle cancels the request: it completes (STATUS_CANCELLED / broken pipe).
    closing = PENDING_IO + "      - CloseHandle: {hObject: $pipe}\n" + CLOSE_PORT
    result = run_yaml(closing + "run_until: all_done\n")
    assert run_status(result, "kernel.io_outstanding").state == HELD


def test_no_io_leaves_io_outstanding_not_exercised() -> None:
    assert run_status(run_yaml(DONE), "kernel.io_outstanding").state == NOT_EXERCISED


# -- kernel.handle_leak ---------------------------------------------------------------------------

LEAK = """
threads:
  main:
    steps:
      - CreateEventW: {bManualReset: TRUE, bInitialState: FALSE}
        as: ev
      - OpenSCManagerW: {lpMachineName: null, lpDatabaseName: null, dwDesiredAccess: 1}
        as: scm
run_until: all_done
"""


def test_handles_a_finished_program_left_open_are_a_client_rule_finding() -> None:
    # CloseHandle: "In general, an application should call CloseHandle once for each handle it
    # opens." Every namespace: a kernel handle and an SC_HANDLE.
    result = run_yaml(LEAK)
    found = run_status(result, "kernel.handle_leak")
    assert found.state == VIOLATED
    events = result.k.trace.events
    opens = where(events, "handle.open")
    calls = [
        i
        for i, e in enumerate(events)
        if e[2] == "api" and e[4][0] in ("CreateEventW", "OpenSCManagerW")
    ]
    assert [f.message for f in found.findings] == [
        f"main opened Event#3 (kernel handle 0x4) in CreateEventW (#{calls[0]}) and no "
        "program closed it",
        f"main opened SCM#1 (sc handle 0xC00000) in OpenSCManagerW (#{calls[1]}) and no "
        "program closed it",
    ]
    assert [f.seq for f in found.findings] == opens
    assert [f.related for f in found.findings] == [(calls[0],), (calls[1],)]


def test_a_leaked_handle_is_named_by_the_call_that_opened_it_not_the_call_before() -> None:
    # The finding names the call that opened the handle: the opener's next api event after
    # its handle.open. OpenEventW's handle.open comes right after CreateEventW's api event.
    result = run_yaml(
        """
        threads:
          main:
            steps:
              - CreateEventW: {bManualReset: TRUE, bInitialState: FALSE, lpName: x}
                as: ev
              - OpenEventW: {dwDesiredAccess: 0x1F0003, bInheritHandle: FALSE, lpName: x}
                as: again
              - CloseHandle: {hObject: $ev}
        run_until: all_done
        """
    )
    found = run_status(result, "kernel.handle_leak")
    events = result.k.trace.events
    (opened,) = [i for i, e in enumerate(events) if e[2] == "api" and e[4][0] == "OpenEventW"]
    (second_open,) = where(events, "handle.open")[1:]
    assert events[second_open - 1][2] == "api"  # CreateEventW's, just before
    assert [(f.message, f.seq, f.related) for f in found.findings] == [
        (
            f"main opened x (kernel handle 0x8) in OpenEventW (#{opened}) and no program closed it",
            second_open,
            (opened,),
        )
    ]


def test_handles_closed_by_any_thread_are_not_leaked() -> None:
    closed = """
    handlers:
      closer:
        params: [lpParameter]
        steps:
          - CloseHandle: {hObject: $lpParameter}
    threads:
      main:
        steps:
          - CreateEventW: {bManualReset: TRUE, bInitialState: FALSE}
            as: ev
          - CreateThread:
              dwStackSize: 0
              lpStartAddress: $closer
              lpParameter: $ev
              dwCreationFlags: 0
            as: t
          - WaitForSingleObject: {hHandle: $t, dwMilliseconds: INFINITE}
          - CloseHandle: {hObject: $t}
          - OpenSCManagerW: {lpMachineName: null, lpDatabaseName: null, dwDesiredAccess: 1}
            as: scm
          - CloseServiceHandle: {hSCObject: $scm}
    run_until: all_done
    """
    assert run_status(run_yaml(closed), "kernel.handle_leak").state == HELD


def test_handles_the_world_declared_are_not_a_programs() -> None:
    declared = """
    devices:
      kernel:
        events:
          ready: {manual_reset: true}
    threads:
      main:
        steps:
          - SetEvent: {hEvent: $ready}
    run_until: all_done
    """
    # no program opened a handle: nothing to judge
    assert run_status(run_yaml(declared), "kernel.handle_leak").state == NOT_EXERCISED


def test_a_handle_open_while_a_thread_is_still_blocked_is_not_judged() -> None:
    blocked = LEAK.replace(
        "        as: scm\n",
        "        as: scm\n      - WaitForSingleObject: {hHandle: $ev, dwMilliseconds: INFINITE}\n",
    )
    assert run_status(run_yaml(blocked), "kernel.handle_leak").state == NOT_EXERCISED
