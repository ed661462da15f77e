"""Python programs the SCM scenarios run (``python: programs:<function>``).

``service_monitor`` is the reusable, correct monitor: it follows the rules of the
NotifyServiceStatusChange page (a callback that only saves its parameters, a new request after
each callback, an alertable wait, ServiceStatus read only when dwNotificationStatus is
ERROR_SUCCESS, the handle closed when the service is marked for deletion, queued callbacks
drained before the buffer goes). ``monitor``
wires it to the scenarios' Spooler; copy it, or call ``service_monitor`` with your own service,
mask and stop event.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    ERROR_SERVICE_MARKED_FOR_DELETE,
    ERROR_SUCCESS,
    INFINITE,
    SC_MANAGER_CONNECT,
    SERVICE_NOTIFY_PAUSED,
    SERVICE_NOTIFY_RUNNING,
    SERVICE_NOTIFY_STATUS_CHANGE,
    SERVICE_NOTIFY_STOPPED,
    SERVICE_QUERY_STATUS,
    WAIT_IO_COMPLETION,
    WAIT_OBJECT_0,
)
from emu.win32 import Api
from emu.win32.winsvc import SERVICE_NOTIFY

MASK = SERVICE_NOTIFY_STOPPED | SERVICE_NOTIFY_RUNNING | SERVICE_NOTIFY_PAUSED


def service_monitor(
    api: Api, service: str, mask: int, stop_event: str, seen: list[tuple[int, int]]
) -> Generator[Any, None, int]:
    """Follow ``service`` until the named manual-reset event ``stop_event`` is set (or the
    service is marked for deletion); append (dwNotificationStatus, dwCurrentState) per
    notification to ``seen``. Returns 0, or the error that ended it early."""

    def on_change(note: SERVICE_NOTIFY) -> None:
        # An APC: save the parameters and return; no SCM call in here (NotifyServiceStatusChange, MS doc).
        status = note.dwNotificationStatus
        state = note.ServiceStatus.dwCurrentState if status == ERROR_SUCCESS else 0
        seen.append((status, state))

    scm = yield from api.OpenSCManagerW(None, None, SC_MANAGER_CONNECT)
    svc = yield from api.OpenServiceW(scm, service, SERVICE_QUERY_STATUS)
    stop = yield from api.CreateEventW(None, True, False, stop_event)
    if not scm or not svc or not stop:
        return (yield from api.GetLastError())
    note = SERVICE_NOTIFY(dwVersion=SERVICE_NOTIFY_STATUS_CHANGE, pfnNotifyCallback=on_change)
    result = 0
    while True:
        rc = yield from api.NotifyServiceStatusChangeW(svc, mask, note)
        if rc != ERROR_SUCCESS:
            result = 0 if rc == ERROR_SERVICE_MARKED_FOR_DELETE else rc
            break
        wait = yield from api.WaitForSingleObjectEx(stop, INFINITE, True)
        if wait == WAIT_OBJECT_0:
            break
        if wait == WAIT_IO_COMPLETION and seen and seen[-1][0] == ERROR_SERVICE_MARKED_FOR_DELETE:
            break
    yield from api.CloseServiceHandle(svc)  # cancels a request still outstanding
    yield from api.SleepEx(0, True)  # runs a callback queued before the close
    yield from api.CloseServiceHandle(scm)
    yield from api.CloseHandle(stop)
    return result


def monitor(api: Api) -> Generator[Any, None, int]:
    """The Spooler monitor of monitor-python.yaml."""
    seen: list[tuple[int, int]] = []
    return (yield from service_monitor(api, "Spooler", MASK, "monitor-stop", seen))
