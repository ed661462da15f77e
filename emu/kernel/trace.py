"""The trace: every state change, call and choice of a run, as plain tuples in one list.

Properties, timelines, happens-before graphs, exports and replay all read the trace, so it is the
central data structure. On the hot path an event is a tuple appended to a list::

    (time, actor, kind, objects, payload, cause)

An event's sequence number (``seq``) is its index in the list and is stored nowhere else (schema
version 2; version 1 carried it as a first field). ``time`` is the virtual time in 100-ns ticks,
``actor`` the object id of the thread or device that acted (0: the kernel itself), ``kind`` a
short string declared with ``trace_kind``, ``objects`` the ids of the objects touched
(``objects[0]`` is the one whose state changes), ``payload`` a tuple of JSON scalars in the
order of the kind's ``fields`` and ``cause`` the ``seq`` of the event that caused this one (-1:
none), so happens-before edges are explicit.

Each kind declares which of its fields are the *new state* of ``objects[0]``; that is how
``emu.kernel.tracestate.state_at`` rebuilds the world at any event without knowing any subsystem. A
readable, frozen view (``TraceEvent``) is built only when asked for, and ``to_jsonl`` writes the
documented, versioned schema of docs/trace.md.
"""

from __future__ import annotations

import json
import marshal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, Protocol

TRACE_SCHEMA: Final = "emu.trace"
TRACE_SCHEMA_VERSION: Final = 2

TraceTuple = tuple[int, int, str, tuple[int, ...], tuple[Any, ...], int]
TIME, ACTOR, KIND, OBJECTS, PAYLOAD, CAUSE = range(6)
KERNEL_ACTOR: Final = 0
NO_CAUSE: Final = -1
COMPACT_FROM: Final = 1_000_000
"""A finished run's trace of at least this many events is compacted (``Trace.compact``)."""


@dataclass(frozen=True, slots=True)
class TraceKind:
    """The schema of one event kind.

    ``fields`` names the payload positions; ``state`` lists the fields that are the new state of
    ``objects[0]``; ``text`` is the template of the readable timeline (``str.format`` over the
    payload fields and ``objects``); ``doc`` says when the event is recorded.
    """

    name: str
    fields: tuple[str, ...]
    state: tuple[str, ...]
    text: str
    doc: str


TRACE_KINDS: dict[str, TraceKind] = {}
"""Every declared kind by name; filled once, at import, by the modules that emit them."""


def trace_kind(
    name: str,
    fields: tuple[str, ...] = (),
    *,
    state: tuple[str, ...] = (),
    text: str = "",
    doc: str = "",
) -> str:
    """Declare an event kind and return its name (the string emitted on the hot path)."""
    unknown = [f for f in state if f not in fields]
    if unknown:
        raise ValueError(f"trace kind {name}: state fields {unknown} are not payload fields")
    previous = TRACE_KINDS.get(name)
    kind = TraceKind(name, fields, state, text or name, doc)
    if previous is not None and previous != kind:
        raise ValueError(f"trace kind {name} declared twice with different schemas")
    TRACE_KINDS[name] = kind
    return name


OBJ_CREATE = trace_kind(
    "obj.create",
    ("type", "name"),
    text="create {type} {name}",
    doc="An object (kernel object, thread, device, structure) comes into existence; "
    "objects[0] is its id for the rest of the run.",
)
OBJ_DESTROY = trace_kind(
    "obj.destroy",
    ("reason",),
    text="destroy {o0} ({reason})",
    doc="An object's last handle and last reference are gone.",
)
VIOLATION = trace_kind(
    "violation",
    ("rule", "message"),
    text="VIOLATION {rule}: {message}",
    doc="A rule that can only be seen while the run happens was broken; `rule` is the "
    "catalogue id.",
)
CHOICE = trace_kind(
    "choice",
    ("point", "label", "index", "key", "options"),
    text="choice {point} {label}: #{index} {key} of {options}",
    doc="The chooser decided a point with two or more options (the recorded schedule step). "
    "When a preemption point switches threads, objects are the preempted thread and the "
    "chosen one: from this event on the first is READY and the second RUNNING (the switch "
    "records no actor.state events).",
)
RUN_END = trace_kind(
    "run.end",
    ("reason",),
    text="run ends: {reason}",
    doc="The run stopped: all threads done, quiescent, time limit, or a bound of the run "
    "(step limit, time budget, event budget, apc depth limit; each with its violation).",
)


