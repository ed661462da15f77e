"""Small helpers for tests: run a few programs on a fresh simulation and read the results."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from emu.kernel import Kernel
from emu.kernel.chooser import Chooser
from emu.kernel.thread import Thread
from emu.kernel.trace import TraceEvent
from emu.win32 import Api, Process

Program = Callable[[Api], Any]


@dataclass
class Sim:
    k: Kernel
    api: Api
    threads: dict[str, Thread] = field(default_factory=dict)
    reason: str = ""

    def events(self, kind: str | None = None) -> list[TraceEvent]:
        view = self.k.trace.view()
        return [e for e in view if kind is None or e.kind == kind]

    def api_calls(self, name: str | None = None) -> list[TraceEvent]:
        return [e for e in self.events("api") if name is None or e.payload["name"] == name]

    def violations(self) -> list[str]:
        return [str(e.payload["rule"]) for e in self.events("violation")]


def build(
    programs: dict[str, Program],
    *,
    processors: int = 1,
    chooser: Chooser | None = None,
    trace: bool = True,
) -> Sim:
    k = Kernel(processors=processors, chooser=chooser, trace=trace)
    process = Process(k)
    sim = Sim(k, process.api)
    for name, program in programs.items():
        sim.threads[name] = process.start(name, program)
    return sim


def run(
    programs: dict[str, Program] | Program,
    *,
    processors: int = 1,
    chooser: Chooser | None = None,
    until: int | None = None,
    trace: bool = True,
) -> Sim:
    """Start each program on its own thread (in dict order) and run to the end."""
    if callable(programs):
        programs = {"main": programs}
    sim = build(programs, processors=processors, chooser=chooser, trace=trace)
    sim.reason = sim.k.run(until)
    return sim


def calls(program: Callable[[Api, list[Any]], Any]) -> list[Any]:
    """Run ``program(api, log)`` on one thread and return what it appended to ``log``."""
    log: list[Any] = []
    run(lambda api: program(api, log))
    return log


def kinds(sim: Sim, wanted: Iterable[str]) -> list[str]:
    """The kinds of the events in ``wanted``, in trace order."""
    keep = set(wanted)
    return [e.kind for e in sim.events() if e.kind in keep]


def run_driver(
    driver: Callable[[Any], Any],
    *,
    processors: int = 1,
    chooser: Chooser | None = None,
    until: int | None = None,
    unload: bool = False,
) -> Sim:
    """Load ``driver`` (a factory ``driver(kapi)`` returning DriverEntry) and run; with
    ``unload``, its DriverUnload runs once everything else is quiet."""
    from emu.win32.driver import System

    k = Kernel(processors=processors, chooser=chooser)
    system = System(k)
    system.load("test", driver)
    sim = Sim(k, None)  # type: ignore[arg-type]
    if unload:
        k.run(until, finish=False)
        system.unload("test")
    sim.reason = k.run(until)
    return sim
