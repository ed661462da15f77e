"""A compiled scenario: immutable, built once at load, shared by every run made from it.

Everything that varies per run (memory, handles, threads) is created by the factories it holds
when a Simulation is built; nothing here is copied or re-read per run. ``SimContext`` is what
those factories and the timeline's actions see of a simulation being built or run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel
    from emu.kernel.objects import KernelObject
    from emu.kernel.thread import Thread
    from emu.win32.api import Api
    from emu.win32.driver import System


class SimContext(Protocol):
    """The parts of a Simulation a compiled scenario uses."""

    k: Kernel
    api: Api
    system: System
    machine: Machine
    shared: dict[str, Any]
    objects: dict[str, KernelObject]
    threads: dict[str, Thread]


Setup = Callable[[SimContext], None]
Action = Callable[[SimContext], "str | None"]
"""A world action; returns why it did nothing (a closed port, an exited thread), or None."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where something was declared: for messages and reports."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class ProgramSpec:
    """A thread (or a driver) of the scenario and how to make its program for one run."""

    name: str
    kind: str  # "thread" or "driver"
    source: str  # "steps" or "module:function"
    blocks_forever: bool
    make: Callable[[SimContext], Callable[..., Any]]
    position: Position
    impersonating: bool = False  # a thread without THREAD_SET_CONTEXT on itself


@dataclass(frozen=True, slots=True)
class TimedAction:
    """A world event of the timeline, or an injected fault.

    ``at`` is when it may happen; with ``until`` the chooser picks an instant in
    ``[at, until]``; with ``probability`` below 1 the chooser decides whether it happens at all
    (option 0: it does not). ``label`` is the action as written (``kernel.set_event: ready``).
    """

    at: int
    until: int | None
    probability: float
    label: str
    run: Action
    position: Position
    fault: bool


@dataclass(frozen=True, slots=True)
class Machine:
    processors: int = 1
    profile: str = "default"
    latency: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PropertyRef:
    """A property id as written in ``expect:`` (checked against the catalogue by the layer
    that owns it, with this position in the message)."""

    id: str
    position: Position
    path: str


@dataclass(frozen=True, slots=True)
class Expectation:
    """What the run must show (``expect:``); None fields are not checked.

    ``hold``: the properties that must hold (None: all of them, the default); ``violated``:
    the properties the run must violate (a scenario demonstrating a bug); ``intended``: client
    rules, liveness rules or hazards the scenario breaks on purpose (a documented discard, a
    handle left open): reported as intended, never a failure, not required; ``sometimes``:
    texts of ``note:`` steps that must be seen at least once.
    """

    end: str | None = None
    exit_codes: dict[str, int] = field(default_factory=dict)
    hold: tuple[str, ...] | None = None
    violated: tuple[str, ...] = ()
    sometimes: tuple[str, ...] = ()
    intended: tuple[str, ...] = ()
    refs: tuple[PropertyRef, ...] = ()


@dataclass(frozen=True, slots=True)
class ExploreBudget:
    """``explore:``: how ``emu explore`` searches this scenario unless the command line says
    otherwise."""

    strategy: str = "random"
    schedules: int = 1000
    seed: int = 0
    depth: int = 3


@dataclass(frozen=True, slots=True)
class Limits:
    """``limits:``: the bounds of every run of the scenario (``emu.kernel.limits``).

    ``time``: the time budget in ticks; ``events``: the event budget; ``steps_per_instant``:
    the step limit; ``apc_depth``: the APC depth limit. None: the kernel's default (one hour,
    2,000,000 events, 100,000 calls at one instant, 10,000 levels).
    ``emu.sim.simulation.with_limits`` overrides them (the command line).
    """

    time: int | None = None
    events: int | None = None
    steps_per_instant: int | None = None
    apc_depth: int | None = None


RUN_UNTIL_DONE = "all_done"
RUN_UNTIL_QUIESCENT = "quiescent"


@dataclass(frozen=True, slots=True)
class Scenario:
    """A loaded, validated and compiled scenario."""

    version: int
    name: str
    description: str
    file: str
    machine: Machine
    setup: tuple[Setup, ...]
    threads: tuple[ProgramSpec, ...]
    drivers: tuple[ProgramSpec, ...]
    timeline: tuple[TimedAction, ...]
    faults: tuple[TimedAction, ...]
    run_until: int | str
    expect: Expectation
    seed: int | None
    schedule: tuple[tuple[int, Any], ...] | None
    python: tuple[str, ...]  # the Python programs it runs (module:function)
    explore: ExploreBudget | None = None  # explore:, when the file has one
    limits: Limits = field(default_factory=Limits)  # limits:, the run's bounds

    @property
    def step_count(self) -> int:
        return len(self.threads) + len(self.drivers)

    def __repr__(self) -> str:
        return (
            f"<Scenario {self.name} ({self.file}): {len(self.threads)} thread(s), "
            f"{len(self.drivers)} driver(s), {len(self.timeline)} timeline event(s)>"
        )
