"""BranchCache's properties, continued: each checker not planted in ``test_peerdist`` sees its
violation and is silent on the correct program. Client rules fire on small programs that commit
the bug (YAML scenarios in tmp_path, or Python programs where a schedule must be searched);
guarantees are planted in a copy of a correct trace (emu is right)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from emu.codes import ERROR_IO_PENDING, INVALID_HANDLE_VALUE, PEERDIST_VERSION
from emu.codes.winerror import ERROR_OPERATION_ABORTED, ERROR_SUCCESS, PEERDIST_ERROR_INVALIDATED
from emu.explore.strategies import make_chooser
from emu.kernel.trace import TraceTuple
from emu.properties.verdict import HELD, VIOLATED
from emu.scenario import load_scenario
from emu.sim.simulation import run_scenario
from emu.win32 import Api
from emu.win32.peerdist.types import PEERDIST_CONTENT_TAG
from emu.win32.types import DWORD, HANDLE, OVERLAPPED, PVOID, ULONG_PTR
from tests.properties.peerdist.test_peerdist import HEAD, REGISTER, SHUTDOWN, WAIT, run, status
from tests.support import run as run_programs

# -- invalidated handles: a reader whose content handle a policy change invalidates -----------

READER = """version: 1
name: pd-reader
description: pd-reader
devices:
  branchcache:
    status: AVAILABLE
timeline:
  - {at: 1ms, branchcache.policy: disable}
threads:
  reader:
    locals:
      h: HANDLE
      hc: HANDLE
      tag: PEERDIST_CONTENT_TAG
      ov: OVERLAPPED
      buf: {type: buffer, size: 16}
    steps:
      - PeerDistStartup:
          {dwVersionRequested: PEERDIST_VERSION, phPeerDist: $h, pdwSupportedVersion: null}
        expect: ERROR_SUCCESS
      - PeerDistClientOpenContent:
          hPeerDist: $h.value
          pContentTag: $tag
          hCompletionPort: null
          ulCompletionKey: 0
          phContentHandle: $hc
        expect: ERROR_SUCCESS
      - Sleep: {dwMilliseconds: 2}
STEPS
run_until: all_done
"""
BLOCK_READ = """      - PeerDistClientBlockRead:
          hPeerDist: $h.value
          hContentHandle: $hc.value
          cbMaxNumberOfBytes: 16
          pBuffer: $buf
          dwTimeoutInMilliseconds: 0
          lpOverlapped: $ov
        expect: PEERDIST_ERROR_INVALIDATED
"""
CLOSE = """      - PeerDistClientCloseContent: {hPeerDist: $h.value, hContentHandle: $hc.value}
        expect: ERROR_SUCCESS
