"""NTSTATUS values (ntstatus.h), as the kernel layer returns them.

Values are the real ones from the Windows headers (docs/sources.md F5.2 lists the ones the
IOCP and APC facts rely on). Severity lives in the top two bits: 0 success, 1 informational,
2 warning, 3 error; ``nt_success`` is the NT_SUCCESS macro.

The kernel returns these as plain ints; ``NTSTATUS(value).name`` prints one by name.
"""

from __future__ import annotations

from typing import Final

from emu.codes._enum import enum_from_constants, member_table, public_names

STATUS_SUCCESS: Final = 0x00000000
STATUS_WAIT_0: Final = 0x00000000
STATUS_WAIT_1: Final = 0x00000001
STATUS_WAIT_2: Final = 0x00000002
STATUS_WAIT_3: Final = 0x00000003
STATUS_WAIT_63: Final = 0x0000003F
STATUS_ABANDONED_WAIT_0: Final = 0x00000080
STATUS_ABANDONED_WAIT_63: Final = 0x000000BF
STATUS_USER_APC: Final = 0x000000C0
STATUS_KERNEL_APC: Final = 0x00000100
STATUS_ALERTED: Final = 0x00000101
STATUS_TIMEOUT: Final = 0x00000102
STATUS_PENDING: Final = 0x00000103
STATUS_OBJECT_NAME_EXISTS: Final = 0x40000000
STATUS_NO_YIELD_PERFORMED: Final = 0x40000024
STATUS_UNSUCCESSFUL: Final = 0xC0000001
STATUS_NOT_IMPLEMENTED: Final = 0xC0000002
STATUS_ACCESS_VIOLATION: Final = 0xC0000005
STATUS_INVALID_HANDLE: Final = 0xC0000008
STATUS_INVALID_CID: Final = 0xC000000B
STATUS_INVALID_PARAMETER: Final = 0xC000000D
STATUS_INVALID_DEVICE_REQUEST: Final = 0xC0000010
STATUS_NO_MEMORY: Final = 0xC0000017
STATUS_ACCESS_DENIED: Final = 0xC0000022
STATUS_BUFFER_TOO_SMALL: Final = 0xC0000023
STATUS_OBJECT_TYPE_MISMATCH: Final = 0xC0000024
STATUS_INVALID_PARAMETER_MIX: Final = 0xC0000030
STATUS_OBJECT_NAME_INVALID: Final = 0xC0000033
STATUS_OBJECT_NAME_NOT_FOUND: Final = 0xC0000034
STATUS_OBJECT_NAME_COLLISION: Final = 0xC0000035
STATUS_MUTANT_NOT_OWNED: Final = 0xC0000046
STATUS_THREAD_IS_TERMINATING: Final = 0xC000004B
STATUS_INSUFFICIENT_RESOURCES: Final = 0xC000009A
STATUS_INSTANCE_NOT_AVAILABLE: Final = 0xC00000AB
STATUS_PIPE_NOT_AVAILABLE: Final = 0xC00000AC
STATUS_INVALID_PIPE_STATE: Final = 0xC00000AD
STATUS_PIPE_BUSY: Final = 0xC00000AE
STATUS_PIPE_DISCONNECTED: Final = 0xC00000B0
STATUS_PIPE_CLOSING: Final = 0xC00000B1
STATUS_PIPE_CONNECTED: Final = 0xC00000B2
STATUS_PIPE_LISTENING: Final = 0xC00000B3
STATUS_IO_TIMEOUT: Final = 0xC00000B5
STATUS_NOT_SUPPORTED: Final = 0xC00000BB
STATUS_INVALID_PARAMETER_1: Final = 0xC00000EF
STATUS_INVALID_PARAMETER_2: Final = 0xC00000F0
STATUS_INVALID_PARAMETER_3: Final = 0xC00000F1
STATUS_INVALID_PARAMETER_4: Final = 0xC00000F2
STATUS_CANCELLED: Final = 0xC0000120
STATUS_PIPE_BROKEN: Final = 0xC000014B
STATUS_CONNECTION_RESET: Final = 0xC000020D
STATUS_NOT_FOUND: Final = 0xC0000225
STATUS_REQUEST_ABORTED: Final = 0xC0000240
STATUS_RESOURCE_NOT_OWNED: Final = 0xC0000264

NTSTATUS = enum_from_constants("NTSTATUS", globals(), public_names(globals(), ("STATUS_",)))
"""Every value above by name; STATUS_SUCCESS is the canonical name of 0 (STATUS_WAIT_0 an alias)."""

NTSTATUS_MEMBERS = member_table(NTSTATUS)

