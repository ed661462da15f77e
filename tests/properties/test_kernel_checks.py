"""The kernel's post-hoc checkers (emu/properties/kernel_checks.py and io_checks.py), one by
one.

For each: a real run where its situation arises and it holds; a violation, shown by a buggy
program for a client rule and by a tampered trace for a guarantee (a correct emu never breaks
one), with the finding naming the right event and saying what happened; and a run where its
situation never arises, so it is "not exercised". Tampering keeps every event a tuple of the
documented schema (docs/trace.md) and renumbers the trace, so ``seq`` stays the position.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest

from emu.kernel.chooser import ChoicePoint, Chooser
from emu.kernel.trace import TRACE_KINDS, TraceTuple
from emu.properties.expectation import assess, run_verdict
from emu.properties.verdict import HELD, NOT_EXERCISED, VIOLATED, Status, verdict
from emu.scenario import load_text
from emu.sim import Result
from emu.sim.simulation import Simulation
from emu.win32 import Api
from emu.win32.advapi32.scbase import AT_RPC
from emu.win32.types import LONG
from tests.scenario.helpers import run_yaml, scenario_text
from tests.support import run

# -- helpers ------------------------------------------------------------------------------------


def status(events: list[TraceTuple], pid: str, **kw: Any) -> Status:
    """The status of ``pid`` in the verdict of ``events``."""
    found = verdict(events, **kw).status(pid)
    assert found is not None, pid
    return found


def run_status(result: Result, pid: str) -> Status:
    """The status of ``pid`` in a scenario run's verdict (its blocks_forever and profile)."""
    found = run_verdict(result).status(pid)
    assert found is not None, pid
    return found


def trace(body: str) -> list[TraceTuple]:
    """A copy of the trace of a YAML scenario run, to tamper with."""
    return list(run_yaml(body).k.trace.events)


def with_copy(events: list[TraceTuple], index: int) -> list[TraceTuple]:
    """The events with a copy of ``events[index]`` right after it, renumbered (tampering: a
    record made twice)."""
    return renumber(events, [*events[: index + 1], events[index], *events[index + 1 :]])


def renumber(
    original: list[TraceTuple],
    edited: list[TraceTuple],
    stand_ins: dict[TraceTuple, int] | None = None,
) -> list[TraceTuple]:
    """``edited`` (events of ``original`` moved, copied, removed, or new ones inserted) with
    every cause following the event it named: an event of ``original`` (the same tuple) or one
    that stands in for one (``stand_ins``: an edited copy -> its original's position) takes
    over the causes that named it, at its first position (a copied event keeps its original's
    cause); a cause whose event was removed becomes -1."""
    old_position = {id(event): seq for seq, event in enumerate(original)}
    new: dict[int, int] = {}
    for position, event in enumerate(edited):
        old = old_position.get(id(event))
        if old is None and stand_ins is not None:
            old = stand_ins.get(event)
        if old is not None:
            new.setdefault(old, position)
    return [
        (t, actor, kind, objects, payload, -1 if cause == -1 else new.get(cause, -1))
        for t, actor, kind, objects, payload, cause in edited
    ]


def where(
    events: list[TraceTuple], kind: str, test: Callable[[TraceTuple], bool] = bool
) -> list[int]:
    """The positions of the events of ``kind`` that pass ``test``."""
    return [i for i, e in enumerate(events) if e[2] == kind and test(e)]


def with_payload(event: TraceTuple, payload: tuple[Any, ...]) -> TraceTuple:
    return (*event[:4], payload, event[5])


def with_objects(event: TraceTuple, objects: tuple[int, ...]) -> TraceTuple:
    return (*event[:3], objects, *event[4:])


def oid(events: list[TraceTuple], name: str) -> int:
    """The id of the object named ``name`` (its obj.create)."""
    (found,) = [e[3][0] for e in events if e[2] == "obj.create" and e[4][1] == name]
    return found


def only_finding(found: Status) -> Any:
    assert found.state == VIOLATED, found
    (finding,) = found.findings
    return finding


# -- scenarios ----------------------------------------------------------------------------------

# main queues two APCs to itself, then waits alertably: both run, in order, in SleepEx.
APCS = """
handlers:
  on_apc:
    params: [dwData]
    steps:
      - note: apc ran
threads:
  main:
    steps:
      - GetCurrentThreadId:
        as: me
      - OpenThread: {dwDesiredAccess: THREAD_SET_CONTEXT, bInheritHandle: FALSE, dwThreadId: $me}
        as: self
      - QueueUserAPC: {pfnAPC: $on_apc, hThread: $self, dwData: 1}
        expect: TRUE
      - QueueUserAPC: {pfnAPC: $on_apc, hThread: $self, dwData: 2}
        expect: TRUE
      - SleepEx: {dwMilliseconds: 0, bAlertable: TRUE}
        expect: WAIT_IO_COMPLETION
      - return: 0
run_until: all_done
"""

# An APC queued to a suspended thread runs at its start; one queued to a thread that then
# exits without waiting alertably is discarded.
APC_AT_START = """
handlers:
  on_apc:
    params: [dwData]
    steps:
      - note: apc ran
  worker:
    steps:
      - return: 0
threads:
  main:
    steps:
      - CreateThread: {dwStackSize: 0, lpStartAddress: $worker, dwCreationFlags: CREATE_SUSPENDED}
        as: t
      - QueueUserAPC: {pfnAPC: $on_apc, hThread: $t, dwData: 1}
        expect: TRUE
      - ResumeThread: {hThread: $t}
      - WaitForSingleObject: {hHandle: $t, dwMilliseconds: INFINITE}
        expect: WAIT_OBJECT_0
      - GetCurrentThreadId:
        as: me
      - OpenThread: {dwDesiredAccess: THREAD_SET_CONTEXT, bInheritHandle: FALSE, dwThreadId: $me}
        as: self
      - QueueUserAPC: {pfnAPC: $on_apc, hThread: $self, dwData: 2}
        expect: TRUE
      - return: 0
run_until: all_done
"""

# A client bug: the world queues an APC to a server that only ever waits non-alertably (the
# server waits for ever on purpose, so this is no lost wake-up).
APC_UNDELIVERED = """
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
  - {at: 1ms, kernel.queue_apc: {thread: server, handler: on_apc, data: 7}}
"""