class Emit(Protocol):
    """The signature of ``Trace.emit``: record one event, return its sequence number."""

    def __call__(
        self,
        actor: int,
        kind: str,
        objects: tuple[int, ...],
        payload: tuple[Any, ...],
        cause: int = ...,
    ) -> int: ...


class Trace:
    """The recorder: ``emit`` appends one tuple and returns its sequence number.

    ``emit`` is a closure over the event list and the clock rather than a method: it is the
    hottest function of a traced run, and closure cells are cheaper than attribute lookups.
    """

    __slots__ = ("emit", "events")

    enabled: bool = True

    def __init__(self, env: Any) -> None:
        events: list[TraceTuple] = []
        self.events = events
        self.emit: Emit = self._recorder(events, env)

    @staticmethod
    def _recorder(events: list[TraceTuple], env: Any) -> Emit:
        append = events.append

        def emit(
            actor: int,
            kind: str,
            objects: tuple[int, ...],
            payload: tuple[Any, ...],
            cause: int = NO_CAUSE,
        ) -> int:
            seq = len(events)
            append((env._now, actor, kind, objects, payload, cause))
            return seq

        return emit

    def compact(self, start: int = 0) -> None:
        """Share identical ``objects`` and ``payload`` tuples among the events from ``start`` on.

        A run repeats a few values millions of times (the same thread's ``(oid,)``, the same
        ``("set", 1)``); an event keeps its values, but identical ones become one tuple, which
        roughly halves what a long trace retains. Payloads are matched by their ``marshal``
        bytes, not by ``==``: ``(0, True) == (0, 1)`` in Python, yet the export writes ``true``
        for one and ``1`` for the other, so only payloads of the same values *and types* are
        shared. The export and the digests are unchanged. ``Kernel.run`` compacts a trace that
        reached ``COMPACT_FROM`` events when the run finishes (docs/trace.md, "Memory").
        """
        events = self.events
        objects_seen: dict[tuple[int, ...], tuple[int, ...]] = {(): ()}
        same_objects_as = objects_seen.setdefault  # object ids are plain ints
        payloads_seen: dict[bytes, tuple[Any, ...]] = {}
        same_payload_as = payloads_seen.setdefault
        dumps = marshal.dumps
        for index in range(start, len(events)):
            time, actor, kind, objects, payload, cause = event = events[index]
            same_objects = same_objects_as(objects, objects)
            try:
                same_payload = same_payload_as(dumps(payload, 2), payload)
            except ValueError:  # a value marshal cannot write is kept as it is
                same_payload = payload
            if same_objects is not objects or same_payload is not payload:
                events[index] = (time, actor, kind, same_objects, same_payload, cause)
            del event

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self) -> Iterator[TraceTuple]:
        return iter(self.events)

    def names(self) -> dict[int, str]:
        """Object id -> display name, from the ``obj.create`` events (0 is the kernel)."""
        names = {KERNEL_ACTOR: "kernel"}
        for _time, _actor, kind, objects, payload, _cause in self.events:
            if kind == OBJ_CREATE:
                names[objects[0]] = str(payload[1])
        return names

    def view(self) -> list[TraceEvent]:
        """The readable view: one frozen ``TraceEvent`` per tuple (built on demand)."""
        names = self.names()
        return [TraceEvent.from_tuple(seq, event, names) for seq, event in enumerate(self.events)]

    def to_jsonl(self) -> str:
        """The trace as JSON lines: a header line, then one object per event (docs/trace.md)."""
        return "".join(line + "\n" for line in jsonl_lines(self.events))


def _record_nothing(
    actor: int, kind: str, objects: tuple[int, ...], payload: tuple[Any, ...], cause: int = -1
) -> int:
    return NO_CAUSE


