"""A violation told as a story: the program's own steps and the world events that led to it.

An engineer reading a violation wants to map it back to C code, so the story keeps what the
program did (its API calls, its ``note:`` lines, its callbacks starting), what the world did
(timeline actions, faults), and the events the finding names — and drops the kernel's
bookkeeping. It is a causal slice of the trace:

1. start from the events the finding names (where the rule broke, and the events it relates);
2. add their causes, transitively (every trace event records the event that caused it);
3. the actors of those events, and the threads the named events are about, are the story's
   cast: add their own API calls, waits, notes and callback starts up to the last named
   event, and every world action before it;
3a. the memory a named event is about (the structure an ``assert:`` just read, a racy write)
   is watched: every write to it before the last named event is in the story, and the threads
   that wrote it join the cast, so the other side of a race shows with its own calls;
4. keep it short: past ``limit`` lines the oldest steps that are neither named nor causes are
   elided, and the story says how many.

Handles print as the names of the objects they refer to (``port`` rather than ``0x4``), codes
by name, threads by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from emu.kernel.time import format_ticks
from emu.kernel.trace import TraceEvent, TraceTuple
from emu.timeline.render import describe, describe_call

STEP_KINDS: Final = frozenset(
    ("api", "scenario.note", "apc.deliver", "dpc.run", "work.run", "thread.wait")
)
WORLD_KINDS: Final = frozenset(("world.action", "world.skip"))
MEMORY_WRITES: Final = frozenset(("mem.write", "mem.rmw"))
MEMORY_KINDS: Final = frozenset(("mem.read", "mem.write", "mem.rmw"))
DEFAULT_LIMIT: Final = 24


@dataclass(frozen=True, slots=True)
class StoryLine:
    """One line of a story: the event, when, who, what; ``named`` if the finding names it."""

    seq: int
    time: int
    actor: str
    text: str
    named: bool

    def render(self, actor_width: int = 0, time_width: int = 0) -> str:
        mark = ">" if self.named else " "
        when = format_ticks(self.time)
        actor = self.actor.ljust(actor_width)
        return f"{mark} #{self.seq:<5} {when:>{time_width}}  {actor}  {self.text}"


@dataclass(frozen=True, slots=True)
class Story:
    lines: tuple[StoryLine, ...]
    elided: int

    def render(self, indent: str = "  ") -> str:
        width = max((len(line.actor) for line in self.lines), default=0)
        times = max((len(format_ticks(line.time)) for line in self.lines), default=0)
        out = [f"{indent}({self.elided} earlier steps not shown)"] if self.elided else []
        out.extend(indent + line.render(width, times) for line in self.lines)
        return "\n".join(out)


def _watched_memory(events: list[TraceTuple], marked: set[int]) -> set[int]:
    """The structures the named events are about: a named memory access's structure, and what
    the named event's actor read at that instant just before it (an ``assert:`` reads the
    value it then checks)."""
    watched: set[int] = set()
    for seq in marked:
        time, actor, kind, objects, _p, _c = events[seq]
        if kind in MEMORY_KINDS and objects:
            watched.add(objects[0])
        back = seq - 1
        while back >= 0 and events[back][0] == time and events[back][1] == actor:
            if events[back][2] == "mem.read" and events[back][3]:
                watched.add(events[back][3][0])
            if events[back][2] == "api":
                break  # reads before the previous call belong to something else
            back -= 1
    return watched


def story(
    events: list[TraceTuple],
    names: dict[int, str],
    named: Iterable[int],
    *,
    limit: int = DEFAULT_LIMIT,
) -> Story:
    """The story of the events ``named`` (sequence numbers) in the trace ``events``."""
    marked = {seq for seq in named if 0 <= seq < len(events)}
    if not marked:
        return Story((), 0)
    last = max(marked)
    essential = set(marked)
    work = list(marked)
    while work:
        cause = events[work.pop()][5]
        if 0 <= cause < len(events) and cause not in essential:
            essential.add(cause)
            work.append(cause)
    cast = {events[seq][1] for seq in essential}
    for seq in marked:  # a thread a named event is about (the one left blocked) is cast too
        cast.update(events[seq][3])
    watched = _watched_memory(events, marked)
    chosen = set(essential)
    for seq, event in enumerate(events[: last + 1]):
        kind = event[2]
        if kind in MEMORY_WRITES and event[3][:1] and event[3][0] in watched:
            chosen.add(seq)
            cast.add(event[1])
    for seq, event in enumerate(events[: last + 1]):
        kind = event[2]
        if kind in WORLD_KINDS or (kind in STEP_KINDS and event[1] in cast):
            chosen.add(seq)
    ordered = sorted(chosen)
    elided = 0
    if len(ordered) > limit:
        optional = [seq for seq in ordered if seq not in essential]
        drop = set(optional[: len(ordered) - limit])
        elided = len(drop)
        ordered = [seq for seq in ordered if seq not in drop]
    wanted = set(ordered)
    handles: dict[int, str] = {}  # handle value -> object name, as bound at each step
    lines = []
    for seq, event in enumerate(events[: last + 1]):
        if event[2] == "handle.open":  # every namespace: kernel handles, SC_HANDLEs, ...
            handles[int(event[4][1])] = names.get(event[3][0], f"#{event[3][0]}")
        if seq not in wanted:
            continue
        view = TraceEvent.from_tuple(seq, event, names)
        text = describe_call(view, handles) if view.kind == "api" else describe(view)
        lines.append(StoryLine(seq, view.time, view.actor, text, seq in marked))
    return Story(tuple(lines), elided)
