"""How BranchCache operations complete, beyond status registrations: the rules a review's
mutations showed no other test pinned.

- An operation on a handle bound to a completion port signals its OVERLAPPED's event too ("If
  the hEvent member of the structure is not NULL, it will be signaled via SetEvent() ... even if
  the completion port is specified"; F4.12), and its packet carries the handle's key.
- A cancel "will not return until the cancelation result is posted to the completion port or
  wait event is set to the 'signaled' state. Any threads in waiting can receive the completion
  notice for the operation before or after the PeerDistServerCancelAsyncOperation function
  returns" (PeerDistServerCancelAsyncOperation, Remarks): a waiter woken by the cancellation
  runs before the canceller's return in one schedule and after it in another.
- PEERDIST_ERROR_ALREADY_INITIALIZED for PeerDistStartup into a variable that holds a live
  session (assumption, docs/rules.md); the Ex registration writes the content-information
  versions the service supports (dwMinVer 1, dwMaxVer 2; F4.2).
"""

from __future__ import annotations

from typing import Any

from emu.codes import (
    ERROR_IO_PENDING,
    ERROR_OPERATION_ABORTED,
    ERROR_SUCCESS,
    PEERDIST_ERROR_ALREADY_INITIALIZED,
    WAIT_OBJECT_0,
)
from emu.kernel.chooser import Chooser
from emu.win32.peerdist import PEERDIST_CONTENT_TAG, PEERDIST_STATUS_INFO
from emu.win32.types import DWORD, HANDLE, PVOID, ULONG_PTR
from tests.win32.peerdist.helpers import (
    Gen,
    event_overlapped,
    logged,
    pd_sim,
    publish,
    ready_content,
    startup,
)


def test_an_operation_on_a_port_bound_handle_signals_its_event_and_posts_its_packet() -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        port = yield from api.CreateIoCompletionPort(-1, None, 0, 0)
        hc = HANDLE()
        tag = PEERDIST_CONTENT_TAG()
        assert (yield from api.PeerDistClientOpenContent(h, tag, port, 7, hc)) == ERROR_SUCCESS
        ev, ov = yield from event_overlapped(api)
        info = b"not content information"
        code = yield from api.PeerDistClientAddContentInformation(h, hc.value, len(info), info, ov)
        log.append(code)
        log.append((yield from api.WaitForSingleObject(ev, 0xFFFFFFFF)))
        n, key, got = DWORD(), ULONG_PTR(), PVOID(value=None)
        ok = yield from api.GetQueuedCompletionStatus(port, n, key, got, 0)
        log.append((ok, n.value, key.value, got.value is ov))
        yield from api.PeerDistShutdown(h)

    log, _ = logged(body)
    assert log == [ERROR_IO_PENDING, WAIT_OBJECT_0, (1, 23, 7, True)]


class CancelReturn(Chooser):
    """Operations take their longest latency (they outlive the cancel's trip); at the cancel's
    return point the option ``at_return``; option 0 everywhere else."""

    strategy = "cancel-return"

    def __init__(self, at_return: int) -> None:
        super().__init__()
        self.at_return = at_return

    def pick(self, point: Any) -> int:
        if "BlockRead" in point.label:
            return len(point.options) - 1
        if point.label.endswith("-return"):
            return min(self.at_return, len(point.options) - 1)
        return 0


def _cancel_and_wait(at_return: int) -> list[str]:
    order: list[str] = []
    shared: dict[str, Any] = {}

    def canceller(api: Any) -> Gen:
        h = yield from startup(api)
        yield from publish(api, h)
        hc = yield from ready_content(api, h)
        ev, ov = yield from event_overlapped(api)
        shared["ev"] = ev
        code = yield from api.PeerDistClientBlockRead(h, hc, 4, bytearray(4), 0, ov)
        assert code == ERROR_IO_PENDING
        yield from api.Sleep(2)  # the waiter blocks on the event meanwhile
        code = yield from api.PeerDistClientCancelAsyncOperation(h, hc, ov)
        order.append(f"cancel returned {code}")
        n = DWORD()
        ok = yield from api.PeerDistGetOverlappedResult(ov, n, 0)
        assert not ok and (yield from api.GetLastError()) == ERROR_OPERATION_ABORTED
        yield from api.PeerDistShutdown(h)

    def waiter(api: Any) -> Gen:
        while "ev" not in shared:
            yield from api.Sleep(1)
        yield from api.WaitForSingleObject(shared["ev"], 0xFFFFFFFF)
        order.append("waiter saw the completion")

    sim = pd_sim(
        {"canceller": canceller, "waiter": waiter},
        chooser=CancelReturn(at_return),
        latency=(1_000, 50_000),  # the read takes 5 ms, the cancel's trip 100 us
    )
    assert sim.reason == "all threads done", sim.reason
    return order


def test_a_waiter_may_see_the_cancellation_before_or_after_the_cancel_returns() -> None:
    after = _cancel_and_wait(0)
    before = _cancel_and_wait(1)
    assert after == [f"cancel returned {ERROR_SUCCESS}", "waiter saw the completion"]
    assert before == ["waiter saw the completion", f"cancel returned {ERROR_SUCCESS}"]


def test_startup_into_a_variable_holding_a_live_session_is_already_initialized() -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        h = HANDLE()
        log.append((yield from api.PeerDistStartup(2, h, None)))
        first = h.value
        log.append((yield from api.PeerDistStartup(2, h, None)))
        log.append(h.value == first)
        yield from api.PeerDistShutdown(first)
        log.append((yield from api.PeerDistStartup(2, h, None)))  # its session is gone now
        yield from api.PeerDistShutdown(h.value)

    log, _ = logged(body)
    assert log == [ERROR_SUCCESS, PEERDIST_ERROR_ALREADY_INITIALIZED, True, ERROR_SUCCESS]


def test_the_ex_registration_writes_the_supported_content_information_versions() -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        ev, ov = yield from event_overlapped(api)
        info = PEERDIST_STATUS_INFO()
        yield from api.PeerDistRegisterForStatusChangeNotificationEx(h, None, 0, ov, info)
        yield from api.WaitForSingleObject(ev, 0xFFFFFFFF)
        log.append((info.status, info.dwMinVer, info.dwMaxVer))
        yield from api.PeerDistShutdown(h)

    log, _ = logged(body)
    assert log == [(2, 1, 2)]
