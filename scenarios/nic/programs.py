"""Python programs the NETIO scenarios run (``python: programs:<function>``).

The interface monitor, written the documented way, once as a driver (``monitor_driver``, netio.sys,
NTSTATUS codes) and once as an application (``monitor_app``, iphlpapi.dll, Win32 codes). It
keeps a table of the machine's IP interfaces, (Family, InterfaceLuid) -> a MIB_IPINTERFACE_ROW
it filled itself, that must equal the device's interfaces once the changes stop:

- It registers for both families with InitialNotification TRUE (NotifyIpInterfaceChange: AF_UNSPEC
  "registers the driver to be notified for both IPv4 and IPv6 changes"), and fills the table in
  the initial callback (F3.7: it "provide[s] confirmation that the callback is registered"), so
  that no change can fall between the enumeration and the registration. emu does not model
  GetIpInterfaceTable: the enumeration asks GetIpInterfaceEntry for each family of every
  InterfaceIndex from 1 to ``MAX_PROBED_INDEX``.
- A callback reads only Family, InterfaceLuid and InterfaceIndex of its row, copies them into a
  row of its own and re-reads the entry with GetIpInterfaceEntry (F3.10: "an application should
  allocate a MIB_IPINTERFACE_ROW structure and initialize it with the Family, InterfaceLuid and
  InterfaceIndex members"); the not-found code (the adapter left) removes the entry. It keeps no
  pointer to the row after it returns (the row is the system's memory, F3.10).
- The table is guarded by a lock: a spin lock in the driver, a critical section in the
  application. A re-read may finish after a later one when callbacks overlap (F3.8, profile
  ``netio-overlap``): each re-read takes a ticket under the lock before it asks, and only a
  re-read with a newer ticket than the entry's may write it. The re-read with the newest ticket
  started after the last change, so it is the one that stands.
- Called at DISPATCH_LEVEL (profile ``netio-dispatch``: no page states the callback's IRQL,
  F3.9) the driver's callback cannot call GetIpInterfaceEntry ("< DISPATCH_LEVEL", F3.18): it
  queues what to re-read under the spin lock and hands it to a work item, which re-reads at
  PASSIVE_LEVEL.
- DriverUnload (or the application's main thread, when ``$stop`` is set) cancels the
  registration; CancelMibChangeNotify2 returns once no callback runs or will run (F3.11), and
  the driver then waits for its work item to finish.

A driver has no ``api.context``: its globals are the factory's closure, published for the run
with ``driver_globals`` so that a test can compare the table with the device after the run
(the application's are in ``api.context.state``). ``table_rows`` gives the table as the test
compares it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Final

from emu.codes import (
    AF_INET,
    AF_INET6,
    AF_UNSPEC,
    ERROR_FILE_NOT_FOUND,
    INFINITE,
    STATUS_SUCCESS,
    MibInitialNotification,
)
from emu.codes.netio import KERNEL_CODES, USER_CODES, NetioCodes
from emu.devices.nic import MIB_IPINTERFACE_ROW
from emu.kernel.irql import DISPATCH_LEVEL
from emu.win32 import CRITICAL_SECTION, LONG, Api
from emu.win32.driver import KernelApi
from emu.win32.ntos_types import KEVENT, KIRQL, KSPIN_LOCK, WORK_QUEUE_ITEM
from emu.win32.ntoskrnl.base import DelayedWorkQueue, KernelMode, NotificationEvent
from emu.win32.types import HANDLE

Gen = Generator[Any, None, Any]
Key = tuple[int, int]

MAX_PROBED_INDEX: Final = 16
"""The enumeration asks for InterfaceIndex 1 to this (GetIpInterfaceTable is not modelled)."""
FAMILIES: Final = (AF_INET, AF_INET6)
DRIVER_GLOBALS: Final = "nic-scenarios: driver globals"
ENUMERATE: Final = (0, 0, 0)
"""The work item's marker for "enumerate the interfaces" (the initial notification)."""


def driver_globals(kapi: KernelApi) -> dict[str, Any]:
    """The globals of this run's monitor driver: one dict per simulation (kept by its kernel,
    as ``api.context.state`` is kept for an application), fresh for every run."""
    return kapi.k.device(DRIVER_GLOBALS, dict)