# A waiter blocks on an event; main sets it 1 ms later and joins the waiter.
EVENT_WAKE = """
devices:
  kernel:
    events:
      ev: {manual_reset: %s}
handlers:
  waiter:
    steps:
      - WaitForSingleObject: {hHandle: $ev, dwMilliseconds: INFINITE}
        expect: WAIT_OBJECT_0
threads:
  main:
    steps:
      - CreateThread: {dwStackSize: 0, lpStartAddress: $waiter, dwCreationFlags: 0}
        as: t
      - Sleep: {dwMilliseconds: 1ms}
      - SetEvent: {hEvent: $ev}
        expect: TRUE
      - WaitForSingleObject: {hHandle: $t, dwMilliseconds: INFINITE}
        expect: WAIT_OBJECT_0
run_until: all_done
"""
AUTO_RESET = EVENT_WAKE % "false"
MANUAL_RESET = EVENT_WAKE % "true"

# One thread, no wait, no APC, no port, no I/O, no driver, no shared memory.
NOTHING = """
threads:
  main:
    steps:
      - note: started
      - return: 0
run_until: all_done
"""

# Two consumers block on a port (concurrency 1 on one processor); main posts two packets.
PORT = """
devices:
  kernel:
    ports:
      port: {concurrency: 0}
handlers:
  consumer:
    locals: {n: DWORD, key: ULONG_PTR, ov: PVOID}
    steps:
      - GetQueuedCompletionStatus:
          CompletionPort: $port
          lpNumberOfBytesTransferred: $n
          lpCompletionKey: $key
          lpOverlapped: $ov
          dwMilliseconds: INFINITE
        expect: TRUE
threads:
  main:
    steps:
      - repeat: %d
        steps:
          - CreateThread: {dwStackSize: 0, lpStartAddress: $consumer, dwCreationFlags: 0}
      - Sleep: {dwMilliseconds: 1ms}
      - repeat: %d
        as: i
        steps:
          - PostQueuedCompletionStatus:
              CompletionPort: $port
              dwNumberOfBytesTransferred: 1
              dwCompletionKey: $i
            expect: TRUE
      - Sleep: {dwMilliseconds: 1ms}
      - return: 0
run_until: all_done
"""
TWO_CONSUMERS = PORT % (2, 2)
ONE_CONSUMER = PORT % (1, 1)
ONE_CONSUMER_TWO_PACKETS = PORT % (1, 2)  # the second packet is still queued at the end
NO_PACKET = PORT % (1, 0)  # the consumer blocks for ever

# Packets queued before anyone dequeues: the port's FIFO order matters.
QUEUED = """
devices:
  kernel:
    ports:
      port: {concurrency: 0}
threads:
  main:
    locals: {n: DWORD, key: ULONG_PTR, ov: PVOID}
    steps:
      - repeat: 2
        as: i
        steps:
          - PostQueuedCompletionStatus:
              CompletionPort: $port
              dwNumberOfBytesTransferred: 1
              dwCompletionKey: $i
      - repeat: %d
        steps:
          - GetQueuedCompletionStatus:
              CompletionPort: $port
              lpNumberOfBytesTransferred: $n
              lpCompletionKey: $key
              lpOverlapped: $ov
              dwMilliseconds: 0
            expect: TRUE
run_until: all_done
"""

# An overlapped read on a pipe completes when the other end writes.
PIPE_READ = """
threads:
  main:
    %s
    locals:
      buf: {type: buffer, size: 4}
      data: {type: buffer, data: "ping"}
      ov: OVERLAPPED
      n: DWORD
    steps:
      - CreateNamedPipeW:
          lpName: "\\\\\\\\.\\\\pipe\\\\p"
          dwOpenMode: PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED
          dwPipeMode: 0
          nMaxInstances: 1
          nOutBufferSize: 64
          nInBufferSize: 64
          nDefaultTimeOut: 0
        as: pipe
      - CreateFileW:
          lpFileName: "\\\\\\\\.\\\\pipe\\\\p"
          dwDesiredAccess: GENERIC_READ | GENERIC_WRITE
          dwShareMode: 0
          dwCreationDisposition: OPEN_EXISTING
          dwFlagsAndAttributes: 0
          hTemplateFile: null
        as: client
      - ReadFile: {hFile: $pipe, lpBuffer: $buf, nNumberOfBytesToRead: 4, lpOverlapped: $ov}
        expect: ERROR_IO_PENDING
%s
run_until: all_done
"""
READ_COMPLETES = PIPE_READ % (
    "",
    """\
      - WriteFile:
          hFile: $client
          lpBuffer: $data
          nNumberOfBytesToWrite: 4
          lpNumberOfBytesWritten: $n
        expect: TRUE
      - CloseHandle: {hObject: $client}
      - CloseHandle: {hObject: $pipe}
      - return: 0""",
)
# The read is never satisfied: the thread parks for ever (declared) with it still pending.
READ_PENDS = (
    """
devices:
  kernel:
    events:
      never: {manual_reset: true}
"""
    + PIPE_READ
    % (
        "blocks_forever: true",
        "      - WaitForSingleObject: {hHandle: $never, dwMilliseconds: INFINITE}",
    )
)

# A driver: DriverEntry queues a DPC and waits; the DPC queues a work item; the work item sets
# the event. ``%s`` is an extra first step of the DPC routine.
DRIVER = """
drivers:
  sample:
    locals:
      done: KEVENT
      dpc: KDPC
      item: WORK_QUEUE_ITEM
    routines:
      on_dpc:
        params: [Dpc, DeferredContext, SystemArgument1, SystemArgument2]
        steps:
          %s
          - ExQueueWorkItem: {WorkItem: $item, QueueType: DelayedWorkQueue}
      on_work:
        params: [Parameter]
        steps:
          - KeSetEvent: {Event: $done, Increment: 0, Wait: FALSE}
    entry:
      - KeInitializeEvent: {Event: $done, Type: NotificationEvent, State: FALSE}
      - KeInitializeDpc: {Dpc: $dpc, DeferredRoutine: $on_dpc, DeferredContext: null}
      - ExInitializeWorkItem: {Item: $item, Routine: $on_work, Parameter: null}
      - KeInsertQueueDpc: {Dpc: $dpc, SystemArgument1: null, SystemArgument2: null}
        expect: TRUE
      - KeWaitForSingleObject:
          Object: $done
          WaitReason: 0
          WaitMode: KernelMode
          Alertable: FALSE
          Timeout: null
        expect: STATUS_SUCCESS
"""
DPC_AND_WORK = DRIVER % "- note: on_dpc"
DPC_WAITS = DRIVER % (
    "- KeWaitForSingleObject: {Object: $done, WaitReason: 0, WaitMode: KernelMode, "
    "Alertable: FALSE, Timeout: null}"
)

