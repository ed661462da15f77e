"""CloseHandle, GetLastError and SetLastError (handleapi.h, errhandlingapi.h).

- CloseHandle: "If the function succeeds, the return value is nonzero. If the function fails,
  the return value is zero." An invalid value (never opened, already closed, NULL, or a handle
  from another namespace such as an SC_HANDLE) fails with ERROR_INVALID_HANDLE. Closing a
  pseudo-handle (GetCurrentThread(), GetCurrentProcess()) succeeds and does nothing, as on
  Windows 10 and later (Wine ntdll exception test test_closehandle). The object itself goes away
  only when its last handle and last reference are gone; a closed value may be handed out again
  for a new object.
- GetLastError returns "the calling thread's last-error code value"; SetLastError sets it.
  Neither changes anything else, and the last error is per thread.
"""

from __future__ import annotations

from typing import Any

from emu.codes.winerror import ERROR_INVALID_HANDLE, WIN32_ERROR_MEMBERS
from emu.kernel.actor import PARK
from emu.kernel.handles import NT_CURRENT_PROCESS, NT_CURRENT_THREAD
from emu.win32.base import BOOL, VOID, WIN32_ERROR, ApiCall, Win32Base, dword, export, handle_value


class HandleApi(Win32Base):
    __slots__ = ()

    @export("kernel32", BOOL)
    def CloseHandle(self, hObject: Any) -> ApiCall[int]:
        """BOOL CloseHandle(HANDLE hObject);

        "Closes an open object handle." "If the function fails, the return value is zero. To
        get extended error information, call GetLastError."

        Emulation notes: pseudo-handles close successfully without effect (Windows 10+).
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("CloseHandle", self._footprint(hObject, "w")):
            yield PARK
        args = (hObject,)
        value = handle_value(hObject)
        if value in (NT_CURRENT_PROCESS, NT_CURRENT_THREAD):
            return self._done(t, "CloseHandle", args, 1)
        if value is None or k.handles.remove(value) is None:
            return self._fail(t, "CloseHandle", args, 0, ERROR_INVALID_HANDLE)
        return self._done(t, "CloseHandle", args, 1)

    @export("kernel32", WIN32_ERROR)
    def GetLastError(self) -> ApiCall[int]:
        """DWORD GetLastError(void);

        "Retrieves the calling thread's last-error code value. The last-error code is maintained
        on a per-thread basis. Multiple threads do not overwrite each other's last-error code."
        """
        t = self._caller()
        value = t.last_error
        return self._done(t, "GetLastError", (), WIN32_ERROR_MEMBERS.get(value, value))
        yield  # type: ignore[unreachable]  # every export is a generator

    @export("kernel32", VOID)
    def SetLastError(self, dwErrCode: Any) -> ApiCall[None]:
        """void SetLastError(DWORD dwErrCode);

        "Sets the last-error code for the calling thread."
        """
        t = self._caller()
        code = dword(dwErrCode)
        if code is None:
            self._bad_argument(t, "SetLastError", (dwErrCode,), "dwErrCode is not a DWORD")
            return self._done(t, "SetLastError", (dwErrCode,), None)
        return self._done_setting(t, "SetLastError", (code,), None, code)
        yield  # type: ignore[unreachable]  # every export is a generator
