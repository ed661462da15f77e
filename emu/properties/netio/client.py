"""The client rules of NotifyIpInterfaceChange: what a correct interface monitor must do,
checked on the finished trace (a violation is a bug in the program under test). The rules only
visible as the run happens (a stall, a cancel from the callback, a stale handle) are recorded
inline: ``netio.rules``.

- The callback's row is the system's memory, valid only during the callback (F3.10): a read or
  write after the callback returned is a use after free (``netio.row_after_callback``).
- The row "contains incomplete data ... only enough information that an application can call
  the GetIpInterfaceEntry function": only Family, InterfaceLuid and InterfaceIndex may be read
  from it (F3.10, ``netio.partial_row``).
- GetIpInterfaceEntry's Row "on successful return, receives information for an interface";
  once the interface is gone it fails (STATUS_NOT_FOUND, F3.16), and the program must not use
  the members it would have filled (``netio.entry_unchecked``).
- Whether the initial callback runs before NotifyIpInterfaceChange writes *NotificationHandle
  is not documented (F3.20; a choice point): a callback that reads the handle variable before
  the system wrote it reads garbage (``netio.handle_in_initial_callback``).
- A driver deregisters with CancelMibChangeNotify2 before it unloads: its callback's code goes
  with it (F3.13, ``netio.registration_at_unload``).
- "If an error occurs, NULL is returned" in *NotificationHandle: cancelling that NULL handle
  means the program took a failed registration for a success
  (``netio.failed_handle_used``), as a driver does that tests NT_SUCCESS on the page's literal
  ERROR_INVALID_HANDLE (profile ``netio-literal-codes``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import CLIENT_RULE, Property, register
from emu.properties.checker import Checker, Context
from emu.properties.netio.registrations import IDENTITY, INITIAL, NetioChecker, Registration

SEED: Final = "NotifyIpInterfaceChange (MS doc)"
USER_PAGE: Final = "NotifyIpInterfaceChange (user mode, MS doc)"
NOTIFY: Final = ("NotifyIpInterfaceChange",)
CANCEL: Final = ("CancelMibChangeNotify2",)
GET: Final = ("GetIpInterfaceEntry",)
ROW_TYPE: Final = "MIB_IPINTERFACE_ROW"


class RowAfterCallback(NetioChecker):
    """No access to a callback's row after that callback returned (``mem.stale`` on it)."""

    SEES = ("netio.callback", "mem.stale")

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        if event[2] == "netio.callback":
            if len(event[3]) > 1:
                self.exercised = True
            return
        call = self.records.rows.get(event[3][0])
        if call is None:
            return
        owner = self.records.by_oid[call.reg]
        self.found(
            seq,
            f"{self.name(event[1])} {event[4][1]} {self.name(event[3][0])}.{event[4][0]}, the "
            f"row of {owner.describe()}'s callback for notification #{call.item} ({call.type} "
            f"for {call.interface}), after that callback returned (at #{call.returned}): a use "
            "after free",
            call.seq,
        )


class PartialRow(NetioChecker):
    """A program reads only Family, InterfaceLuid and InterfaceIndex of a callback's row."""

    SEES = ("netio.callback", "mem.read")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.seen: set[tuple[int, str]] = set()

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        objects = event[3]
        if event[2] == "netio.callback":
            if len(objects) > 1:
                self.exercised = True
            return
        call = self.records.rows.get(objects[0]) if objects else None
        if call is None or event[4][2] != "program":
            return
        member = str(event[4][0])
        if member in IDENTITY or (objects[0], member) in self.seen:
            return
        self.seen.add((objects[0], member))
        self.found(
            seq,
            f"{self.name(event[1])} reads {self.name(objects[0])}.{member} = {event[4][1]} from "
            f"the row of a callback ({call.type} for {call.interface}): that row holds only "
            "Family, InterfaceLuid and InterfaceIndex; GetIpInterfaceEntry gives the rest",
            call.seq,
        )


