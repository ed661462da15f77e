"""Helpers for the NETIO property tests: a machine with adapters, a driver or application
threads on it, adapter changes played at given times, and the verdict of the run.

``user(programs)`` starts application threads (iphlpapi's functions on ``api``);
``driver(entry)`` loads a driver whose DriverEntry runs ``entry(kapi, unload)`` (``unload``
is a list the entry may append a DriverUnload body to: with ``unload=True`` it runs once
everything else is quiet). Both create the NETIO device with ``adapters`` before anything
runs, set the behaviour ``profile``, and play ``changes``: ``(at_ms, change)`` pairs, each
``change(nics)`` made by a timeline actor at that virtual time, as a scenario's ``nic.*``
actions are; a driver's run may arm ``faults`` (``no_memory``, ``invalid_handle``) for its
first registrations, as ``nic.fail_registration`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any, Final

from emu.devices.nic import NETIO_DEVICE, AdapterConfig, Netio, Nics, netio_of
from emu.kernel import Kernel, waits
from emu.kernel.actor import Actor, Park
from emu.kernel.chooser import ChoicePoint, Chooser
from emu.kernel.time import TICKS_PER_MS
from emu.kernel.trace import TraceTuple
from emu.properties.verdict import Status, verdict
from emu.win32 import Process
from emu.win32.driver import System
from emu.win32.ntos_types import KEVENT, LARGE_INTEGER
from emu.win32.ntoskrnl.base import NotificationEvent
from tests.support import Sim

STATUS_SUCCESS: Final = 0
ETH0: Final = AdapterConfig("eth0")
"""Dual stack (IPv4 and IPv6), present."""
WLAN: Final = AdapterConfig("wlan", present=False)
"""Dual stack, absent until a change makes it arrive."""

Change = Callable[[Nics], Any]
Changes = Sequence[tuple[int, Change]]


class Timeline(Actor):
    """Makes each change at its time (milliseconds), as a scenario's world actor does."""

    __slots__ = ("done", "entries")

    TYPE = "World"
    KIND = "world"
    SYSTEM = True

    def __init__(self, k: Kernel, entries: Changes) -> None:
        super().__init__(k, "timeline", self._play())
        self.entries = tuple(entries)
        self.done = False

    @property
    def settled(self) -> bool:
        return self.done

    def _play(self) -> Generator[Park, None, None]:
        k = self.k
        for at_ms, change in self.entries:
            delay = at_ms * TICKS_PER_MS - k.now
            if delay > 0:
                yield from waits.wait(k, self, (), False, delay, False)
            if k.ready:
                yield from k.preempt("timeline", ())
            change(netio_of(k).nics)
        self.done = True


def machine(
    adapters: Iterable[AdapterConfig],
    profile: str,
    chooser: Chooser | None,
    changes: Changes,
    faults: Iterable[str] = (),
) -> Kernel:
    k = Kernel(chooser=chooser)
    k.profile = profile
    configs = tuple(adapters)
    device = k.device(NETIO_DEVICE, lambda: Netio(k, configs))
    device.faults.extend(faults)  # injected into the next registrations, in order
    if changes:
        k.spawn(Timeline(k, changes))
    return k


def user(
    programs: dict[str, Callable[[Any], Any]] | Callable[[Any], Any],
    *,
    adapters: Iterable[AdapterConfig] = (ETH0, WLAN),
    profile: str = "default",
    chooser: Chooser | None = None,
    changes: Changes = (),
) -> Sim:
    """Application threads (in dict order), run to the end."""
    if callable(programs):
        programs = {"main": programs}
    k = machine(adapters, profile, chooser, changes)
    process = Process(k)
    sim = Sim(k, process.api)
    for name, program in programs.items():
        sim.threads[name] = process.start(name, program)
    sim.reason = k.run(None)
    return sim


Entry = Callable[[Any, list[Callable[[], Any]]], Generator[Any, None, Any]]


def driver(
    entry: Entry,
    *,
    adapters: Iterable[AdapterConfig] = (ETH0, WLAN),
    profile: str = "default",
    chooser: Chooser | None = None,
    changes: Changes = (),
    faults: Iterable[str] = (),
    unload: bool = False,
) -> Sim:
    """A driver whose DriverEntry runs ``entry(kapi, unload_steps)`` and returns
    STATUS_SUCCESS; with ``unload`` its DriverUnload (running the bodies the entry appended to
    ``unload_steps``) is called once everything else is quiet."""
    k = machine(adapters, profile, chooser, changes, faults)

    def program(kapi: Any) -> Any:
        steps: list[Callable[[], Any]] = []

        def DriverUnload(DriverObject: Any) -> Generator[Any, None, None]:
            for step in steps:
                yield from step()

        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            DriverObject.DriverUnload = DriverUnload
            yield from entry(kapi, steps)
            return STATUS_SUCCESS

        return DriverEntry

    system = System(k)
    system.load("monitor", program)
    sim = Sim(k, None)  # type: ignore[arg-type]
    if unload:
        k.run(None, finish=False)
        system.unload("monitor")
    sim.reason = k.run(None)
    return sim


def ksleep(kapi: Any, ms: int) -> Generator[Any, None, None]:
    """A driver's wait of ``ms`` milliseconds (on an event nobody sets)."""
    ev = KEVENT()
    yield from kapi.KeInitializeEvent(ev, NotificationEvent, False)
    yield from kapi.KeWaitForSingleObject(
        ev, 0, 0, False, LARGE_INTEGER(QuadPart=-ms * TICKS_PER_MS)
    )


class PickAt(Chooser):
    """Option ``index`` at every point whose label starts with ``prefix``; option 0 elsewhere."""

    strategy = "pick-at"

    def __init__(self, prefix: str, index: int) -> None:
        super().__init__()
        self.prefix = prefix
        self.index = index

    def pick(self, point: ChoicePoint) -> int:
        return self.index if point.label.startswith(self.prefix) else 0


def leave(name: str) -> Change:
    return lambda nics: nics.leave(name)


def arrive(name: str) -> Change:
    return lambda nics: nics.arrive(name)


def set_member(name: str, member: str, value: int) -> Change:
    return lambda nics: nics.set_member(name, member, value, None)


def events(sim: Sim) -> list[TraceTuple]:
    return list(sim.k.trace.events)


def status(sim: Sim, pid: str, profile: str | None = None) -> Status:
    """The status of ``pid`` in the verdict of the run (under the run's profile)."""
    found = verdict(events(sim), profile=profile or sim.k.profile).status(pid)
    assert found is not None, pid
    return found


def messages(found: Status) -> list[str]:
    return [finding.message for finding in found.findings]