# MessageText of the Windows SDK ntstatus.h (line breaks joined with a space). Where the header
# gives only the symbol name, the wording of [MS-ERREF] 2.3.1 is used instead.
NTSTATUS_MESSAGES: Final[dict[int, str]] = {
    STATUS_SUCCESS: "The operation completed successfully.",
    STATUS_ABANDONED_WAIT_0: "The caller attempted to wait for a mutex that has been abandoned.",
    STATUS_USER_APC: "A user-mode APC was delivered before the given Interval expired.",
    STATUS_KERNEL_APC: "STATUS_KERNEL_APC",
    STATUS_ALERTED: "The delay completed because the thread was alerted.",
    STATUS_TIMEOUT: "The given Timeout interval expired.",
    STATUS_PENDING: "The operation that was requested is pending completion.",
    STATUS_OBJECT_NAME_EXISTS: (
        "{Object Exists} An attempt was made to create an object and the object name already "
        "existed."
    ),
    STATUS_NO_YIELD_PERFORMED: (
        "A yield execution was performed and no thread was available to run."
    ),
    STATUS_UNSUCCESSFUL: "{Operation Failed} The requested operation was unsuccessful.",
    STATUS_NOT_IMPLEMENTED: "{Not Implemented} The requested operation is not implemented.",
    STATUS_INVALID_HANDLE: "An invalid HANDLE was specified.",
    STATUS_INVALID_CID: "An invalid Client ID was specified.",
    STATUS_INVALID_PARAMETER: "An invalid parameter was passed to a service or function.",
    STATUS_INVALID_DEVICE_REQUEST: (
        "The specified request is not a valid operation for the target device."
    ),
    STATUS_NO_MEMORY: (
        "{Not Enough Quota} Not enough virtual memory or paging file quota is available to "
        "complete the specified operation."
    ),
    STATUS_ACCESS_DENIED: (
        "{Access Denied} A process has requested access to an object, but has not been "
        "granted those access rights."
    ),
    STATUS_BUFFER_TOO_SMALL: (
        "{Buffer Too Small} The buffer is too small to contain the entry. No information has "
        "been written to the buffer."
    ),
    STATUS_OBJECT_TYPE_MISMATCH: (
        "{Wrong Type} There is a mismatch between the type of object required by the "
        "requested operation and the type of object that is specified in the request."
    ),
    STATUS_INVALID_PARAMETER_MIX: "An invalid combination of parameters was specified.",
    STATUS_OBJECT_NAME_INVALID: "Object Name invalid.",
    STATUS_OBJECT_NAME_NOT_FOUND: "Object Name not found.",
    STATUS_OBJECT_NAME_COLLISION: "Object Name already exists.",
    STATUS_MUTANT_NOT_OWNED: (
        "An attempt to release a mutant object was made by a thread that was not the owner of"
        " the mutant object."
    ),
    STATUS_THREAD_IS_TERMINATING: (
        "An attempt was made to access a thread that has begun termination."
    ),
    STATUS_INSUFFICIENT_RESOURCES: "Insufficient system resources exist to complete the API.",
    STATUS_INSTANCE_NOT_AVAILABLE: "The instance count limit on the named pipe has been reached.",
    STATUS_PIPE_NOT_AVAILABLE: (
        "An instance of a named pipe cannot be found in the listening state."
    ),
    STATUS_INVALID_PIPE_STATE: "The named pipe is not in the connected or closing state.",
    STATUS_PIPE_BUSY: (
        "The specified pipe is set to complete operations and there are current I/O "
        "operations queued so it cannot be changed to queue operations."
    ),
    STATUS_PIPE_DISCONNECTED: "The specified named pipe is in the disconnected state.",
    STATUS_PIPE_CLOSING: "The specified named pipe is in the closing state.",
    STATUS_PIPE_CONNECTED: "The specified named pipe is in the connected state.",
    STATUS_PIPE_LISTENING: "The specified named pipe is in the listening state.",
    STATUS_IO_TIMEOUT: (
        "{Device Timeout} The specified I/O operation on %hs was not completed before the "
        "time-out period expired."
    ),
    STATUS_NOT_SUPPORTED: "The request is not supported.",
    STATUS_INVALID_PARAMETER_1: (
        "An invalid parameter was passed to a service or function as the first argument."
    ),
    STATUS_INVALID_PARAMETER_2: (
        "An invalid parameter was passed to a service or function as the second argument."
    ),
    STATUS_INVALID_PARAMETER_3: (
        "An invalid parameter was passed to a service or function as the third argument."
    ),
    STATUS_INVALID_PARAMETER_4: (
        "An invalid parameter was passed to a service or function as the fourth argument."
    ),
    STATUS_CANCELLED: "The I/O request was canceled.",
    STATUS_PIPE_BROKEN: (
        "The pipe operation has failed because the other end of the pipe has been closed."
    ),
    STATUS_CONNECTION_RESET: "The transport connection was reset.",
    STATUS_NOT_FOUND: "The object was not found.",
    STATUS_REQUEST_ABORTED: "The request was aborted.",
    STATUS_RESOURCE_NOT_OWNED: (
        "{Application Error} The application attempted to release a resource it did not own. "
        "Click OK to terminate the application."
    ),
}


def nt_success(status: int) -> bool:
    """NT_SUCCESS(Status): success and informational codes (severity 0 or 1)."""
    return (status & 0xC0000000) in (0x00000000, 0x40000000)


def nt_error(status: int) -> bool:
    """NT_ERROR(Status): severity 3."""
    return (status & 0xC0000000) == 0xC0000000


def ntstatus_name(status: int) -> str:
    """``STATUS_TIMEOUT``; ``STATUS_WAIT_2`` style for wait indices; hex for unknown values."""
    member = NTSTATUS_MEMBERS.get(status)
    if member is not None:
        return member.name
    if 0 < status < 64:
        return f"STATUS_WAIT_{status}"
    if 0x80 < status < 0xC0:
        return f"STATUS_ABANDONED_WAIT_{status - 0x80}"
    return f"0x{status:08X}"
