"""A Simulation: one run of a compiled scenario under one chooser.

``Simulation(scenario)`` builds a fresh world from the scenario's factories (no copying, no
re-reading): the kernel with the machine's processors and the chosen strategy, the process
and its API, the devices' objects and the shared memory, the handlers, the threads (started in
the order the file lists them, all enabled at time 0), the drivers (each DriverEntry on its own
system thread) and the world actors of the timeline and the faults. ``run()`` runs it to the
scenario's ``run_until`` and returns a ``Result``.

The strategy: an explicit chooser if given; else a seeded random one with ``seed=``; else the
scenario's own: a replay of its ``schedule:`` or a random one with its ``seed:`` (a scenario
has one or the other, never both); else the canonical one. ``run_until: all_done`` ends the run
at the first instant every thread not declared ``blocks_forever``, and every driver's
DriverEntry, has finished (after that instant's enabled actors ran).

The run's bounds come from the scenario's ``limits:`` (the kernel's defaults where it sets
none; ``with_limits`` overrides them, as the command line does): the time budget, the event
budget and the step limit end a runaway with a report naming the thread and the step or
Python line it is at (``emu.kernel.limits``, ``emu.sim.locate``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from emu.kernel.chooser import CanonicalChooser, Chooser, RandomChooser, ReplayChooser
from emu.kernel.dispatcher import Kernel
from emu.kernel.limits import (
    DEFAULT_APC_DEPTH_LIMIT,
    DEFAULT_EVENT_BUDGET,
    DEFAULT_STEP_LIMIT,
    DEFAULT_TIME_BUDGET,
)
from emu.kernel.objects import KernelObject
from emu.kernel.thread import Thread
from emu.scenario.model import RUN_UNTIL_DONE, Limits, Scenario
from emu.sim.locate import locate_step
from emu.sim.result import Result
from emu.sim.world import WorldActor
from emu.win32.api import Api
from emu.win32.driver import System
from emu.win32.process import Process


def make_chooser(scenario: Scenario, seed: int | None = None) -> Chooser:
    if seed is not None:
        return RandomChooser(seed)
    if scenario.schedule is not None:
        return ReplayChooser(scenario.schedule)
    if scenario.seed is not None:
        return RandomChooser(scenario.seed)
    return CanonicalChooser()


class Simulation:
    """The kernel, process, devices and programs of one run."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        chooser: Chooser | None = None,
        seed: int | None = None,
        trace: bool = True,
    ) -> None:
        self.scenario = scenario
        self.machine = scenario.machine  # devices read their latency ranges here
        limits = scenario.limits
        self.k = Kernel(
            processors=scenario.machine.processors,
            chooser=chooser if chooser is not None else make_chooser(scenario, seed),
            trace=trace,
            step_limit=limits.steps_per_instant or DEFAULT_STEP_LIMIT,
            time_budget=_or(limits.time, DEFAULT_TIME_BUDGET),
            event_budget=_or(limits.events, DEFAULT_EVENT_BUDGET),
            apc_depth_limit=limits.apc_depth or DEFAULT_APC_DEPTH_LIMIT,
        )
        self.k.locate = locate_step
        self.k.profile = scenario.machine.profile
        self.k.latency = dict(scenario.machine.latency)
        self.process = Process(self.k)
        self.api: Api = self.process.api
        self.system = System(self.k)
        self.shared: dict[str, Any] = self.api.context.names  # $names; api.context
        self.objects: dict[str, KernelObject] = {}
        self.threads: dict[str, Thread] = {}
        for setup in scenario.setup:
            setup(self)
        for spec in scenario.threads:
            self.threads[spec.name] = self.process.start(
                spec.name, spec.make(self), impersonating=spec.impersonating
            )
        entries = [self.system.load(spec.name, spec.make(self)) for spec in scenario.drivers]
        if scenario.timeline:
            self.k.spawn(WorldActor(self.k, "world", self, scenario.timeline))
        for index, fault in enumerate(scenario.faults):
            self.k.spawn(WorldActor(self.k, f"fault{index + 1}", self, (fault,)))
        if scenario.run_until == RUN_UNTIL_DONE:
            threads = self.threads
            watched = [threads[s.name] for s in scenario.threads if not s.blocks_forever]
            self.k.stop_when = _all_terminated(watched + entries)

    def run(self) -> Result:
        until = self.scenario.run_until
        self.k.run(until if isinstance(until, int) else None)
        return Result(
            scenario=self.scenario,
            k=self.k,
            blocks_forever=tuple(s.name for s in self.scenario.threads if s.blocks_forever),
            thread_actors=dict(self.threads),
            strategy=self.k.chooser.describe(),
        )


def with_limits(
    scenario: Scenario,
    *,
    time: int | None = None,
    events: int | None = None,
    steps: int | None = None,
    apc_depth: int | None = None,
) -> Scenario:
    """``scenario`` with some of its ``limits:`` replaced (the others kept): ``time``, the
    time budget in ticks; ``events``, the event budget; ``steps``, the step limit (API calls
    at one instant); ``apc_depth``, the APC depth limit. What command-line options such as
    ``--max-time``, ``--max-events`` and ``--max-steps`` do. Raises ValueError for a bound
    below 1."""
    given = (("time", time), ("events", events), ("steps", steps), ("apc_depth", apc_depth))
    for name, value in given:
        if value is not None and value < 1:
            raise ValueError(f"the {name} limit must be at least 1, not {value}")
    old = scenario.limits
    limits = Limits(
        time=_or(time, old.time),
        events=_or(events, old.events),
        steps_per_instant=_or(steps, old.steps_per_instant),
        apc_depth=_or(apc_depth, old.apc_depth),
    )
    return replace(scenario, limits=limits)


def _all_terminated(watched: list[Thread]) -> Callable[[], bool]:
    """Whether every thread of ``watched`` has terminated (asked at every instant)."""

    def all_terminated() -> bool:
        for thread in watched:  # noqa: SIM110 - a loop, not all(genexpr): no generator per call
            if not thread.terminated:
                return False
        return True

    return all_terminated


def _or(value: int | None, default: int | None) -> int | None:
    return value if value is not None else default


def run_scenario(scenario: Scenario, *, seed: int | None = None, trace: bool = True) -> Result:
    """Build and run one simulation of ``scenario``."""
    return Simulation(scenario, seed=seed, trace=trace).run()
