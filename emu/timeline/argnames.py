"""Arguments by name: the constants a Windows engineer would have written in the call.

A timeline, a story or a report shows a call as C source would: ``CreateFileW("\\\\.\\pipe\\x",
GENERIC_READ|GENERIC_WRITE, 0, NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL)`` rather than
``CreateFileW(..., 3221225472, 0, NULL, 3, 1073741824, NULL)``. Each parameter that Windows
defines named values for has a naming here, looked up by the function's family
(``emu.win32.base.api_family``: the A and W forms share theirs) and the parameter's name as the
headers spell it, or by the parameter's name alone when it means the same in every function
(``dwNotifyMask``, ``dwCreationDisposition``):

- a **flag set** prints the named bits joined with ``|``, the widest combinations first
  (``SERVICE_ALL_ACCESS`` before its bits), and any bits without a name in hex; zero prints as
  the name the header gives it (``PIPE_TYPE_BYTE|...`` has none, so plain ``0``);
- an **enumeration** prints the one name of the value, or the number if it has none.

The values are the headers' (winnt.h, fileapi.h, winbase.h, winsvc.h, wdm.h, ws2def.h,
netioapi.h), from ``emu.codes`` and the kernel-mode constants; nothing here is consulted while a
run happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from emu.codes import access, files, netio, services, winsock
from emu.kernel import irql
from emu.win32.base import api_family
from emu.win32.ntoskrnl import base as ntos

Names = tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class Naming:
    """How one parameter's value reads: a flag set (``|``-joined bits) or an enumeration."""

    names: Names
    flags: bool = True
    zero: str = "0"

    def text(self, value: int) -> str:
        if not self.flags:
            for name, known in self.names:
                if known == value:
                    return name
            return str(value)
        if value == 0:
            return self.zero
        parts: list[str] = []
        rest = value
        for name, bits in sorted(self.names, key=lambda item: -bin(item[1]).count("1")):
            if bits and rest & bits == bits:
                parts.append(name)
                rest &= ~bits
        if rest:
            parts.append(f"0x{rest:X}")
        return "|".join(parts)


def _named(module: object, *names: str) -> Names:
    return tuple((name, int(getattr(module, name))) for name in names)


