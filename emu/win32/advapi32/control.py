"""StartService, ControlService, QueryServiceStatus, QueryServiceStatusEx (winsvc.h).

- StartService and ControlService look their handle up again when the RPC returns, as
  OpenService, DeleteService, CloseServiceHandle and NotifyServiceStatusChange do: a handle
  another thread closed during the call names nothing any more (ERROR_INVALID_HANDLE), and
  the service is neither started nor sent the control.
- StartService: SERVICE_START; ERROR_SERVICE_DISABLED for a disabled service (F1.19),
  ERROR_SERVICE_ALREADY_RUNNING unless it is stopped, ERROR_SERVICE_MARKED_FOR_DELETE once
  marked, ERROR_SERVICE_DEPENDENCY_FAIL when a dependency is disabled. It returns once the
  service is START_PENDING; RUNNING follows after its ``start_pending`` time. A service that
  never reports (``unresponsive``) makes the call wait the SCM's timeout and fail with
  ERROR_SERVICE_REQUEST_TIMEOUT; the service is then stopped.
- ControlService (MS docs): an undefined control code is ERROR_INVALID_PARAMETER (checked
  first); STOP needs SERVICE_STOP, PAUSE and CONTINUE SERVICE_PAUSE_CONTINUE, INTERROGATE
  SERVICE_INTERROGATE; a stopped service is ERROR_SERVICE_NOT_ACTIVE (F1.19); a pending one
  ERROR_SERVICE_CANNOT_ACCEPT_CTRL; a control it does not accept ERROR_INVALID_SERVICE_CONTROL;
  stopping a service that running services depend on ERROR_DEPENDENT_SERVICES_RUNNING.
  "The fields of the service status structure returned by the function are valid only when
  ControlService returns one of the error codes specified below": NO_ERROR,
  ERROR_INVALID_SERVICE_CONTROL, ERROR_SERVICE_CANNOT_ACCEPT_CTRL, ERROR_SERVICE_NOT_ACTIVE —
  emu writes lpServiceStatus in exactly those cases.
- QueryServiceStatus needs SERVICE_QUERY_STATUS. QueryServiceStatusEx checks, as observed (Wine
  test_query_svc): the level first (ERROR_INVALID_LEVEL), then the size
  (ERROR_INSUFFICIENT_BUFFER, ``*pcbBytesNeeded`` = sizeof(SERVICE_STATUS_PROCESS), 36), then
  the handle, then the access. A NULL out-pointer is ERROR_INVALID_ADDRESS (the RPC stub's
  RPC_X_NULL_REF_POINTER as advapi32 maps it).

Emulation notes: SERVICE_CONTROL_PARAMCHANGE, the NETBIND controls and user-defined controls
(128-255) are not modelled and raise UnsupportedApi; SERVICE_CONTROL_SHUTDOWN, which only the
system sends, is ERROR_INVALID_SERVICE_CONTROL (an assumption).
"""

from __future__ import annotations

from typing import Any

