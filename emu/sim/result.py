"""The Result of a run: the trace, the final state, what was left undone, and the expectation.

- ``threads``: each scenario thread's final state, exit code and last error;
- ``violations``: the rules broken while the run happened (``violation`` events);
- ``lost_wakeups``: threads still blocked at the end that the scenario did not declare
  ``blocks_forever``, each with what it waited on, since when, and the last event that touched
  those objects (the wake-up that came too early, went to someone else, or never came);
- ``undone``: what the run ended with still pending: undelivered APCs, queued packets,
  outstanding I/O, world actions that could not act;
- ``final_state()``: every object's state at the end, rebuilt from the trace.

Whether the run gives what the scenario expects is the properties layer's question
(``emu.properties.expectation.assess``): the verdict over the catalogue, compared with
``expect:``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

from emu.codes.winerror import win32_error_name
from emu.kernel.dispatcher import Kernel
from emu.kernel.thread import Thread
from emu.kernel.time import format_ticks
from emu.kernel.trace import TraceEvent
from emu.kernel.tracestate import World, last_touch, state_at
from emu.scenario.model import Scenario

UNDONE_KINDS: Final = ("apc.undelivered", "iocp.pending", "io.pending", "world.skip")


@dataclass(frozen=True, slots=True)
class ThreadOutcome:
    name: str
    state: str
    exit_code: int | None
    last_error: int
    blocks_forever: bool


@dataclass(frozen=True, slots=True)
class LostWakeup:
    """A thread blocked at the end of the run that was not meant to be."""

    thread: str
    state: str
    waiting_on: tuple[str, ...]
    since: int
    last_event: TraceEvent | None

    def text(self) -> str:
        on = ", ".join(self.waiting_on) or "nothing (a sleep or a dequeue)"
        what = (
            f"last touched by {self.last_event.actor} at {format_ticks(self.last_event.time)}: "
            f"{self.last_event.text()} (event #{self.last_event.seq})"
            if self.last_event is not None
            else "nothing ever signalled it"
        )
        return (
            f"{self.thread} still {self.state} on {on} since {format_ticks(self.since)}: a "
            f"possible lost wake-up; {what}"
        )


@dataclass
class Result:
    scenario: Scenario
    k: Kernel
    blocks_forever: tuple[str, ...]
    thread_actors: dict[str, Thread]
    strategy: dict[str, Any] = field(default_factory=dict)

    def release(self) -> None:
        """Free the run's memory at once (``Kernel.release``); the result cannot be read
        afterwards. For loops that judge a run and drop it (a campaign, shrinking)."""
        self.k.release()

    def __repr__(self) -> str:
        return (
            f"<Result {self.scenario.name}: {self.end_reason} at {format_ticks(self.end_time)}, "
            f"{len(self.k.trace)} trace events>"
        )

    def __str__(self) -> str:
        """How the run ended, each thread's outcome and what was left undone (the verdict is
        the properties layer's: ``emu.testing.run`` gives an Assessment that prints it)."""
        lines = [f"{self.scenario.name}: {self.summary()}"]
        lines.extend(f"   {line}" for line in self.thread_lines())
        lines.extend(f"   left undone (event #{e.seq}): {e.text()}" for e in self.undone)
        return "\n".join(lines)

    @property
    def thread_names(self) -> tuple[str, ...]:
        return tuple(self.thread_actors)

    @property
    def end_reason(self) -> str:
        return self.k.end_reason

    @property
    def end_time(self) -> int:
        return self.k.now

    @property
    def schedule(self) -> list[tuple[int, Any]]:
        return list(self.k.chooser.schedule)

    @cached_property
    def events(self) -> list[TraceEvent]:
        """The whole trace, readable (one object per event: ask only when all are needed)."""
        return self.k.trace.view()

    @cached_property
    def _names(self) -> dict[int, str]:
        return self.k.trace.names()

    def _view(self, kinds: tuple[str, ...]) -> list[TraceEvent]:
        """The readable events of ``kinds`` only: a run stopped by its event budget holds two
        million events, and viewing them all would cost a gigabyte and a minute."""
        names = self._names
        events = self.k.trace.events
        return [
            TraceEvent.from_tuple(seq, e, names) for seq, e in enumerate(events) if e[2] in kinds
        ]

    @cached_property
    def threads(self) -> list[ThreadOutcome]:
        return [
            ThreadOutcome(
                name,
                actor.state.value,
                actor.exit_code,
                actor.last_error,
                name in self.blocks_forever,
            )
            for name, actor in self.thread_actors.items()
        ]

    @cached_property
    def violations(self) -> list[TraceEvent]:
        return self._view(("violation",))

    @cached_property
    def undone(self) -> list[TraceEvent]:
        return self._view(UNDONE_KINDS)

    @cached_property
    def lost_wakeups(self) -> list[LostWakeup]:
        found: list[LostWakeup] = []
        watched = {t.oid: name for name, t in self.thread_actors.items()}
        for event in self._view(("actor.blocked",)):
            name = watched.get(event.object_ids[0])
            if name is None or name in self.blocks_forever:
                continue  # a driver's system thread, a worker: reported in the trace
            found.append(self._lost(event, name))
        return found

    def _lost(self, blocked: TraceEvent, name: str) -> LostWakeup:
        actor_id = blocked.object_ids[0]
        raw = self.k.trace.events
        since = 0
        for event in reversed(raw[: blocked.seq]):
            if event[2] == "thread.wait" and event[3][:1] == (actor_id,):
                since = event[0]
                break
        touch = last_touch(raw, blocked.seq, frozenset(blocked.object_ids[1:]), actor_id)
        last = TraceEvent.from_tuple(touch, raw[touch], self._names) if touch is not None else None
        return LostWakeup(name, str(blocked.payload["state"]), blocked.objects[1:], since, last)

    def final_state(self) -> World:
        return state_at(self.k.trace, len(self.k.trace.events) - 1)

    def summary(self) -> str:
        stats = self.k.statistics()
        return (
            f"{self.end_reason} at {format_ticks(self.end_time)}: {stats['trace_events']} trace "
            f"events, {stats['api_calls']} API calls, {stats['choices']} recorded choices"
        )

    def thread_lines(self) -> list[str]:
        lines: list[str] = []
        for t in self.threads:
            code = "-" if t.exit_code is None else str(t.exit_code)
            note = " (blocks forever by design)" if t.blocks_forever else ""
            lines.append(
                f"{t.name}: {t.state}, exit code {code}, last error "
                f"{win32_error_name(t.last_error)}{note}"
            )
        return lines