"""
READER_CORRECT = BLOCK_READ + CLOSE + SHUTDOWN


def run_reader(tmp_path: Path, steps: str) -> list[TraceTuple]:
    path = tmp_path / "reader.yaml"
    path.write_text(READER.replace("STEPS\n", steps))
    return list(run_scenario(load_scenario(path)).k.trace.events)


def api_index(events: list[TraceTuple], name: str) -> int:
    return next(i for i, e in enumerate(events) if e[2] == "api" and e[4][0] == name)


def with_result(event: TraceTuple, result: int, last_error: object = None) -> TraceTuple:
    """An ``api`` event with another result (and last error, when given)."""
    name, args, _, error = event[4]
    payload = (name, args, result, error if last_error is None else last_error)
    return (event[0], event[1], event[2], event[3], payload, event[5])


def moved_after(events: list[TraceTuple], at: int, after: int) -> list[TraceTuple]:
    """``events`` with the event at ``at`` taken out and put back just after ``after``."""
    assert at < after
    return [*events[:at], *events[at + 1 : after + 1], events[at], *events[after + 1 :]]


def test_a_reader_that_closes_its_invalidated_handle_breaks_nothing(tmp_path: Path) -> None:
    events = run_reader(tmp_path, READER_CORRECT)
    assert status(events, "peerdist.invalidated_handle_used").state == HELD
    assert status(events, "peerdist.invalidated").state == HELD


def test_using_a_handle_again_after_it_was_invalidated(tmp_path: Path) -> None:
    # PeerDistRegisterForStatusChangeNotification: "any API that uses these handles will fail
    # with error PEERDIST_ERROR_INVALIDATED. The caller must explicitly close the handles"
    events = run_reader(tmp_path, BLOCK_READ + BLOCK_READ + CLOSE + SHUTDOWN)
    found = status(events, "peerdist.invalidated_handle_used")
    assert found.state == VIOLATED
    assert "again after a call on it returned PEERDIST_ERROR_INVALIDATED" in (
        found.findings[0].message
    )
    reads = [i for i, e in enumerate(events) if e[2] == "api" and e[4][0].endswith("BlockRead")]
    assert found.findings[0].seq == reads[1]


def test_an_invalidated_handle_never_closed(tmp_path: Path) -> None:
    found = status(run_reader(tmp_path, BLOCK_READ), "peerdist.invalidated_handle_used")
    assert found.state == VIOLATED
    assert "never closed" in found.findings[0].message


def test_a_call_on_an_invalidated_handle_that_succeeds_breaks_invalidated(
    tmp_path: Path,
) -> None:
    events = run_reader(tmp_path, READER_CORRECT)
    at = api_index(events, "PeerDistClientBlockRead")
    assert events[at][4][2] == PEERDIST_ERROR_INVALIDATED
    for result in (ERROR_SUCCESS, ERROR_IO_PENDING):
        planted = [*events[:at], with_result(events[at], result), *events[at + 1 :]]
        found = status(planted, "peerdist.invalidated")
        assert found.state == VIOLATED, result
        assert "not PEERDIST_ERROR_INVALIDATED" in found.findings[0].message
        assert found.findings[0].seq == at


# -- cancellation: a client cancels its add of content information ----------------------------

Program = Callable[[Api], Generator[Any, Any, None]]


def canceller(confirm: bool) -> Program:
    """Adds content information, cancels it at once, and (with ``confirm``) examines the
    OVERLAPPED with PeerDistGetOverlappedResult as PeerDistServerCancelAsyncOperation says."""

    def main(api: Api) -> Generator[Any, Any, None]:
        h, hc = HANDLE(), HANDLE()
        assert (yield from api.PeerDistStartup(PEERDIST_VERSION, h, None)) == ERROR_SUCCESS
        opened = yield from api.PeerDistClientOpenContent(
            h.value, PEERDIST_CONTENT_TAG(), None, 0, hc
        )
        assert opened == ERROR_SUCCESS
        event = yield from api.CreateEventW(None, True, False, None)
        ov = OVERLAPPED(hEvent=event)
        data = b"x" * 32
        added = yield from api.PeerDistClientAddContentInformation(
            h.value, hc.value, len(data), data, ov
        )
        assert added == ERROR_IO_PENDING
        yield from api.PeerDistClientCancelAsyncOperation(h.value, hc.value, ov)
        if confirm:
            yield from api.PeerDistGetOverlappedResult(ov, DWORD(), 1)
        yield from api.PeerDistClientCloseContent(h.value, hc.value)
        yield from api.PeerDistShutdown(h.value)
        yield from api.CloseHandle(event)

    return main


def run_program(program: Program, seed: int | None = None) -> list[TraceTuple]:
    chooser = None if seed is None else make_chooser("random", seed)
    return list(run_programs(program, chooser=chooser).k.trace.events)


CANCEL = "PeerDistClientCancelAsyncOperation"
SEEDS = range(40)


def cancel_outcome(events: list[TraceTuple]) -> str:
    """``aborted`` (the cancel took effect), ``late`` (the add completed first and the cancel
    still succeeded: io.late) or ``failed`` (the cancel returned an error)."""
    if events[api_index(events, CANCEL)][4][2] != ERROR_SUCCESS:
        return "failed"
    return "late" if any(e[2] == "io.late" for e in events) else "aborted"


def first_run(program: Program, outcome: str) -> list[TraceTuple]:
    """The trace of the first seed of ``SEEDS`` under which the cancel ends as ``outcome``."""
    for seed in SEEDS:
        events = run_program(program, seed)
        if cancel_outcome(events) == outcome:
            return events
    raise AssertionError(f"no seed in {SEEDS} gives a {outcome} cancel")


def test_a_cancel_that_took_effect_holds_cancel_posted() -> None:
    events = first_run(canceller(False), "aborted")
    assert status(events, "peerdist.cancel_posted").state == HELD
    # a cancel that took effect needs no confirmation: cancel_unconfirmed is silent
    assert status(events, "peerdist.cancel_unconfirmed").state == HELD


def test_a_cancel_that_returns_before_the_completion_breaks_cancel_posted() -> None:
    # PeerDistServerCancelAsyncOperation: "will not return until the cancelation result is
    # posted to the completion port or wait event is set to the 'signaled' state"
    events = first_run(canceller(False), "aborted")
    call = api_index(events, CANCEL)
    cancel = next(i for i, e in enumerate(events) if e[2] == "io.cancel")
    done = next(i for i, e in enumerate(events) if e[2] == "io.complete" and i > cancel)
    assert done < call
    found = status(moved_after(events, done, call), "peerdist.cancel_posted")
    assert found.state == VIOLATED
    assert "returns before the cancelled" in found.findings[0].message


def test_a_successful_cancel_with_another_last_error_breaks_cancel_posted() -> None:
    # PeerDistServerCancelAsyncOperation: "calling GetLastError immediately after a successful
    # PeerDistServerCancelAsyncOperation will return the ERROR_OPERATION_ABORTED error code"
    events = first_run(canceller(False), "aborted")
    call = api_index(events, CANCEL)
    assert events[call][4][3] == ERROR_OPERATION_ABORTED
    planted = [*events[:call], with_result(events[call], ERROR_SUCCESS, 0), *events[call + 1 :]]
    found = status(planted, "peerdist.cancel_posted")
    assert found.state == VIOLATED
    assert "left the last error at 0" in found.findings[0].message


def test_a_cancel_beaten_by_the_completion_and_never_confirmed() -> None:
    # PeerDistServerCancelAsyncOperation: "This function does not guarantee that the operation
    # will complete as canceled. ... To confirm successfully canceled operations, a call should
    # be made to GetOverlappedResult"
    found = status(first_run(canceller(False), "late"), "peerdist.cancel_unconfirmed")
    assert found.state == VIOLATED
    assert "never confirmed the cancel" in found.findings[0].message


def test_a_cancel_beaten_by_the_completion_and_confirmed() -> None:
    events = first_run(canceller(True), "late")
    assert status(events, "peerdist.cancel_unconfirmed").state == HELD


# -- shutdown ---------------------------------------------------------------------------------

NO_CHANGE = "  []"  # the service stays DISABLED: a registration stays pending


def test_a_shutdown_that_returns_with_an_operation_pending_breaks_shutdown_cancels(
    tmp_path: Path,
) -> None:
    # PeerDistShutdown "cancel[s] all pending Peer Distribution client and server operations"
    events = run(tmp_path, REGISTER + SHUTDOWN, NO_CHANGE)
    assert status(events, "peerdist.shutdown_cancels").state == HELD
    cancel = next(i for i, e in enumerate(events) if e[2] == "io.cancel")
    assert events[cancel][4][2] == "PeerDistShutdown"
    done = next(i for i, e in enumerate(events) if e[2] == "io.complete" and i > cancel)
    shut = next(i for i, e in enumerate(events) if e[2] == "peerdist.shutdown")
    found = status(moved_after(events, done, shut), "peerdist.shutdown_cancels")
    assert found.state == VIOLATED
    assert "still pending" in found.findings[0].message


def publisher(api: Api) -> Generator[Any, Any, None]:
    """Publishes a stream and shuts down with it still published."""
    h, stream = HANDLE(), HANDLE()
    assert (yield from api.PeerDistStartup(PEERDIST_VERSION, h, None)) == ERROR_SUCCESS
    ident, size = b"file-1", 100
    published = yield from api.PeerDistServerPublishStream(
        h.value, len(ident), ident, size, None, None, 0, stream
    )
    assert published == ERROR_SUCCESS
    assert (yield from api.PeerDistShutdown(h.value)) == ERROR_SUCCESS


def test_a_shutdown_that_leaves_a_publication_breaks_shutdown_cancels() -> None:
    # PeerDistShutdown "will remove all publications that were created with the specified
    # hPeerDist handle"
    events = run_program(publisher)
    assert status(events, "peerdist.shutdown_cancels").state == HELD
    removed = next(
        i for i, e in enumerate(events) if e[2] == "peerdist.publish" and e[4][2] == "removed"
    )
    found = status([*events[:removed], *events[removed + 1 :]], "peerdist.shutdown_cancels")
    assert found.state == VIOLATED
    assert "leaves the publication" in found.findings[0].message


def test_an_operation_started_after_the_shutdown_breaks_shutdown_cancels(
    tmp_path: Path,
) -> None:
    events = run(tmp_path, REGISTER + SHUTDOWN, NO_CHANGE)
    start = next(i for i, e in enumerate(events) if e[2] == "io.start")
    shut = next(i for i, e in enumerate(events) if e[2] == "peerdist.shutdown")
    planted = [*events[: shut + 1], events[start], *events[shut + 1 :]]
    found = status(planted, "peerdist.shutdown_cancels")
    assert found.state == VIOLATED
    assert "starts after its session's shutdown" in found.findings[0].message


def test_a_session_shut_down_or_still_in_use_is_not_reported(tmp_path: Path) -> None:
    # shut down before its thread exits
    events = run(tmp_path, REGISTER + SHUTDOWN, NO_CHANGE)
    assert status(events, "peerdist.no_shutdown").state == HELD
    # not shut down yet, but the run stopped while its thread still waits to do it
    steps = REGISTER + "      - Sleep: {dwMilliseconds: 50}\n" + SHUTDOWN
    text = HEAD.replace("TIMELINE", NO_CHANGE).replace("STEPS\n", steps)
    path = tmp_path / "early.yaml"
    path.write_text(text.replace("run_until: all_done", "run_until: 10ms"))
    events = list(run_scenario(load_scenario(path)).k.trace.events)
    assert not any(e[2] == "peerdist.shutdown" for e in events)
    assert status(events, "peerdist.no_shutdown").state == HELD


# -- freeing an OVERLAPPED or status buffer too early ------------------------------------------

FREE_OV = "      - free: $ov\n"
FREE_ST = "      - free: $st\n"


def test_freeing_the_overlapped_of_a_pending_registration(tmp_path: Path) -> None:
    # PeerDistRegisterForStatusChangeNotification's lpOverlapped and pPeerDistStatus are
    # written when the registration completes
    for free in (FREE_OV, FREE_ST):
        found = status(
            run(tmp_path, REGISTER + free + SHUTDOWN, NO_CHANGE), "peerdist.overlapped_freed"
        )
        assert found.state == VIOLATED, free
        assert "is pending" in found.findings[0].message


def test_freeing_after_the_registration_completed_is_fine(tmp_path: Path) -> None:
    events = run(tmp_path, REGISTER + WAIT + FREE_OV + FREE_ST + SHUTDOWN)
    assert status(events, "peerdist.overlapped_freed").state == HELD


def test_freeing_another_structure_while_a_registration_is_pending_is_fine(
    tmp_path: Path,
) -> None:
    # the session handle's box is no part of the pending registration; the OVERLAPPED is
    # freed once the shutdown cancelled the registration
    events = run(tmp_path, REGISTER + "      - free: $h\n" + SHUTDOWN + FREE_OV, NO_CHANGE)
    assert any(e[2] == "mem.end" for e in events)
    assert status(events, "peerdist.overlapped_freed").state == HELD


def port_reader(dequeue: bool) -> Program:
    """Adds content information on a content handle bound to a port, lets it complete, then
    frees the OVERLAPPED (after taking its packet, with ``dequeue``)."""

    def main(api: Api) -> Generator[Any, Any, None]:
        h, hc = HANDLE(), HANDLE()
        assert (yield from api.PeerDistStartup(PEERDIST_VERSION, h, None)) == ERROR_SUCCESS
        port = yield from api.CreateIoCompletionPort(INVALID_HANDLE_VALUE, None, 0, 0)
        opened = yield from api.PeerDistClientOpenContent(
            h.value, PEERDIST_CONTENT_TAG(), port, 7, hc
        )
        assert opened == ERROR_SUCCESS
        ov = OVERLAPPED()
        data = b"x" * 32
        added = yield from api.PeerDistClientAddContentInformation(
            h.value, hc.value, len(data), data, ov
        )
        assert added == ERROR_IO_PENDING
        yield from api.Sleep(5)  # the add completed: its packet waits in the port
        if dequeue:
            taken = PVOID()
            got = yield from api.GetQueuedCompletionStatus(port, DWORD(), ULONG_PTR(), taken, 0)
            assert got and taken.value is ov
        yield from api.free(ov)
        yield from api.PeerDistClientCloseContent(h.value, hc.value)
        yield from api.PeerDistShutdown(h.value)
        yield from api.CloseHandle(port)

    return main


def test_freeing_the_overlapped_while_its_packet_is_queued() -> None:
    events = run_program(port_reader(False))
    assert any(e[2] == "io.complete" for e in events)
    found = status(events, "peerdist.overlapped_freed")
    assert found.state == VIOLATED
    assert "still queued" in found.findings[0].message


def test_freeing_the_overlapped_after_its_packet_was_taken() -> None:
    events = run_program(port_reader(True))
    assert status(events, "peerdist.overlapped_freed").state == HELD


def adder(wait_between: bool) -> Program:
    """Two PeerDistClientAddContentInformation calls on one content handle: the second while
    the first is pending (the bug), or after waiting for it (``wait_between``)."""

    def program(api: Api) -> Generator[Any, Any, None]:
        h = HANDLE()
        assert (yield from api.PeerDistStartup(PEERDIST_VERSION, h, None)) == ERROR_SUCCESS
        hc = HANDLE()
        tag = PEERDIST_CONTENT_TAG()
        yield from api.PeerDistClientOpenContent(h.value, tag, None, 0, hc)
        first, second = OVERLAPPED(), OVERLAPPED()
        code = yield from api.PeerDistClientAddContentInformation(
            h.value, hc.value, 2, b"ab", first
        )
        assert code == ERROR_IO_PENDING
        if wait_between:
            assert (yield from api.PeerDistGetOverlappedResult(first, DWORD(), 1)) == 1
        code = yield from api.PeerDistClientAddContentInformation(
            h.value, hc.value, 2, b"cd", second
        )
        assert code == ERROR_IO_PENDING
        yield from api.PeerDistGetOverlappedResult(second, DWORD(), 1)
        yield from api.PeerDistClientCloseContent(h.value, hc.value)
        yield from api.PeerDistShutdown(h.value)

    return program


def test_an_add_while_the_previous_add_is_pending_is_overlapping_add() -> None:
    # PeerDistClientAddContentInformation: "When calling this function multiple times on a
    # single content handle, the caller must wait for each operation to complete before the
    # next call is made."
    events = run_program(adder(wait_between=False))
    rules = [e[4][0] for e in events if e[2] == "violation"]
    assert rules == ["peerdist.overlapping_add"]


def test_adds_one_after_the_other_are_not_overlapping() -> None:
    events = run_program(adder(wait_between=True))
    assert [e for e in events if e[2] == "violation"] == []
