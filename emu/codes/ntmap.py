"""NTSTATUS -> Win32 error mapping (RtlNtStatusToDosError), for the codes emu produces.

The Win32 layer maps every failing NTSTATUS through ``NT_TO_WIN32`` before it sets the calling
thread's last error, as kernel32 does with BaseSetLastNTError. The values are the ones Wine's
conformance test of RtlNtStatusToDosError asserts on Windows (dlls/ntdll/tests/error.c): e.g.
STATUS_CANCELLED -> ERROR_OPERATION_ABORTED, STATUS_OBJECT_TYPE_MISMATCH -> ERROR_INVALID_HANDLE,
STATUS_INVALID_PARAMETER_MIX -> ERROR_INVALID_PARAMETER, and the wait statuses to their own
codes (STATUS_ABANDONED_WAIT_0 -> ERROR_WAIT_NO_CHILDREN, STATUS_USER_APC -> ERROR_USER_APC).

The completion-port calls do not go through the generic table for their wait outcomes: they set
``WAIT_LAST_ERROR`` values explicitly (docs/sources.md F5.3, F5.8, F5.13, F5.22: a timeout
gives WAIT_TIMEOUT, an APC WAIT_IO_COMPLETION, a port closed under the waiter
ERROR_ABANDONED_WAIT_0).

Rules RtlNtStatusToDosError follows for values outside the table: 0 and customer codes
(bit 29) pass through unchanged; 0x8007xxxx (a wrapped HRESULT) gives its low word; anything
else unknown gives ERROR_MR_MID_NOT_FOUND (317).
"""

from __future__ import annotations

from typing import Final

from emu.codes import ntstatus as nt
from emu.codes import winerror as w

