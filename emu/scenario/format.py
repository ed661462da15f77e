"""The scenario format, version 1: its sections and their shapes.

::

    version: 1                    # required
    name: iocp-fan-out            # required: letters, digits, _ . -
    description: ...
    machine: {processors: 2, profile: default, latency: {...}}
    devices: {kernel: {events: {...}, ports: {...}}}
    shared: {counter: LONG, cs: CRITICAL_SECTION}      # memory every program sees
    handlers: {on_apc: {params: [dwData], steps: [...]}}
    threads: {main: {steps: [...]}, server: {python: programs:server, blocks_forever: true}}
    drivers: {filter: {entry: [...], routines: {...}}}
    timeline: [{at: 10ms, kernel.set_event: ready}]
    faults: [{between: [20ms, 40ms], probability: 0.25, kernel.post: {port: port, key: 9}}]
    run_until: 200ms              # or all_done, or quiescent (the default)
    limits: {time: 3600s, events: 2000000, steps_per_instant: 100000, apc_depth: 10000}
    expect: {end: all_done, exit_codes: {main: 0}, hold: all, violated: [], sometimes: []}
    explore: {strategy: pct, schedules: 2000, seed: 1, depth: 3}   # the budget of emu explore
    seed: 7                       # a random schedule with this seed (default: canonical)
    schedule: [[1, [thread, main]], ...]   # a recorded schedule to replay

``check_shape`` validates the layout; the compiler (``emu.scenario.loader``) then checks what
names mean. The JSON Schema ``emu schema`` prints is built from the same shapes
(``emu.scenario.schema``).
"""

from __future__ import annotations

from typing import Any, Final

from emu.scenario.devices import DEVICE_KINDS
from emu.scenario.nodes import Node
from emu.scenario.shape import (
    AnyValue,
    Bool,
    Choice,
    Duration,
    Either,
    Int,
    ListOf,
    MapOf,
    Name,
    Record,
    Shape,
    Str,
    is_text,
)

VERSION: Final = 1

PROFILES: Final[dict[str, str]] = {
    "default": "what real Windows was observed to do (today's Windows: as win8plus)",
    "win8plus": "Windows 8 and later: a second NotifyServiceStatusChange on a handle replaces "
    "the outstanding request",
    "win7": "Windows 7: a second NotifyServiceStatusChange on a handle with a request "
    "outstanding fails with ERROR_ALREADY_REGISTERED",
    "scm-per-service": "the seed page's literal reading: one outstanding notification request "
    "per service, whatever the handle",
    "sock-timeout-error": "ProcessSocketNotifications times out with ERROR_TIMEOUT (1460), as "
    "its timeoutMs text says, instead of the Return value section's WAIT_TIMEOUT (258)",
    "sock-strict-triggers": "a SOCK_NOTIFY_REGISTRATION must say SOCK_NOTIFY_TRIGGER_ONESHOT or "
    "SOCK_NOTIFY_TRIGGER_PERSISTENT; without either it fails (WSAEINVAL)",
    "sock-rereg-replaces": "re-registering a registered socket replaces its registration "
    "wholly: the new port and completion key take effect",
    "netio-dispatch": "NETIO callbacks of drivers run at DISPATCH_LEVEL (serialized), where a "
    "wait or a PASSIVE_LEVEL call is a bug check; by default they run at PASSIVE_LEVEL",
    "netio-overlap": "callbacks of one NotifyIpInterfaceChange registration may run at once "
    "(two workers per registration), as a field report observed, despite 'serialized'",
    "netio-literal-codes": "kernel-mode NETIO returns the page's ERROR_INVALID_HANDLE literally, "
    "the Win32 value 6 (which NT_SUCCESS accepts), instead of STATUS_INVALID_HANDLE",
    "peerdist-ex-pending": "PeerDistRegisterForStatusChangeNotificationEx returns "
    "ERROR_IO_PENDING on success, as the non-Ex call does, instead of its page's ERROR_SUCCESS",
}
"""Behaviour profiles by name; the subsystems that depend on a release add theirs."""

LATENCY_KEYS: dict[str, str] = {}
"""Latency ranges a scenario may set (``machine.latency``), by name; devices register theirs
(the SCM's ``rpc`` comes with the SCM)."""

END_REASONS: Final[dict[str, str]] = {
    "all_done": "all threads done",
    "quiescent": "quiescent",
    "time_limit": "time limit",
    "step_limit": "step limit",
    "time_budget": "time budget",
    "event_budget": "event budget",
    "apc_depth_limit": "apc depth limit",
}
"""``expect.end`` words and the run-end reasons they stand for."""

RUN_UNTIL_WORDS: Final = ("all_done", "quiescent")
MAX_PROCESSORS: Final = 64


