"""Driver programs: DriverEntry and DriverUnload as roles, on system threads at PASSIVE_LEVEL.

A driver program is a factory ``driver(kapi)`` returning its DriverEntry routine, written
against the kernel-mode surface it receives (``kapi``, ntoskrnl's exports)::

    def my_driver(kapi):
        def DriverUnload(DriverObject):
            ...
        def DriverEntry(DriverObject, RegistryPath):
            DriverObject.DriverUnload = DriverUnload
            return STATUS_SUCCESS
        return DriverEntry

``System.load`` runs DriverEntry(DriverObject, RegistryPath) on a new system thread ("DriverEntry
runs in a system thread context at IRQL = PASSIVE_LEVEL"); ``System.unload`` runs the
DriverUnload the driver set, on another system thread, as the I/O manager does when the driver
is unloaded. A DriverEntry that fails (an NTSTATUS that is not a success) leaves the driver
unloaded: its DriverUnload is never called. A driver is unloaded at most once; DriverEntry
must return an NTSTATUS (an int), anything else is a ProgramError.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from types import GeneratorType
from typing import Any

from emu.codes.ntstatus import nt_success
from emu.errors import ProgramError
from emu.kernel.actor import Park
from emu.kernel.dispatcher import Kernel
from emu.kernel.thread import Thread
from emu.kernel.trace import trace_kind, value_text
from emu.win32.netio import Netio
from emu.win32.ntos_types import DRIVER_OBJECT
from emu.win32.ntoskrnl import Ntoskrnl

DRIVER_LOAD = trace_kind(
    "driver.load",
    ("driver", "status"),
    text="DriverEntry of {driver} returns {status}",
    doc="A driver program's DriverEntry returned this NTSTATUS.",
)
DRIVER_UNLOAD = trace_kind(
    "driver.unload",
    ("driver",),
    text="DriverUnload of {driver} returned",
    doc="The driver's DriverUnload routine returned.",
)

DriverProgram = Callable[["KernelApi"], Callable[..., Any]]


class KernelApi(Ntoskrnl, Netio):
    """The kernel-mode surface a driver program receives: ntoskrnl's exports and netio's."""

    __slots__ = ("k", "process")

    def __init__(self, k: Kernel) -> None:
        self.k = k


class Driver:
    """A loaded (or failed) driver: its object and the status of its DriverEntry."""

    __slots__ = ("name", "obj", "status", "unloaded")

    def __init__(self, name: str) -> None:
        self.name = name
        self.obj = DRIVER_OBJECT(DriverName=name, DriverUnload=None, DriverExtension=None)
        self.status: int | None = None
        self.unloaded = False


class System:
    """The kernel-mode side of the machine: the drivers and the API they call."""

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self.kapi = KernelApi(k)
        self.drivers: dict[str, Driver] = {}

    def load(self, name: str, driver: DriverProgram, registry_path: str = "") -> Thread:
        """Start a system thread that runs the driver's DriverEntry."""
        loaded = self.drivers.get(name)
        if loaded is not None and not loaded.unloaded:
            raise ProgramError(f"driver {name} is already loaded", time=self.k.now)
        record = Driver(name)
        self.drivers[name] = record
        path = registry_path or f"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\{name}"

        def run() -> Generator[Park, None, int]:
            entry = driver(self.kapi)  # on the system thread: a failing factory is its crash
            record.obj.bind(self.k)
            status = yield from _call(entry, record.obj, path)
            if type(status) is not int:
                raise ProgramError(
                    f"DriverEntry of {name} returned {value_text(status)}; it returns an NTSTATUS",
                    thread=thread.name,
                    time=self.k.now,
                )
            record.status = status & 0xFFFFFFFF  # an NTSTATUS is a 32-bit LONG
            self.k.emit(self.k.actor_id(), DRIVER_LOAD, (), (name, record.status))
            return 0

        thread = Thread(self.k, f"DriverEntry({name})", run())
        self.k.spawn(thread)
        return thread

    def unload(self, name: str) -> Thread | None:
        """Start a system thread that runs the DriverUnload the driver registered, if any."""
        record = self.drivers.get(name)
        if record is None or record.status is None or not nt_success(record.status):
            return None
        if record.unloaded:
            return None
        record.unloaded = True
        routine = record.obj.peek("DriverUnload")
        if not callable(routine):
            return None

        def run() -> Generator[Park, None, int]:
            yield from _call(routine, record.obj)
            self.k.emit(self.k.actor_id(), DRIVER_UNLOAD, (), (name,))
            return 0

        thread = Thread(self.k, f"DriverUnload({name})", run())
        self.k.spawn(thread)
        return thread


def _call(routine: Callable[..., Any], *args: Any) -> Generator[Park, None, Any]:
    result = routine(*args)
    if isinstance(result, GeneratorType):
        result = yield from result
    return result
