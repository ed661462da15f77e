"""Helpers for the NETIO property tests: a machine with adapters, a driver or application
threads on it, adapter changes played at given times, and the verdict of the run.

``user(programs)`` starts application threads (iphlpapi's functions on ``api``);
``driver(entry)`` loads a driver whose DriverEntry runs ``entry(kapi, unload)`` (``unload``
is a list the entry may append a DriverUnload body to: with ``unload=True`` it runs once
everything else is quiet). Both create the NETIO device with ``adapters`` before anything
runs, set the behaviour ``profile``, and play ``changes``: ``(at_ms, change)`` pairs, each
``change(nics)`` made by a timeline actor at that virtual time, as a scenario's ``nic.*``
actions are; a driver's run may arm ``faults`` (``no_memory``, ``invalid_handle``) for its
first registrations, as ``nic.fail_registration`` does. The machine, its timeline actor,
the change makers and ``PickAt`` are ``tests.win32.netio.helpers``'.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from typing import Any, Final

from emu.devices.nic import AdapterConfig, netio_of
from emu.kernel import Kernel
from emu.kernel.chooser import Chooser
from emu.kernel.trace import TraceTuple
from emu.properties.verdict import Status, verdict
from emu.win32 import Process
from emu.win32.driver import System
from tests.support import Sim
from tests.win32.netio.helpers import (
    Change,
    PickAt,
    World,
    arrive,
    leave,
    set_member,
)
from tests.win32.netio.helpers import machine as netio_machine
from tests.win32.netio.helpers import sleep as ksleep  # a driver's wait: on an event nobody sets

__all__ = ["Change", "PickAt", "arrive", "ksleep", "leave", "set_member"]

STATUS_SUCCESS: Final = 0
ETH0: Final = AdapterConfig("eth0")
"""Dual stack (IPv4 and IPv6), present."""
WLAN: Final = AdapterConfig("wlan", present=False)
"""Dual stack, absent until a change makes it arrive."""

Changes = World
"""(at_ms, change) pairs the timeline makes (``tests.win32.netio.helpers.Timeline``)."""


def machine(
    adapters: Iterable[AdapterConfig],
    profile: str,
    chooser: Chooser | None,
    changes: Changes,
    faults: Iterable[str] = (),
) -> Kernel:
    k = netio_machine(adapters=adapters, profile=profile, chooser=chooser, world=changes)
    netio_of(k).faults.extend(faults)  # injected into the next registrations, in order
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


def events(sim: Sim) -> list[TraceTuple]:
    return list(sim.k.trace.events)


def status(sim: Sim, pid: str, profile: str | None = None) -> Status:
    """The status of ``pid`` in the verdict of the run (under the run's profile)."""
    found = verdict(events(sim), profile=profile or sim.k.profile).status(pid)
    assert found is not None, pid
    return found


def messages(found: Status) -> list[str]:
    return [finding.message for finding in found.findings]