# The client's pending read fails (the server end is closed); GetQueuedCompletionStatus returns
# FALSE with the read's OVERLAPPED in *lpOverlapped. ``%s`` is what the program does next.
FAILED_PACKET = """
devices:
  kernel:
    ports:
      port: {concurrency: 1}
threads:
  main:
    locals:
      buf: {type: buffer, size: 4}
      ov: OVERLAPPED
      n: DWORD
      key: ULONG_PTR
      povl: PVOID
    steps:
      - CreateNamedPipeW:
          lpName: "\\\\\\\\.\\\\pipe\\\\fp"
          dwOpenMode: PIPE_ACCESS_DUPLEX
          dwPipeMode: 0
          nMaxInstances: 1
          nOutBufferSize: 64
          nInBufferSize: 64
          nDefaultTimeOut: 0
        as: server
      - CreateFileW:
          lpFileName: "\\\\\\\\.\\\\pipe\\\\fp"
          dwDesiredAccess: GENERIC_READ | GENERIC_WRITE
          dwShareMode: 0
          dwCreationDisposition: OPEN_EXISTING
          dwFlagsAndAttributes: FILE_FLAG_OVERLAPPED
          hTemplateFile: null
        as: client
      - CreateIoCompletionPort:
          FileHandle: $client
          ExistingCompletionPort: $port
          CompletionKey: 1
          NumberOfConcurrentThreads: 0
        expect: ERROR_SUCCESS
      - ReadFile: {hFile: $client, lpBuffer: $buf, nNumberOfBytesToRead: 4, lpOverlapped: $ov}
        expect: ERROR_IO_PENDING
      - CloseHandle: {hObject: $server}
      - GetQueuedCompletionStatus:
          CompletionPort: $port
          lpNumberOfBytesTransferred: $n
          lpCompletionKey: $key
          lpOverlapped: $povl
          dwMilliseconds: 0
        expect: ERROR_BROKEN_PIPE
%s
      - CloseHandle: {hObject: $client}
      - return: 0
run_until: all_done
"""

# Two threads do counter++ under one critical section.
LOCKED_INCREMENTS = """
machine: {processors: 2}
shared:
  n: LONG
  cs: CRITICAL_SECTION
handlers:
  adder:
    steps:
      - EnterCriticalSection: {lpCriticalSection: $cs}
      - increment: $n
      - LeaveCriticalSection: {lpCriticalSection: $cs}
threads:
  main:
    steps:
      - InitializeCriticalSection: {lpCriticalSection: $cs}
      - CreateThread: {dwStackSize: 0, lpStartAddress: $adder, dwCreationFlags: 0}
        as: t
      - EnterCriticalSection: {lpCriticalSection: $cs}
      - increment: $n
      - LeaveCriticalSection: {lpCriticalSection: $cs}
      - WaitForSingleObject: {hHandle: $t, dwMilliseconds: INFINITE}
      - assert: {that: $n.value, equals: 2}
run_until: all_done
"""


# -- kernel.apc_alertable_only ------------------------------------------------------------------


def test_apcs_run_in_an_alertable_wait_that_returns_wait_io_completion() -> None:
    # QueueUserAPC: APCs run only in an alertable wait, which returns WAIT_IO_COMPLETION.
    assert run_status(run_yaml(APCS), "kernel.apc_alertable_only").state == HELD


def test_an_apc_queued_before_its_thread_started_runs_at_thread_start() -> None:
    # trace.md apc.deliver: an APC queued before the thread began runs "at thread start".
    assert run_status(run_yaml(APC_AT_START), "kernel.apc_alertable_only").state == HELD


def test_apcs_run_during_a_non_alertable_call_are_a_violation() -> None:
    # QueueUserAPC: "the thread is not directed to call the APC function unless it is in an
    # alertable state" (tampered: the wait the APCs ran in becomes a plain Sleep).
    events = trace(APCS)
    (wait,) = where(events, "api", lambda e: e[4][0] == "SleepEx")
    events[wait] = with_payload(events[wait], ("Sleep", (0,), None, None))
    first = where(events, "apc.deliver")[0]
    finding = only_finding(status(events, "kernel.apc_alertable_only"))
    assert finding.seq == wait
    assert finding.related == (first,)
    assert finding.message == (
        "APCs ran during Sleep, which is not an alertable wait that returned WAIT_IO_COMPLETION"
    )


def test_apcs_run_in_a_wait_that_did_not_return_wait_io_completion_are_a_violation() -> None:
    # QueueUserAPC: "... the wait operation returns WAIT_IO_COMPLETION" (tampered: SleepEx,
    # after running the APCs, returns 0 as if its time had elapsed).
    events = trace(APCS)
    (wait,) = where(events, "api", lambda e: e[4][0] == "SleepEx")
    events[wait] = with_payload(events[wait], ("SleepEx", (0, 1), 0, None))
    finding = only_finding(status(events, "kernel.apc_alertable_only"))
    assert finding.seq == wait


def test_an_apc_at_thread_start_inside_another_apc_is_a_violation() -> None:
    # trace.md apc.deliver: "at thread start" means before the thread ran anything, so never
    # nested in another APC (a hand-built trace).
    events: list[TraceTuple] = [
        (0, 0, "obj.create", (1,), ("Thread", "t"), -1),
        (0, 1, "apc.queue", (1,), (1, "a", 0, 1), -1),
        (0, 1, "apc.queue", (1,), (2, "b", 0, 2), -1),
        (0, 1, "apc.deliver", (1,), (1, "a", 0, 1, 1, "alertable wait"), 1),
        (0, 1, "apc.deliver", (1,), (2, "b", 0, 0, 2, "thread start"), 2),
        (0, 1, "apc.return", (1,), (2, "b", 2), -1),
        (0, 1, "apc.return", (1,), (1, "a", 1), -1),
        (0, 1, "api", (), ("SleepEx", (0, 1), 0xC0, None), -1),
    ]
    finding = only_finding(status(events, "kernel.apc_alertable_only"))
    assert finding.seq == 4
    assert finding.message == "APC #2 ran 'at thread start' inside another APC"


def test_no_apc_leaves_apc_alertable_only_not_exercised() -> None:
    # verdict: a property whose situation never arose is "not exercised".
    assert run_status(run_yaml(AUTO_RESET), "kernel.apc_alertable_only").state == NOT_EXERCISED


