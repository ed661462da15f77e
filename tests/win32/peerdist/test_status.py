"""PeerDistStartup, the status calls and status-change registration (F4.9-F4.16)."""

from __future__ import annotations

from typing import Any

from emu.codes.peerdist import (
    PEERDIST_STATUS_AVAILABLE,
    PEERDIST_STATUS_DISABLED,
    PEERDIST_STATUS_UNAVAILABLE,
)
from emu.codes.winerror import (
    ERROR_IO_PENDING,
    ERROR_OPERATION_ABORTED,
    ERROR_SUCCESS,
    PEERDIST_ERROR_ALREADY_EXISTS,
    PEERDIST_ERROR_VERSION_UNSUPPORTED,
)
from emu.win32 import PVOID, ULONG_PTR
from emu.win32.peerdist import PEERDIST_STATUS, PEERDIST_STATUS_INFO
from emu.win32.types import DWORD, HANDLE, OVERLAPPED
from tests.win32.peerdist.helpers import Gen, event_overlapped, logged, register, startup, switch

WAIT_OBJECT_0, WAIT_TIMEOUT = 0, 258


def test_startup_negotiates_version() -> None:
    """Too high a version: PEERDIST_ERROR_VERSION_UNSUPPORTED, pdwSupportedVersion written."""

    def body(api: Any, log: list[Any]) -> Gen:
        h, v = HANDLE(), DWORD()
        log.append((yield from api.PeerDistStartup(3, h, v)))
        log.append(v.value)
        v2 = DWORD()
        log.append((yield from api.PeerDistStartup(1, h, v2)))
        log.append(v2.value)

    log, _ = logged(body)
    assert log == [PEERDIST_ERROR_VERSION_UNSUPPORTED, 2, ERROR_SUCCESS, 2]


def test_first_registration_baseline_is_disabled() -> None:
    """ "the first notification triggers only when status != PEERDIST_STATUS_DISABLED" (F4.14):
    AVAILABLE at once; DISABLED stays pending."""

    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        ev, ov = yield from event_overlapped(api)
        code, st = yield from register(api, h, ov)
        log.append((code, (yield from api.WaitForSingleObject(ev, 0)), st.value))

    log, _ = logged(body)
    assert log == [(ERROR_IO_PENDING, WAIT_OBJECT_0, PEERDIST_STATUS_AVAILABLE)]
    log, _ = logged(body, status="DISABLED")
    assert log[0][:2] == (ERROR_IO_PENDING, WAIT_TIMEOUT)


def test_one_registration_per_session_and_one_shot() -> None:
    """ "Only one active registration for each session is allowed" (4058); one-shot: "The
    caller must register for notification each time after it signals" (F4.13)."""

    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        ev, ov = yield from event_overlapped(api)
        code, st = yield from register(api, h, ov)
        log.append(code)
        code, _ = yield from register(api, h, OVERLAPPED())
        log.append(code)
        yield from api.ResetEvent(ev)
        switch(api, "policy", True)
        log.append((yield from api.WaitForSingleObject(ev, 0)))
        log.append(st.value)
        yield from api.ResetEvent(ev)
        switch(api, "running", False)
        log.append((yield from api.WaitForSingleObject(ev, 0)))

    log, sim = logged(body, status="DISABLED")
    assert log == [ERROR_IO_PENDING, PEERDIST_ERROR_ALREADY_EXISTS, WAIT_OBJECT_0, 2, WAIT_TIMEOUT]
    assert len(sim.events("peerdist.notify")) == 1


def test_reregistration_completes_at_once_when_status_differs() -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        ev, ov = yield from event_overlapped(api)
        code, st = yield from register(api, h, ov)
        yield from api.ResetEvent(ev)
        switch(api, "cache", False)  # changed while nobody is registered
        code, st = yield from register(api, h, ov)
        log.append((code, (yield from api.WaitForSingleObject(ev, 0)), st.value))

    log, _ = logged(body)
    assert log == [(ERROR_IO_PENDING, WAIT_OBJECT_0, PEERDIST_STATUS_UNAVAILABLE)]


