"""Service Control Manager constants (winsvc.h, winnt.h), with their real values.

States, controls, accepted controls, service and start types, the SERVICE_NOTIFY masks and
versions (docs/sources.md F1.1-F1.3), the SCM and service access rights with their
GENERIC_MAPPINGs (the ones the SCM applies when a handle is opened with generic rights, "Service
Security and Access Rights", MS docs), and the information level of QueryServiceStatusEx.
"""

from __future__ import annotations

from typing import Final

from emu.codes._enum import enum_from_constants, member_table, public_names
from emu.codes.access import (
    DELETE,
    READ_CONTROL,
    STANDARD_RIGHTS_EXECUTE,
    STANDARD_RIGHTS_READ,
    STANDARD_RIGHTS_REQUIRED,
    STANDARD_RIGHTS_WRITE,
)

# -- dwCurrentState --------------------------------------------------------------------------
SERVICE_STOPPED: Final = 1
SERVICE_START_PENDING: Final = 2
SERVICE_STOP_PENDING: Final = 3
SERVICE_RUNNING: Final = 4
SERVICE_CONTINUE_PENDING: Final = 5
SERVICE_PAUSE_PENDING: Final = 6
SERVICE_PAUSED: Final = 7

# -- ControlService dwControl ------------------------------------------------------------------
SERVICE_CONTROL_STOP: Final = 0x00000001
SERVICE_CONTROL_PAUSE: Final = 0x00000002
SERVICE_CONTROL_CONTINUE: Final = 0x00000003
SERVICE_CONTROL_INTERROGATE: Final = 0x00000004
SERVICE_CONTROL_SHUTDOWN: Final = 0x00000005
SERVICE_CONTROL_PARAMCHANGE: Final = 0x00000006
SERVICE_CONTROL_NETBINDADD: Final = 0x00000007
SERVICE_CONTROL_NETBINDREMOVE: Final = 0x00000008
SERVICE_CONTROL_NETBINDENABLE: Final = 0x00000009
SERVICE_CONTROL_NETBINDDISABLE: Final = 0x0000000A

# -- dwControlsAccepted ------------------------------------------------------------------------
SERVICE_ACCEPT_STOP: Final = 0x00000001
SERVICE_ACCEPT_PAUSE_CONTINUE: Final = 0x00000002
SERVICE_ACCEPT_SHUTDOWN: Final = 0x00000004
SERVICE_ACCEPT_PARAMCHANGE: Final = 0x00000008

# -- dwServiceType ---------------------------------------------------------------------------
SERVICE_KERNEL_DRIVER: Final = 0x00000001
SERVICE_FILE_SYSTEM_DRIVER: Final = 0x00000002
SERVICE_DRIVER: Final = SERVICE_KERNEL_DRIVER | SERVICE_FILE_SYSTEM_DRIVER | 0x00000008
SERVICE_WIN32_OWN_PROCESS: Final = 0x00000010
SERVICE_WIN32_SHARE_PROCESS: Final = 0x00000020
SERVICE_WIN32: Final = SERVICE_WIN32_OWN_PROCESS | SERVICE_WIN32_SHARE_PROCESS
SERVICE_INTERACTIVE_PROCESS: Final = 0x00000100

# -- dwStartType and dwErrorControl ------------------------------------------------------------
SERVICE_BOOT_START: Final = 0x00000000
SERVICE_SYSTEM_START: Final = 0x00000001
SERVICE_AUTO_START: Final = 0x00000002
SERVICE_DEMAND_START: Final = 0x00000003
SERVICE_DISABLED: Final = 0x00000004
SERVICE_ERROR_IGNORE: Final = 0x00000000
SERVICE_ERROR_NORMAL: Final = 0x00000001
SERVICE_ERROR_SEVERE: Final = 0x00000002
SERVICE_ERROR_CRITICAL: Final = 0x00000003

# -- SERVICE_STATUS_PROCESS.dwServiceFlags, QueryServiceStatusEx InfoLevel -------------------
SERVICE_RUNS_IN_SYSTEM_PROCESS: Final = 0x00000001
SC_STATUS_PROCESS_INFO: Final = 0

# -- NotifyServiceStatusChange (F1.1, F1.2) ------------------------------------------------------
SERVICE_NOTIFY_STATUS_CHANGE_1: Final = 1
SERVICE_NOTIFY_STATUS_CHANGE_2: Final = 2
SERVICE_NOTIFY_STATUS_CHANGE: Final = SERVICE_NOTIFY_STATUS_CHANGE_2
SERVICE_NOTIFY_STOPPED: Final = 0x00000001
SERVICE_NOTIFY_START_PENDING: Final = 0x00000002
SERVICE_NOTIFY_STOP_PENDING: Final = 0x00000004
SERVICE_NOTIFY_RUNNING: Final = 0x00000008
SERVICE_NOTIFY_CONTINUE_PENDING: Final = 0x00000010
SERVICE_NOTIFY_PAUSE_PENDING: Final = 0x00000020
SERVICE_NOTIFY_PAUSED: Final = 0x00000040
SERVICE_NOTIFY_CREATED: Final = 0x00000080
SERVICE_NOTIFY_DELETED: Final = 0x00000100
SERVICE_NOTIFY_DELETE_PENDING: Final = 0x00000200

