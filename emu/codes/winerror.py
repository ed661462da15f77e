"""Win32 error codes (winerror.h) and their system message texts, as GetLastError returns them.

Values are the real ones from the Windows headers (docs/sources.md F5.3,
F1.5). WAIT_TIMEOUT (258) and WAIT_IO_COMPLETION (192) appear here too because Windows reports
them through GetLastError (GetQueuedCompletionStatus(Ex) on a timeout or an APC, F5.22).

Error codes are plain ints in the hot paths; ``Win32Error(value).name`` prints one by name.
"""

from __future__ import annotations

from typing import Final

from emu.codes import winsock
from emu.codes._enum import enum_from_constants, member_table, public_names

ERROR_SUCCESS: Final = 0
NO_ERROR: Final = 0
ERROR_INVALID_FUNCTION: Final = 1
ERROR_FILE_NOT_FOUND: Final = 2
ERROR_ACCESS_DENIED: Final = 5
ERROR_INVALID_HANDLE: Final = 6
ERROR_NOT_ENOUGH_MEMORY: Final = 8
ERROR_GEN_FAILURE: Final = 31
ERROR_NETNAME_DELETED: Final = 64
ERROR_NOT_SUPPORTED: Final = 50
ERROR_INVALID_PARAMETER: Final = 87
ERROR_BROKEN_PIPE: Final = 109
ERROR_CALL_NOT_IMPLEMENTED: Final = 120
ERROR_SEM_TIMEOUT: Final = 121
ERROR_INSUFFICIENT_BUFFER: Final = 122
ERROR_INVALID_NAME: Final = 123
ERROR_INVALID_LEVEL: Final = 124
ERROR_WAIT_NO_CHILDREN: Final = 128
ERROR_ALREADY_EXISTS: Final = 183
ERROR_INVALID_ADDRESS: Final = 487
WAIT_IO_COMPLETION: Final = 192
ERROR_BAD_PIPE: Final = 230
ERROR_PIPE_BUSY: Final = 231
ERROR_NO_DATA: Final = 232
ERROR_PIPE_NOT_CONNECTED: Final = 233
ERROR_MORE_DATA: Final = 234
WAIT_TIMEOUT: Final = 258
ERROR_NOT_OWNER: Final = 288
ERROR_MR_MID_NOT_FOUND: Final = 317
ERROR_OBJECT_NAME_EXISTS: Final = 698
ERROR_NO_YIELD_PERFORMED: Final = 721
ERROR_PIPE_CONNECTED: Final = 535
ERROR_PIPE_LISTENING: Final = 536
ERROR_ABANDONED_WAIT_0: Final = 735
ERROR_USER_APC: Final = 737
ERROR_ALERTED: Final = 739
ERROR_OPERATION_ABORTED: Final = 995
ERROR_IO_INCOMPLETE: Final = 996
ERROR_IO_PENDING: Final = 997
ERROR_NOACCESS: Final = 998
ERROR_INVALID_FLAGS: Final = 1004
ERROR_DEPENDENT_SERVICES_RUNNING: Final = 1051
ERROR_INVALID_SERVICE_CONTROL: Final = 1052
ERROR_SERVICE_REQUEST_TIMEOUT: Final = 1053
ERROR_SERVICE_NO_THREAD: Final = 1054
ERROR_SERVICE_DATABASE_LOCKED: Final = 1055
ERROR_SERVICE_ALREADY_RUNNING: Final = 1056
ERROR_INVALID_SERVICE_ACCOUNT: Final = 1057
ERROR_SERVICE_DISABLED: Final = 1058
ERROR_CIRCULAR_DEPENDENCY: Final = 1059
ERROR_SERVICE_DOES_NOT_EXIST: Final = 1060
ERROR_SERVICE_CANNOT_ACCEPT_CTRL: Final = 1061
ERROR_SERVICE_NOT_ACTIVE: Final = 1062
ERROR_FAILED_SERVICE_CONTROLLER_CONNECT: Final = 1063
ERROR_EXCEPTION_IN_SERVICE: Final = 1064
ERROR_DATABASE_DOES_NOT_EXIST: Final = 1065
ERROR_SERVICE_SPECIFIC_ERROR: Final = 1066
ERROR_PROCESS_ABORTED: Final = 1067
ERROR_SERVICE_DEPENDENCY_FAIL: Final = 1068
ERROR_SERVICE_LOGON_FAILED: Final = 1069
ERROR_SERVICE_START_HANG: Final = 1070
ERROR_INVALID_SERVICE_LOCK: Final = 1071
ERROR_SERVICE_MARKED_FOR_DELETE: Final = 1072
ERROR_SERVICE_EXISTS: Final = 1073
ERROR_DUPLICATE_SERVICE_NAME: Final = 1078
ERROR_NOT_FOUND: Final = 1168
ERROR_REQUEST_ABORTED: Final = 1235
ERROR_ACCESS_DISABLED_BY_POLICY: Final = 1260
ERROR_ALREADY_REGISTERED: Final = 1242
ERROR_INTERNAL_ERROR: Final = 1359
ERROR_SERVICE_NOTIFY_CLIENT_LAGGING: Final = 1294
ERROR_NO_SYSTEM_RESOURCES: Final = 1450
ERROR_TIMEOUT: Final = 1460
# BranchCache (winerror.h; docs/sources.md F4.6, F4.7). The cancel pages spell 4059
# "PEERDIST_ERROR_OPERATION_NOT_FOUND"; the header's name comes first, so it prints by it.
PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED: Final = 4050
PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO: Final = 4051
PEERDIST_ERROR_MISSING_DATA: Final = 4052
PEERDIST_ERROR_NO_MORE: Final = 4053
PEERDIST_ERROR_NOT_INITIALIZED: Final = 4054
PEERDIST_ERROR_ALREADY_INITIALIZED: Final = 4055
PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS: Final = 4056
PEERDIST_ERROR_INVALIDATED: Final = 4057
PEERDIST_ERROR_ALREADY_EXISTS: Final = 4058
PEERDIST_ERROR_OPERATION_NOTFOUND: Final = 4059
PEERDIST_ERROR_OPERATION_NOT_FOUND: Final = PEERDIST_ERROR_OPERATION_NOTFOUND
PEERDIST_ERROR_ALREADY_COMPLETED: Final = 4060
PEERDIST_ERROR_OUT_OF_BOUNDS: Final = 4061
PEERDIST_ERROR_VERSION_UNSUPPORTED: Final = 4062
PEERDIST_ERROR_INVALID_CONFIGURATION: Final = 4063
PEERDIST_ERROR_NOT_LICENSED: Final = 4064
PEERDIST_ERROR_SERVICE_UNAVAILABLE: Final = 4065
PEERDIST_ERROR_TRUST_FAILURE: Final = 4066
RPC_S_SERVER_UNAVAILABLE: Final = 1722
RPC_X_NULL_REF_POINTER: Final = 1780