def test_notification_only_on_change() -> None:
    """Back to the status last notified before re-registration: no notification."""

    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        ev, ov = yield from event_overlapped(api)
        yield from register(api, h, ov)
        yield from api.ResetEvent(ev)
        switch(api, "cache", False)
        switch(api, "cache", True)
        yield from register(api, h, ov)
        log.append((yield from api.WaitForSingleObject(ev, 0)))
        yield from api.PeerDistUnregisterForStatusChangeNotification(h)

    log, sim = logged(body)
    assert log == [WAIT_TIMEOUT]
    assert len(sim.events("peerdist.notify")) == 1


def test_ex_returns_success_and_pending_under_profile() -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        ev, ov = yield from event_overlapped(api)
        info = PEERDIST_STATUS_INFO()
        log.append(
            (yield from api.PeerDistRegisterForStatusChangeNotificationEx(h, None, 0, ov, info))
        )
        yield from api.WaitForSingleObject(ev, 0xFFFFFFFF)
        log.append(info.status)

    assert logged(body)[0] == [ERROR_SUCCESS, PEERDIST_STATUS_AVAILABLE]
    assert logged(body, profile="peerdist-ex-pending")[0] == [ERROR_IO_PENDING, 2]


def test_event_signalled_and_packet_posted() -> None:
    """Both an event and a port: "even if the completion port is specified" (F4.12)."""

    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        port = yield from api.CreateIoCompletionPort(-1, None, 0, 0)
        ev, ov = yield from event_overlapped(api)
        yield from register(api, h, ov, port, 77)
        log.append((yield from api.WaitForSingleObject(ev, 0)))
        n, key, got = DWORD(), ULONG_PTR(), PVOID(value=None)
        ok = yield from api.GetQueuedCompletionStatus(port, n, key, got, 0)
        log.append((ok, key.value, got.value is ov))

    log, _ = logged(body)
    assert log == [WAIT_OBJECT_0, (1, 77, True)]


def test_null_port_no_packet() -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        ev, ov = yield from event_overlapped(api)
        code, _ = yield from register(api, h, ov, None, 5)
        log.append((code, (yield from api.WaitForSingleObject(ev, 0))))

    log, sim = logged(body)
    assert log == [(ERROR_IO_PENDING, WAIT_OBJECT_0)]
    assert not [e for e in sim.events() if e.kind.startswith("iocp.")]


def test_unregister_completes_cancelled() -> None:
    """F4.16: the pending OVERLAPPED completes as cancelled (995), the call succeeds."""

    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        _, ov = yield from event_overlapped(api)
        yield from register(api, h, ov)
        log.append((yield from api.PeerDistUnregisterForStatusChangeNotification(h)))
        n = DWORD()
        log.append((yield from api.PeerDistGetOverlappedResult(ov, n, 0)))
        log.append(int((yield from api.GetLastError())))
        log.append((yield from api.GetOverlappedResult(0, ov, n, 0)))

    log, _ = logged(body, status="DISABLED")
    assert log == [ERROR_SUCCESS, 0, ERROR_OPERATION_ABORTED, 0]  # GetOverlappedResult too


def test_get_status() -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        st = PEERDIST_STATUS()
        yield from api.PeerDistGetStatus(h, st)
        log.append(st.value)
        switch(api, "policy", False)
        info = PEERDIST_STATUS_INFO()
        log.append((yield from api.PeerDistGetStatusEx(h, info)))
        log.append((info.status, info.dwMinVer, info.dwMaxVer))

    log, _ = logged(body)
    assert log == [PEERDIST_STATUS_AVAILABLE, 0, (PEERDIST_STATUS_DISABLED, 1, 2)]


def test_close_handle_on_a_peerdist_handle_fails() -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        h = yield from startup(api)
        log.append((yield from api.CloseHandle(h)))
        log.append(int((yield from api.GetLastError())))
        log.append((yield from api.PeerDistShutdown(h)))

    log, _ = logged(body)
    assert log == [0, 6, ERROR_SUCCESS]
