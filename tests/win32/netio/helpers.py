"""Helpers for the NETIO tests: a machine with adapters, a driver or programs on it, a timeline
of adapter changes, and readers of the netio.* events.

``kernel_sim(body)`` loads a driver whose DriverEntry runs ``body(kapi)`` (a generator) and
returns STATUS_SUCCESS; ``user_sim(programs)`` starts application threads, as
``tests.support.run`` does. Both create the NETIO device with ``adapters`` first, set the
behaviour ``profile`` before anything runs, and play ``world``: ``(at_ms, change)`` pairs, each
``change(nics)`` called by a timeline actor at that virtual time (what a scenario's
``nic.*`` actions do).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from typing import Any, Final

from emu.codes.netio import KERNEL_CODES, USER_CODES, NetioCodes
from emu.codes.winsock import AF_INET
from emu.devices.nic import NETIO_DEVICE, AdapterConfig, Netio, Nics, netio_of
from emu.kernel import Kernel, waits
from emu.kernel.actor import Actor, Park
from emu.kernel.chooser import ChoicePoint, Chooser
from emu.kernel.time import TICKS_PER_MS
from emu.win32 import Process
from emu.win32.driver import KernelApi, System
from emu.win32.ntos_types import KEVENT, LARGE_INTEGER
from emu.win32.ntoskrnl.base import NotificationEvent
from tests.support import Program, Sim

STATUS_SUCCESS: Final = 0

ETH0: Final = AdapterConfig("eth0")
"""Dual stack (IPv4 and IPv6), present: InterfaceIndex 11."""
V4ONLY: Final = AdapterConfig("v4only", families=(AF_INET,))
"""IPv4 only, present: InterfaceIndex 12."""
LATER: Final = AdapterConfig("later", present=False)
"""Dual stack, absent until the timeline makes it arrive: InterfaceIndex 13."""
ADAPTERS: Final = (ETH0, V4ONLY, LATER)

Change = Callable[[Nics], Any]
World = Sequence[tuple[int, Change]]


class Timeline(Actor):
    """Calls each change at its time (milliseconds), as a scenario's world actor does."""

    __slots__ = ("done", "entries")

    TYPE = "World"
    KIND = "world"
    SYSTEM = True

    def __init__(self, k: Kernel, entries: World) -> None:
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
    *,
    adapters: Iterable[AdapterConfig] = ADAPTERS,
    profile: str = "default",
    processors: int = 1,
    chooser: Chooser | None = None,
    world: World = (),
) -> Kernel:
    k = Kernel(processors=processors, chooser=chooser)
    k.profile = profile
    configs = tuple(adapters)
    k.device(NETIO_DEVICE, lambda: Netio(k, configs))
    if world:
        k.spawn(Timeline(k, world))
    return k


def kernel_sim(
    body: Callable[[Any], Generator[Any, None, Any]],
    *,
    adapters: Iterable[AdapterConfig] = ADAPTERS,
    profile: str = "default",
    processors: int = 1,
    chooser: Chooser | None = None,
    world: World = (),
    until: int | None = None,
) -> Sim:
    """A driver whose DriverEntry runs ``body(kapi)``; run to the end."""
    k = machine(
        adapters=adapters, profile=profile, processors=processors, chooser=chooser, world=world
    )

    def driver(kapi: Any) -> Any:
        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            yield from body(kapi)
            return STATUS_SUCCESS

        return DriverEntry

    System(k).load("test", driver)
    sim = Sim(k, None)  # type: ignore[arg-type]
    sim.reason = k.run(until)
    return sim


def user_sim(
    programs: dict[str, Program] | Program,
    *,
    adapters: Iterable[AdapterConfig] = ADAPTERS,
    profile: str = "default",
    processors: int = 1,
    chooser: Chooser | None = None,
    world: World = (),
    until: int | None = None,
) -> Sim:
    """Application threads (in dict order); run to the end."""
    if callable(programs):
        programs = {"main": programs}
    k = machine(
        adapters=adapters, profile=profile, processors=processors, chooser=chooser, world=world
    )
    process = Process(k)
    sim = Sim(k, process.api)
    for name, program in programs.items():
        sim.threads[name] = process.start(name, program)
    sim.reason = k.run(until)
    return sim


MODES: Final = ("kernel", "user")


def codes_of(mode: str) -> NetioCodes:
    return KERNEL_CODES if mode == "kernel" else USER_CODES


def sim_in(mode: str, body: Callable[[Any], Generator[Any, None, Any]], **options: Any) -> Sim:
    """``body(api)`` as a driver's DriverEntry (kernel) or an application thread (user)."""
    if mode == "kernel":
        return kernel_sim(body, **options)
    return user_sim(body, **options)


def is_kernel(api: Any) -> bool:
    """Whether ``api`` is a driver's surface (else an application's)."""
    return isinstance(api, KernelApi)


def sleep(api: Any, ms: int) -> Generator[Any, None, None]:
    """Wait ``ms`` milliseconds of virtual time in either mode."""
    if not is_kernel(api):
        yield from api.Sleep(ms)
        return
    ev = KEVENT()
    yield from api.KeInitializeEvent(ev, NotificationEvent, False)
    timeout = LARGE_INTEGER(QuadPart=-ms * TICKS_PER_MS)
    yield from api.KeWaitForSingleObject(ev, 0, 0, False, timeout)


class PickAt(Chooser):
    """Option ``index`` at every point whose label starts with ``prefix``; option 0 elsewhere."""

    strategy = "pick-at"

    def __init__(self, prefix: str, index: int) -> None:
        super().__init__()
        self.prefix = prefix
        self.index = index

    def pick(self, point: ChoicePoint) -> int:
        return self.index if point.label.startswith(self.prefix) else 0


# -- reading the trace -------------------------------------------------------------------------


def payloads(sim: Sim, kind: str) -> list[dict[str, Any]]:
    return [dict(e.payload) for e in sim.events(kind)]


def results(sim: Sim, name: str) -> list[Any]:
    return [e.payload["result"] for e in sim.api_calls(name)]


def callbacks(sim: Sim) -> list[tuple[str, str]]:
    """(type, interface) of every netio.callback, in order."""
    return [(str(p["type"]), str(p["interface"])) for p in payloads(sim, "netio.callback")]


def arrive(name: str) -> Change:
    return lambda nics: nics.arrive(name)


def leave(name: str) -> Change:
    return lambda nics: nics.leave(name)


def set_member(name: str, member: str, value: int, family: int | None = None) -> Change:
    return lambda nics: nics.set_member(name, member, value, family)