STANDARD: Final = _named(
    access,
    "DELETE",
    "READ_CONTROL",
    "WRITE_DAC",
    "WRITE_OWNER",
    "SYNCHRONIZE",
    "GENERIC_READ",
    "GENERIC_WRITE",
    "GENERIC_EXECUTE",
    "GENERIC_ALL",
    "MAXIMUM_ALLOWED",
)
FILE_ACCESS: Final = Naming(
    (
        *STANDARD,
        *_named(
            access,
            "FILE_ALL_ACCESS",
            "FILE_READ_DATA",
            "FILE_WRITE_DATA",
            "FILE_APPEND_DATA",
            "FILE_READ_EA",
            "FILE_WRITE_EA",
            "FILE_EXECUTE",
            "FILE_READ_ATTRIBUTES",
            "FILE_WRITE_ATTRIBUTES",
        ),
    )
)
EVENT_ACCESS: Final = Naming(
    (*STANDARD, *_named(access, "EVENT_ALL_ACCESS", "EVENT_QUERY_STATE", "EVENT_MODIFY_STATE"))
)
THREAD_ACCESS: Final = Naming(
    (
        *STANDARD,
        *_named(
            access,
            "THREAD_ALL_ACCESS",
            "THREAD_TERMINATE",
            "THREAD_SUSPEND_RESUME",
            "THREAD_ALERT",
            "THREAD_GET_CONTEXT",
            "THREAD_SET_CONTEXT",
            "THREAD_SET_INFORMATION",
            "THREAD_QUERY_INFORMATION",
            "THREAD_QUERY_LIMITED_INFORMATION",
        ),
    )
)
SC_MANAGER_ACCESS: Final = Naming(
    (
        *STANDARD,
        *_named(
            services,
            "SC_MANAGER_ALL_ACCESS",
            "SC_MANAGER_CONNECT",
            "SC_MANAGER_CREATE_SERVICE",
            "SC_MANAGER_ENUMERATE_SERVICE",
            "SC_MANAGER_LOCK",
            "SC_MANAGER_QUERY_LOCK_STATUS",
            "SC_MANAGER_MODIFY_BOOT_CONFIG",
        ),
    )
)
SERVICE_ACCESS: Final = Naming(
    (
        *STANDARD,
        *_named(
            services,
            "SERVICE_ALL_ACCESS",
            "SERVICE_QUERY_CONFIG",
            "SERVICE_CHANGE_CONFIG",
            "SERVICE_QUERY_STATUS",
            "SERVICE_ENUMERATE_DEPENDENTS",
            "SERVICE_START",
            "SERVICE_STOP",
            "SERVICE_PAUSE_CONTINUE",
            "SERVICE_INTERROGATE",
            "SERVICE_USER_DEFINED_CONTROL",
        ),
    )
)
SHARE_MODE: Final = Naming(
    _named(files, "FILE_SHARE_READ", "FILE_SHARE_WRITE", "FILE_SHARE_DELETE")
)
DISPOSITION: Final = Naming(
    _named(
        files, "CREATE_NEW", "CREATE_ALWAYS", "OPEN_EXISTING", "OPEN_ALWAYS", "TRUNCATE_EXISTING"
    ),
    flags=False,
)
FILE_FLAGS: Final = Naming(
    _named(
        files,
        "FILE_FLAG_WRITE_THROUGH",
        "FILE_FLAG_OVERLAPPED",
        "FILE_FLAG_NO_BUFFERING",
        "FILE_FLAG_FIRST_PIPE_INSTANCE",
        "FILE_ATTRIBUTE_NORMAL",
    )
)
PIPE_OPEN_MODE: Final = Naming(
    _named(
        files,
        "PIPE_ACCESS_DUPLEX",
        "PIPE_ACCESS_INBOUND",
        "PIPE_ACCESS_OUTBOUND",
        "FILE_FLAG_WRITE_THROUGH",
        "FILE_FLAG_OVERLAPPED",
        "FILE_FLAG_FIRST_PIPE_INSTANCE",
    )
)
PIPE_MODE: Final = Naming(
    _named(
        files,
        "PIPE_TYPE_MESSAGE",
        "PIPE_READMODE_MESSAGE",
        "PIPE_NOWAIT",
        "PIPE_REJECT_REMOTE_CLIENTS",
    ),
    zero="PIPE_TYPE_BYTE|PIPE_READMODE_BYTE|PIPE_WAIT",
)
NOTIFY_MASK: Final = Naming(
    tuple((name, int(getattr(services, name))) for name in services.NOTIFY_BITS)
)
SERVICE_CONTROL: Final = Naming(
    _named(
        services,
        "SERVICE_CONTROL_STOP",
        "SERVICE_CONTROL_PAUSE",
        "SERVICE_CONTROL_CONTINUE",
        "SERVICE_CONTROL_INTERROGATE",
        "SERVICE_CONTROL_SHUTDOWN",
        "SERVICE_CONTROL_PARAMCHANGE",
        "SERVICE_CONTROL_NETBINDADD",
        "SERVICE_CONTROL_NETBINDREMOVE",
        "SERVICE_CONTROL_NETBINDENABLE",
        "SERVICE_CONTROL_NETBINDDISABLE",
    ),
    flags=False,
)
SERVICE_TYPE: Final = Naming(
    _named(
        services,
        "SERVICE_KERNEL_DRIVER",
        "SERVICE_FILE_SYSTEM_DRIVER",
        "SERVICE_WIN32_OWN_PROCESS",
        "SERVICE_WIN32_SHARE_PROCESS",
        "SERVICE_INTERACTIVE_PROCESS",
    )
)
START_TYPE: Final = Naming(
    _named(
        services,
        "SERVICE_BOOT_START",
        "SERVICE_SYSTEM_START",
        "SERVICE_AUTO_START",
        "SERVICE_DEMAND_START",
        "SERVICE_DISABLED",
    ),
    flags=False,
)
ERROR_CONTROL: Final = Naming(
    _named(
        services,
        "SERVICE_ERROR_IGNORE",
        "SERVICE_ERROR_NORMAL",
        "SERVICE_ERROR_SEVERE",
        "SERVICE_ERROR_CRITICAL",
    ),
    flags=False,
)
INFO_LEVEL: Final = Naming(_named(services, "SC_STATUS_PROCESS_INFO"), flags=False)
NOTIFY_VERSION: Final = Naming(
    _named(services, "SERVICE_NOTIFY_STATUS_CHANGE_1", "SERVICE_NOTIFY_STATUS_CHANGE_2"),
    flags=False,
)
THREAD_CREATION: Final = Naming(
    _named(access, "CREATE_SUSPENDED", "STACK_SIZE_PARAM_IS_A_RESERVATION")
)
EVENT_TYPE: Final = Naming(_named(ntos, "NotificationEvent", "SynchronizationEvent"), flags=False)
PROCESSOR_MODE: Final = Naming(_named(ntos, "KernelMode", "UserMode"), flags=False)
WORK_QUEUE: Final = Naming(
    _named(ntos, "CriticalWorkQueue", "DelayedWorkQueue", "HyperCriticalWorkQueue"), flags=False
)
IRQL: Final = Naming(_named(irql, "PASSIVE_LEVEL", "APC_LEVEL", "DISPATCH_LEVEL"), flags=False)
ADDRESS_FAMILY: Final = Naming(_named(winsock, "AF_UNSPEC", "AF_INET", "AF_INET6"), flags=False)
NOTIFICATION_TYPE: Final = Naming(
    _named(
        netio,
        "MibParameterNotification",
        "MibAddInstance",
        "MibDeleteInstance",
        "MibInitialNotification",
    ),
    flags=False,
)
BOOLEAN: Final = Naming((("FALSE", 0), ("TRUE", 1)), flags=False)