SERVICE_NOTIFY_STATE_MASK: Final = 0x0000007F
"""Every state bit: valid only with a service handle (with DELETE_PENDING)."""
SERVICE_NOTIFY_SERVICE_MASK: Final = SERVICE_NOTIFY_STATE_MASK | SERVICE_NOTIFY_DELETE_PENDING
SERVICE_NOTIFY_SCM_MASK: Final = SERVICE_NOTIFY_CREATED | SERVICE_NOTIFY_DELETED
"""The bits valid with a handle to the SCM."""

# -- access rights (winsvc.h) ------------------------------------------------------------------
SC_MANAGER_CONNECT: Final = 0x0001
SC_MANAGER_CREATE_SERVICE: Final = 0x0002
SC_MANAGER_ENUMERATE_SERVICE: Final = 0x0004
SC_MANAGER_LOCK: Final = 0x0008
SC_MANAGER_QUERY_LOCK_STATUS: Final = 0x0010
SC_MANAGER_MODIFY_BOOT_CONFIG: Final = 0x0020
SC_MANAGER_ALL_ACCESS: Final = STANDARD_RIGHTS_REQUIRED | 0x003F

SERVICE_QUERY_CONFIG: Final = 0x0001
SERVICE_CHANGE_CONFIG: Final = 0x0002
SERVICE_QUERY_STATUS: Final = 0x0004
SERVICE_ENUMERATE_DEPENDENTS: Final = 0x0008
SERVICE_START: Final = 0x0010
SERVICE_STOP: Final = 0x0020
SERVICE_PAUSE_CONTINUE: Final = 0x0040
SERVICE_INTERROGATE: Final = 0x0080
SERVICE_USER_DEFINED_CONTROL: Final = 0x0100
SERVICE_ALL_ACCESS: Final = STANDARD_RIGHTS_REQUIRED | 0x01FF

SC_MANAGER_GENERIC_MAPPING: Final = (
    STANDARD_RIGHTS_READ | SC_MANAGER_ENUMERATE_SERVICE | SC_MANAGER_QUERY_LOCK_STATUS,
    STANDARD_RIGHTS_WRITE | SC_MANAGER_CREATE_SERVICE | SC_MANAGER_MODIFY_BOOT_CONFIG,
    STANDARD_RIGHTS_EXECUTE | SC_MANAGER_CONNECT | SC_MANAGER_LOCK,
    SC_MANAGER_ALL_ACCESS,
)
SERVICE_GENERIC_MAPPING: Final = (
    STANDARD_RIGHTS_READ
    | SERVICE_QUERY_CONFIG
    | SERVICE_QUERY_STATUS
    | SERVICE_INTERROGATE
    | SERVICE_ENUMERATE_DEPENDENTS,
    STANDARD_RIGHTS_WRITE | SERVICE_CHANGE_CONFIG,
    STANDARD_RIGHTS_EXECUTE
    | SERVICE_START
    | SERVICE_STOP
    | SERVICE_PAUSE_CONTINUE
    | SERVICE_USER_DEFINED_CONTROL,
    SERVICE_ALL_ACCESS,
)
_ = (DELETE, READ_CONTROL)  # DeleteService needs DELETE; both re-exported through emu.codes

ServiceState = enum_from_constants(
    "ServiceState",
    globals(),
    (
        "SERVICE_STOPPED",
        "SERVICE_START_PENDING",
        "SERVICE_STOP_PENDING",
        "SERVICE_RUNNING",
        "SERVICE_CONTINUE_PENDING",
        "SERVICE_PAUSE_PENDING",
        "SERVICE_PAUSED",
    ),
)
"""dwCurrentState by name."""

SERVICE_STATE_MEMBERS = member_table(ServiceState)

NOTIFY_BITS: Final = tuple(
    name
    for name in public_names(globals(), ("SERVICE_NOTIFY_",))
    if not name.endswith(("_MASK", "_1", "_2", "_CHANGE"))
)
"""The ten SERVICE_NOTIFY_* mask bits, in value order."""

_NOTIFY_VALUES: Final = tuple((name, int(globals()[name])) for name in NOTIFY_BITS)
_NOTIFY_ALL: Final = sum(value for _name, value in _NOTIFY_VALUES)
_STATE_NAMES: Final = {value: member.name for value, member in SERVICE_STATE_MEMBERS.items()}


def notify_bit(state: int) -> int:
    """The SERVICE_NOTIFY_* bit of a dwCurrentState: ``1 << (state - SERVICE_STOPPED)`` (F1.3)."""
    return 1 << (state - SERVICE_STOPPED)


def state_name(state: int) -> str:
    name = _STATE_NAMES.get(state)
    return name if name is not None else str(state)


def _mask_names(mask: int) -> str:
    names = [name for name, bit in _NOTIFY_VALUES if mask & bit]
    rest = mask & ~_NOTIFY_ALL
    if rest:
        names.append(f"0x{rest:X}")
    return "|".join(names) or "0"


_MASK_NAMES: Final = tuple(_mask_names(mask) for mask in range(_NOTIFY_ALL + 1))
"""The names of every mask of SERVICE_NOTIFY_* bits only (the ten bits are 0x1 to 0x200)."""


def notify_mask_names(mask: int) -> str:
    """``SERVICE_NOTIFY_RUNNING|SERVICE_NOTIFY_STOPPED`` for a mask (bits in value order)."""
    return _MASK_NAMES[mask] if 0 <= mask <= _NOTIFY_ALL else _mask_names(mask)