from emu.codes.services import (
    SC_STATUS_PROCESS_INFO,
    SERVICE_ACCEPT_PAUSE_CONTINUE,
    SERVICE_ACCEPT_STOP,
    SERVICE_CONTROL_CONTINUE,
    SERVICE_CONTROL_INTERROGATE,
    SERVICE_CONTROL_NETBINDDISABLE,
    SERVICE_CONTROL_PARAMCHANGE,
    SERVICE_CONTROL_PAUSE,
    SERVICE_CONTROL_SHUTDOWN,
    SERVICE_CONTROL_STOP,
    SERVICE_INTERROGATE,
    SERVICE_PAUSE_CONTINUE,
    SERVICE_PAUSED,
    SERVICE_QUERY_STATUS,
    SERVICE_RUNNING,
    SERVICE_START,
    SERVICE_START_PENDING,
    SERVICE_STOP,
    SERVICE_STOPPED,
)
from emu.codes.winerror import (
    ERROR_ACCESS_DENIED,
    ERROR_DEPENDENT_SERVICES_RUNNING,
    ERROR_INSUFFICIENT_BUFFER,
    ERROR_INVALID_ADDRESS,
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_LEVEL,
    ERROR_INVALID_PARAMETER,
    ERROR_INVALID_SERVICE_CONTROL,
    ERROR_SERVICE_ALREADY_RUNNING,
    ERROR_SERVICE_CANNOT_ACCEPT_CTRL,
    ERROR_SERVICE_DEPENDENCY_FAIL,
    ERROR_SERVICE_DISABLED,
    ERROR_SERVICE_MARKED_FOR_DELETE,
    ERROR_SERVICE_NOT_ACTIVE,
    ERROR_SERVICE_REQUEST_TIMEOUT,
)
from emu.devices.scm import Service, ServiceControlManager
from emu.devices.scm_handles import ServiceHandle
from emu.errors import UnsupportedApi
from emu.kernel.memory import Struct
from emu.kernel.thread import Thread
from emu.win32.advapi32.scbase import ScBase
from emu.win32.base import BOOL, ApiCall, dword, export
from emu.win32.types import DWORD
from emu.win32.winsvc import SERVICE_STATUS, SERVICE_STATUS_PROCESS

_CONTROL_ACCESS = {
    SERVICE_CONTROL_STOP: SERVICE_STOP,
    SERVICE_CONTROL_PAUSE: SERVICE_PAUSE_CONTINUE,
    SERVICE_CONTROL_CONTINUE: SERVICE_PAUSE_CONTINUE,
    SERVICE_CONTROL_INTERROGATE: SERVICE_INTERROGATE,
    SERVICE_CONTROL_SHUTDOWN: 0,
}


def _status_pointer_error(pointer: object) -> int:
    """0, or the error for an LPSERVICE_STATUS that is NULL (ERROR_INVALID_ADDRESS, the RPC
    stub's null reference) or not a SERVICE_STATUS (ERROR_INVALID_PARAMETER)."""
    if pointer is None:
        return ERROR_INVALID_ADDRESS
    return 0 if isinstance(pointer, SERVICE_STATUS) else ERROR_INVALID_PARAMETER