# main queues an APC to itself, then calls QueryServiceStatus: the RPC of an SCM call "might
# perform an alertable wait operation" (NotifyServiceStatusChange, MS doc, Remarks).
APC_IN_RPC = """
devices:
  scm:
    services:
      S: {state: RUNNING}
handlers:
  on_apc:
    params: [dwData]
    steps:
      - note: apc ran
threads:
  main:
    steps:
      - GetCurrentThreadId:
        as: me
      - OpenThread: {dwDesiredAccess: THREAD_SET_CONTEXT, bInheritHandle: FALSE, dwThreadId: $me}
        as: self
      - OpenSCManagerW:
          lpMachineName: null
          lpDatabaseName: null
          dwDesiredAccess: SC_MANAGER_CONNECT
        as: scm
      - OpenServiceW: {hSCManager: $scm, lpServiceName: S, dwDesiredAccess: SERVICE_QUERY_STATUS}
        as: svc
      - QueueUserAPC: {pfnAPC: $on_apc, hThread: $self, dwData: 1}
        expect: TRUE
      - QueryServiceStatus: {hService: $svc, lpServiceStatus: {new: SERVICE_STATUS}}
        expect: TRUE
      - CloseServiceHandle: {hSCObject: $svc}
      - CloseServiceHandle: {hSCObject: $scm}
      - CloseHandle: {hObject: $self}
run_until: all_done
"""


class AlertableRpc(Chooser):
    """The SCM call's RPC waits alertably (the last option of rpc-alertable); else option 0."""

    def pick(self, point: ChoicePoint) -> int:
        return len(point.options) - 1 if point.label.startswith("rpc-alertable") else 0


def apc_in_rpc() -> Result:
    return Simulation(load_text(scenario_text(APC_IN_RPC), "t.yaml"), chooser=AlertableRpc()).run()


def test_apcs_run_inside_an_scm_calls_rpc_hold_apc_alertable_only() -> None:
    # A delivery place a subsystem declares (emu.kernel.apc_sites) is a documented place: APCs
    # run there inside one of its functions are no violation (they were flagged before the
    # SCM declared its RPC wait: a false positive under exploration).
    result = apc_in_rpc()
    (deliver,) = where(result.k.trace.events, "apc.deliver")
    assert result.k.trace.events[deliver][4][5] == AT_RPC
    assert run_status(result, "kernel.apc_alertable_only").state == HELD
    assert assess(result).ok


def test_apcs_at_a_declared_place_closing_in_another_function_are_a_violation() -> None:
    # The place covers the functions declared with it only (tampered: the call the APC ran
    # inside becomes GetCurrentThreadId).
    events = list(apc_in_rpc().k.trace.events)
    (call,) = where(events, "api", lambda e: e[4][0] == "QueryServiceStatus")
    events[call] = with_payload(events[call], ("GetCurrentThreadId", (), 4, None))
    finding = only_finding(status(events, "kernel.apc_alertable_only"))
    assert finding.seq == call
    assert finding.message == (
        f"APCs ran at '{AT_RPC}' during GetCurrentThreadId, which is not documented to "
        "deliver there"
    )


def test_apcs_at_an_undeclared_place_are_a_violation() -> None:
    # Only the kernel's own places and the declared ones (tampered: the delivery names a place
    # nobody declared).
    events = list(apc_in_rpc().k.trace.events)
    (deliver,) = where(events, "apc.deliver")
    events[deliver] = with_payload(events[deliver], (*events[deliver][4][:5], "a side door"))
    finding = only_finding(status(events, "kernel.apc_alertable_only"))
    assert finding.message == (
        "APCs ran during QueryServiceStatus at 'a side door', no documented delivery place"
    )


# -- kernel.apc_fifo ----------------------------------------------------------------------------


def test_two_apcs_run_in_the_order_they_were_queued() -> None:
    # QueueUserAPC: "the thread handles all pending APCs in first in, first out (FIFO) order".
    assert run_status(run_yaml(APCS), "kernel.apc_fifo").state == HELD


def test_apcs_delivered_out_of_order_are_a_violation() -> None:
    # QueueUserAPC: FIFO order (tampered: the two apc.deliver events swap places).
    events = trace(APCS)
    first, second = where(events, "apc.deliver")
    swapped = list(events)
    swapped[first], swapped[second] = events[second], events[first]
    events = renumber(events, swapped)
    finding = only_finding(status(events, "kernel.apc_fifo"))
    assert finding.seq == first
    assert finding.message == "APC #2 ran before APC #1, queued earlier"


def test_an_apc_run_while_an_earlier_one_stays_queued_is_a_violation() -> None:
    # QueueUserAPC: FIFO order, even when the earlier APC never runs (a hand-built trace).
    events: list[TraceTuple] = [
        (0, 0, "obj.create", (1,), ("Thread", "t"), -1),
        (0, 1, "apc.queue", (1,), (1, "a", 0, 1), -1),
        (0, 1, "apc.queue", (1,), (2, "b", 0, 2), -1),
        (0, 1, "apc.deliver", (1,), (2, "b", 0, 1, 1, "alertable wait"), 2),
        (0, 1, "apc.return", (1,), (2, "b", 1), -1),
        (0, 0, "apc.undelivered", (1,), (1, "a", "still queued at the end"), 1),
    ]
    finding = only_finding(status(events, "kernel.apc_fifo"))
    assert finding.seq == 3
    assert finding.message == "APC #2 ran before APC #1, queued earlier"


def test_apcs_queued_but_never_delivered_leave_apc_fifo_not_exercised() -> None:
    # verdict: FIFO delivery is exercised only by a delivery.
    assert run_status(run_yaml(APC_UNDELIVERED), "kernel.apc_fifo").state == NOT_EXERCISED
    assert run_status(run_yaml(AUTO_RESET), "kernel.apc_fifo").state == NOT_EXERCISED


# -- kernel.apc_accounted -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind"),
    [(APCS, "apc.deliver"), (APC_AT_START, "apc.discard"), (APC_UNDELIVERED, "apc.undelivered")],
    ids=["delivered", "discarded", "reported"],
)
def test_every_apc_is_delivered_discarded_or_reported(body: str, kind: str) -> None:
    # emu rule, nothing lost silently: every queued APC is delivered, discarded when its
    # thread exits, or reported.
    result = run_yaml(body)
    assert where(result.k.trace.events, kind)
    assert run_status(result, "kernel.apc_accounted").state == HELD


def test_an_apc_that_vanishes_is_a_violation() -> None:
    # emu rule, nothing lost silently (tampered: APC #2's delivery and return are removed).
    events = trace(APCS)
    events = renumber(
        events, [e for e in events if e[2] not in ("apc.deliver", "apc.return") or e[4][0] != 2]
    )
    (queued,) = where(events, "apc.queue", lambda e: e[4][0] == 2)
    finding = only_finding(status(events, "kernel.apc_accounted"))
    assert finding.seq == queued
    assert finding.message == "APC #2 was neither delivered, discarded nor reported"