@dataclass
class Table:
    """The monitor's table: (Family, InterfaceLuid) -> (ticket, row, or None once removed)."""

    generation: LONG
    entries: dict[Key, tuple[int, MIB_IPINTERFACE_ROW | None]] = field(default_factory=dict)
    errors: list[int] = field(default_factory=list)
    """Codes GetIpInterfaceEntry returned that the monitor did not expect."""


def table_rows(table: Table) -> dict[Key, dict[str, int]]:
    """The interfaces the table holds, each row's members as the device keeps them."""
    return {
        key: {name: row.peek(name) for name in row._fields_}
        for key, (_, row) in sorted(table.entries.items())
        if row is not None
    }


Lock = Callable[[], Gen]
"""Acquires the table's lock; what it returns is passed to the matching ``Unlock``."""
Unlock = Callable[[Any], Gen]


@dataclass
class Monitor:
    """What the re-reads need: the surface, its codes, the table and its lock."""

    api: Any
    codes: NetioCodes
    table: Table
    lock: Lock
    unlock: Unlock

    def refresh(self, family: int, luid: int, index: int) -> Gen:
        """Re-read one interface (by LUID, or by index when the LUID is 0) into the table."""
        api, table = self.api, self.table
        held = yield from self.lock()
        ticket = table.generation.value + 1  # under the lock: a plain read and write
        table.generation.value = ticket
        yield from self.unlock(held)
        row = MIB_IPINTERFACE_ROW()
        yield from api.InitializeIpInterfaceEntry(row)
        row.Family = family
        row.InterfaceLuid = luid
        row.InterfaceIndex = index
        status = yield from api.GetIpInterfaceEntry(row)
        entry: MIB_IPINTERFACE_ROW | None
        if status == self.codes.success:
            key, entry = (family, row.InterfaceLuid), row
        elif status in (self.codes.not_found, ERROR_FILE_NOT_FOUND):
            if not luid:
                return  # an index the enumeration asked for: no interface there
            key, entry = (family, luid), None
        else:
            table.errors.append(status)
            return
        held = yield from self.lock()
        if table.entries.get(key, (0, None))[0] < ticket:
            table.entries[key] = (ticket, entry)
        yield from self.unlock(held)

    def enumerate(self) -> Gen:
        for index in range(1, MAX_PROBED_INDEX + 1):
            for family in FAMILIES:
                yield from self.refresh(family, 0, index)

    def handle(self, row: MIB_IPINTERFACE_ROW | None, notification_type: int) -> Gen:
        """What a callback does at PASSIVE_LEVEL."""
        if notification_type == MibInitialNotification:
            yield from self.enumerate()
        elif row is not None:
            # Only the key members: the rest of the row is incomplete (F3.10).
            yield from self.refresh(row.Family, row.InterfaceLuid, row.InterfaceIndex)


# -- the driver ----------------------------------------------------------------------------


