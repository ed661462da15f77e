"""Access rights and flags of the kernel objects emu models (winnt.h, processthreadsapi.h).

Handles carry the access granted when they were opened; an API that needs a right the handle
lacks fails with ERROR_ACCESS_DENIED. The SCM rights (SC_MANAGER_*, SERVICE_*) join this table
with the Service Control Manager.
"""

from __future__ import annotations

from typing import Final

DELETE: Final = 0x00010000
READ_CONTROL: Final = 0x00020000
WRITE_DAC: Final = 0x00040000
WRITE_OWNER: Final = 0x00080000
SYNCHRONIZE: Final = 0x00100000
STANDARD_RIGHTS_REQUIRED: Final = 0x000F0000
GENERIC_READ: Final = 0x80000000
GENERIC_WRITE: Final = 0x40000000
GENERIC_EXECUTE: Final = 0x20000000
GENERIC_ALL: Final = 0x10000000
MAXIMUM_ALLOWED: Final = 0x02000000
STANDARD_RIGHTS_READ: Final = READ_CONTROL
STANDARD_RIGHTS_WRITE: Final = READ_CONTROL
STANDARD_RIGHTS_EXECUTE: Final = READ_CONTROL

EVENT_QUERY_STATE: Final = 0x0001
EVENT_MODIFY_STATE: Final = 0x0002
EVENT_ALL_ACCESS: Final = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0x3

THREAD_TERMINATE: Final = 0x0001
THREAD_SUSPEND_RESUME: Final = 0x0002
THREAD_ALERT: Final = 0x0004
THREAD_GET_CONTEXT: Final = 0x0008
THREAD_SET_CONTEXT: Final = 0x0010
THREAD_SET_INFORMATION: Final = 0x0020
THREAD_QUERY_INFORMATION: Final = 0x0040
THREAD_QUERY_LIMITED_INFORMATION: Final = 0x0800
THREAD_ALL_ACCESS: Final = STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF

# GENERIC_MAPPING (GenericRead, GenericWrite, GenericExecute, GenericAll) of each object type,
# as the object manager applies it when a handle is opened with generic rights.
EVENT_GENERIC_MAPPING: Final = (
    STANDARD_RIGHTS_READ | EVENT_QUERY_STATE,
    STANDARD_RIGHTS_WRITE | EVENT_MODIFY_STATE,
    STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
    EVENT_ALL_ACCESS,
)
THREAD_GENERIC_MAPPING: Final = (
    STANDARD_RIGHTS_READ | THREAD_GET_CONTEXT | THREAD_QUERY_INFORMATION,
    STANDARD_RIGHTS_WRITE
    | THREAD_TERMINATE
    | THREAD_SUSPEND_RESUME
    | THREAD_ALERT
    | THREAD_SET_INFORMATION
    | THREAD_SET_CONTEXT,
    STANDARD_RIGHTS_EXECUTE | SYNCHRONIZE,
    THREAD_ALL_ACCESS,
)


def map_generic_access(access: int, mapping: tuple[int, int, int, int]) -> int:
    """RtlMapGenericMask: replace GENERIC_* bits by the type's specific rights; MAXIMUM_ALLOWED
    grants everything the type has (emu models no security descriptors that would deny)."""
    read, write, execute, everything = mapping
    mapped = access & ~(
        GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE | GENERIC_ALL | MAXIMUM_ALLOWED
    )
    if access & GENERIC_READ:
        mapped |= read
    if access & GENERIC_WRITE:
        mapped |= write
    if access & GENERIC_EXECUTE:
        mapped |= execute
    if access & (GENERIC_ALL | MAXIMUM_ALLOWED):
        mapped |= everything
    return mapped


CREATE_SUSPENDED: Final = 0x00000004
STACK_SIZE_PARAM_IS_A_RESERVATION: Final = 0x00010000

CREATE_EVENT_MANUAL_RESET: Final = 0x00000001
CREATE_EVENT_INITIAL_SET: Final = 0x00000002