def test_an_apc_delivered_twice_is_a_violation() -> None:
    # emu rule, nothing lost silently: each APC disposed of once (tampered: APC #1's delivery
    # is recorded twice).
    events = trace(APCS)
    first = where(events, "apc.deliver")[0]
    events = with_copy(events, first)
    finding = only_finding(status(events, "kernel.apc_accounted"))
    assert finding.seq == first + 1
    assert finding.message == "APC #1 disposed of twice, or never queued"


def test_no_apc_leaves_apc_accounted_not_exercised() -> None:
    # verdict: not exercised without an apc.queue.
    assert run_status(run_yaml(AUTO_RESET), "kernel.apc_accounted").state == NOT_EXERCISED


# -- kernel.apc_never_delivered -----------------------------------------------------------------


def test_a_delivered_apc_holds_apc_never_delivered() -> None:
    # QueueUserAPC: an APC queued to a thread that then waits alertably runs.
    assert run_status(run_yaml(APCS), "kernel.apc_never_delivered").state == HELD


def test_an_apc_to_a_thread_that_never_waits_alertably_is_a_client_bug() -> None:
    # QueueUserAPC: "not directed to call the APC function unless it is in an alertable state".
    result = run_yaml(APC_UNDELIVERED)
    events = result.k.trace.events
    (undelivered,) = where(events, "apc.undelivered")
    finding = only_finding(run_status(result, "kernel.apc_never_delivered"))
    assert finding.seq == undelivered
    assert finding.message == (
        "APC #1 on_apc to server never ran: server did not wait alertably after it was queued"
    )
    assert run_status(result, "kernel.lost_wakeup").state == HELD  # blocks_forever: declared


def test_no_apc_leaves_apc_never_delivered_not_exercised() -> None:
    # verdict: not exercised without an apc.queue.
    assert run_status(run_yaml(AUTO_RESET), "kernel.apc_never_delivered").state == NOT_EXERCISED


# -- kernel.auto_reset_one ----------------------------------------------------------------------


def test_an_auto_reset_event_releases_one_waiter_and_clears() -> None:
    # SetEvent: an auto-reset event stays signalled until a single waiter is released.
    assert run_status(run_yaml(AUTO_RESET), "kernel.auto_reset_one").state == HELD


def test_an_auto_reset_event_created_signalled_satisfies_one_wait() -> None:
    # CreateEvent: bInitialState TRUE; the first wait consumes the signal, the second times out.
    result = run_yaml(
        """
        devices:
          kernel:
            events:
              ev: {initial: true}
        threads:
          main:
            steps:
              - WaitForSingleObject: {hHandle: $ev, dwMilliseconds: 0}
                expect: WAIT_OBJECT_0
              - WaitForSingleObject: {hHandle: $ev, dwMilliseconds: 0}
                expect: WAIT_TIMEOUT
        run_until: all_done
        """
    )
    assert run_status(result, "kernel.auto_reset_one").state == HELD


def test_a_release_while_not_signalled_is_a_violation() -> None:
    # SetEvent: one release per signal (tampered: the consume is recorded twice).
    events = trace(AUTO_RESET)
    (consume,) = where(events, "event.state", lambda e: e[4][0] == "consume")
    events = with_copy(events, consume)
    finding = only_finding(status(events, "kernel.auto_reset_one"))
    assert finding.seq == consume + 1
    assert finding.message == "ev released a waiter while not signalled"


def test_one_signal_releasing_two_waiters_is_a_violation() -> None:
    # SetEvent: "remains signaled until a single waiting thread is released" (hand-built: one
    # set, one consume, two waiters woken by that set).
    events: list[TraceTuple] = [
        (0, 0, "obj.create", (1,), ("Event", "ev"), -1),
        (0, 0, "event.state", (1,), ("init", 0), -1),
        (0, 0, "obj.create", (2,), ("Thread", "a"), -1),
        (0, 0, "obj.create", (3,), ("Thread", "b"), -1),
        (0, 0, "obj.create", (4,), ("Thread", "main"), -1),
        (0, 2, "thread.wait", (2, 1), ("WAITING", False, False, None, (1,)), -1),
        (0, 3, "thread.wait", (3, 1), ("WAITING", False, False, None, (1,)), -1),
        (0, 4, "event.state", (1,), ("set", 1), -1),
        (0, 4, "event.state", (1,), ("consume", 0), -1),
        (0, 4, "thread.wake", (2,), ("READY", 0, False, ()), 7),
        (0, 4, "thread.wake", (3,), ("READY", 0, False, ()), 7),
    ]
    finding = only_finding(status(events, "kernel.auto_reset_one"))
    assert finding.seq == 10


def test_a_manual_reset_event_leaves_auto_reset_one_not_exercised() -> None:
    # SetEvent: the rule is about auto-reset events; a manual-reset one never consumes.
    assert run_status(run_yaml(MANUAL_RESET), "kernel.auto_reset_one").state == NOT_EXERCISED


# -- kernel.iocp_accounted ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind"),
    [(TWO_CONSUMERS, "iocp.dequeue"), (ONE_CONSUMER_TWO_PACKETS, "iocp.pending")],
    ids=["dequeued", "reported"],
)
def test_every_packet_is_dequeued_dropped_or_reported(body: str, kind: str) -> None:
    # F5.8, emu rule, nothing lost silently: every packet is dequeued, dropped at close, or
    # reported still queued.
    result = run_yaml(body)
    assert where(result.k.trace.events, kind)
    assert run_status(result, "kernel.iocp_accounted").state == HELD


def test_a_packet_closed_under_is_dropped_and_accounted() -> None:
    # F5.8: closing the port drops its queued packets (iocp.drop).
    result = run_yaml(
        """
        threads:
          main:
            steps:
              - CreateIoCompletionPort:
                  FileHandle: INVALID_HANDLE_VALUE
                  ExistingCompletionPort: null
                  CompletionKey: 0
                  NumberOfConcurrentThreads: 1
                as: port
              - PostQueuedCompletionStatus:
                  CompletionPort: $port
                  dwNumberOfBytesTransferred: 0
                  dwCompletionKey: 1
                expect: TRUE
              - CloseHandle: {hObject: $port}
                expect: TRUE
        run_until: all_done
        """
    )
    assert where(result.k.trace.events, "iocp.drop")
    assert run_status(result, "kernel.iocp_accounted").state == HELD


