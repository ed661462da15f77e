"""OpenSCManager, OpenService, CreateService, DeleteService, CloseServiceHandle (winsvc.h).

Argument checks follow what Windows was observed to do (Wine's advapi32 service tests, which
pass on Windows; MS docs where no test speaks):

- OpenSCManager: an unknown database name is ERROR_INVALID_NAME, "ServicesFailed"
  ERROR_DATABASE_DOES_NOT_EXIST; SC_MANAGER_CONNECT is always granted ("The
  SC_MANAGER_CONNECT access right is implicitly specified"). Only the local machine exists: a
  remote machine name gives RPC_S_SERVER_UNAVAILABLE, as for a host that cannot be reached.
- A NULL or invalid handle is ERROR_INVALID_HANDLE before anything else; a NULL name or path
  (a ``[ref]`` pointer) is ERROR_INVALID_ADDRESS; then access rights (ERROR_ACCESS_DENIED);
  then an empty name (or one with ``/`` or ``\\``, or longer than 256 characters)
  ERROR_INVALID_NAME.
- CreateService: an empty binary path and impossible type or start combinations are
  ERROR_INVALID_PARAMETER (OWN|SHARE, a driver with INTERACTIVE_PROCESS, a Win32 service with
  BOOT or SYSTEM start, KERNEL|FILE_SYSTEM driver); an existing name ERROR_SERVICE_EXISTS, one
  marked for delete ERROR_SERVICE_MARKED_FOR_DELETE (F1.18); a display name equal to another
  service's name or display name ERROR_DUPLICATE_SERVICE_NAME (Wine test_create_delete_svc).
  A new service is stopped, accepts STOP, and has no pending time; SCM-handle requests for
  SERVICE_NOTIFY_CREATED hear of it.
- DeleteService needs DELETE; a second call is ERROR_SERVICE_MARKED_FOR_DELETE. The service
  goes when its last handle closes (and it is stopped).
- CloseServiceHandle cancels the handle's notification request: "After CloseServiceHandle
  succeeds, no more notification APCs will be queued" (NotifyServiceStatusChange, MS doc).
"""

from __future__ import annotations

from typing import Any, Final

from emu.codes.access import DELETE
from emu.codes.services import (
    SC_MANAGER_CONNECT,
    SC_MANAGER_CREATE_SERVICE,
    SERVICE_ACCEPT_STOP,
    SERVICE_AUTO_START,
    SERVICE_DEMAND_START,
    SERVICE_DISABLED,
    SERVICE_ERROR_CRITICAL,
    SERVICE_FILE_SYSTEM_DRIVER,
    SERVICE_INTERACTIVE_PROCESS,
    SERVICE_KERNEL_DRIVER,
    SERVICE_STOPPED,
    SERVICE_WIN32_OWN_PROCESS,
    SERVICE_WIN32_SHARE_PROCESS,
)
from emu.codes.winerror import (
    ERROR_ACCESS_DENIED,
    ERROR_DATABASE_DOES_NOT_EXIST,
    ERROR_DUPLICATE_SERVICE_NAME,
    ERROR_INVALID_ADDRESS,
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_NAME,
    ERROR_INVALID_PARAMETER,
    ERROR_SERVICE_DOES_NOT_EXIST,
    ERROR_SERVICE_EXISTS,
    ERROR_SERVICE_MARKED_FOR_DELETE,
    RPC_S_SERVER_UNAVAILABLE,
)
from emu.devices.scm import ServiceConfig
from emu.devices.scm_handles import ScHandle, ScmHandle, ServiceHandle
from emu.win32.advapi32.scbase import ScBase
from emu.win32.base import BOOL, HANDLE, ApiCall, dword, export

LOCAL_MACHINES: Final = ("", ".", "localhost", "127.0.0.1")
ACTIVE_DATABASE: Final = "servicesactive"
FAILED_DATABASE: Final = "servicesfailed"
_WIN32_TYPES: Final = (
    SERVICE_WIN32_OWN_PROCESS,
    SERVICE_WIN32_SHARE_PROCESS,
    SERVICE_WIN32_OWN_PROCESS | SERVICE_INTERACTIVE_PROCESS,
    SERVICE_WIN32_SHARE_PROCESS | SERVICE_INTERACTIVE_PROCESS,
)
_DRIVER_TYPES: Final = (SERVICE_KERNEL_DRIVER, SERVICE_FILE_SYSTEM_DRIVER)