class Steps(Shape):
    """A list of steps; checked by the step compiler, published by ``emu.scenario.schema``."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.description = f"a list of {mode}-mode steps"

    def check(self, node: Node) -> None:
        return  # the compiler checks steps, with their meaning

    def json(self) -> dict[str, Any]:
        return {"$ref": f"#/$defs/{self.mode}_steps"}


DECLARATION: Final = AnyValue("a structure type, or {type: TYPE, field: value, count: N}")
DECLARATIONS: Final = MapOf(DECLARATION, description="structures, by variable name")
PYTHON: Final = Str(
    "a Python program: module:function", pattern=r"[A-Za-z_][A-Za-z0-9_.]*:[A-Za-z_][A-Za-z0-9_]*"
)
PARAMS: Final = ListOf(Name("a parameter name"))

MACHINE: Final = Record(
    {
        "processors": Int(1, MAX_PROCESSORS, f"the number of processors, 1 to {MAX_PROCESSORS}"),
        "profile": Choice(tuple(PROFILES), "a behaviour profile"),
        "latency": MapOf(
            ListOf(Duration(), low=2, high=2),
            description="latency ranges [low, high] by name",
            key="latency name",
        ),
    },
    description="the machine",
)

HANDLER: Final = Record(
    {
        "params": PARAMS,
        "locals": DECLARATIONS,
        "steps": Steps("user"),
        "python": PYTHON,
        "module": Str("the DLL its code is in (kernel.unload_module unloads it)"),
    },
    description="a handler (steps: or python:)",
)

THREAD: Final = Record(
    {
        "steps": Steps("user"),
        "python": PYTHON,
        "locals": DECLARATIONS,
        "blocks_forever": Bool(),
        "impersonating": Bool(),
    },
    description="a thread (steps: or python:)",
)

ROUTINE: Final = Record(
    {"params": PARAMS, "locals": DECLARATIONS, "steps": Steps("kernel"), "python": PYTHON},
    description="a kernel-mode routine (steps: or python:)",
)

DRIVER: Final = Record(
    {
        "entry": Steps("kernel"),
        "unload": Steps("kernel"),
        "routines": MapOf(ROUTINE, description="DPC routines and work-item callbacks, by name"),
        "locals": DECLARATIONS,
        "python": PYTHON,
    },
    description="a driver (entry: or python:)",
)


def _a_word(node: Node) -> bool:
    """A run_until value meant as a word (all_done, quiescent, or a misspelling of one), not
    a duration: text that does not start with a digit."""
    return is_text(node) and not str(node.plain())[:1].isdigit()


RUN_UNTIL: Final = Either(
    (_a_word, Choice(RUN_UNTIL_WORDS, "a run_until word (nor a duration such as 200ms)")),
    (lambda node: True, Duration()),
    description="a duration (200ms), all_done or quiescent",
)

PROPERTY_ID: Final = Str(
    "a property id such as kernel.lost_update (emu properties lists them)",
    pattern=r"[a-z0-9_]+\.[a-z0-9_]+",
)

EXPECT: Final = Record(
    {
        "end": Choice(tuple(END_REASONS), "how the run ends"),
        "exit_codes": MapOf(
            Int(0, 0xFFFFFFFF, "an exit code"), description="exit codes by thread", key="thread"
        ),
        "hold": Either(
            (lambda node: is_text(node) and node.plain() == "all", Choice(("all",))),
            (lambda node: True, ListOf(PROPERTY_ID)),
            description="all, or the property ids that must hold",
        ),
        "violated": ListOf(PROPERTY_ID),
        "intended": ListOf(PROPERTY_ID),
        "sometimes": ListOf(Str("the text of a note: step that must be seen")),
    },
    description="the expected outcome",
)

MAX_LIMIT: Final = 1_000_000_000
"""The largest count a scenario's ``limits:`` may set."""

LIMITS: Final = Record(
    {
        "time": Duration(),
        "events": Int(1, MAX_LIMIT, f"the event budget: trace events, 1 to {MAX_LIMIT:,}"),
        "steps_per_instant": Int(
            1, MAX_LIMIT, f"the step limit: API calls at one instant, 1 to {MAX_LIMIT:,}"
        ),
        "apc_depth": Int(
            1, MAX_LIMIT, f"the APC depth limit: nested APC deliveries, 1 to {MAX_LIMIT:,}"
        ),
    },
    description="the run's bounds (time budget, event budget, step limit, APC depth limit)",
)

STRATEGIES: Final = ("random", "pct")
"""Exploration strategies (``emu explore --strategy``, ``explore.strategy``)."""

EXPLORE: Final = Record(
    {
        "strategy": Choice(STRATEGIES, "an exploration strategy"),
        "schedules": Int(1, 10_000_000, "how many schedules to run at most"),
        "seed": Int(0, (1 << 64) - 1, "the seed of the campaign"),
        "depth": Int(1, 100, "PCT's bug depth: priority change points plus one"),
    },
    description="the exploration budget",
)

SCHEDULE: Final = ListOf(ListOf(AnyValue("a choice: [index, option key]"), low=2, high=2))


def devices_shape() -> Record:
    return Record(
        {name: kind.shape for name, kind in DEVICE_KINDS.items()},
        description="devices and their initial state",
        what="device",
    )


class TimedEntries(Shape):
    """Timeline or fault entries; checked by the compiler (actions come from the devices)."""

    def __init__(self, fault: bool) -> None:
        self.fault = fault
        self.description = "a list of faults" if fault else "a list of timeline events"

    def check(self, node: Node) -> None:
        return

    def json(self) -> dict[str, Any]:
        return {"$ref": "#/$defs/faults" if self.fault else "#/$defs/timeline"}


def top_shape() -> Record:
    return Record(
        {
            "version": Int(VERSION, VERSION, f"the format version: {VERSION}"),
            "name": Name("the scenario's name (letters, digits, _ . -)"),
            "description": Str("what the scenario shows"),
            "machine": MACHINE,
            "devices": devices_shape(),
            "shared": DECLARATIONS,
            "handlers": MapOf(HANDLER, description="handlers, by name", key="handler name"),
            "threads": MapOf(THREAD, description="threads, by name", key="thread name"),
            "drivers": MapOf(DRIVER, description="drivers, by name", key="driver name"),
            "timeline": TimedEntries(False),
            "faults": TimedEntries(True),
            "run_until": RUN_UNTIL,
            "limits": LIMITS,
            "expect": EXPECT,
            "explore": EXPLORE,
            "seed": Int(0, (1 << 64) - 1, "the seed of a random schedule"),
            "schedule": SCHEDULE,
        },
        required=("version", "name"),
        description="a scenario",
        what="section",
    )