def test_a_packet_dequeued_twice_is_a_violation() -> None:
    # F5.8, each packet leaves the port once (tampered: a dequeue is recorded twice).
    events = trace(TWO_CONSUMERS)
    first = where(events, "iocp.dequeue")[0]
    events = with_copy(events, first)
    finding = only_finding(status(events, "kernel.iocp_accounted"))
    assert finding.seq == first + 1
    assert finding.message == "packet #1 disposed of twice, or never posted"


def test_a_packet_that_vanishes_is_a_violation() -> None:
    # emu rule, nothing lost silently (tampered: packet #2's dequeue is removed).
    events = trace(TWO_CONSUMERS)
    events = renumber(events, [e for e in events if e[2] != "iocp.dequeue" or e[4][0] != 2])
    (posted,) = where(events, "iocp.post", lambda e: e[4][0] == 2)
    finding = only_finding(status(events, "kernel.iocp_accounted"))
    assert finding.seq == posted
    assert finding.message == "packet #2 was neither dequeued, dropped nor reported"


def test_no_port_leaves_iocp_accounted_not_exercised() -> None:
    # verdict: not exercised without an iocp.post.
    assert run_status(run_yaml(AUTO_RESET), "kernel.iocp_accounted").state == NOT_EXERCISED


# -- kernel.iocp_fifo ---------------------------------------------------------------------------


def test_packets_leave_the_port_in_the_order_they_were_posted() -> None:
    # I/O Completion Ports: "pulled from the port's FIFO queue" (F5.4).
    assert run_status(run_yaml(QUEUED % 2), "kernel.iocp_fifo").state == HELD


def test_packets_handed_straight_to_blocked_dequeuers_never_queue() -> None:
    # verdict: with every post handed to a waiting consumer, no order was at stake.
    assert run_status(run_yaml(TWO_CONSUMERS), "kernel.iocp_fifo").state == NOT_EXERCISED


def test_packets_dequeued_out_of_order_are_a_violation() -> None:
    # F5.4 (tampered: the two dequeues exchange their packets).
    events = trace(QUEUED % 2)
    first, second = where(events, "iocp.dequeue")
    a, b = events[first], events[second]
    events[first] = with_payload(a, b[4])
    events[second] = with_payload(b, a[4])
    finding = only_finding(status(events, "kernel.iocp_fifo"))
    assert finding.seq == first
    assert finding.message == "port gave packet #2 before #1, queued earlier"


def test_a_packet_taken_while_an_earlier_one_stays_queued_is_a_violation() -> None:
    # F5.4 (tampered: the one dequeue takes packet #2 and packet #1 is reported still queued).
    events = trace(QUEUED % 1)
    (taken,) = where(events, "iocp.dequeue")
    (left,) = where(events, "iocp.pending")
    assert (events[taken][4][0], events[left][4][0]) == (1, 2)
    events[taken] = with_payload(events[taken], (2, *events[taken][4][1:]))
    events[left] = with_payload(events[left], (1, *events[left][4][1:]))
    finding = only_finding(status(events, "kernel.iocp_fifo"))
    assert finding.seq == taken


def test_a_single_dequeue_leaves_iocp_fifo_not_exercised() -> None:
    # verdict: FIFO order needs two packets out of one port.
    assert run_status(run_yaml(ONE_CONSUMER), "kernel.iocp_fifo").state == NOT_EXERCISED


# -- kernel.iocp_lifo ---------------------------------------------------------------------------


def test_the_most_recently_blocked_dequeuer_is_released_first() -> None:
    # I/O Completion Ports: blocked threads are released LIFO (F5.5, F5.19).
    result = run_yaml(TWO_CONSUMERS)
    events = result.k.trace.events
    (first_release,) = [e for e in events if e[2] == "iocp.dequeue" and e[4][0] == 1]
    assert first_release[3][1] == oid(events, "consumer-2")  # blocked second, released first
    assert run_status(result, "kernel.iocp_lifo").state == HELD


def test_releasing_an_older_dequeuer_first_is_a_violation() -> None:
    # F5.5 (tampered: the two iocp.block events exchange their threads, so consumer-2 becomes
    # the older waiter and its release skips consumer).
    events = trace(TWO_CONSUMERS)
    first, second = where(events, "iocp.block")
    a, b = events[first], events[second]
    events[first] = with_objects(a, b[3])
    events[second] = with_objects(b, a[3])
    port, later = oid(events, "port"), oid(events, "consumer-2")
    (release,) = where(events, "thread.wake", lambda e: e[3][0] == later and e[4][1] == 0)
    finding = only_finding(status(events, "kernel.iocp_lifo"))
    assert finding.seq == release
    assert port in events[first][3]
    assert finding.message == "port released consumer-2 while consumer, blocked later, still waited"


def test_a_single_blocked_dequeuer_leaves_iocp_lifo_not_exercised() -> None:
    # verdict: LIFO order needs two dequeuers blocked at once.
    assert run_status(run_yaml(ONE_CONSUMER), "kernel.iocp_lifo").state == NOT_EXERCISED


# -- kernel.io_completes_once -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind"),
    [(READ_COMPLETES, "io.complete"), (READ_PENDS, "io.pending")],
    ids=["completed", "pending"],
)
def test_a_request_completes_once_or_is_reported_pending(body: str, kind: str) -> None:
    # F5.16: a request completes exactly once, or is reported still pending at the end.
    result = run_yaml(body)
    assert where(result.k.trace.events, kind)
    assert run_status(result, "kernel.io_completes_once").state == HELD


def test_a_request_completed_twice_is_a_violation() -> None:
    # F5.16 (tampered: the read's io.complete is recorded twice).
    events = trace(READ_COMPLETES)
    (done,) = where(events, "io.complete", lambda e: e[4][1] == "ReadFile")
    events = with_copy(events, done)
    irp = events[done][4][0]
    finding = only_finding(status(events, "kernel.io_completes_once"))
    assert finding.seq == done + 1
    assert finding.message == f"request #{irp} completed twice, or was never started"


def test_a_request_that_never_completes_silently_is_a_violation() -> None:
    # F5.16, nothing lost silently (tampered: the read's io.complete is removed).
    events = trace(READ_COMPLETES)
    events = renumber(events, [e for e in events if e[2] != "io.complete" or e[4][1] != "ReadFile"])
    (started,) = where(events, "io.start", lambda e: e[4][1] == "ReadFile")
    irp = events[started][4][0]
    finding = only_finding(status(events, "kernel.io_completes_once"))
    assert finding.seq == started
    assert finding.message == f"request #{irp} neither completed nor reported pending"


