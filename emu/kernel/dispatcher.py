"""The dispatcher: virtual time from simpy, scheduling by emu, every choice through the chooser.

simpy keeps the clock (integer 100-ns ticks) and the timers; emu owns the set of enabled actors
(threads and device processes) and resumes their generators itself. The rules:

- A choice is made only when two or more actors are enabled at the same instant. simpy's own
  ``(time, priority, id)`` order is never where an interleaving is decided: all timers due at an
  instant are processed first (each merely *enables* its actor), then the enabled actors run in
  the order the chooser picks.
- A non-blocking API call creates no simpy event. It is a scheduling point only when another
  actor is enabled (``k.ready`` is non-empty): then ``preempted`` asks the chooser whether the
  current thread goes on (option 0) or one of the ready actors runs first (``preempt`` is the
  same as a generator). A strategy that reads only the number of options is asked for an
  index (``Chooser.pick_index``) and only the chosen option's key is looked up, for the
  schedule and the ``choice`` event; a strategy that reads keys or footprints gets the whole
  ``ChoicePoint`` (``emu.kernel.chooser``).
- A blocking call parks the thread on the object it waits for; the object wakes it directly
  (``make_ready``), no simpy event involved. Only a timeout, a CPU burst or a device delay uses
  a simpy timer.
- The run ends when nothing is enabled and no timer is pending (quiescence), at a time limit, or
  by one of the bounds that make a runaway end with a report, never a hang or an
  out-of-memory (``emu.kernel.limits``): the step limit (API calls at one instant), the time
  budget (virtual time), the event budget (trace events) and the APC depth limit, each a
  violation naming the thread and its program position.

Nested routines (an APC inside an alertable wait) run on the actor's own stack of generators,
not on Python's (``emu.kernel.nest``): ``_step`` resumes ``actor.body``, the top of that
stack, and takes the slow path ``run_nested`` only when a generator yields ``Nest``, or
returns or raises with generators below it. The common step pays nothing for it.

Python's cyclic garbage collector is paused while ``run`` executes and resumed after: a run
creates almost no cyclic garbage (finished API-call generators are freed by reference
counting), while the trace grows by hundreds of thousands of tuples that each collection would
traverse again (measured: collections cost 40% of a traced run; bench/README.md).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any, Final

from emu.errors import EmuError, ProgramError, RunLimit, StepLimit
from emu.kernel import limits, position, waits
from emu.kernel.actor import ACTOR_EXIT, ACTOR_STATE, PARK, Actor, ActorState
from emu.kernel.choices import Choices
from emu.kernel.chooser import CanonicalChooser, Chooser
from emu.kernel.clock import Clock, Timer
from emu.kernel.limits import (
    DEFAULT_APC_DEPTH_LIMIT,
    DEFAULT_EVENT_BUDGET,
    DEFAULT_STEP_LIMIT,
    DEFAULT_TIME_BUDGET,
)
from emu.kernel.nest import Raised, Returned, run_nested
from emu.kernel.objects import KernelObject
from emu.kernel.registry import Registry
from emu.kernel.trace import (
    COMPACT_FROM,
    KERNEL_ACTOR,
    NO_CAUSE,
    RUN_END,
    VIOLATION,
    NullTrace,
    Trace,
    trace_kind,
)

ACTOR_CRASH = trace_kind(
    "actor.crash",
    ("error",),
    text="{o0} raised {error}",
    doc="A program raised a Python exception (a bug in the program, reported as ProgramError).",
)

ACTOR_BLOCKED = trace_kind(
    "actor.blocked",
    ("state", "on"),
    text="{o0} is still blocked at the end ({state}) on {on}",
    doc="At the end of the run the actor was still in a wait with no timeout pending, still "
    "suspended, or still spinning on a spin lock (a possible lost wake-up unless the scenario "
    "declares it blocks forever). A wait whose timeout is still pending at a time limit is "
    "not reported; an idle DPC processor or worker thread is not blocked.",
)

RUNNING: Final = ActorState.RUNNING
_RUNNING: Final = (RUNNING._value_,)  # the actor.state payload: a plain str, one shared tuple

ENDED_DONE: Final = "all threads done"
ENDED_QUIESCENT: Final = "quiescent"
ENDED_TIME: Final = "time limit"


class Kernel(Registry, Choices):
    """The simulated executive: clock, dispatcher, chooser, trace; ids and handle tables come
    from ``Registry``, the decisions and scheduling points from ``Choices``."""

    def __init__(
        self,
        *,
        processors: int = 1,
        chooser: Chooser | None = None,
        trace: bool = True,
        step_limit: int = DEFAULT_STEP_LIMIT,
        time_budget: int | None = DEFAULT_TIME_BUDGET,
        event_budget: int | None = DEFAULT_EVENT_BUDGET,
        apc_depth_limit: int = DEFAULT_APC_DEPTH_LIMIT,
    ) -> None:
        if processors < 1:
            raise ValueError(f"processors must be at least 1, not {processors}")
        self.clock = Clock()
        self.env = self.clock.env
        self.trace: Trace = Trace(self.env) if trace else NullTrace(self.env)
        self.tracing = trace
        self.emit = self.trace.emit
        self.chooser: Chooser = chooser if chooser is not None else CanonicalChooser()
        self.processors = processors
        self.step_limit = step_limit
        self.time_budget = time_budget
        """Ticks of virtual time the run may reach (None: no budget)."""
        self.event_budget = event_budget
        """Trace events (API calls untraced) the run may record (None: no budget)."""
        self.apc_depth_limit = apc_depth_limit
        """How deep user-mode APC deliveries may nest on one thread."""
        self.locate: position.Locate | None = None
        """Finds a program position in an actor's frames for the reports of the limits (the
        scenario layer's finds compiled steps); None: Python programs only."""
        self.ready: list[Actor] = []
        self.current: Actor | None = None
        self.actors: list[Actor] = []
        self.cpus_busy = 0
        self.cpu_queue: list[Actor] = []
        self.calls = 0
        self.end_reason = ""
        self._next: Actor | None = None
        self.instant_calls = 0
        self.profile = "default"
        """The behaviour profile (``machine.profile``) devices consult where releases differ."""
        self.latency: dict[str, tuple[int, int]] = {}
        """Latency ranges in ticks by name (``machine.latency``); devices have defaults."""
        self.stop_when: Callable[[], bool] | None = None
        """Checked whenever the current instant has nothing left to run: True ends the run
        (reason "all threads done") before virtual time advances further."""
        super().__init__()

    # -- identity -----------------------------------------------------------------------------

    @property
    def now(self) -> int:
        """Virtual time in 100-ns ticks."""
        return int(self.env._now)

    def violation(self, rule: str, message: str, objects: tuple[int, ...] = ()) -> int:
        """Record a rule broken while the run happens (catalogue id ``rule``)."""
        return self.emit(self.actor_id(), VIOLATION, objects, (rule, message))

    # -- timers -------------------------------------------------------------------------------

    def call_later(self, delay: int, fn: Callable[[Any], None], arg: Any) -> Timer:
        """Call ``fn(arg)`` after ``delay`` ticks (from the clock, not from any actor)."""
        return self.clock.call_later(delay, fn, arg)

    # -- scheduling ---------------------------------------------------------------------------

    def spawn(self, actor: Actor, *, suspended: bool = False) -> None:
        """Register a new actor; it is enabled at once unless created suspended."""
        self.actors.append(actor)
        if suspended:
            self.set_state(actor, ActorState.SUSPENDED)
        else:
            self.emit(self.actor_id(), ACTOR_STATE, (actor.oid,), ("READY",))
            actor.queued = True
            self.ready.append(actor)

    def make_ready(self, actor: Actor) -> None:
        """Enable ``actor`` at this instant (idempotent)."""
        if not actor.queued:
            actor.queued = True
            self.ready.append(actor)

    def set_state(self, actor: Actor, state: ActorState, cause: int = NO_CAUSE) -> None:
        if actor.state is not state:
            actor.state = state
            if self.tracing:
                self.emit(self.actor_id(), ACTOR_STATE, (actor.oid,), (state._value_,), cause)

    def note_call(self) -> None:
        """Count an API call; too many at one instant means virtual time stopped advancing.

        The Win32 layer inlines the two increments and calls ``step_limit_reached`` itself.
        """
        self.calls += 1
        self.instant_calls += 1
        if self.instant_calls > self.step_limit:
            self.step_limit_reached()

    def note_step(self) -> None:
        """Count a step that is not an API call (a scripted loop's round) toward the step
        limit, so a loop that never lets virtual time advance still ends the run."""
        self.instant_calls += 1
        if self.instant_calls > self.step_limit:
            self.step_limit_reached()

    def step_limit_reached(self) -> None:
        if self.instant_calls > self.step_limit:
            raise StepLimit(limits.step_limit_message(self))

    # -- the run loop -------------------------------------------------------------------------

    def run(self, until: int | None = None, *, finish: bool = True) -> str:
        """Run until quiescence, ``until`` (ticks) or a limit (``limits``); returns the reason.

        With ``finish`` (the default) the run is over: what is left undone is reported
        (``actor.blocked``, ``apc.undelivered``), ``run.end`` is recorded and a replaying
        chooser checks that its whole schedule was used. ``finish=False`` lets a caller step
        through a run in slices.
        """
        ready = self.ready
        collecting = gc.isenabled()
        if collecting:
            gc.disable()
        try:
            while True:
                actor = self._next
                if actor is not None:
                    self._next = None
                elif ready:
                    if len(ready) == 1:
                        actor = ready.pop()
                    else:
                        index = self.choose_actor("dispatch", ready, self._ready_footprints)
                        actor = ready.pop(index)
                    actor.queued = False
                else:
                    reason = self._advance(until)
                    if reason:
                        break
                    continue
                self._step(actor)
        except RunLimit as limit:
            self.current = None
            reason = limit.REASON
            self.violation(limit.RULE, str(limit))
        finally:
            if collecting:
                gc.enable()
        self.end_reason = reason
        if finish:
            self.finish(reason)
            if len(self.trace.events) >= COMPACT_FROM:  # a long run: share equal values
                if collecting:
                    gc.disable()
                self.trace.compact()
                if collecting:
                    gc.enable()
        return reason

    def release(self) -> None:
        """Let a finished run's objects go now, by reference counting, rather than when the
        cyclic garbage collector finds them: the actors' program generators (whose frames
        refer back to the kernel) and everything the kernel holds are dropped. A campaign calls
        it for each run it does not keep; walking every discarded run's objects cost the
        collector about a tenth of an explored schedule (bench/README.md). Nothing of the run
        can be read afterwards."""
        for actor in self.actors:
            actor.stack.clear()
            del actor.body
        self.__dict__.clear()

    def finish(self, reason: str) -> None:
        """Report what is left undone, record ``run.end``, let the chooser check its schedule."""
        for actor in self.actors:
            stuck = waits.is_waiting(actor) and actor.wait_timer is None and not actor.settled
            if stuck or actor.state is ActorState.SUSPENDED:
                self.report_blocked(
                    actor, actor.state._value_, actor.wait_objects or actor.wait_shown
                )
            actor.at_end()
        for obj in self.end_reporters:
            obj.at_end()
        self.emit(KERNEL_ACTOR, RUN_END, (), (reason,))
        self.chooser.finish()

    def report_blocked(self, actor: Actor, state: str, on: tuple[KernelObject, ...]) -> None:
        """Record that ``actor`` ends the run unable to proceed (waiting, suspended, spinning)."""
        oids = tuple(o.oid for o in on)
        self.emit(KERNEL_ACTOR, ACTOR_BLOCKED, (actor.oid, *oids), (state, oids))

    def _advance(self, until: int | None) -> str:
        clock = self.clock
        if self.stop_when is not None and self.stop_when():
            return ENDED_DONE
        while True:
            if not clock.timers:
                return ENDED_DONE if all(a.settled for a in self.actors) else ENDED_QUIESCENT
            due = clock.next_due()
            if until is not None and due > until:
                clock.advance_to(until)
                return ENDED_TIME
            budget = self.time_budget  # a time limit (until) bounds time itself
            if budget is not None and until is None and due > budget:
                return limits.over_time_budget(self, budget)
            budget = self.event_budget
            if budget is not None and limits.events_counted(self) > budget:
                return limits.over_event_budget(self, budget)
            clock.fire_due()
            if self.ready:
                self.instant_calls = 0
                return ""

    def _step(self, actor: Actor) -> None:
        self.current = actor
        if actor.state is not RUNNING:
            actor.state = RUNNING
            if self.tracing:
                self.emit(actor.oid, ACTOR_STATE, actor.as_objects, _RUNNING)
        try:
            try:
                yielded = actor.body.send(None)
            except StopIteration as stop:  # a nested routine returned: resume the one below
                if not actor.stack:
                    raise
                yielded = Returned(stop.value)
            except BaseException as exc:  # a nested routine raised: throw it into the one below
                if not actor.stack:
                    raise
                yielded = Raised(exc)
            if yielded is not PARK:
                run_nested(actor, yielded, self.now)
        except StopIteration as stop:
            self._exit(actor, stop.value)
            return
        except (EmuError, AssertionError):
            raise
        except Exception as exc:
            self.emit(actor.oid, ACTOR_CRASH, (actor.oid,), (f"{type(exc).__name__}: {exc}",))
            raise ProgramError(
                f"thread {actor.name} raised {type(exc).__name__}: {exc}",
                thread=actor.name,
                time=self.now,
            ) from exc
        finally:
            self.current = None

    def _exit(self, actor: Actor, value: Any) -> None:
        self.current = actor
        try:
            code = actor.resolve_exit_code(value)
        except TypeError as exc:
            raise ProgramError(
                f"thread {actor.name} {exc}", thread=actor.name, time=self.now
            ) from None
        actor.exit_code = code
        actor.on_exit()
        actor.state = ActorState.TERMINATED
        cause = self.emit(actor.oid, ACTOR_EXIT, (actor.oid,), ("TERMINATED", code))
        waits.signal(self, actor, cause)
        self.current = None
        actor.dereference()

    def statistics(self) -> dict[str, int]:
        """Counters of the run so far."""
        return {
            "time": self.now,
            "trace_events": len(self.trace),
            "api_calls": self.calls,
            "choices": len(self.chooser.schedule),
            "actors": len(self.actors),
            "ready": len(self.ready),
            "timers": len(self.clock.timers),
        }