class ServiceHandleApi(ScBase):
    __slots__ = ()

    @export("advapi32", HANDLE, "OpenSCManagerA", "OpenSCManager")
    def OpenSCManagerW(
        self, lpMachineName: Any, lpDatabaseName: Any, dwDesiredAccess: Any
    ) -> ApiCall[int]:
        """SC_HANDLE OpenSCManagerW(LPCWSTR lpMachineName, LPCWSTR lpDatabaseName,
        DWORD dwDesiredAccess);

        "If the function succeeds, the return value is a handle to the specified service
        control manager database. If the function fails, the return value is NULL."
        """
        t = self._caller()
        name = "OpenSCManagerW"
        args = (lpMachineName, lpDatabaseName, dwDesiredAccess)
        access = dword(dwDesiredAccess)
        if access is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if lpMachineName is not None and (
            not isinstance(lpMachineName, str)
            or lpMachineName.lstrip("\\").lower() not in LOCAL_MACHINES
        ):
            return self._fail(t, name, args, 0, RPC_S_SERVER_UNAVAILABLE)
        if lpDatabaseName is not None:
            database = lpDatabaseName.lower() if isinstance(lpDatabaseName, str) else ""
            if database == FAILED_DATABASE:
                return self._fail(t, name, args, 0, ERROR_DATABASE_DOES_NOT_EXIST)
            if database != ACTIVE_DATABASE:
                return self._fail(t, name, args, 0, ERROR_INVALID_NAME)
        yield from self._rpc(t, name)
        granted = ScmHandle.map_access(access) | SC_MANAGER_CONNECT
        return self._done(t, name, args, self._scm().open_scm(granted))

    OpenSCManagerA = OpenSCManagerW
    OpenSCManager = OpenSCManagerW

    @export("advapi32", HANDLE, "OpenServiceA", "OpenService")
    def OpenServiceW(
        self, hSCManager: Any, lpServiceName: Any, dwDesiredAccess: Any
    ) -> ApiCall[int]:
        """SC_HANDLE OpenServiceW(SC_HANDLE hSCManager, LPCWSTR lpServiceName,
        DWORD dwDesiredAccess);

        "If the function fails, the return value is NULL": ERROR_INVALID_HANDLE,
        ERROR_INVALID_NAME, ERROR_SERVICE_DOES_NOT_EXIST, ERROR_ACCESS_DENIED.
        """
        t = self._caller()
        name = "OpenServiceW"
        args = (hSCManager, lpServiceName, dwDesiredAccess)
        scm = self._scm()
        if self._sc_entry(scm, hSCManager, ScmHandle) is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        access = dword(dwDesiredAccess)
        if access is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if lpServiceName is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_ADDRESS)
        if not isinstance(lpServiceName, str) or not self._valid_name(lpServiceName):
            return self._fail(t, name, args, 0, ERROR_INVALID_NAME)
        yield from self._rpc(t, name, scm)
        if self._sc_entry(scm, hSCManager, ScmHandle) is None:  # closed during the call
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        service = scm.find(lpServiceName)
        if service is None:
            return self._fail(t, name, args, 0, ERROR_SERVICE_DOES_NOT_EXIST)
        handle = scm.open_service(service, ServiceHandle.map_access(access))
        return self._done(t, name, args, handle)

    OpenServiceA = OpenServiceW
    OpenService = OpenServiceW

    @export("advapi32", HANDLE, "CreateServiceA", "CreateService")
    def CreateServiceW(
        self,
        hSCManager: Any,
        lpServiceName: Any,
        lpDisplayName: Any,
        dwDesiredAccess: Any,
        dwServiceType: Any,
        dwStartType: Any,
        dwErrorControl: Any,
        lpBinaryPathName: Any,
        lpLoadOrderGroup: Any = None,
        lpdwTagId: Any = None,
        lpDependencies: Any = None,
        lpServiceStartName: Any = None,
        lpPassword: Any = None,
    ) -> ApiCall[int]:
        """SC_HANDLE CreateServiceW(SC_HANDLE hSCManager, LPCWSTR lpServiceName,
        LPCWSTR lpDisplayName, DWORD dwDesiredAccess, DWORD dwServiceType, DWORD dwStartType,
        DWORD dwErrorControl, LPCWSTR lpBinaryPathName, LPCWSTR lpLoadOrderGroup,
        LPDWORD lpdwTagId, LPCWSTR lpDependencies, LPCWSTR lpServiceStartName,
        LPCWSTR lpPassword);

        Creates a service object and adds it to the database; returns a handle to it.

        Emulation notes: lpdwTagId, the account and the password are accepted and ignored;
        lpDependencies is a list of names (or a MULTI_SZ string).
        """
        t = self._caller()
        name = "CreateServiceW"
        args = (
            hSCManager,
            lpServiceName,
            lpDisplayName,
            dwDesiredAccess,
            dwServiceType,
            dwStartType,
            dwErrorControl,
            lpBinaryPathName,
        )
        scm_handle = self._sc_handle(hSCManager, ScmHandle)
        if scm_handle is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        numbers = [dword(v) for v in (dwDesiredAccess, dwServiceType, dwStartType, dwErrorControl)]
        if any(n is None for n in numbers):
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        access, kind, start, error_control = (int(n or 0) for n in numbers)
        if lpServiceName is None or lpBinaryPathName is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_ADDRESS)
        if not self._granted(hSCManager) & SC_MANAGER_CREATE_SERVICE:
            return self._fail(t, name, args, 0, ERROR_ACCESS_DENIED)
        if not isinstance(lpServiceName, str) or not self._valid_name(lpServiceName):
            return self._fail(t, name, args, 0, ERROR_INVALID_NAME)
        if not isinstance(lpBinaryPathName, str) or not lpBinaryPathName:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        dependencies = _names(lpDependencies)
        if (
            not _valid_type(kind, start)
            or error_control > SERVICE_ERROR_CRITICAL
            or dependencies is None
            or (lpDisplayName is not None and not isinstance(lpDisplayName, str))
        ):
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        yield from self._rpc(t, name)
        scm = self._scm()
        existing = scm.find(lpServiceName)
        if existing is not None:
            code = ERROR_SERVICE_MARKED_FOR_DELETE if existing.marked else ERROR_SERVICE_EXISTS
            return self._fail(t, name, args, 0, code)
        display = lpDisplayName or lpServiceName
        key = display.lower()
        if key != lpServiceName.lower() and any(
            key in (other.name.lower(), (other.config.display_name or other.name).lower())
            for other in scm.services.values()
        ):
            return self._fail(t, name, args, 0, ERROR_DUPLICATE_SERVICE_NAME)
        config = ServiceConfig(
            service_type=kind,
            start_type=start,
            state=SERVICE_STOPPED,
            accepts=SERVICE_ACCEPT_STOP,
            depends_on=tuple(dependencies),
            display_name=display,
        )
        service = scm.create(lpServiceName, config)
        handle = scm.open_service(service, ServiceHandle.map_access(access))
        return self._done(t, name, args, handle)

    CreateServiceA = CreateServiceW
    CreateService = CreateServiceW

    @export("advapi32", BOOL)
    def DeleteService(self, hService: Any) -> ApiCall[int]:
        """BOOL DeleteService(SC_HANDLE hService);

        "Marks the specified service for deletion from the service control manager database."
        "The service is not deleted until all handles to the service have been closed";
        ERROR_SERVICE_MARKED_FOR_DELETE if it already was.
        """
        t = self._caller()
        name = "DeleteService"
        args = (hService,)
        scm = self._scm()
        entry = self._sc_entry(scm, hService, ServiceHandle)
        if entry is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        handle = entry.obj
        if not entry.access & DELETE:
            return self._fail(t, name, args, 0, ERROR_ACCESS_DENIED)
        assert isinstance(handle, ServiceHandle)
        yield from self._rpc(t, name, scm)
        if self._closed_during_call(scm, hService, handle):
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        if handle.service.marked:
            return self._fail(t, name, args, 0, ERROR_SERVICE_MARKED_FOR_DELETE)
        scm.mark_for_delete(handle.service)
        return self._done(t, name, args, 1)

    @export("advapi32", BOOL)
    def CloseServiceHandle(self, hSCObject: Any) -> ApiCall[int]:
        """BOOL CloseServiceHandle(SC_HANDLE hSCObject);

        "Closes a handle to a service control manager or service object." "To cancel
        outstanding notifications, close the service handle using the CloseServiceHandle
        function. After CloseServiceHandle succeeds, no more notification APCs will be queued."
        """
        t = self._caller()
        name = "CloseServiceHandle"
        args = (hSCObject,)
        scm = self._scm()
        if self._sc_entry(scm, hSCObject, ScHandle) is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        yield from self._rpc(t, name, scm)
        if scm.handles.remove(hSCObject) is None:  # closed by another thread meanwhile
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        return self._done(t, name, args, 1)


def _valid_type(kind: int, start: int) -> bool:
    """The dwServiceType / dwStartType combinations CreateService accepts."""
    if start > SERVICE_DISABLED:
        return False
    if kind in _WIN32_TYPES:
        return start in (SERVICE_AUTO_START, SERVICE_DEMAND_START, SERVICE_DISABLED)
    return kind in _DRIVER_TYPES


def _names(value: Any) -> list[str] | None:
    """lpDependencies as a list of names: NULL, a list, or a MULTI_SZ string."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in value.split("\0") if part]
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    return None
