"""``state_at``: the state of the whole world at any event, rebuilt from the trace alone.

Every state change of a kernel object, thread, lock, structure or device is a trace event that
carries the new state (the kind's ``state`` fields, for ``objects[0]``), so replaying the events
up to a sequence number rebuilds: every object with its type, name, liveness and state fields;
every open handle of every namespace; the fields of every client-visible structure; and each
thread's last error (from the ``error`` the API calls record); and the two thread states a
preemption's ``choice`` implies (the preempted thread READY, the chosen one RUNNING). Nothing
here knows a subsystem:
a new device's kinds declare their state fields and are rebuilt the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emu.kernel.trace import TRACE_KINDS, Trace, TraceTuple

SWITCH_STATES = ("READY", "RUNNING")
"""The states a switching ``choice`` implies for its two objects (docs/trace.md)."""


@dataclass(slots=True)
class ObjectState:
    """One object at a point of the run."""

    oid: int
    type: str
    name: str
    alive: bool = True
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class World:
    """Everything at event ``seq`` (inclusive), time ``time`` in ticks."""

    seq: int
    time: int
    objects: dict[int, ObjectState] = field(default_factory=dict)
    handles: dict[tuple[str, int], int] = field(default_factory=dict)

    def by_name(self, name: str) -> ObjectState:
        """The object displayed as ``name`` (the most recent one if the name was reused)."""
        found = [o for o in self.objects.values() if o.name == name]
        if not found:
            raise KeyError(name)
        return found[-1]


def state_at(trace: Trace | list[TraceTuple], seq: int) -> World:
    """The world just after event ``seq`` (``-1``: before the first event)."""
    events = trace.events if isinstance(trace, Trace) else trace
    world = World(seq=seq, time=0)
    for index, event in enumerate(events[: seq + 1]):
        apply_event(world, index, event)
    return world


def apply_event(world: World, seq: int, event: TraceTuple) -> None:
    """Advance ``world`` by one event, the trace's event number ``seq``."""
    time, actor, kind, objects, payload, _cause = event
    world.seq = seq
    world.time = time
    objs = world.objects
    if kind == "obj.create":
        objs[objects[0]] = ObjectState(objects[0], str(payload[0]), str(payload[1]))
        return
    if kind == "obj.destroy":
        if objects[0] in objs:
            objs[objects[0]].alive = False
        return
    if kind == "handle.open":
        world.handles[(str(payload[0]), int(payload[1]))] = objects[0]
        return
    if kind == "handle.close":
        world.handles.pop((str(payload[0]), int(payload[1])), None)
        return
    if kind == "mem.init":
        target = objs.get(objects[0])
        if target is not None:
            target.fields.update((str(n), v) for n, v in payload[0])
        return
    if kind in ("mem.write", "mem.rmw"):
        target = objs.get(objects[0])
        if target is not None:
            value = payload[1] if kind == "mem.write" else payload[3]
            target.fields[str(payload[0])] = value
        return
    if kind == "choice":  # a preemption that switched threads: (preempted, chosen)
        if len(objects) == 2:
            for oid, state in zip(objects, SWITCH_STATES, strict=True):
                thread = objs.get(oid)
                if thread is not None:
                    thread.fields["state"] = state
        return
    if kind == "api":
        error = payload[3]
        thread = objs.get(actor)
        if error is not None and thread is not None:
            thread.fields["last_error"] = error
        return
    schema = TRACE_KINDS.get(kind)
    if schema is None or not schema.state or not objects:
        return
    target = objs.get(objects[0])
    if target is None:
        return
    for name, value in zip(schema.fields, payload, strict=False):
        if name in schema.state:
            target.fields[name] = value


WAIT_BOOKKEEPING = frozenset(
    (
        "thread.wait",
        "thread.wake",
        "actor.state",
        "actor.blocked",
        "handle.open",
        "handle.close",
        "choice",  # a switch names the two threads: scheduling, not a touch
    )
)


def last_touch(
    events: list[TraceTuple], before: int, objects: frozenset[int], exclude_actor: int
) -> int | None:
    """The number of the last event before ``before`` that touched one of ``objects``, by
    another actor than ``exclude_actor`` and not wait bookkeeping: what could have woken a
    waiter on them."""
    if not objects:
        return None
    for seq in range(min(before, len(events)) - 1, -1, -1):
        event = events[seq]
        if (
            event[1] != exclude_actor
            and event[2] not in WAIT_BOOKKEEPING
            and not objects.isdisjoint(event[3])
        ):
            return seq
    return None
