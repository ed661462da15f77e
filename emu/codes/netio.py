"""NETIO and IP Helper constants (netioapi.h, ws2def.h, ntstatus.h, winerror.h), real values.

- MIB_NOTIFICATION_TYPE (netioapi.h, docs/sources.md F3.1): MibParameterNotification 0,
  MibAddInstance 1, MibDeleteInstance 2, MibInitialNotification 3.
- The address families NotifyIpInterfaceChange accepts (F3.2): AF_UNSPEC 0, AF_INET 2,
  AF_INET6 23 ("Your driver must set the Family parameter to either AF_INET, AF_INET6, or
  AF_UNSPEC").
- NETIO_STATUS is NTSTATUS in kernel mode (netio.sys, the seed page) and a Win32 error code in
  user mode (iphlpapi.dll): ``KERNEL_CODES`` and ``USER_CODES`` say which value each outcome
  has in each mode. The seed page names two codes that are not ntstatus.h names:
  "STATUS_NOT_ENOUGH_MEMORY" is STATUS_NO_MEMORY (0xC0000017) here and "ERROR_INVALID_HANDLE"
  in kernel mode is STATUS_INVALID_HANDLE (0xC0000008); both page names are kept as aliases
  (assumptions, docs/rules.md). Profile ``netio-literal-codes`` returns the page's
  ERROR_INVALID_HANDLE literally, the Win32 value 6, which NT_SUCCESS accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from emu.codes.ntstatus import (
    STATUS_INVALID_HANDLE,
    STATUS_INVALID_PARAMETER,
    STATUS_NO_MEMORY,
    STATUS_NOT_FOUND,
    STATUS_SUCCESS,
)
from emu.codes.winerror import (
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER,
    ERROR_NOT_ENOUGH_MEMORY,
    ERROR_NOT_FOUND,
    NO_ERROR,
)
from emu.codes.winsock import AF_INET, AF_INET6, AF_UNSPEC

MibParameterNotification: Final = 0
MibAddInstance: Final = 1
MibDeleteInstance: Final = 2
MibInitialNotification: Final = 3

MIB_NOTIFICATION_TYPES: Final = {
    MibParameterNotification: "MibParameterNotification",
    MibAddInstance: "MibAddInstance",
    MibDeleteInstance: "MibDeleteInstance",
    MibInitialNotification: "MibInitialNotification",
}

STATUS_NOT_ENOUGH_MEMORY: Final = STATUS_NO_MEMORY
"""The seed page's name for the out-of-memory failure; ntstatus.h has no such name."""

NETIO_FAMILIES: Final = {AF_UNSPEC: "AF_UNSPEC", AF_INET: "AF_INET", AF_INET6: "AF_INET6"}
"""The families NotifyIpInterfaceChange registers for."""

ROW_FAMILIES: Final = {AF_INET: "AF_INET", AF_INET6: "AF_INET6"}
"""The families an interface (and GetIpInterfaceEntry's row) has."""

KERNEL_MODE: Final = "kernel"
USER_MODE: Final = "user"


@dataclass(frozen=True, slots=True)
class NetioCodes:
    """The value of each outcome of the NETIO functions in one mode."""

    success: int
    invalid_parameter: int
    no_memory: int
    invalid_handle: int
    not_found: int


KERNEL_CODES: Final = NetioCodes(
    success=STATUS_SUCCESS,
    invalid_parameter=STATUS_INVALID_PARAMETER,
    no_memory=STATUS_NO_MEMORY,
    invalid_handle=STATUS_INVALID_HANDLE,
    not_found=STATUS_NOT_FOUND,
)
KERNEL_LITERAL_CODES: Final = replace(KERNEL_CODES, invalid_handle=ERROR_INVALID_HANDLE)
"""Profile ``netio-literal-codes``: the page's ERROR_INVALID_HANDLE as written (6)."""
USER_CODES: Final = NetioCodes(
    success=NO_ERROR,
    invalid_parameter=ERROR_INVALID_PARAMETER,
    no_memory=ERROR_NOT_ENOUGH_MEMORY,
    invalid_handle=ERROR_INVALID_HANDLE,
    not_found=ERROR_NOT_FOUND,
)


def notification_type_name(value: int) -> str:
    return MIB_NOTIFICATION_TYPES.get(value, str(value))


def family_name(value: int) -> str:
    return NETIO_FAMILIES.get(value, str(value))