Win32Error = enum_from_constants(
    "Win32Error",
    {**globals(), **vars(winsock)},
    public_names(globals(), ("ERROR_", "NO_ERROR", "WAIT_", "RPC_", "PEERDIST_ERROR_"))
    + winsock.WSA_ERROR_NAMES,
)
"""Every value above by name, and the Windows Sockets codes (``emu.codes.winsock``, which
ws2_32 reports through the same last error); ERROR_SUCCESS is the canonical name of 0 (NO_ERROR
an alias)."""

WIN32_ERROR_MEMBERS = member_table(Win32Error)

# FormatMessage(FORMAT_MESSAGE_FROM_SYSTEM) texts, English (United States), without the trailing
# "\r\n" (Microsoft's "System Error Codes" pages). Codes whose text is only the symbol name keep
# it, as Windows does. WAIT_IO_COMPLETION has no text of its own (192 is also
# ERROR_EXE_MARKED_INVALID in winerror.h).
WIN32_MESSAGES: Final[dict[int, str]] = {
    ERROR_SUCCESS: "The operation completed successfully.",
    ERROR_INVALID_FUNCTION: "Incorrect function.",
    ERROR_FILE_NOT_FOUND: "The system cannot find the file specified.",
    ERROR_ACCESS_DENIED: "Access is denied.",
    ERROR_INVALID_HANDLE: "The handle is invalid.",
    ERROR_NOT_ENOUGH_MEMORY: "Not enough memory resources are available to process this command.",
    ERROR_GEN_FAILURE: "A device attached to the system is not functioning.",
    ERROR_NETNAME_DELETED: "The specified network name is no longer available.",
    ERROR_NOT_SUPPORTED: "The request is not supported.",
    ERROR_INVALID_PARAMETER: "The parameter is incorrect.",
    ERROR_BROKEN_PIPE: "The pipe has been ended.",
    ERROR_CALL_NOT_IMPLEMENTED: "This function is not supported on this system.",
    ERROR_SEM_TIMEOUT: "The semaphore timeout period has expired.",
    ERROR_INSUFFICIENT_BUFFER: "The data area passed to a system call is too small.",
    ERROR_INVALID_NAME: "The filename, directory name, or volume label syntax is incorrect.",
    ERROR_INVALID_LEVEL: "The system call level is not correct.",
    ERROR_WAIT_NO_CHILDREN: "There are no child processes to wait for.",
    ERROR_ALREADY_EXISTS: "Cannot create a file when that file already exists.",
    ERROR_INVALID_ADDRESS: "Attempt to access invalid address.",
    ERROR_BAD_PIPE: "The pipe state is invalid.",
    ERROR_PIPE_BUSY: "All pipe instances are busy.",
    ERROR_NO_DATA: "The pipe is being closed.",
    ERROR_PIPE_NOT_CONNECTED: "No process is on the other end of the pipe.",
    ERROR_MORE_DATA: "More data is available.",
    WAIT_TIMEOUT: "The wait operation timed out.",
    ERROR_NOT_OWNER: "Attempt to release mutex not owned by caller.",
    ERROR_MR_MID_NOT_FOUND: (
        "The system cannot find message text for message number 0x%1 in the message file for %2."
    ),
    ERROR_OBJECT_NAME_EXISTS: (
        "{Object Exists} An attempt was made to create an object and the object name already "
        "existed."
    ),
    ERROR_NO_YIELD_PERFORMED: "A yield execution was performed and no thread was available to run.",
    ERROR_PIPE_CONNECTED: "There is a process on other end of the pipe.",
    ERROR_PIPE_LISTENING: "Waiting for a process to open the other end of the pipe.",
    ERROR_ABANDONED_WAIT_0: "ERROR_ABANDONED_WAIT_0",
    ERROR_USER_APC: "ERROR_USER_APC",
    ERROR_ALERTED: "ERROR_ALERTED",
    ERROR_OPERATION_ABORTED: (
        "The I/O operation has been aborted because of either a thread exit or an application"
        " request."
    ),
    ERROR_IO_INCOMPLETE: "Overlapped I/O event is not in a signaled state.",
    ERROR_IO_PENDING: "Overlapped I/O operation is in progress.",
    ERROR_NOACCESS: "Invalid access to memory location.",
    ERROR_INVALID_FLAGS: "Invalid flags.",
    ERROR_DEPENDENT_SERVICES_RUNNING: (
        "A stop control has been sent to a service that other running services are dependent on."
    ),
    ERROR_INVALID_SERVICE_CONTROL: "The requested control is not valid for this service.",
    ERROR_SERVICE_REQUEST_TIMEOUT: (
        "The service did not respond to the start or control request in a timely fashion."
    ),
    ERROR_SERVICE_NO_THREAD: "A thread could not be created for the service.",
    ERROR_SERVICE_DATABASE_LOCKED: "The service database is locked.",
    ERROR_SERVICE_ALREADY_RUNNING: "An instance of the service is already running.",
    ERROR_INVALID_SERVICE_ACCOUNT: (
        "The account name is invalid or does not exist, or the password is invalid for the "
        "account name specified."
    ),
    ERROR_SERVICE_DISABLED: (
        "The service cannot be started, either because it is disabled or because it has no "
        "enabled devices associated with it."
    ),
    ERROR_CIRCULAR_DEPENDENCY: "Circular service dependency was specified.",
    ERROR_SERVICE_DOES_NOT_EXIST: "The specified service does not exist as an installed service.",
    ERROR_SERVICE_CANNOT_ACCEPT_CTRL: "The service cannot accept control messages at this time.",
    ERROR_SERVICE_NOT_ACTIVE: "The service has not been started.",
    ERROR_FAILED_SERVICE_CONTROLLER_CONNECT: (
        "The service process could not connect to the service controller."
    ),
    ERROR_EXCEPTION_IN_SERVICE: (
        "An exception occurred in the service when handling the control request."
    ),
    ERROR_DATABASE_DOES_NOT_EXIST: "The database specified does not exist.",
    ERROR_SERVICE_SPECIFIC_ERROR: "The service has returned a service-specific error code.",
    ERROR_PROCESS_ABORTED: "The process terminated unexpectedly.",
    ERROR_SERVICE_DEPENDENCY_FAIL: "The dependency service or group failed to start.",
    ERROR_SERVICE_LOGON_FAILED: "The service did not start due to a logon failure.",
    ERROR_SERVICE_START_HANG: "After starting, the service hung in a start-pending state.",
    ERROR_INVALID_SERVICE_LOCK: "The specified service database lock is invalid.",
    ERROR_SERVICE_MARKED_FOR_DELETE: "The specified service has been marked for deletion.",
    ERROR_SERVICE_EXISTS: "The specified service already exists.",
    ERROR_DUPLICATE_SERVICE_NAME: (
        "The name is already in use as either a service name or a service display name."
    ),
    ERROR_NOT_FOUND: "Element not found.",
    ERROR_REQUEST_ABORTED: "The request was aborted.",
    ERROR_ALREADY_REGISTERED: "The service is already registered.",
    ERROR_SERVICE_NOTIFY_CLIENT_LAGGING: (
        "The service notification client is lagging too far behind the current state of "
        "services in the machine."
    ),
    ERROR_INTERNAL_ERROR: "An internal error occurred.",
    ERROR_NO_SYSTEM_RESOURCES: (
        "Insufficient system resources exist to complete the requested service."
    ),
    ERROR_TIMEOUT: "This operation returned because the timeout period expired.",
    ERROR_ACCESS_DISABLED_BY_POLICY: (
        "This program is blocked by group policy. For more information, contact your system "
        "administrator."
    ),
    PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED: (
        "The version of the supplied content information is not supported."
    ),
    PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO: "The supplied content information is malformed.",
    PEERDIST_ERROR_MISSING_DATA: "The requested data cannot be found in local or peer caches.",
    PEERDIST_ERROR_NO_MORE: "No more data is available or required.",
    PEERDIST_ERROR_NOT_INITIALIZED: "The supplied object has not been initialized.",
    PEERDIST_ERROR_ALREADY_INITIALIZED: "The supplied object has already been initialized.",
    PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS: "A shutdown operation is already in progress.",
    PEERDIST_ERROR_INVALIDATED: "The supplied object has already been invalidated.",
    PEERDIST_ERROR_ALREADY_EXISTS: "An element already exists and was not replaced.",
    PEERDIST_ERROR_OPERATION_NOTFOUND: (
        "Can not cancel the requested operation as it has already been completed."
    ),
    PEERDIST_ERROR_ALREADY_COMPLETED: (
        "Can not perform the reqested operation because it has already been carried out."
    ),
    PEERDIST_ERROR_OUT_OF_BOUNDS: "An operation accessed data beyond the bounds of valid data.",
    PEERDIST_ERROR_VERSION_UNSUPPORTED: "The requested version is not supported.",
    PEERDIST_ERROR_INVALID_CONFIGURATION: "A configuration value is invalid.",
    PEERDIST_ERROR_NOT_LICENSED: "The SKU is not licensed.",
    PEERDIST_ERROR_SERVICE_UNAVAILABLE: (
        "PeerDist Service is still initializing and will be available shortly."
    ),
    PEERDIST_ERROR_TRUST_FAILURE: (
        "Communication with one or more computers will be temporarily blocked due to recent errors."
    ),
    RPC_S_SERVER_UNAVAILABLE: "The RPC server is unavailable.",
    RPC_X_NULL_REF_POINTER: "A null reference pointer was passed to the stub.",
    **winsock.WSA_MESSAGES,
}


_WIN32_ERROR_NAMES: Final = {value: member.name for value, member in WIN32_ERROR_MEMBERS.items()}
"""value -> canonical name, read once: an enum member's ``name`` is a descriptor call (the
SCM names dwNotificationStatus in every ``scm.fire`` event)."""


def win32_error_name(code: int) -> str:
    """``ERROR_IO_PENDING``; the decimal value for a code emu does not know by name."""
    name = _WIN32_ERROR_NAMES.get(code)
    return name if name is not None else str(code)


def win32_message(code: int) -> str:
    """The system message text of ``code``, or an empty string when emu does not carry it."""
    return WIN32_MESSAGES.get(code, "")
