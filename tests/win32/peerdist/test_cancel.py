"""Cancellation, invalidation and shutdown (F4.10, F4.15, F4.17, F4.18)."""

from __future__ import annotations

from typing import Any

from emu.codes.winerror import (
    ERROR_ACCESS_DISABLED_BY_POLICY,
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER,
    ERROR_IO_PENDING,
    ERROR_OPERATION_ABORTED,
    ERROR_SUCCESS,
    PEERDIST_ERROR_INVALIDATED,
    PEERDIST_ERROR_OPERATION_NOTFOUND,
    PEERDIST_ERROR_SERVICE_UNAVAILABLE,
    PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS,
)
from emu.win32.types import DWORD, HANDLE, OVERLAPPED
from tests.win32.peerdist.helpers import (
    SLOW_OPS,
    Gen,
    SlowOps,
    event_overlapped,
    logged,
    open_content,
    pd_sim,
    publish,
    ready_content,
    register,
    startup,
    switch,
)


def read(api: Any, h: int, hc: int) -> Gen:
    """Start a block read; (code, OVERLAPPED)."""
    ov = OVERLAPPED()
    code = yield from api.PeerDistClientBlockRead(h, hc, 4, bytearray(4), 0, ov)
    return code, ov


def result(api: Any, ov: Any) -> Gen:
    n = DWORD()
    ok = yield from api.PeerDistGetOverlappedResult(ov, n, 1)
    return ok, 0 if ok else int((yield from api.GetLastError()))


def test_client_cancel_codes_and_last_error() -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        yield from publish(api, h)
        hc = yield from ready_content(api, h)
        code, ov = yield from read(api, h, hc)
        log.append(code)
        log.append((yield from api.PeerDistClientCancelAsyncOperation(h, hc, OVERLAPPED())))
        log.append((yield from api.PeerDistClientCancelAsyncOperation(h, hc, ov)))
        log.append(int((yield from api.GetLastError())))
        log.append((yield from result(api, ov)))
        log.append((yield from api.PeerDistClientCancelAsyncOperation(h, hc, ov)))

    log, _ = logged(body, latency=(1_000, 50_000), chooser=SlowOps(*SLOW_OPS))
    assert log == [
        ERROR_IO_PENDING,
        PEERDIST_ERROR_OPERATION_NOTFOUND,
        ERROR_SUCCESS,
        ERROR_OPERATION_ABORTED,
        (0, ERROR_OPERATION_ABORTED),
        PEERDIST_ERROR_OPERATION_NOTFOUND,
    ]


def test_client_cancel_null_cancels_all() -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        yield from publish(api, h)
        hc = yield from ready_content(api, h)
        _, ov1 = yield from read(api, h, hc)
        _, ov2 = yield from read(api, h, hc)
        log.append((yield from api.PeerDistClientCancelAsyncOperation(h, hc, None)))
        log.append((yield from result(api, ov1)))
        log.append((yield from result(api, ov2)))

    log, _ = logged(body, latency=(1_000, 50_000), chooser=SlowOps(*SLOW_OPS))
    aborted = (0, ERROR_OPERATION_ABORTED)
    assert log == [ERROR_SUCCESS, aborted, aborted]


def test_server_cancel_codes() -> None:
    slow = SlowOps(*SLOW_OPS)

    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        hs = HANDLE()
        yield from api.PeerDistServerPublishStream(h, 1, b"s", 4, None, None, 0, hs)
        ov = OVERLAPPED()
        yield from api.PeerDistServerPublishAddToStream(h, hs.value, 4, b"abcd", ov)
        cancel = api.PeerDistServerCancelAsyncOperation
        log.append((yield from cancel(h, 0, b"s", ov)))
        log.append((yield from cancel(h, 1, None, ov)))
        log.append((yield from cancel(h, 1, b"x", ov)))
        log.append((yield from cancel(h, 1, b"s", OVERLAPPED())))
        log.append((yield from cancel(h, 1, b"s", ov)))
        log.append(int((yield from api.GetLastError())))
        log.append((yield from result(api, ov)))

    log, _ = logged(body, latency=(1_000, 50_000), chooser=slow)
    assert log == [
        ERROR_INVALID_PARAMETER,
        ERROR_INVALID_PARAMETER,
        PEERDIST_ERROR_OPERATION_NOTFOUND,
        PEERDIST_ERROR_OPERATION_NOTFOUND,
        ERROR_SUCCESS,
        ERROR_OPERATION_ABORTED,
        (0, ERROR_OPERATION_ABORTED),
    ]


