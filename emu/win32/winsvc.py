"""The structures of the Service Control Manager API (winsvc.h), as programs pass them.

- ``SERVICE_STATUS`` (QueryServiceStatus, ControlService) and ``SERVICE_STATUS_PROCESS``
  (QueryServiceStatusEx with SC_STATUS_PROCESS_INFO; the ServiceStatus member of a
  SERVICE_NOTIFY).
- ``SERVICE_NOTIFY``: SERVICE_NOTIFY_2W, the buffer NotifyServiceStatusChange lends to the
  system (docs/sources.md F1.4). Its ``ServiceStatus`` member is a nested
  SERVICE_STATUS_PROCESS, traced as ``<name>.ServiceStatus``: the system fills it, and the
  program's reads of it are what ``scm.status_read_unchecked`` judges. The callback receives
  the SERVICE_NOTIFY itself ("the argument is the SERVICE_NOTIFY pointer", F1.4) and reaches
  its context through ``pContext``.
- ``MULTI_SZ``: the block ``pszServiceNames`` points to for notifications on an SCM handle: a
  sequence of NUL-terminated names ended by an empty one, allocated by the system; the program
  frees it with LocalFree (SERVICE_NOTIFY_2, MS docs). ``text`` holds it as one string with its
  NULs (``"/NewSvc\\0\\0"``).

Sizes (``SIZEOF``) are the x64 ones, for the ``cbBufSize`` checks of QueryServiceStatusEx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from emu.kernel.memory import Struct

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel


class SERVICE_STATUS(Struct):
    """SERVICE_STATUS: what QueryServiceStatus and ControlService return."""

    __slots__ = ()

    SIZEOF: ClassVar[int] = 28

    dwServiceType: int
    dwCurrentState: int
    dwControlsAccepted: int
    dwWin32ExitCode: int
    dwServiceSpecificExitCode: int
    dwCheckPoint: int
    dwWaitHint: int


class SERVICE_STATUS_PROCESS(SERVICE_STATUS):
    """SERVICE_STATUS_PROCESS: SERVICE_STATUS's members, then the process id and flags (the
    same leading layout, so C code may pass one where the other is read)."""

    __slots__ = ()

    SIZEOF: ClassVar[int] = 36

    dwProcessId: int
    dwServiceFlags: int


class MULTI_SZ(Struct):
    """A system-allocated list of names (``pszServiceNames``), freed with LocalFree."""

    __slots__ = ()

    text: str

    def names(self) -> list[str]:
        """The names, without the terminating empty string (an untraced convenience)."""
        return [name for name in str(self.peek("text")).split("\0") if name]


class SERVICE_NOTIFY(Struct):
    """SERVICE_NOTIFY_2W: lent to the system by NotifyServiceStatusChange until its callback
    ran or the request was cancelled."""

    __slots__ = ()

    dwVersion: int
    pfnNotifyCallback: Any
    pContext: Any
    dwNotificationStatus: int
    ServiceStatus: SERVICE_STATUS_PROCESS
    dwNotificationTriggered: int
    pszServiceNames: Any

    def __init__(self, **values: Any) -> None:
        if "ServiceStatus" not in values:
            values["ServiceStatus"] = SERVICE_STATUS_PROCESS()
        if "pszServiceNames" not in values:
            values["pszServiceNames"] = None
        if "pfnNotifyCallback" not in values:
            values["pfnNotifyCallback"] = None
        if "pContext" not in values:
            values["pContext"] = None
        super().__init__(**values)

    def bind(self, k: Kernel, name: str | None = None) -> int:
        status = self.peek("ServiceStatus")
        nested = isinstance(status, Struct) and status._oid == 0
        if self._k is k and not nested:  # each NotifyServiceStatusChange binds its buffer
            return self._oid
        if nested and name:
            object.__setattr__(status, "_name", f"{name}.ServiceStatus")
        oid = super().bind(k, name)
        if nested:
            status.bind(k, f"{self.trace_name}.ServiceStatus")
        return oid

    def end_lifetime(self, reason: str) -> None:
        super().end_lifetime(reason)
        status = self.peek("ServiceStatus")
        if isinstance(status, Struct):
            status.end_lifetime(reason)


SERVICE_NOTIFYW = SERVICE_NOTIFY
SERVICE_NOTIFY_2W = SERVICE_NOTIFY
SERVICE_NOTIFYA = SERVICE_NOTIFY