class NullTrace(Trace):
    """A recorder that records nothing (benchmarks of the untraced kernel); ``emit`` gives -1."""

    __slots__ = ()

    enabled = False

    @staticmethod
    def _recorder(events: list[TraceTuple], env: Any) -> Emit:
        return _record_nothing


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """One event, readable: names instead of ids, the payload as a mapping."""

    seq: int
    time: int
    actor: str
    kind: str
    objects: tuple[str, ...]
    payload: dict[str, Any]
    cause: int
    object_ids: tuple[int, ...]
    actor_id: int

    @classmethod
    def from_tuple(cls, seq: int, event: TraceTuple, names: dict[int, str]) -> TraceEvent:
        """The readable view of ``event``, the trace's event number ``seq``."""
        time, actor, kind, objects, payload, cause = event
        schema = TRACE_KINDS.get(kind)
        fields = schema.fields if schema is not None else ()
        mapping = dict(zip(fields, payload, strict=False))
        for i in range(len(fields), len(payload)):
            mapping[f"_{i}"] = payload[i]
        return cls(
            seq=seq,
            time=time,
            actor=names.get(actor, f"#{actor}"),
            kind=kind,
            objects=tuple(names.get(o, f"#{o}") for o in objects),
            payload=mapping,
            cause=cause,
            object_ids=objects,
            actor_id=actor,
        )

    def text(self) -> str:
        """The kind's template filled with the payload and object names (``{o0}``, ``{o1}``)."""
        schema = TRACE_KINDS.get(self.kind)
        template = schema.text if schema is not None else self.kind
        values: dict[str, Any] = {f"o{i}": name for i, name in enumerate(self.objects)}
        values["objects"] = ", ".join(self.objects)
        values.update(self.payload)
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return f"{self.kind} {self.payload}"


def payload_value(value: Any) -> Any:
    """A value as a trace payload scalar, never an address.

    JSON scalars pass (an IntEnum member becomes a plain int, a StrEnum member a plain str, so
    the trace holds no objects the garbage collector must track; a float becomes its repr, as
    JSON cannot carry NaN or infinity); a tuple is converted item by
    item; a callable becomes its name; a structure or kernel object its trace name or name;
    anything else its type name.
    """
    kind = type(value)
    if value is None or kind is int or kind is str or kind is bool:
        return value
    if kind is float:
        return repr(value)  # JSON has no NaN or infinity; the text is exact and deterministic
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    if kind is tuple:
        return tuple(map(payload_value, value))
    if callable(value):
        label = getattr(value, "__name__", None)
        return label if isinstance(label, str) else f"<{kind.__name__}>"
    label = getattr(value, "trace_name", None)
    if isinstance(label, str):
        return label
    label = getattr(value, "name", None)
    if isinstance(label, str):
        return label
    return f"<{kind.__name__}>"


def value_text(value: Any) -> str:
    """A value as a message shows it, deterministically: never an address (a callable by its
    name, a structure by its trace name), NULL for None, text quoted."""
    shown = payload_value(value)
    if shown is None:
        return "NULL"
    if isinstance(value, str):
        return repr(value)
    return str(shown)


def kinds_markdown() -> str:
    """The table of every declared kind, as docs/trace.md carries it (kept equal by a test)."""
    rows = [
        "| kind | payload fields | state of `objects[0]` | recorded when |",
        "|---|---|---|---|",
    ]
    for name, kind in sorted(TRACE_KINDS.items()):
        if name.startswith("test."):
            continue
        fields = ", ".join(f"`{f}`" for f in kind.fields) or "—"
        state = ", ".join(f"`{f}`" for f in kind.state) or "—"
        rows.append(f"| `{name}` | {fields} | {state} | {kind.doc} |")
    return "\n".join(rows) + "\n"


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    raise TypeError(f"trace payload value {value!r} is not a JSON scalar")


def jsonl_lines(events: list[TraceTuple]) -> Iterator[str]:
    """The JSON-lines encoding: deterministic key order, no whitespace, ASCII only."""
    dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
    yield dumps({"schema": TRACE_SCHEMA, "version": TRACE_SCHEMA_VERSION})
    for seq, (time, actor, kind, objects, payload, cause) in enumerate(events):
        schema = TRACE_KINDS.get(kind)
        fields = schema.fields if schema is not None else ()
        body = {
            (fields[i] if i < len(fields) else f"_{i}"): _jsonable(value)
            for i, value in enumerate(payload)
        }
        yield dumps(
            {
                "seq": seq,
                "t": time,
                "actor": actor,
                "kind": kind,
                "objects": list(objects),
                "payload": body,
                "cause": cause,
            }
        )
