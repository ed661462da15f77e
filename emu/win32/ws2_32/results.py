"""The outcome of an overlapped socket request (winsock2.h): WSAGetOverlappedResult.

"The WSAGetOverlappedResult function retrieves the results of an overlapped operation on the
specified socket." It reads the OVERLAPPED the request completes (``Internal``, the status;
``InternalHigh``, the byte count), as Windows does (MS docs; Wine dlls/ws2_32/tests/sock.c,
test_WSAGetOverlappedResult, which passes on Windows):

- A status that is still STATUS_PENDING without fWait: FALSE, WSA_IO_INCOMPLETE ("The fWait
  parameter is FALSE and the I/O operation has not yet completed").
- With fWait it waits, non-alertably (an APC queued before the call does not run: Wine), on
  the OVERLAPPED's event, or on the socket when there is none ("If fWait is TRUE ... the
  function does not return until the operation has been completed"). Then it reads the status
  again and judges it like any other: a status still STATUS_PENDING after the wait (the event
  was signalled by someone else) is a success status, so the call returns TRUE with the last
  error ERROR_IO_PENDING and ``InternalHigh`` as the count (Wine: an OVERLAPPED left
  STATUS_PENDING with a signalled manual-reset event gives TRUE and ERROR_IO_PENDING).
- A success status (NT_SUCCESS): TRUE, ``*lpcbTransfer`` = InternalHigh, and the last error
  RtlNtStatusToDosError(status) (0 for STATUS_SUCCESS), as Windows 10 1809 and later set it.
- A failure status: FALSE with the Windows Sockets error of ``WSA_FROM_NTSTATUS``
  (emu.codes.winsock: STATUS_CANCELLED is WSA_OPERATION_ABORTED, STATUS_CONNECTION_RESET
  WSAECONNRESET, STATUS_INVALID_HANDLE WSAENOTSOCK, STATUS_BUFFER_OVERFLOW WSAEMSGSIZE, ...);
  any other failure status is WSAEINVAL.

Emulation notes: ``*lpdwFlags`` is always 0 (no MSG_PARTIAL or out-of-band data is modelled).
"""

from __future__ import annotations

from typing import Any

from emu.codes.ntmap import win32_from_ntstatus
from emu.codes.ntstatus import STATUS_PENDING, nt_success
from emu.codes.winsock import WSA_FROM_NTSTATUS, WSA_IO_INCOMPLETE, WSAEFAULT, WSAEINVAL
from emu.devices.sockets import Socket
from emu.kernel import waits
from emu.kernel.actor import PARK
from emu.kernel.event import KEvent
from emu.win32.base import BOOL, ApiCall, dword, export, handle_value
from emu.win32.types import DWORD, OVERLAPPED
from emu.win32.ws2_32.base import WsBase


def wsa_error(status: int) -> int:
    """The WSA code a request that failed with ``status`` reports (WSAEINVAL when the table
    has none)."""
    return WSA_FROM_NTSTATUS.get(status, WSAEINVAL)


class ResultApi(WsBase):
    __slots__ = ()

    @export("ws2_32", BOOL)
    def WSAGetOverlappedResult(
        self, s: Any, lpOverlapped: Any, lpcbTransfer: Any, fWait: Any, lpdwFlags: Any
    ) -> ApiCall[int]:
        """BOOL WSAAPI WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
        LPDWORD lpcbTransfer, BOOL fWait, LPDWORD lpdwFlags);

        "If WSAGetOverlappedResult succeeds, the return value is TRUE." "WSA_IO_INCOMPLETE:
        The fWait parameter is FALSE and the I/O operation has not yet completed." See the
        module docstring for the status mapping and the wait.
        """
        t = self._caller()
        k = self.k
        name = "WSAGetOverlappedResult"
        args = (s, lpOverlapped, lpcbTransfer, fWait, lpdwFlags)
        sock, failed = self._lookup(t, name, args, s, 0)
        if sock is None:
            return int(failed)
        wait = dword(fWait)
        if wait is None:
            return self._fail(t, name, args, 0, WSAEINVAL)
        if (
            not isinstance(lpcbTransfer, DWORD)
            or not isinstance(lpdwFlags, DWORD)
            or not isinstance(lpOverlapped, OVERLAPPED)
        ):
            return self._fail(t, name, args, 0, WSAEFAULT)
        lpOverlapped.bind(k)
        lpcbTransfer.bind(k)
        lpdwFlags.bind(k)
        if k.ready and k.preempted(name, ((lpOverlapped.oid, "r"),)):
            yield PARK
        status = lpOverlapped.sys_get("Internal")
        if status == STATUS_PENDING:
            if not wait:
                return self._fail(t, name, args, 0, WSA_IO_INCOMPLETE)
            event = handle_value(lpOverlapped.sys_get("hEvent")) or 0
            if event:
                obj, nt = self._resolve(t, event & ~1, KEvent, 0, pseudo=False)
            else:
                obj, nt = sock, 0
            if nt or obj is None:
                return self._fail_nt(t, name, args, 0, nt)
            assert isinstance(obj, (KEvent, Socket))
            yield from waits.wait(k, t, (obj,), False, None, False)
            status = lpOverlapped.sys_get("Internal")
        if type(status) is not int:
            return self._fail(t, name, args, 0, WSAEINVAL)
        lpcbTransfer.sys_set("value", lpOverlapped.sys_get("InternalHigh"))
        lpdwFlags.sys_set("value", 0)
        if nt_success(status):
            return self._done_setting(t, name, args, 1, win32_from_ntstatus(status))
        return self._fail(t, name, args, 0, wsa_error(status))