def test_no_io_leaves_io_completes_once_not_exercised() -> None:
    # verdict: not exercised without an io.start.
    assert run_status(run_yaml(AUTO_RESET), "kernel.io_completes_once").state == NOT_EXERCISED


# -- kernel.overlapped_unique (held and violated: test_overlapped_unique.py) --------------------


def test_no_overlapped_request_leaves_overlapped_unique_not_exercised() -> None:
    # ReadFile lpOverlapped: the rule concerns requests given an OVERLAPPED.
    assert run_status(run_yaml(AUTO_RESET), "kernel.overlapped_unique").state == NOT_EXERCISED


# -- kernel.workqueue_serialized ----------------------------------------------------------------


def test_a_work_item_runs_alone_on_its_queue() -> None:
    # System Worker Threads: the callbacks of one work queue run one at a time.
    assert run_status(run_yaml(DPC_AND_WORK), "kernel.workqueue_serialized").state == HELD


def test_two_callbacks_running_at_once_on_one_queue_are_a_violation() -> None:
    # Work queues are serialized (tampered: the callback starts again before it returned).
    events = trace(DPC_AND_WORK)
    (started,) = where(events, "work.run")
    events = with_copy(events, started)
    finding = only_finding(status(events, "kernel.workqueue_serialized"))
    assert finding.seq == started + 1
    assert finding.message == "two callbacks of DelayedWorkQueue overlap"


def test_no_work_item_leaves_workqueue_serialized_not_exercised() -> None:
    # verdict: not exercised without a work.run.
    assert run_status(run_yaml(AUTO_RESET), "kernel.workqueue_serialized").state == NOT_EXERCISED


# -- kernel.dpc_never_blocks --------------------------------------------------------------------


def test_a_dpc_runs_without_blocking() -> None:
    # KeWaitForSingleObject: a DPC at DISPATCH_LEVEL never blocks.
    assert run_status(run_yaml(DPC_AND_WORK), "kernel.dpc_never_blocks").state == HELD


def test_a_dpc_that_waits_is_a_client_bug_performed_as_a_poll() -> None:
    # KeWaitForSingleObject: a wait with a non-zero timeout at DISPATCH_LEVEL is a bug check,
    # recorded as kernel.wait_at_dispatch and performed as a poll: the DPC still never blocks.
    result = run_yaml(DPC_WAITS)
    assert run_status(result, "kernel.wait_at_dispatch").state == VIOLATED
    assert run_status(result, "kernel.dpc_never_blocks").state == HELD


def test_a_processor_blocked_in_a_wait_is_a_violation() -> None:
    # A DPC never blocks (tampered: the processor records a thread.wait inside the DPC).
    events = trace(DPC_AND_WORK)
    (ran,) = where(events, "dpc.run")
    cpu = oid(events, "cpu0")
    assert events[ran][1] == cpu  # the DPC runs on the processor's own context
    wait = (
        events[ran][0],
        cpu,
        "thread.wait",
        (cpu, 1),
        ("WAITING", False, False, None, (1,)),
        -1,
    )
    events = renumber(events, [*events[: ran + 1], wait, *events[ran + 1 :]])
    finding = only_finding(status(events, "kernel.dpc_never_blocks"))
    assert finding.seq == ran + 1
    assert finding.message == "cpu0 blocked in a wait"


def test_no_dpc_leaves_dpc_never_blocks_not_exercised() -> None:
    # verdict: not exercised without a dpc.run.
    assert run_status(run_yaml(AUTO_RESET), "kernel.dpc_never_blocks").state == NOT_EXERCISED


# -- kernel.lost_wakeup -------------------------------------------------------------------------

# A lost wake-up: the signaller sets and resets a manual-reset event before the waiter waits.
SET_TOO_EARLY = """
devices:
  kernel:
    events:
      ev: {manual_reset: true}
handlers:
  signaller:
    steps:
      - SetEvent: {hEvent: $ev}
      - ResetEvent: {hEvent: $ev}
threads:
  main:
    steps:
      - CreateThread: {dwStackSize: 0, lpStartAddress: $signaller, dwCreationFlags: 0}
      - Sleep: {dwMilliseconds: 1ms}
      - WaitForSingleObject: {hHandle: $ev, dwMilliseconds: INFINITE}
        expect: WAIT_OBJECT_0
"""


def test_a_woken_waiter_holds_lost_wakeup() -> None:
    # emu rule, a run ends: a run ends with no thread still blocked.
    assert run_status(run_yaml(AUTO_RESET), "kernel.lost_wakeup").state == HELD


def test_a_thread_declared_to_block_for_ever_is_no_lost_wakeup() -> None:
    # scenarios.md: a thread declared blocks_forever is not a lost wake-up.
    assert run_status(run_yaml(APC_UNDELIVERED), "kernel.lost_wakeup").state == HELD


def test_a_signal_before_the_wait_is_a_lost_wakeup() -> None:
    # emu rule, a run ends: a thread still blocked at the end, not declared blocks_forever,
    # is a possible lost wake-up; the finding names the last event that touched what it waits on.
    result = run_yaml(SET_TOO_EARLY)
    events = result.k.trace.events
    (blocked,) = where(events, "actor.blocked")
    (reset,) = where(events, "event.state", lambda e: e[4][0] == "reset")
    finding = only_finding(run_status(result, "kernel.lost_wakeup"))
    assert finding.seq == blocked
    assert finding.related == (reset,)
    assert finding.message == (
        f"main is still WAITING on ev at the end: the last event on it was #{reset} "
        "(event.state by signaller)"
    )


def test_a_lost_wakeup_in_a_dequeue_names_the_port() -> None:
    # emu rule, a run ends: the lost-wake-up finding says what the thread waits on.
    result = run_yaml(NO_PACKET)
    finding = only_finding(run_status(result, "kernel.lost_wakeup"))
    assert finding.message.startswith("consumer is still WAITING on port at the end")


def test_a_thread_that_never_waits_leaves_lost_wakeup_not_exercised() -> None:
    # verdict: not exercised without a thread.wait.
    assert run_status(run_yaml(NOTHING), "kernel.lost_wakeup").state == NOT_EXERCISED


# -- kernel.iocp_failed_packet_ignored ----------------------------------------------------------


