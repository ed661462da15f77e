"""Bounded runs: the step limit and the budgets on virtual time and on events.

A run ends with a report, never a hang or an out-of-memory. Four bounds, each an emu rule
(no Windows document speaks of them), each recorded as a liveness violation whose message
names what kept the run going: the thread, the function it is in and its program position
(``emu.kernel.position``), and ends the run with its own reason:

- the **step limit** (``kernel.step_limit``, "step limit"): more API calls (or scripted loop
  rounds) at one instant than ``Kernel.step_limit``: virtual time stopped advancing (a spin
  loop, a livelock). Checked at each call, where the call is counted anyway.
- the **time budget** (``kernel.time_budget``, "time budget"): the next timer is due after
  ``Kernel.time_budget`` ticks. A loop of ``Sleep(1)`` runs for ever in virtual time, one of
  ``Sleep(0x7FFFFFFF)`` jumps 24.8 days a round. The clock stops at the budget. A run's own
  time limit (``run(until)``, a scenario's ``run_until``) comes first: the budget only ends a
  run that has no earlier end.
- the **event budget** (``kernel.event_budget``, "event budget"): the trace holds more than
  ``Kernel.event_budget`` events (with the trace off, the API calls are counted instead, so an
  untraced run is bounded too, though not at the same point). Checked when virtual time is
  about to advance, never per event: a run may pass the budget by the events of one instant,
  which the step limit bounds.

- the **APC depth limit** (``kernel.apc_depth_limit``, "apc depth limit"): a delivery of
  user-mode APCs nested deeper than ``Kernel.apc_depth_limit`` on one thread. Nesting runs on
  the thread's own stack of generators (``emu.kernel.nest``), so depth costs no Python stack,
  but each level holds its routine's generators (about 5 KB for a routine written as steps):
  an APC that queues itself and waits alertably, with a Sleep between, would otherwise grow to
  hundreds of thousands of levels before the event budget stops it. The default, 10,000
  levels, is ten times the depth issue 11 asks to support and more than a real thread could
  reach: each nested delivery pushes at least a CONTEXT record (1,232 bytes on x64), so a
  default 1 MB stack overflows first. Checked when a delivery starts.

The defaults, measured on the shipped scenarios (scenarios/*/*.yaml: at most 0.15 s of
virtual time and 337 trace events) and the benchmarks (bench/kernel_vs_simpy.py records up to
about 460,000 events in 1 ms of virtual time): one hour of virtual time and 2,000,000 events,
four orders of magnitude over any shipped scenario and four times the largest benchmark run. A
runaway that records events as fast as it can (about 170,000 a second for a ``Sleep(1)``
loop) stops within about 12 seconds and about 0.5 GB of trace (263 bytes an event measured);
one that jumps through virtual time stops at its first timer past the hour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from emu.errors import ApcDepthLimit, StepLimit
from emu.kernel import position
from emu.kernel.actor import Actor
from emu.kernel.time import TICKS_PER_SECOND, format_ticks

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel

DEFAULT_STEP_LIMIT: Final = 100_000
"""API calls (and scripted loop rounds) at one instant before the run ends with "step limit"."""
DEFAULT_TIME_BUDGET: Final = 3600 * TICKS_PER_SECOND
"""Virtual time a run may reach, in ticks: one hour."""
DEFAULT_EVENT_BUDGET: Final = 2_000_000
"""Trace events a run may record."""
DEFAULT_APC_DEPTH_LIMIT: Final = 10_000
"""Nested user-mode APC deliveries one thread may reach."""

ENDED_STEPS: Final = StepLimit.REASON
ENDED_TIME_BUDGET: Final = "time budget"
ENDED_EVENT_BUDGET: Final = "event budget"
ENDED_APC_DEPTH: Final = ApcDepthLimit.REASON


def step_limit_message(k: Kernel) -> str:
    """The step limit's report, naming the running actor where it is."""
    return (
        f"{_running(k)}{k.instant_calls} API calls (or scripted loop rounds) at "
        f"{format_ticks(k.now)} without virtual time advancing (a spin loop or livelock); raise "
        "the step limit (limits: steps_per_instant:) if this is intended"
    )


def apc_depth_message(k: Kernel, depth: int) -> str:
    """The APC depth limit's report, naming the running thread where it is."""
    return (
        f"{_running(k)}user-mode APC delivery nested {depth} levels deep, more than the APC "
        f"depth limit of {k.apc_depth_limit} (an APC that waits alertably inside APCs that do, "
        "without end; a thread's default 1 MB stack holds far fewer); raise the APC depth "
        "limit (limits: apc_depth:) if this is intended"
    )


def _running(k: Kernel) -> str:
    """``thread main in SleepEx at loop.yaml:9:9: `` for the running actor, if any."""
    from emu.kernel.dispatcher import Kernel  # noqa: PLC0415 - imports this module

    actor = k.current
    if actor is None:
        return ""
    frames = position.live_frames(Kernel._step.__code__)
    return position.describe(actor, frames, k.locate) + ": "


def events_counted(k: Kernel) -> int:
    """What the event budget counts: trace events, or API calls when the trace is off."""
    return len(k.trace.events) if k.tracing else k.calls


def over_time_budget(k: Kernel, budget: int) -> str:
    """Stop the clock at ``budget`` and record why; the run's end reason."""
    k.clock.advance_to(budget)
    due, who, oids = next_timers(k)
    k.violation(
        "kernel.time_budget",
        f"virtual time reached the time budget of {format_ticks(budget)}: the next timer, due "
        f"at {format_ticks(due)}, wakes {who}; raise the time budget (limits: time:) if this "
        "is intended",
        oids,
    )
    return ENDED_TIME_BUDGET


def over_event_budget(k: Kernel, budget: int) -> str:
    """Record that the run passed its event budget; the run's end reason."""
    what = "trace events" if k.tracing else "API calls (the trace is off)"
    _due, who, oids = next_timers(k)
    k.violation(
        "kernel.event_budget",
        f"the run recorded {events_counted(k)} {what} by {format_ticks(k.now)}, more than the "
        f"event budget of {budget}; the next timer wakes {who}; raise the event budget "
        "(limits: events:) if this is intended",
        oids,
    )
    return ENDED_EVENT_BUDGET


def next_timers(k: Kernel) -> tuple[int, str, tuple[int, ...]]:
    """The earliest live timers: when they are due, what they wake (an actor where it is in
    its program, or a timer's callback by name) and the woken actors' ids."""
    timers = k.clock.timers
    due = min(t.due for t in timers.values())
    names: list[str] = []
    oids: list[int] = []
    for timer in timers.values():  # in creation order
        if timer.due != due:
            continue
        arg = timer.arg
        if isinstance(arg, Actor):
            names.append(position.describe(arg, position.suspended_frames(arg), k.locate))
            oids.append(arg.oid)
        else:
            names.append(f"the callback {position.callable_name(timer.fn)}")
    return due, "; ".join(names), tuple(oids)