class EntryUnchecked(Checker):
    """After GetIpInterfaceEntry failed on a row, the program reads none of the members it
    would have filled (all but Family, InterfaceLuid, InterfaceIndex) until it writes that
    member, or a later call succeeds on the row (or InitializeIpInterfaceEntry resets it)."""

    KINDS = ("api", "mem.read", "mem.write")
    TRIGGERS: ClassVar[tuple[str, ...] | None] = ("api:GetIpInterfaceEntry",)

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.asked: dict[int, int] = {}  # thread -> the row its call's system read named
        # row -> (the failed call's seq, its result, the members written since)
        self.failed: dict[int, tuple[int, Any, set[str]]] = {}

    def feed(self, seq: int, event: TraceTuple) -> None:
        _t, actor, kind, objects, payload, _c = event
        if kind == "mem.read":
            if payload[2] == "system":
                if payload[0] == "Family":
                    self.asked[actor] = objects[0]
                return
            failed = self.failed.get(objects[0]) if self.failed else None
            if failed is not None and payload[0] not in IDENTITY and payload[0] not in failed[2]:
                failed[2].add(str(payload[0]))
                self.found(
                    seq,
                    f"{self.context.name(actor)} reads {self.context.name(objects[0])}."
                    f"{payload[0]} = {payload[1]} after GetIpInterfaceEntry failed on it "
                    f"(returned {_code(failed[1])}): the call filled nothing",
                    failed[0],
                )
            return
        if kind == "mem.write":
            failed = self.failed.get(objects[0]) if self.failed else None
            if failed is not None:
                failed[2].add(str(payload[0]))
            return
        row = self.asked.pop(actor, 0)
        if payload[0] == "InitializeIpInterfaceEntry":
            return  # its system writes reset the row's members (mem.write above)
        if payload[0] != "GetIpInterfaceEntry" or not row:
            return
        if self.context.types.get(row) != ROW_TYPE:
            return
        if payload[2] == 0:
            self.failed.pop(row, None)
        else:
            self.exercised = True
            self.failed[row] = (seq, payload[2], set())


class HandleInInitialCallback(NetioChecker):
    """A callback does not read the NotificationHandle variable before the system wrote the
    registration's handle to it."""

    SEES = ("netio.register", "netio.callback", "mem.read", "mem.write")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.unwritten: dict[int, Registration] = {}  # handle variable -> its registration

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        kind = event[2]
        if kind == "netio.register":
            if reg is not None and reg.cell:
                self.unwritten[reg.cell] = reg
            return
        if kind == "netio.callback":
            if reg is not None and reg.cell and event[4][1] == INITIAL:
                self.exercised = True
            return
        if not self.unwritten:
            return
        cell = event[3][0]
        pending = self.unwritten.get(cell)
        if pending is None:
            return
        payload = event[4]
        if kind == "mem.write":
            if payload[2] == "system" and payload[1] == pending.handle:
                del self.unwritten[cell]
            return
        call = self.call_of(event[1])
        if call is None or payload[2] != "program":
            return
        self.found(
            seq,
            f"the callback of {self.records.by_oid[call.reg].describe()} ({call.type}) reads "
            f"{self.name(cell)}.{payload[0]} = {payload[1]} before NotifyIpInterfaceChange "
            f"wrote the handle 0x{pending.handle:X} to it",
            pending.seq,
        )


class RegistrationAtUnload(NetioChecker):
    """Every kernel-mode registration is cancelled before a driver's DriverUnload returns."""

    SEES = ("driver.unload",)

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        driver = event[4][0]
        for live in self.records.live():
            if live.mode != "kernel":
                continue
            self.exercised = True
            self.found(
                seq,
                f"DriverUnload of {driver} returned with {live.describe()} still registered "
                f"(callback {live.callback}): CancelMibChangeNotify2 was never called for it",
                live.seq,
            )
        if any(r.mode == "kernel" for r in self.records.by_oid.values()):
            self.exercised = True


class FailedHandleUsed(Checker):
    """CancelMibChangeNotify2 is never given a NULL handle: the one a failed
    NotifyIpInterfaceChange returns."""

    KINDS = ("api", "netio.refuse")
    TRIGGERS: ClassVar[tuple[str, ...] | None] = ("api:CancelMibChangeNotify2",)

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        # The last failed registration: seq, result, and whether a driver made it.
        self.failed: tuple[int, Any, bool] | None = None
        self.kernel = False  # the refusal just seen was a driver's

    def feed(self, seq: int, event: TraceTuple) -> None:
        payload = event[4]
        if event[2] == "netio.refuse":
            self.kernel = payload[0] == "kernel"
            return
        name = payload[0]
        if name == "NotifyIpInterfaceChange":
            if payload[2] != 0:
                self.failed = (seq, payload[2], self.kernel)
            return
        if name != "CancelMibChangeNotify2":
            return
        self.exercised = True
        args = payload[1]
        if not args or args[0] not in (None, 0):
            return
        if self.failed is None:
            self.found(seq, "CancelMibChangeNotify2(NULL): no registration has a NULL handle")
            return
        at, result, kernel = self.failed
        passes = _passes(result) if kernel else ""
        self.found(
            seq,
            f"CancelMibChangeNotify2(NULL): the NotifyIpInterfaceChange at #{at} failed "
            f"(returned {_code(result)}{passes}) and returned NULL in "
            "*NotificationHandle; the program took it for a registration",
            at,
        )