def test_a_failed_packet_taken_for_no_packet_is_a_client_bug() -> None:
    # GetQueuedCompletionStatus: FALSE with a non-NULL *lpOverlapped is a failed I/O's packet.
    result = run_yaml(FAILED_PACKET % "")
    events = result.k.trace.events
    (call,) = where(events, "api", lambda e: e[4][0] == "GetQueuedCompletionStatus")
    assert events[call][4][2] == 0
    finding = only_finding(run_status(result, "kernel.iocp_failed_packet_ignored"))
    assert finding.seq == call
    assert finding.message == (
        "GetQueuedCompletionStatus returned FALSE with main.ov in *lpOverlapped (a failed I/O's "
        "packet), and the program never looked at main.ov again"
    )


def test_a_failed_packet_whose_overlapped_is_read_holds() -> None:
    # rules.md: after FALSE with a non-NULL *lpOverlapped the program reads that OVERLAPPED.
    result = run_yaml(FAILED_PACKET % "      - set: {status: $ov.Internal}")
    assert run_status(result, "kernel.iocp_failed_packet_ignored").state == HELD


def test_a_timeout_with_no_packet_leaves_failed_packet_ignored_not_exercised() -> None:
    # GetQueuedCompletionStatus: FALSE with *lpOverlapped NULL is no packet (a timeout).
    result = run_yaml(
        """
        devices:
          kernel:
            ports:
              port: {concurrency: 1}
        threads:
          main:
            locals: {n: DWORD, key: ULONG_PTR, povl: PVOID}
            steps:
              - GetQueuedCompletionStatus:
                  CompletionPort: $port
                  lpNumberOfBytesTransferred: $n
                  lpCompletionKey: $key
                  lpOverlapped: $povl
                  dwMilliseconds: 0
                expect: WAIT_TIMEOUT
        run_until: all_done
        """
    )
    found = run_status(result, "kernel.iocp_failed_packet_ignored")
    assert found.state == NOT_EXERCISED


# -- kernel.lost_update -------------------------------------------------------------------------


def racers() -> dict[str, Callable[[Api], Generator[Any, Any, int]]]:
    """Two threads each do ``old = counter; Sleep(1); counter = old + 1`` on one LONG."""
    counter = LONG()

    def racer(api: Api) -> Generator[Any, Any, int]:
        counter.bind(api.k, "counter")
        old = counter.value
        yield from api.Sleep(1)
        counter.value = old + 1
        return 0

    return {"a": racer, "b": racer}


def test_an_unsynchronized_read_modify_write_loses_an_update() -> None:
    # Interlocked Variable Access: two threads reading and writing one variable, unsynchronized.
    sim = run(racers())
    events = sim.k.trace.events
    reads = where(events, "mem.read")
    writes = where(events, "mem.write")
    b = oid(events, "b")
    finding = only_finding(status(events, "kernel.lost_update"))
    assert finding.seq == writes[1]
    assert events[writes[1]][1] == b
    assert finding.related == (reads[1], writes[0])
    assert finding.message == (
        f"b wrote counter.value from a value it read at #{reads[1]}, losing the write a made at "
        f"#{writes[0]} in between"
    )


def test_read_modify_writes_under_a_lock_hold_lost_update() -> None:
    # Interlocked Variable Access: synchronized accesses lose nothing.
    assert run_status(run_yaml(LOCKED_INCREMENTS), "kernel.lost_update").state == HELD


def test_interlocked_increments_never_lose_an_update() -> None:
    # rules.md: Interlocked operations are atomic and never lose one.
    result = run_yaml(
        LOCKED_INCREMENTS.replace(
            "      - increment: $n", "      - InterlockedIncrement: {Addend: $n}"
        )
    )
    assert run_status(result, "kernel.lost_update").state != VIOLATED


def test_one_thread_alone_leaves_lost_update_not_exercised() -> None:
    # verdict: a lost update needs a second thread touching the field.
    result = run_yaml(
        """
        shared:
          n: LONG
        threads:
          main:
            steps:
              - increment: $n
              - increment: $n
        run_until: all_done
        """
    )
    assert run_status(result, "kernel.lost_update").state == NOT_EXERCISED


# -- the payload fields the checkers read -------------------------------------------------------

FIELDS_READ = [
    ("actor.blocked", 0, "state"),
    ("api", 0, "name"),
    ("api", 1, "args"),
    ("api", 2, "result"),
    ("api", 3, "error"),
    ("apc.deliver", 0, "apc"),
    ("apc.deliver", 5, "at"),
    ("apc.undelivered", 1, "routine"),
    ("event.state", 0, "op"),
    ("event.state", 1, "signaled"),
    ("io.start", 0, "irp"),
    ("io.start", 1, "op"),
    ("io.start", 2, "overlapped"),
    ("iocp.dequeue", 0, "packet"),
    ("iocp.post", 0, "packet"),
    ("mem.read", 2, "by"),
    ("mem.write", 0, "field"),
    ("mem.write", 1, "value"),
    ("mem.write", 2, "by"),
    ("thread.wake", 1, "status"),
]


@pytest.mark.parametrize(("kind", "index", "field"), FIELDS_READ)
def test_the_checkers_read_the_documented_payload_fields(kind: str, index: int, field: str) -> None:
    # trace.md: payload fields in the order of the kind's fields (what the checkers index).
    run_yaml(DPC_AND_WORK)  # imports every module that declares a kind
    assert TRACE_KINDS[kind].fields[index] == field


# -- the scenarios above run as written ---------------------------------------------------------

SCENARIOS = {
    "APCS": APCS,
    "APC_AT_START": APC_AT_START,
    "APC_UNDELIVERED": APC_UNDELIVERED,
    "AUTO_RESET": AUTO_RESET,
    "MANUAL_RESET": MANUAL_RESET,
    "NOTHING": NOTHING,
    "TWO_CONSUMERS": TWO_CONSUMERS,
    "ONE_CONSUMER": ONE_CONSUMER,
    "ONE_CONSUMER_TWO_PACKETS": ONE_CONSUMER_TWO_PACKETS,
    "READ_COMPLETES": READ_COMPLETES,
    "READ_PENDS": READ_PENDS,
    "DPC_AND_WORK": DPC_AND_WORK,
    "DPC_WAITS": DPC_WAITS,
    "FAILED_PACKET": FAILED_PACKET % "",
    "LOCKED_INCREMENTS": LOCKED_INCREMENTS,
    "SET_TOO_EARLY": SET_TOO_EARLY,
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_here_meets_its_own_expect_steps(name: str) -> None:
    # scenarios.md: a failed expect:/assert: step is a scenario.expect/scenario.assert violation
    # (none here: each scenario does what its comment says).
    verdict_ = run_verdict(run_yaml(SCENARIOS[name]))
    failed = [s.property.id for s in verdict_.violated if s.property.id.startswith("scenario.")]
    assert failed == []