class ServiceControlApi(ScBase):
    __slots__ = ()

    def _service_entry(
        self, scm: ServiceControlManager, hService: Any
    ) -> tuple[ServiceHandle, int] | tuple[None, int]:
        """The service handle a value names and the access granted (None, 0 if none)."""
        entry = self._sc_entry(scm, hService, ServiceHandle)
        if entry is None:
            return None, 0
        handle = entry.obj
        assert isinstance(handle, ServiceHandle)
        return handle, entry.access

    def _timeout(self, t: Thread, name: str, alertable: bool | None) -> ApiCall[None]:
        """The SCM waits for a service that never reports (its 30-second timeout), inside the
        call's RPC: its wait is alertable or not as the rest of the call's (``alertable``)."""
        yield from self._rpc_wait(t, name, self._scm().config.timeout, alertable)

    @export("advapi32", BOOL, "StartServiceA", "StartService")
    def StartServiceW(
        self, hService: Any, dwNumServiceArgs: Any = 0, lpServiceArgVectors: Any = None
    ) -> ApiCall[int]:
        """BOOL StartServiceW(SC_HANDLE hService, DWORD dwNumServiceArgs,
        LPCWSTR *lpServiceArgVectors);

        "If the function succeeds, the return value is nonzero." The arguments are passed to
        the service's ServiceMain (emu's services ignore them).
        """
        t = self._caller()
        name = "StartServiceW"
        args = (hService, dwNumServiceArgs)
        scm = self._scm()
        handle, granted = self._service_entry(scm, hService)
        if handle is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        if dword(dwNumServiceArgs) is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if not granted & SERVICE_START:
            return self._fail(t, name, args, 0, ERROR_ACCESS_DENIED)
        alertable = yield from self._rpc(t, name, scm)
        if self._closed_during_call(scm, hService, handle):
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        service = handle.service
        if service.marked:
            return self._fail(t, name, args, 0, ERROR_SERVICE_MARKED_FOR_DELETE)
        if scm.is_disabled(service):
            return self._fail(t, name, args, 0, ERROR_SERVICE_DISABLED)
        if service.state != SERVICE_STOPPED:
            return self._fail(t, name, args, 0, ERROR_SERVICE_ALREADY_RUNNING)
        for dependency in service.config.depends_on:
            other = scm.find(dependency)
            if other is None or scm.is_disabled(other):
                return self._fail(t, name, args, 0, ERROR_SERVICE_DEPENDENCY_FAIL)
            if other.state != SERVICE_RUNNING:
                raise UnsupportedApi(
                    f"StartServiceW({service.name}): starting a service whose dependency "
                    f"{other.name} is not running is not modelled (start it first)"
                )
        if service.config.unresponsive:
            scm.set_state(service, SERVICE_START_PENDING)
            yield from self._timeout(t, name, alertable)
            scm.start_timed_out(service)
            return self._fail(t, name, args, 0, ERROR_SERVICE_REQUEST_TIMEOUT)
        scm.start(service)
        return self._done(t, name, args, 1)

    StartServiceA = StartServiceW
    StartService = StartServiceW

    @export("advapi32", BOOL)
    def ControlService(self, hService: Any, dwControl: Any, lpServiceStatus: Any) -> ApiCall[int]:
        """BOOL ControlService(SC_HANDLE hService, DWORD dwControl,
        LPSERVICE_STATUS lpServiceStatus);

        "Sends a control code to a service."
        """
        t = self._caller()
        name = "ControlService"
        args = (hService, dwControl, lpServiceStatus)
        control = dword(dwControl)
        if control is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if SERVICE_CONTROL_PARAMCHANGE <= control <= SERVICE_CONTROL_NETBINDDISABLE or (
            128 <= control <= 255
        ):
            raise UnsupportedApi(
                f"ControlService: control 0x{control:X} (PARAMCHANGE, NETBIND* and user-defined "
                "controls) is not modelled"
            )
        if control not in _CONTROL_ACCESS:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        scm = self._scm()
        handle, granted = self._service_entry(scm, hService)
        if handle is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        bad_status = _status_pointer_error(lpServiceStatus)
        if bad_status:
            return self._fail(t, name, args, 0, bad_status)
        needed = _CONTROL_ACCESS[control]
        if needed and not granted & needed:
            return self._fail(t, name, args, 0, ERROR_ACCESS_DENIED)
        alertable = yield from self._rpc(t, name, scm)
        if self._closed_during_call(scm, hService, handle):
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        service = handle.service
        code = self._control(scm, service, control)
        if code == ERROR_SERVICE_REQUEST_TIMEOUT:
            yield from self._timeout(t, name, alertable)
        if code in (
            0,
            ERROR_INVALID_SERVICE_CONTROL,
            ERROR_SERVICE_CANNOT_ACCEPT_CTRL,
            ERROR_SERVICE_NOT_ACTIVE,
        ):
            self._fill(lpServiceStatus, service.status())
        if code:
            return self._fail(t, name, args, 0, code)
        return self._done(t, name, args, 1)

    def _control(self, scm: ServiceControlManager, service: Service, control: int) -> int:
        """Deliver ``control``; 0 or the error ControlService fails with."""
        state = service.state
        if state == SERVICE_STOPPED:
            return ERROR_SERVICE_NOT_ACTIVE
        if control == SERVICE_CONTROL_SHUTDOWN:
            return ERROR_INVALID_SERVICE_CONTROL
        if control == SERVICE_CONTROL_INTERROGATE:
            return ERROR_SERVICE_REQUEST_TIMEOUT if service.config.unresponsive else 0
        if state not in (SERVICE_RUNNING, SERVICE_PAUSED):
            return ERROR_SERVICE_CANNOT_ACCEPT_CTRL
        accepts = service.config.accepts
        if control == SERVICE_CONTROL_STOP:
            if not accepts & SERVICE_ACCEPT_STOP:
                return ERROR_INVALID_SERVICE_CONTROL
            if scm.running_dependents(service):
                return ERROR_DEPENDENT_SERVICES_RUNNING
        elif not accepts & SERVICE_ACCEPT_PAUSE_CONTINUE:
            return ERROR_INVALID_SERVICE_CONTROL
        if service.config.unresponsive:
            return ERROR_SERVICE_REQUEST_TIMEOUT
        if control == SERVICE_CONTROL_STOP:
            scm.stop(service)
        elif control == SERVICE_CONTROL_PAUSE and state == SERVICE_RUNNING:
            scm.pause(service)
        elif control == SERVICE_CONTROL_CONTINUE and state == SERVICE_PAUSED:
            scm.resume(service)
        return 0

    @export("advapi32", BOOL)
    def QueryServiceStatus(self, hService: Any, lpServiceStatus: Any) -> ApiCall[int]:
        """BOOL QueryServiceStatus(SC_HANDLE hService, LPSERVICE_STATUS lpServiceStatus);

        "Retrieves the current status of the specified service."
        """
        t = self._caller()
        name = "QueryServiceStatus"
        args = (hService, lpServiceStatus)
        scm = self._scm()
        handle, granted = self._service_entry(scm, hService)
        if handle is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        bad_status = _status_pointer_error(lpServiceStatus)
        if bad_status:
            return self._fail(t, name, args, 0, bad_status)
        if not granted & SERVICE_QUERY_STATUS:
            return self._fail(t, name, args, 0, ERROR_ACCESS_DENIED)
        yield from self._rpc(t, name, scm)
        self._fill(lpServiceStatus, handle.service.status())
        return self._done(t, name, args, 1)

    @export("advapi32", BOOL)
    def QueryServiceStatusEx(
        self,
        hService: Any,
        InfoLevel: Any,
        lpBuffer: Any,
        cbBufSize: Any,
        pcbBytesNeeded: Any,
    ) -> ApiCall[int]:
        """BOOL QueryServiceStatusEx(SC_HANDLE hService, SC_STATUS_TYPE InfoLevel,
        LPBYTE lpBuffer, DWORD cbBufSize, LPDWORD pcbBytesNeeded);

        "Retrieves the current status of the specified service based on the specified
        information level." lpBuffer is a SERVICE_STATUS_PROCESS.
        """
        t = self._caller()
        name = "QueryServiceStatusEx"
        args = (hService, InfoLevel, lpBuffer, cbBufSize, pcbBytesNeeded)
        level, size = dword(InfoLevel), dword(cbBufSize)
        if level is None or size is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if level != SC_STATUS_PROCESS_INFO:
            return self._fail(t, name, args, 0, ERROR_INVALID_LEVEL)
        needed_box = pcbBytesNeeded if isinstance(pcbBytesNeeded, DWORD) else None
        if pcbBytesNeeded is not None and needed_box is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if size < SERVICE_STATUS_PROCESS.SIZEOF:
            if needed_box is None:
                return self._fail(t, name, args, 0, ERROR_INVALID_ADDRESS)
            self._put(needed_box, SERVICE_STATUS_PROCESS.SIZEOF)
            return self._fail(t, name, args, 0, ERROR_INSUFFICIENT_BUFFER)
        scm = self._scm()
        handle, granted = self._service_entry(scm, hService)
        if handle is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        if lpBuffer is None or needed_box is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_ADDRESS)
        if not isinstance(lpBuffer, SERVICE_STATUS_PROCESS):
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if not granted & SERVICE_QUERY_STATUS:
            return self._fail(t, name, args, 0, ERROR_ACCESS_DENIED)
        yield from self._rpc(t, name, scm)
        self._fill(lpBuffer, handle.service.status())
        self._put(needed_box, SERVICE_STATUS_PROCESS.SIZEOF)
        return self._done(t, name, args, 1)

    def _put(self, box: Struct, value: int) -> None:
        box.bind(self.k)
        box.sys_set("value", value)