def test_cancel_policy_and_unavailable_codes() -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        hc = yield from open_content(api, h)
        switch(api, "running", False)
        cancel = api.PeerDistServerCancelAsyncOperation
        log.append((yield from cancel(h, 1, b"s", OVERLAPPED())))
        switch(api, "policy", False)
        log.append((yield from cancel(h, 1, b"s", OVERLAPPED())))
        log.append((yield from api.PeerDistClientCancelAsyncOperation(h, hc, None)))

    log, _ = logged(body)
    assert log == [
        PEERDIST_ERROR_SERVICE_UNAVAILABLE,
        ERROR_ACCESS_DISABLED_BY_POLICY,
        PEERDIST_ERROR_INVALIDATED,
    ]


def test_cancel_races_completion_exactly_once() -> None:
    """Whatever the latencies, the read completes once, with its own result or aborted."""
    for lo, hi in ((1, 1), (1, 50_000), (50_000, 50_000)):

        def body(api: Any, log: list[Any]) -> Gen:
            h = yield from startup(api)
            yield from publish(api, h)
            hc = yield from ready_content(api, h)
            _, ov = yield from read(api, h, hc)
            log.append((yield from api.PeerDistClientCancelAsyncOperation(h, hc, ov)))
            log.append((yield from result(api, ov)))

        log, sim = logged(body, latency=(lo, hi))
        assert log[0] in (ERROR_SUCCESS, PEERDIST_ERROR_OPERATION_NOTFOUND)
        assert log[1] in ((1, 0), (0, ERROR_OPERATION_ABORTED))
        reads = [e for e in sim.events("io.complete") if "BlockRead" in str(e.payload)]
        assert len(reads) == 1


def test_invalidation_on_unavailable_and_after_recovery() -> None:
    """F4.15: every call on the handle but its close gives 4057, even once the status is
    AVAILABLE again; the pending read completes with 4057; the close succeeds."""

    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        yield from publish(api, h)
        hc = yield from ready_content(api, h)
        _, ov = yield from read(api, h, hc)
        switch(api, "cache", False)
        switch(api, "cache", True)
        log.append((yield from result(api, ov)))
        log.append((yield from read(api, h, hc))[0])
        log.append((yield from api.PeerDistClientCancelAsyncOperation(h, hc, None)))
        log.append((yield from api.PeerDistClientCompleteContentInformation(h, hc, OVERLAPPED())))
        log.append((yield from api.PeerDistClientCloseContent(h, hc)))

    log, _ = logged(body)
    assert log == [
        (0, PEERDIST_ERROR_INVALIDATED),
        PEERDIST_ERROR_INVALIDATED,
        PEERDIST_ERROR_INVALIDATED,
        PEERDIST_ERROR_INVALIDATED,
        ERROR_SUCCESS,
    ]


def test_invalidation_on_disabled() -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        hc = yield from open_content(api, h)
        switch(api, "policy", False)
        log.append((yield from api.PeerDistClientCancelAsyncOperation(h, hc, None)))
        log.append((yield from api.PeerDistClientCloseContent(h, hc)))

    assert logged(body)[0] == [PEERDIST_ERROR_INVALIDATED, ERROR_SUCCESS]


def test_shutdown_cancels_and_unpublishes() -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        yield from publish(api, h)
        hc = yield from ready_content(api, h)
        _, ov = yield from read(api, h, hc)
        _, reg = yield from event_overlapped(api)
        yield from register(api, h, reg)  # AVAILABLE differs from the DISABLED baseline: at once
        yield from register(api, h, reg)  # no change since: pending
        log.append((yield from api.PeerDistShutdown(h)))
        log.append((yield from result(api, ov)))
        log.append((yield from result(api, reg)))
        h2 = yield from startup(api)
        hi = HANDLE()
        log.append(
            (yield from api.PeerDistServerOpenContentInformation(h2, 2, b"id", 0, 0, None, 0, hi))
        )
        log.append((yield from api.PeerDistShutdown(h)))

    log, _ = logged(body, latency=(1_000, 50_000), chooser=SlowOps(*SLOW_OPS))
    assert log == [
        ERROR_SUCCESS,
        (0, ERROR_OPERATION_ABORTED),  # the pending read
        (0, ERROR_OPERATION_ABORTED),  # the pending status registration
        1168,
        ERROR_INVALID_HANDLE,
    ]


def test_calls_racing_shutdown_get_shutdown_in_progress() -> None:
    """A call made while the session's PeerDistShutdown travels to the service: 4056."""
    log: list[Any] = []
    box: dict[str, int] = {}

    def closer(api: Any) -> Gen:
        box["h"] = yield from startup(api)
        log.append(("shutdown", (yield from api.PeerDistShutdown(box["h"]))))

    def racer(api: Any) -> Gen:
        yield from api.Sleep(0)
        from emu.win32.peerdist import PEERDIST_STATUS

        log.append(("status", (yield from api.PeerDistGetStatus(box["h"], PEERDIST_STATUS()))))

    sim = pd_sim({"closer": closer, "racer": racer}, latency=(50_000, 50_000))
    assert sim.reason == "all threads done"
    assert ("status", PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS) in log
    assert ("shutdown", ERROR_SUCCESS) in log
