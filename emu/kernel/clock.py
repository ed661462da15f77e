"""Virtual time and timers: one simpy Environment, integer ticks, cancellable timers.

simpy keeps the clock; every delay in emu (a wait's timeout, a CPU burst, a device's latency)
is a ``Timer`` on it. A timer's callback never runs a thread: it only enables an actor, and the
dispatcher decides the order of everything enabled at an instant.

simpy cannot withdraw a scheduled event, so a cancelled timer stays in simpy's heap but leaves
``Clock.timers``; only live timers count as pending work, so a cancelled one never keeps a
quiescent run alive (and never fires its callback).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import Any

import simpy
from simpy.events import NORMAL


class Timer:
    """A pending timeout that calls ``fn(arg)`` unless cancelled first.

    The timer is itself the event simpy schedules: ``Environment.step`` reads only an event's
    ``callbacks`` (called with the event, then set to None) and ``_ok``, so one object and one
    heap push make a timer (a simpy ``Timeout`` and its own event would cost twice as much).
    """

    __slots__ = ("_ok", "arg", "callbacks", "clock", "due", "fn", "tid")

    def __init__(
        self, clock: Clock, tid: int, due: int, fn: Callable[[Any], None], arg: Any
    ) -> None:
        self.clock = clock
        self.tid = tid
        self.due = due
        self.fn = fn
        self.arg = arg
        self.callbacks: list[Callable[[Timer], None]] | None = [_fire]
        self._ok = True  # simpy: the event succeeded (a timer never fails)

    def cancel(self) -> None:
        self.clock.timers.pop(self.tid, None)


def _fire(timer: Timer) -> None:
    """simpy's callback of a due timer (a function, so the timer holds no bound method of
    itself: no reference cycle for the garbage collector)."""
    if timer.clock.timers.pop(timer.tid, None) is not None:
        timer.fn(timer.arg)


class Clock:
    """The simulation's clock: ``now`` in 100-ns ticks and the live timers."""

    __slots__ = ("_ids", "env", "timers")

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self.timers: dict[int, Timer] = {}
        self._ids = count(1)

    @property
    def now(self) -> int:
        return int(self.env._now)

    def call_later(self, delay: int, fn: Callable[[Any], None], arg: Any) -> Timer:
        """Call ``fn(arg)`` after ``delay`` ticks."""
        if delay < 0:
            raise ValueError(f"a timer cannot be due in the past (delay {delay})")
        env = self.env
        timer = Timer(self, next(self._ids), int(env._now) + delay, fn, arg)
        self.timers[timer.tid] = timer
        env.schedule(timer, NORMAL, delay)  # type: ignore[arg-type]  # duck-typed event
        return timer

    def pending_offsets(self) -> list[int]:
        """Due times of the live timers relative to now, in the order they were set (for a
        caller that makes a set of them, as ``latency_options`` does)."""
        now = int(self.env._now)
        return [timer.due - now for timer in self.timers.values()]

    def pending_times(self) -> list[int]:
        """Due times of the live timers, relative to now, ascending and distinct."""
        now = int(self.env._now)
        return sorted({t.due - now for t in self.timers.values()})

    def next_due(self) -> float:
        """The time of the next scheduled simpy event (live or cancelled); inf if none."""
        return float(self.env.peek())

    def advance_to(self, until: int) -> None:
        """Move the clock to ``until`` with nothing due before it (no-op when already there)."""
        if until > self.env.now:
            self.env.run(until=until)

    def fire_due(self) -> None:
        """Process every simpy event due at the next instant (each timer only enables)."""
        env = self.env
        due = env.peek()
        env.step()
        while env.peek() == due:
            env.step()