NT_TO_WIN32: Final[dict[int, int]] = {
    nt.STATUS_SUCCESS: w.ERROR_SUCCESS,
    nt.STATUS_ABANDONED_WAIT_0: w.ERROR_WAIT_NO_CHILDREN,
    nt.STATUS_USER_APC: w.ERROR_USER_APC,
    nt.STATUS_ALERTED: w.ERROR_ALERTED,
    nt.STATUS_TIMEOUT: w.ERROR_TIMEOUT,
    nt.STATUS_PENDING: w.ERROR_IO_PENDING,
    nt.STATUS_OBJECT_NAME_EXISTS: w.ERROR_OBJECT_NAME_EXISTS,
    nt.STATUS_NO_YIELD_PERFORMED: w.ERROR_NO_YIELD_PERFORMED,
    nt.STATUS_UNSUCCESSFUL: w.ERROR_GEN_FAILURE,
    nt.STATUS_NOT_IMPLEMENTED: w.ERROR_INVALID_FUNCTION,
    nt.STATUS_ACCESS_VIOLATION: w.ERROR_NOACCESS,
    nt.STATUS_INVALID_HANDLE: w.ERROR_INVALID_HANDLE,
    nt.STATUS_INVALID_CID: w.ERROR_INVALID_PARAMETER,
    nt.STATUS_INVALID_PARAMETER: w.ERROR_INVALID_PARAMETER,
    nt.STATUS_INVALID_DEVICE_REQUEST: w.ERROR_INVALID_FUNCTION,
    nt.STATUS_NO_MEMORY: w.ERROR_NOT_ENOUGH_MEMORY,
    nt.STATUS_ACCESS_DENIED: w.ERROR_ACCESS_DENIED,
    nt.STATUS_BUFFER_TOO_SMALL: w.ERROR_INSUFFICIENT_BUFFER,
    nt.STATUS_OBJECT_TYPE_MISMATCH: w.ERROR_INVALID_HANDLE,
    nt.STATUS_INVALID_PARAMETER_MIX: w.ERROR_INVALID_PARAMETER,
    nt.STATUS_OBJECT_NAME_INVALID: w.ERROR_INVALID_NAME,
    nt.STATUS_OBJECT_NAME_NOT_FOUND: w.ERROR_FILE_NOT_FOUND,
    nt.STATUS_OBJECT_NAME_COLLISION: w.ERROR_ALREADY_EXISTS,
    nt.STATUS_MUTANT_NOT_OWNED: w.ERROR_NOT_OWNER,
    nt.STATUS_THREAD_IS_TERMINATING: w.ERROR_ACCESS_DENIED,
    nt.STATUS_INSUFFICIENT_RESOURCES: w.ERROR_NO_SYSTEM_RESOURCES,
    nt.STATUS_INSTANCE_NOT_AVAILABLE: w.ERROR_PIPE_BUSY,
    nt.STATUS_PIPE_NOT_AVAILABLE: w.ERROR_PIPE_BUSY,
    nt.STATUS_INVALID_PIPE_STATE: w.ERROR_BAD_PIPE,
    nt.STATUS_PIPE_BUSY: w.ERROR_PIPE_BUSY,
    nt.STATUS_PIPE_DISCONNECTED: w.ERROR_PIPE_NOT_CONNECTED,
    nt.STATUS_PIPE_CLOSING: w.ERROR_NO_DATA,
    nt.STATUS_PIPE_CONNECTED: w.ERROR_PIPE_CONNECTED,
    nt.STATUS_PIPE_LISTENING: w.ERROR_PIPE_LISTENING,
    nt.STATUS_IO_TIMEOUT: w.ERROR_SEM_TIMEOUT,
    nt.STATUS_NOT_SUPPORTED: w.ERROR_NOT_SUPPORTED,
    nt.STATUS_INVALID_PARAMETER_1: w.ERROR_INVALID_PARAMETER,
    nt.STATUS_INVALID_PARAMETER_2: w.ERROR_INVALID_PARAMETER,
    nt.STATUS_INVALID_PARAMETER_3: w.ERROR_INVALID_PARAMETER,
    nt.STATUS_INVALID_PARAMETER_4: w.ERROR_INVALID_PARAMETER,
    nt.STATUS_CANCELLED: w.ERROR_OPERATION_ABORTED,
    nt.STATUS_PIPE_BROKEN: w.ERROR_BROKEN_PIPE,
    nt.STATUS_CONNECTION_RESET: w.ERROR_NETNAME_DELETED,
    nt.STATUS_NOT_FOUND: w.ERROR_NOT_FOUND,
    nt.STATUS_REQUEST_ABORTED: w.ERROR_REQUEST_ABORTED,
    nt.STATUS_RESOURCE_NOT_OWNED: w.ERROR_NOT_OWNER,
}


WAIT_LAST_ERROR: Final[dict[int, int]] = {
    nt.STATUS_TIMEOUT: w.WAIT_TIMEOUT,
    nt.STATUS_USER_APC: w.WAIT_IO_COMPLETION,
    nt.STATUS_ABANDONED_WAIT_0: w.ERROR_ABANDONED_WAIT_0,
}
"""Last errors of the dequeue calls for wait outcomes (GetQueuedCompletionStatus(Ex), F5.22)."""


FACILITY_NTWIN32_ERROR: Final = 0xC0070000
"""An error NTSTATUS that carries a Win32 code in its low word (FACILITY_NTWIN32 with error
severity: ntstatus.h's ``__NTSTATUS_FROM_WIN32``); RtlNtStatusToDosError gives the code back.
A BranchCache operation that fails with a PEERDIST_ERROR_* code completes its OVERLAPPED so."""


def ntstatus_from_win32(code: int) -> int:
    """``__NTSTATUS_FROM_WIN32(code)``: the error NTSTATUS carrying a Win32 code."""
    return FACILITY_NTWIN32_ERROR | (code & 0xFFFF) if code else 0


def win32_from_ntstatus(status: int) -> int:
    """RtlNtStatusToDosError(status)."""
    code = NT_TO_WIN32.get(status)
    if code is not None:
        return code
    if status & 0x20000000:
        return status
    if status & 0xFFFF0000 in (0x80070000, FACILITY_NTWIN32_ERROR):
        return status & 0xFFFF
    return w.ERROR_MR_MID_NOT_FOUND
