"""WSAStartup, WSACleanup and WSAGetLastError (winsock.h).

- WSAStartup: "If successful, the WSAStartup function returns zero. Otherwise, it returns one
  of the error codes listed below. The WSAStartup function directly returns the extended error
  code in the return value for this function" (it leaves the last error alone). ws2_32
  "supports applications that request any of the following versions of Windows Sockets
  specification: 1.0, 1.1, 2.0, 2.1, 2.2"; it answers with wVersion, the version the caller
  is to use (the one asked for, at most 2.2), and wHighVersion 2.2. A request below 1.0 (a
  major version of 0) is WSAVERNOTSUPPORTED; a lpWSAData that is not a WSADATA WSAEFAULT.
  "An application can call WSAStartup more than once": each call counts.
- WSACleanup: "An application must call the WSACleanup function for every successful time
  the WSAStartup function is called ... The first two calls to WSACleanup do nothing except
  decrement an internal counter; the final WSACleanup call for the task does all necessary
  resource deallocation": the sockets still open are closed (Wine test_WithWSAStartup: a send
  on one afterwards fails with WSAENOTSOCK), as closesocket would close them. Without a
  WSAStartup to balance: SOCKET_ERROR and WSANOTINITIALISED.
- WSAGetLastError: "The return value indicates the error code for this thread's last Windows
  Sockets operation that failed" (the thread's last error, which GetLastError reads too). It
  works before WSAStartup ("The WSAGetLastError function is one of the only functions in the
  Winsock 2.2 DLL that can be called in the case of a WSAStartup failure").

Emulation notes: WSADATA's iMaxSockets and iMaxUdpDg are 0 ("should be ignored" for 2.0 and
later), lpVendorInfo NULL, szDescription "WinSock 2.0" and szSystemStatus "Running".
"""

from __future__ import annotations

from typing import Any, Final

from emu.codes.winerror import WIN32_ERROR_MEMBERS
from emu.codes.winsock import (
    SOCKET_ERROR,
    WSAEFAULT,
    WSANOTINITIALISED,
    WSAVERNOTSUPPORTED,
)
from emu.kernel.actor import PARK
from emu.win32.base import LONG_VALUE, WIN32_ERROR, ApiCall, dword, export
from emu.win32.ws2_32.base import WsBase
from emu.win32.ws2_32.types import WSADATA

HIGHEST: Final = (2, 2)
DESCRIPTION: Final = "WinSock 2.0"


def version_word(major: int, minor: int) -> int:
    """MAKEWORD(major, minor): the low byte is the major version."""
    return major | minor << 8


class StartupApi(WsBase):
    __slots__ = ()

    @export("ws2_32", WIN32_ERROR)
    def WSAStartup(self, wVersionRequested: Any, lpWSAData: Any) -> ApiCall[int]:
        """int WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData);

        "The WSAStartup function initiates use of the Winsock DLL by a process."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("WSAStartup", ()):
            yield PARK
        name = "WSAStartup"
        args = (wVersionRequested, lpWSAData)
        requested = dword(wVersionRequested)
        if requested is None or not requested & 0xFF:
            return self._done(t, name, args, WSAVERNOTSUPPORTED)
        if not isinstance(lpWSAData, WSADATA):
            return self._done(t, name, args, WSAEFAULT)
        major, minor = requested & 0xFF, requested >> 8 & 0xFF
        use = min((major, minor), HIGHEST)
        lpWSAData.bind(k)
        for field, value in (
            ("wVersion", version_word(*use)),
            ("wHighVersion", version_word(*HIGHEST)),
            ("iMaxSockets", 0),
            ("iMaxUdpDg", 0),
            ("lpVendorInfo", None),
            ("szDescription", DESCRIPTION),
            ("szSystemStatus", "Running"),
        ):
            lpWSAData.sys_set(field, value)
        self._winsock().started += 1
        return self._done(t, name, args, 0)

    @export("ws2_32", LONG_VALUE)
    def WSACleanup(self) -> ApiCall[int]:
        """int WSACleanup(void);

        "The WSACleanup function terminates use of the Winsock 2 DLL (Ws2_32.dll)."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("WSACleanup", ()):
            yield PARK
        name = "WSACleanup"
        state = self._winsock()
        if not state.started:
            return self._fail(t, name, (), SOCKET_ERROR, WSANOTINITIALISED)
        state.started -= 1
        if not state.started:
            for handle, sock in list(state.sockets.items()):
                entry = k.handles.get(handle)
                if entry is not None and entry.obj is sock:
                    sock.by_closesocket = True
                    k.handles.remove(handle)
            state.sockets.clear()
        return self._done(t, name, (), 0)

    @export("ws2_32", WIN32_ERROR)
    def WSAGetLastError(self) -> ApiCall[int]:
        """int WSAGetLastError(void);

        "Returns the error status for the last Windows Sockets operation that failed."
        """
        t = self._caller()
        value = t.last_error
        return self._done(t, "WSAGetLastError", (), WIN32_ERROR_MEMBERS.get(value, value))
        yield  # type: ignore[unreachable]  # every export is a generator
