"""NotifyIpInterfaceChange, CancelMibChangeNotify2, GetIpInterfaceEntry and
InitializeIpInterfaceEntry (netioapi.h), once for both modes.

The same four functions are exported by netio.sys for drivers (the seed page; NETIO_STATUS is
an NTSTATUS) and by iphlpapi.dll for applications (NETIO_STATUS is a Win32 error code). One
implementation serves both: a mode's class says which codes it returns (``emu.codes.netio``),
whether its callers are threads or any kernel context, and the IRQL rules of the driver pages.

- **NotifyIpInterfaceChange.** Family other than AF_INET, AF_INET6, AF_UNSPEC: the
  invalid-parameter code ("This error is returned if the Family parameter was not either
  AF_INET, AF_INET6, or AF_UNSPEC"); so is a NULL Callback or NotificationHandle (assumption).
  "On success, a notification handle is returned in this parameter. If an error occurs, NULL is
  returned": every failure writes NULL to *NotificationHandle. An injected fault fails it with
  the out-of-memory or the invalid-handle code. With InitialNotification TRUE the call returns
  after the initial callback returned (Wine's test_NotifyUnicastIpAddressChange sees it called
  when the registration returns); whether the handle was written before that callback ran is a
  choice point (``netio-initial@<handle>``: option 0 writes it first), so a callback that reads
  the handle variable is caught by the schedule that writes it last.
- **CancelMibChangeNotify2.** NULL: the invalid-parameter code ("if the NotificationHandle
  parameter was a NULL pointer"). A handle that is not a live registration's (cancelled already,
  or never returned) gets the invalid-handle code and ``netio.stale_handle``: on Windows it is a
  pointer to freed memory. The HANDLE variable passed instead of its value is
  ``win32.bad_argument`` and the invalid-handle code. Otherwise it returns once no callback of
  the handle runs or will run.
- **GetIpInterfaceEntry.** NULL Row, a Family not AF_INET/AF_INET6, or neither InterfaceLuid
  nor InterfaceIndex set: invalid parameter. A non-zero InterfaceLuid is used and InterfaceIndex
  ignored; with a zero LUID the index decides ("The fields are used in the order listed above").
  An unknown LUID, or an interface without that family: the not-found code (Wine's
  test_GetIpInterface sees ERROR_NOT_FOUND for an unknown LUID); an index that names no present
  interface: ERROR_FILE_NOT_FOUND in user mode ("was not a value on the local machine"),
  STATUS_NOT_FOUND in kernel mode (the driver page's only code for it). On success every member
  is written, InterfaceLuid and InterfaceIndex included.
- **InitializeIpInterfaceEntry** (VOID): "Family: Set to AF_UNSPEC. InterfaceLuid: Set to an
  unspecified value. All other members: Set to zero." (zero here).
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from emu.codes.netio import (
    KERNEL_CODES,
    KERNEL_LITERAL_CODES,
    KERNEL_MODE,
    NETIO_FAMILIES,
    ROW_FAMILIES,
    USER_CODES,
    NetioCodes,
)
from emu.codes.winerror import ERROR_FILE_NOT_FOUND
from emu.codes.winsock import AF_UNSPEC
from emu.devices.nic import MIB_IPINTERFACE_ROW, Registration, netio_of
from emu.errors import ProgramError
from emu.kernel.actor import Actor
from emu.kernel.chooser import SCHED, ChoicePoint
from emu.kernel.irql import APC_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL, check_irql
from emu.kernel.waits import wait
from emu.win32.base import VOID, ApiCall, Win32Base, export
from emu.win32.types import HANDLE

NETIO_STATUS: Final = "NETIO_STATUS"
"""The return convention: an NTSTATUS in kernel mode, a Win32 error code in user mode."""
INITIAL_ORDER: Final = ("handle first", "callback first")


class NetioSurface(Win32Base):
    """The four functions; ``Netio`` (drivers) and ``Iphlpapi`` (applications) set the mode."""

    __slots__ = ()

    MODE: ClassVar[str] = KERNEL_MODE

    # -- the mode -----------------------------------------------------------------------------

    def _netio_caller(self) -> Actor:
        if self.MODE != KERNEL_MODE:
            return self._caller()
        cur = self.k.current
        if cur is None:
            raise ProgramError("a kernel routine was called outside an execution context")
        return cur

    def _codes(self) -> NetioCodes:
        if self.MODE != KERNEL_MODE:
            return USER_CODES
        return KERNEL_LITERAL_CODES if self.k.profile == "netio-literal-codes" else KERNEL_CODES

    def _irql(self, ctx: Actor, name: str, maximum: int) -> None:
        """The driver page's IRQL rule (user-mode threads always run at PASSIVE_LEVEL)."""
        if self.MODE == KERNEL_MODE:
            check_irql(self.k, ctx, name, maximum)

    def _misuse(self, ctx: Actor, name: str, what: str) -> None:
        self.k.violation("win32.bad_argument", f"{name}: {what}", (ctx.oid,))

    # -- NotifyIpInterfaceChange --------------------------------------------------------------

    @export("netio", NETIO_STATUS)
    def NotifyIpInterfaceChange(
        self,
        Family: Any,
        Callback: Any,
        CallerContext: Any,
        InitialNotification: Any,
        NotificationHandle: Any,
    ) -> ApiCall[int]:
        """NETIO_STATUS NotifyIpInterfaceChange(ADDRESS_FAMILY Family,
        PIPINTERFACE_CHANGE_CALLBACK Callback, PVOID CallerContext, BOOLEAN InitialNotification,
        HANDLE *NotificationHandle);"""
        ctx = self._netio_caller()
        k = self.k
        name = "NotifyIpInterfaceChange"
        args = (Family, Callback, CallerContext, InitialNotification, NotificationHandle)
        if k.ready:
            yield from k.preempt(name, ())
        self._irql(ctx, name, APC_LEVEL)
        codes = self._codes()
        cell = NotificationHandle if isinstance(NotificationHandle, HANDLE) else None
        if cell is not None:
            cell.bind(k)
        elif NotificationHandle is not None:
            self._misuse(ctx, name, "NotificationHandle is a pointer to a HANDLE")
        device = netio_of(k)
        status = codes.success
        reason = ""
        if cell is None:
            reason = "NotificationHandle is NULL"
        elif type(Family) is not int or Family not in NETIO_FAMILIES:
            reason = "Family is not AF_INET, AF_INET6 or AF_UNSPEC"
        elif not callable(Callback):
            reason = "Callback is NULL"
        if reason:
            status = codes.invalid_parameter
        else:
            fault = device.injected_fault()
            if fault is not None:
                status = codes.no_memory if fault == "no_memory" else codes.invalid_handle
                reason = f"injected fault {fault}"
        if status != codes.success:
            if cell is not None:
                cell.sys_set("value", 0)
            device.refuse(self.MODE, status, reason)
            return self._done(ctx, name, args, status)
        assert cell is not None
        # BOOLEAN is a UCHAR: an int argument keeps its low byte, as C converts it.
        initial = (
            bool(InitialNotification & 0xFF)
            if isinstance(InitialNotification, int)
            else bool(InitialNotification)
        )
        reg = device.register(Family, Callback, CallerContext, initial, self.MODE, cell.oid)
        order = 0
        if initial:
            point = ChoicePoint(SCHED, f"netio-initial@0x{reg.handle:X}", INITIAL_ORDER, ((), ()))
            order = k.choose(point)
        if order == 0:
            cell.sys_set("value", reg.handle)
        if initial:
            yield from self._await_initial(ctx, reg)
        if order != 0:
            cell.sys_set("value", reg.handle)
        return self._done(ctx, name, args, status)

    def _await_initial(self, ctx: Actor, reg: Registration) -> ApiCall[None]:
        """Return only once the initial notification's callback returned (or was dropped).

        A caller at DISPATCH_LEVEL or above (already ``kernel.irql_too_high``) cannot wait: it
        returns at once, as a wait there is performed as a poll."""
        reg.awaiting_initial = ctx
        if ctx.irql < DISPATCH_LEVEL and not reg.is_signaled_for(ctx):
            reg.reference()
            yield from wait(self.k, ctx, (reg,), False, None, False)
            reg.dereference()
        reg.awaiting_initial = None

    # -- CancelMibChangeNotify2 ---------------------------------------------------------------

    @export("netio", NETIO_STATUS)
    def CancelMibChangeNotify2(self, NotificationHandle: Any) -> ApiCall[int]:
        """NETIO_STATUS CancelMibChangeNotify2(HANDLE NotificationHandle);"""
        ctx = self._netio_caller()
        k = self.k
        name, args = "CancelMibChangeNotify2", (NotificationHandle,)
        if k.ready:
            yield from k.preempt(name, ())
        self._irql(ctx, name, PASSIVE_LEVEL)
        codes = self._codes()
        if NotificationHandle is None or NotificationHandle == 0:
            return self._done(ctx, name, args, codes.invalid_parameter)
        device = netio_of(k)
        if isinstance(NotificationHandle, HANDLE):
            self._misuse(
                ctx, name, "NotificationHandle is the handle (its .value), not the variable"
            )
            return self._done(ctx, name, args, codes.invalid_handle)
        reg = device.find(NotificationHandle) if type(NotificationHandle) is int else None
        if reg is None:
            if isinstance(NotificationHandle, int) and NotificationHandle in device.issued:
                what = "was deregistered by an earlier CancelMibChangeNotify2 (a double cancel)"
                obj: tuple[int, ...] = (device.issued[NotificationHandle].oid, ctx.oid)
            else:
                what = "was never returned by NotifyIpInterfaceChange"
                obj = (ctx.oid,)
            k.violation(
                "netio.stale_handle",
                f"CancelMibChangeNotify2({_shown(NotificationHandle)}): the handle {what}; on "
                "Windows it points to freed or foreign memory",
                obj,
            )
            return self._done(ctx, name, args, codes.invalid_handle)
        yield from device.cancel(ctx, reg)
        return self._done(ctx, name, args, codes.success)

    # -- GetIpInterfaceEntry / InitializeIpInterfaceEntry -------------------------------------

    @export("netio", NETIO_STATUS)
    def GetIpInterfaceEntry(self, Row: Any) -> ApiCall[int]:
        """NETIO_STATUS GetIpInterfaceEntry(PMIB_IPINTERFACE_ROW Row);"""
        ctx = self._netio_caller()
        k = self.k
        name, args = "GetIpInterfaceEntry", (Row,)
        if k.ready:
            yield from k.preempt(name, ())
        self._irql(ctx, name, APC_LEVEL)
        codes = self._codes()
        if not isinstance(Row, MIB_IPINTERFACE_ROW):
            if Row is not None:
                self._misuse(ctx, name, "Row is a pointer to a MIB_IPINTERFACE_ROW")
            return self._done(ctx, name, args, codes.invalid_parameter)
        Row.bind(k)
        family = Row.sys_get("Family")
        luid = Row.sys_get("InterfaceLuid")
        index = Row.sys_get("InterfaceIndex") if not luid else 0
        if type(family) is not int or family not in ROW_FAMILIES or (not luid and not index):
            return self._done(ctx, name, args, codes.invalid_parameter)
        nics = netio_of(k).nics
        iface = nics.find(family, luid, index)
        if iface is None:
            status = codes.not_found
            if not luid and self.MODE != KERNEL_MODE and nics.present_index(index) is None:
                status = ERROR_FILE_NOT_FOUND
            return self._done(ctx, name, args, status)
        for member, value in iface.row.items():
            Row.sys_set(member, value)
        return self._done(ctx, name, args, codes.success)

    @export("netio", VOID)
    def InitializeIpInterfaceEntry(self, Row: Any) -> ApiCall[None]:
        """VOID InitializeIpInterfaceEntry(PMIB_IPINTERFACE_ROW Row);"""
        ctx = self._netio_caller()
        name, args = "InitializeIpInterfaceEntry", (Row,)
        self._irql(ctx, name, APC_LEVEL)
        if not isinstance(Row, MIB_IPINTERFACE_ROW):
            self._misuse(ctx, name, "Row is a pointer to a MIB_IPINTERFACE_ROW")
            return self._done(ctx, name, args, None)
        Row.bind(self.k)
        for member in Row._fields_:
            Row.sys_set(member, AF_UNSPEC if member == "Family" else 0)
        return self._done(ctx, name, args, None)
        yield  # type: ignore[unreachable]  # every export is a generator


def _shown(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"0x{value & 0xFFFFFFFFFFFFFFFF:X}"  # a HANDLE is pointer-sized
    return str(value)