def monitor_driver(kapi: KernelApi) -> Callable[..., Gen]:
    """The interface monitor as a driver (DriverEntry; DriverUnload cancels)."""
    lock = KSPIN_LOCK()
    idle = KEVENT()  # signalled while the work item is not queued
    item = WORK_QUEUE_ITEM()
    handle = HANDLE(value=0)
    generation = LONG(value=0)
    pending: deque[tuple[int, int, int]] = deque()
    queued = [False]
    table = Table(generation)
    globals_ = driver_globals(kapi)
    globals_["table"] = table

    def acquire() -> Gen:
        """The spin lock, from PASSIVE_LEVEL or at DISPATCH_LEVEL; returns the old IRQL's box
        (None at DISPATCH_LEVEL)."""
        irql = yield from kapi.KeGetCurrentIrql()
        if irql >= DISPATCH_LEVEL:
            yield from kapi.KeAcquireSpinLockAtDpcLevel(lock)
            return None
        old = KIRQL(value=0)
        yield from kapi.KeAcquireSpinLock(lock, old)
        return old

    def release(old: KIRQL | None) -> Gen:
        if old is None:
            yield from kapi.KeReleaseSpinLockFromDpcLevel(lock)
        else:
            yield from kapi.KeReleaseSpinLock(lock, old.value)

    monitor = Monitor(kapi, KERNEL_CODES, table, acquire, release)

    def drain(parameter: Any) -> Gen:
        """The work item, at PASSIVE_LEVEL: re-read what the callbacks queued."""
        while True:
            held = yield from acquire()
            if not pending:
                queued[0] = False
                yield from kapi.KeSetEvent(idle, 0, False)
                yield from release(held)
                return
            family, luid, index = pending.popleft()
            yield from release(held)
            if (family, luid, index) == ENUMERATE:
                yield from monitor.enumerate()
            else:
                yield from monitor.refresh(family, luid, index)

    def on_change(context: Any, row: Any, notification_type: int) -> Gen:
        irql = yield from kapi.KeGetCurrentIrql()
        if irql < DISPATCH_LEVEL:
            yield from monitor.handle(row, notification_type)
            return
        # DISPATCH_LEVEL: no GetIpInterfaceEntry here; hand the work to a work item.
        if notification_type == MibInitialNotification:
            what = ENUMERATE
        else:
            what = (row.Family, row.InterfaceLuid, row.InterfaceIndex)
        held = yield from acquire()
        pending.append(what)
        if not queued[0]:
            queued[0] = True
            yield from kapi.KeClearEvent(idle)
            yield from kapi.ExQueueWorkItem(item, DelayedWorkQueue)
        yield from release(held)

    def driver_unload(driver_object: Any) -> Gen:
        globals_["cancel"] = yield from kapi.CancelMibChangeNotify2(handle.value)
        yield from kapi.KeWaitForSingleObject(idle, 0, KernelMode, False, None)

    def driver_entry(driver_object: Any, registry_path: str) -> Gen:
        for name, memory in (("lock", lock), ("idle", idle), ("item", item), ("handle", handle)):
            memory.bind(kapi.k, f"monitor.{name}")  # named in the trace as a C global is
        generation.bind(kapi.k, "monitor.generation")
        yield from kapi.KeInitializeSpinLock(lock)
        yield from kapi.KeInitializeEvent(idle, NotificationEvent, True)
        yield from kapi.ExInitializeWorkItem(item, drain, None)
        status = yield from kapi.NotifyIpInterfaceChange(AF_UNSPEC, on_change, None, True, handle)
        if status != STATUS_SUCCESS:
            return status  # a failed DriverEntry is never unloaded: nothing to cancel
        driver_object.DriverUnload = driver_unload
        return STATUS_SUCCESS

    return driver_entry


# -- the application -----------------------------------------------------------------------


def monitor_app(api: Api) -> Gen:
    """The interface monitor as an application: registers, follows the changes until the
    scenario's ``$stop`` event is set, cancels. Its table is ``api.context.state["table"]``."""
    state = api.context.state
    stop = api.context.names["stop"]
    cs = CRITICAL_SECTION()
    handle = HANDLE(value=0)
    generation = LONG(value=0)
    for name, memory in (("cs", cs), ("handle", handle), ("generation", generation)):
        memory.bind(api.k, f"monitor.{name}")  # named in the trace as a C global is
    table = state["table"] = Table(generation)

    def enter() -> Gen:
        yield from api.EnterCriticalSection(cs)

    def leave(held: None) -> Gen:
        yield from api.LeaveCriticalSection(cs)

    monitor = Monitor(api, USER_CODES, table, enter, leave)

    def on_change(context: Any, row: Any, notification_type: int) -> Gen:
        yield from monitor.handle(row, notification_type)

    yield from api.InitializeCriticalSection(cs)
    status = yield from api.NotifyIpInterfaceChange(AF_UNSPEC, on_change, None, True, handle)
    if status != USER_CODES.success:
        yield from api.DeleteCriticalSection(cs)
        return status
    yield from api.WaitForSingleObject(stop, INFINITE)
    status = yield from api.CancelMibChangeNotify2(handle.value)
    state["cancel"] = status
    yield from api.DeleteCriticalSection(cs)  # no callback runs or will run: F3.11
    return status