def _code(value: Any) -> str:
    return f"0x{value:X}" if isinstance(value, int) and value > 0xFFFF else str(value)


def _passes(value: Any) -> str:
    """How a driver's failure code that NT_SUCCESS accepts is pointed out."""
    if isinstance(value, int) and 0 < value < 0x80000000:
        return ", a value NT_SUCCESS accepts"
    return ""


register(
    Property(
        "netio.row_after_callback",
        CLIENT_RULE,
        NOTIFY,
        USER_PAGE + ", Remarks; F3.10",
        "The memory pointed to by the Row parameter used in the callback indications is "
        "managed by the operating system.",
        checker=RowAfterCallback,
        note="the row is valid only during its callback (its lifetime ends when the callback "
        "returns): a later read or write is a use after free; copy the members the program "
        "needs",
    ),
    Property(
        "netio.partial_row",
        CLIENT_RULE,
        (*NOTIFY, *GET),
        USER_PAGE + ", Remarks; F3.10",
        "When the callback function is received when a change occurs and the Row parameter is "
        "not NULL, the pointer to the MIB_IPINTERFACE_ROW structure passed in the Row parameter "
        "contains incomplete data. The information returned in the MIB_IPINTERFACE_ROW "
        "structure is only enough information that an application can call the "
        "GetIpInterfaceEntry function to query complete information on the IP interface that "
        "changed.",
        checker=PartialRow,
        note="the program may read Family, InterfaceLuid and InterfaceIndex of a callback's "
        "row; any other member is re-read with GetIpInterfaceEntry (both modes: the driver "
        "page says nothing of the row's contents)",
    ),
    Property(
        "netio.entry_unchecked",
        CLIENT_RULE,
        (*GET, "InitializeIpInterfaceEntry"),
        "GetIpInterfaceEntry (MS doc), Row and Return value; F3.16",
        "A pointer to a MIB_IPINTERFACE_ROW structure that, on successful return, receives "
        "information for an interface on the local computer.",
        checker=EntryUnchecked,
        note="GetIpInterfaceEntry fills the row only when it succeeds; after a failure (the "
        "interface was deleted: STATUS_NOT_FOUND, ERROR_NOT_FOUND or ERROR_FILE_NOT_FOUND) a "
        "read of a member other than Family, InterfaceLuid and InterfaceIndex, before the "
        "program writes it or a call succeeds on the row, uses what the call did not fill",
    ),
    Property(
        "netio.handle_in_initial_callback",
        CLIENT_RULE,
        NOTIFY,
        SEED + ", NotificationHandle and InitialNotification; F3.7; F3.20",
        "A pointer used to return a handle that can be later used to deregister the change "
        "notification. On success, a notification handle is returned in this parameter.",
        checker=HandleInInitialCallback,
        note="the initial callback runs before NotifyIpInterfaceChange returns; whether the "
        "handle is written before it runs is not documented (the choice point "
        "netio-initial@<handle>): a callback must not rely on the handle variable. Exercised "
        "by an initial callback of a registration whose handle variable is traced",
    ),
    Property(
        "netio.registration_at_unload",
        CLIENT_RULE,
        (*NOTIFY, *CANCEL),
        SEED + ", Remarks; F3.13",
        "To deregister the driver for change notifications, call the CancelMibChangeNotify2 "
        "function, passing the NotificationHandle parameter that NotifyIpInterfaceChange "
        "returns.",
        checker=RegistrationAtUnload,
        note="a kernel-mode registration still live when a driver's DriverUnload returns would "
        "call into unloaded code (any driver's unload counts: one driver per scenario)",
    ),
    Property(
        "netio.failed_handle_used",
        CLIENT_RULE,
        (*NOTIFY, *CANCEL),
        SEED + ", NotificationHandle and Return value; F3.6; F3.12",
        "On success, a notification handle is returned in this parameter. If an error occurs, "
        "NULL is returned.",
        checker=FailedHandleUsed,
        note="CancelMibChangeNotify2(NULL) fails with the invalid-parameter code; a program "
        "that calls it cancels a registration that failed. Under netio-literal-codes the "
        "page's ERROR_INVALID_HANDLE is 6, which NT_SUCCESS accepts: a driver that tests "
        "NT_SUCCESS takes that failure for a registration and shows here",
    ),
)