BY_FUNCTION: Final[dict[tuple[str, str], Naming]] = {
    ("CreateFile", "dwDesiredAccess"): FILE_ACCESS,
    ("CreateFile", "dwFlagsAndAttributes"): FILE_FLAGS,
    ("OpenEvent", "dwDesiredAccess"): EVENT_ACCESS,
    ("OpenThread", "dwDesiredAccess"): THREAD_ACCESS,
    ("OpenSCManager", "dwDesiredAccess"): SC_MANAGER_ACCESS,
    ("OpenService", "dwDesiredAccess"): SERVICE_ACCESS,
    ("CreateService", "dwDesiredAccess"): SERVICE_ACCESS,
    ("CreateNamedPipe", "dwOpenMode"): PIPE_OPEN_MODE,
    ("CreateNamedPipe", "dwPipeMode"): PIPE_MODE,
    ("CreateThread", "dwCreationFlags"): THREAD_CREATION,
    ("KeInitializeEvent", "Type"): EVENT_TYPE,
    ("KeWaitForSingleObject", "WaitMode"): PROCESSOR_MODE,
    ("NotifyIpInterfaceChange", "Family"): ADDRESS_FAMILY,
    ("NotifyIpInterfaceChange", "InitialNotification"): BOOLEAN,
}
"""Namings that depend on the function (an access mask means different rights per object)."""

BY_PARAMETER: Final[dict[str, Naming]] = {
    "dwShareMode": SHARE_MODE,
    "dwCreationDisposition": DISPOSITION,
    "dwNotifyMask": NOTIFY_MASK,
    "dwNotificationTriggered": NOTIFY_MASK,
    "dwControl": SERVICE_CONTROL,
    "dwServiceType": SERVICE_TYPE,
    "dwStartType": START_TYPE,
    "dwErrorControl": ERROR_CONTROL,
    "InfoLevel": INFO_LEVEL,
    "QueueType": WORK_QUEUE,
    "NewIrql": IRQL,
    "dwVersion": NOTIFY_VERSION,
    "NotificationType": NOTIFICATION_TYPE,
}
"""Namings a parameter name carries in every function that has it."""


def naming(api: str, param: str) -> Naming | None:
    """How ``param`` of ``api`` reads by name, if Windows names its values."""
    found = BY_FUNCTION.get((api_family(api), param))
    return found if found is not None else BY_PARAMETER.get(param)


def arg_name(api: str, param: str, value: int) -> str | None:
    """``value`` as the constants the headers name for ``param`` of ``api``, or None."""
    found = naming(api, param)
    return found.text(value) if found is not None else None
