"""NotifyServiceStatusChange (winsvc.h; MS doc): the checks of the call itself.

The request's life (firing, delivery as an APC, cancellation, the profiles) is in
``emu.devices.scm_notify``. What the call checks, in order, and returns (the function returns
the error code; it does not set the last error):

- ``hService``: an SC_HANDLE (ERROR_INVALID_HANDLE otherwise).
- ``pNotifyBuffer``: a SERVICE_NOTIFY with ``dwVersion`` SERVICE_NOTIFY_STATUS_CHANGE and a
  callback; anything else is ERROR_INVALID_PARAMETER (the page does not say: an assumption,
  docs/rules.md).
- ``dwNotifyMask``: not 0, and only the bits valid for the handle's kind ("The hService
  parameter must be a handle to the SCM" for CREATED and DELETED, "must be a handle to the
  service" for the others), else ERROR_INVALID_PARAMETER.
- Access: "must have the SERVICE_QUERY_STATUS access right" (a service handle), "must have the
  SC_MANAGER_ENUMERATE_SERVICE access right" (an SCM handle): ERROR_ACCESS_DENIED (F1.16).
- "It cannot be used to receive notifications about driver services": ERROR_NOT_SUPPORTED for a
  driver (the code is not documented: an assumption).
- "The NotifyServiceStatusChange function calls the OpenThread function on the calling thread
  with the THREAD_SET_CONTEXT access right. If the calling thread does not have this access
  right, NotifyServiceStatusChange fails": a thread the scenario declares ``impersonating``
  fails with ERROR_ACCESS_DENIED, OpenThread's error.
- "If the service has been marked for deletion, the return value is
  ERROR_SERVICE_MARKED_FOR_DELETE and the handle to the service must be closed."
- Then the RPC (virtual time; maybe an alertable wait), and the SCM's answer: ERROR_SUCCESS,
  ERROR_ALREADY_REGISTERED (profile ``win7``, ``scm-per-service``) or
  ERROR_SERVICE_NOTIFY_CLIENT_LAGGING (an SCM handle whose client fell behind).
"""

from __future__ import annotations

from typing import Any

from emu.codes.services import (
    SC_MANAGER_ENUMERATE_SERVICE,
    SERVICE_NOTIFY_SCM_MASK,
    SERVICE_NOTIFY_SERVICE_MASK,
    SERVICE_NOTIFY_STATUS_CHANGE,
    SERVICE_QUERY_STATUS,
)
from emu.codes.winerror import (
    ERROR_ACCESS_DENIED,
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER,
    ERROR_NOT_SUPPORTED,
    ERROR_SERVICE_MARKED_FOR_DELETE,
)
from emu.devices.scm_handles import ScHandle, ScmHandle, ServiceHandle
from emu.win32.advapi32.scbase import ScBase
from emu.win32.base import WIN32_ERROR, ApiCall, dword, export
from emu.win32.winsvc import MULTI_SZ, SERVICE_NOTIFY


def _names_block(text: str) -> MULTI_SZ:
    return MULTI_SZ(text=text)


class NotifyApi(ScBase):
    __slots__ = ()

    @export("advapi32", WIN32_ERROR, "NotifyServiceStatusChangeA", "NotifyServiceStatusChange")
    def NotifyServiceStatusChangeW(
        self, hService: Any, dwNotifyMask: Any, pNotifyBuffer: Any
    ) -> ApiCall[int]:
        """DWORD NotifyServiceStatusChangeW(SC_HANDLE hService, DWORD dwNotifyMask,
        PSERVICE_NOTIFYW pNotifyBuffer);

        "Enables an application to receive notification when the specified service is created
        or deleted or when its status changes." "If the function succeeds, the return value is
        ERROR_SUCCESS." "If the function fails, the return value is one of the system error
        codes."
        """
        t = self._caller()
        k = self.k
        name = "NotifyServiceStatusChangeW"
        args = (hService, dwNotifyMask, pNotifyBuffer)
        scm = self._scm()
        entry = self._sc_entry(scm, hService, ScHandle)
        if entry is None:
            return self._done(t, name, args, ERROR_INVALID_HANDLE)
        handle = entry.obj
        mask = dword(dwNotifyMask)
        if (
            mask is None
            or not isinstance(pNotifyBuffer, SERVICE_NOTIFY)
            or pNotifyBuffer.peek("dwVersion") != SERVICE_NOTIFY_STATUS_CHANGE
            or not callable(pNotifyBuffer.peek("pfnNotifyCallback"))
        ):
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        is_scm = isinstance(handle, ScmHandle)
        valid = SERVICE_NOTIFY_SCM_MASK if is_scm else SERVICE_NOTIFY_SERVICE_MASK
        if not mask or mask & ~valid:
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        needed = SC_MANAGER_ENUMERATE_SERVICE if is_scm else SERVICE_QUERY_STATUS
        if not entry.access & needed:
            return self._done(t, name, args, ERROR_ACCESS_DENIED)
        if isinstance(handle, ServiceHandle) and handle.service.is_driver:
            return self._done(t, name, args, ERROR_NOT_SUPPORTED)
        if t.impersonating:
            return self._done(t, name, args, ERROR_ACCESS_DENIED)
        pNotifyBuffer.bind(k)
        pNotifyBuffer.sys_get("dwVersion")
        callback = pNotifyBuffer.sys_get("pfnNotifyCallback")
        assert isinstance(handle, ScHandle)
        yield from self._rpc(t, name, scm)
        if self._closed_during_call(scm, hService, handle):
            return self._done(t, name, args, ERROR_INVALID_HANDLE)
        if isinstance(handle, ServiceHandle) and handle.service.marked:
            return self._done(t, name, args, ERROR_SERVICE_MARKED_FOR_DELETE)
        code = scm.notifier.register(handle, t, pNotifyBuffer, mask, callback, _names_block)
        return self._done(t, name, args, code)

    NotifyServiceStatusChangeA = NotifyServiceStatusChangeW
    NotifyServiceStatusChange = NotifyServiceStatusChangeW
