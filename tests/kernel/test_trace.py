"""The trace: tuples on the hot path, a lazy readable view, a versioned JSON-lines schema."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

import emu
import emu.cli
import emu.timeline
from emu.kernel.trace import (
    KERNEL_ACTOR,
    TRACE_KINDS,
    TRACE_SCHEMA_VERSION,
    NullTrace,
    Trace,
    TraceEvent,
    kinds_markdown,
    payload_value,
    trace_kind,
)
from emu.win32 import Api
from tests.support import run

DOC = Path(__file__).resolve().parents[2] / "docs" / "trace.md"


def sample() -> Any:
    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, False, False, "x")
        yield from api.QueueUserAPC(lambda d: None, -2, 1)
        yield from api.SleepEx(1, True)
        yield from api.WaitForSingleObject(ev, 1)
        yield from api.CloseHandle(ev)

    return run(main)


def test_events_are_plain_tuples_of_six_fields_numbered_by_position() -> None:
    # Trace schema 2: an event's number is its index in the list, not a field.
    sim = sample()
    for seq, event in enumerate(sim.k.trace.events):
        assert type(event) is tuple and len(event) == 6
        time, actor, kind, objects, payload, cause = event
        assert isinstance(time, int) and isinstance(actor, int) and isinstance(kind, str)
        assert isinstance(objects, tuple) and isinstance(payload, tuple)
        assert -1 <= cause < seq


def test_every_emitted_kind_is_declared_with_matching_payload_arity() -> None:
    sim = sample()
    for event in sim.k.trace.events:
        schema = TRACE_KINDS[event[2]]
        assert len(event[4]) == len(schema.fields), event


def test_view_names_objects_and_maps_the_payload() -> None:
    sim = sample()
    view = sim.k.trace.view()
    assert all(isinstance(e, TraceEvent) for e in view)
    created = [e for e in view if e.kind == "obj.create"]
    assert [e.payload["name"] for e in created][:3] == ["Process", "main", "x"]
    queue = next(e for e in view if e.kind == "apc.queue")
    assert queue.objects == ("main",) and queue.payload["pending"] == 1


def test_jsonl_has_a_versioned_header_and_one_object_per_event() -> None:
    sim = sample()
    lines = sim.k.trace.to_jsonl().splitlines()
    header = json.loads(lines[0])
    assert header == {"schema": "emu.trace", "version": TRACE_SCHEMA_VERSION}
    body = [json.loads(line) for line in lines[1:]]
    assert len(body) == len(sim.k.trace)
    assert list(body[0]) == ["seq", "t", "actor", "kind", "objects", "payload", "cause"]
    api = next(b for b in body if b["kind"] == "api")
    assert list(api["payload"]) == ["name", "args", "result", "error"]


def test_payload_values_never_carry_addresses() -> None:
    class Opaque:
        pass

    def routine() -> None:
        pass

    assert payload_value(Opaque()) == "<Opaque>"
    assert payload_value(routine) == "routine"
    assert payload_value((1, "a")) == (1, "a")
    assert payload_value(None) is None


def test_null_trace_records_nothing() -> None:
    sim = run(lambda api: api.SleepEx(1, False), trace=False)
    assert isinstance(sim.k.trace, NullTrace)
    assert len(sim.k.trace) == 0


def test_kind_declarations_are_checked() -> None:
    with pytest.raises(ValueError, match="not payload fields"):
        trace_kind("test.bad", ("a",), state=("b",))
    trace_kind("test.same", ("a",))
    trace_kind("test.same", ("a",))  # the same schema twice is fine
    with pytest.raises(ValueError, match="declared twice"):
        trace_kind("test.same", ("b",))


def test_docs_describe_every_kind() -> None:
    # The schema is documented: docs/trace.md carries the table of every declared kind, its
    # fields, its state fields and when it is recorded, exactly as the code declares them.
    for module in pkgutil.walk_packages(emu.__path__, "emu."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    text = DOC.read_text(encoding="utf-8")
    assert f"version {TRACE_SCHEMA_VERSION}" in text
    assert kinds_markdown() in text, "run: python docs/update_trace_kinds.py"


def test_trace_is_iterable() -> None:
    trace = Trace(type("Env", (), {"_now": 5})())
    trace.emit(0, "run.end", (), ("done",))
    assert list(trace) == [(5, 0, "run.end", (), ("done",), -1)]


def test_floats_and_odd_values_serialise() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.Sleep(1.5)
        yield from api.QueueUserAPC(lambda d: None, -2, float("nan"))
        yield from api.SleepEx(0, True)

    text = run(main).k.trace.to_jsonl()
    assert '"1.5"' in text and '"nan"' in text
    for line in text.splitlines():
        json.loads(line)


def test_the_kernel_is_actor_0_and_the_export_has_the_documented_version() -> None:
    # docs/trace.md: "`actor` | the object id of the thread or device that acted; 0 is the
    # kernel itself (timers, end-of-run reports)", and the JSON lines begin with the header
    # {"schema":"emu.trace","version":2} of "schema version 2".
    text = DOC.read_text(encoding="utf-8")
    assert "0 is the kernel itself (timers, end-of-run reports)" in text
    assert KERNEL_ACTOR == 0
    sim = sample()
    end = sim.k.trace.events[-1]
    assert end[2] == "run.end" and end[1] == 0
    assert sim.k.trace.view()[-1].actor == "kernel"
    documented = re.search(r"This page documents schema version (\d+);", text)
    assert documented is not None
    assert TRACE_SCHEMA_VERSION == int(documented.group(1)) == 2
    header = sim.k.trace.to_jsonl().splitlines()[0]
    assert header == '{"schema":"emu.trace","version":2}'
    assert f"\n{header}\n" in text


def test_a_payload_longer_than_its_fields_keeps_the_extra_values_by_position() -> None:
    # The readable view maps the declared fields by name and keeps any further value as _<i>.
    event = TraceEvent.from_tuple(0, (0, 0, "run.end", (), ("done", 7), -1), {0: "kernel"})
    assert event.payload == {"reason": "done", "_1": 7}


def test_a_payload_value_that_is_not_a_json_scalar_is_refused_on_export() -> None:
    # Nothing lost silently: the JSON-lines export refuses a value it cannot write rather than
    # writing something else.
    trace = Trace(type("Env", (), {"_now": 0})())
    trace.emit(0, "run.end", (), (1.5,))
    with pytest.raises(TypeError, match=r"trace payload value 1\.5 is not a JSON scalar"):
        trace.to_jsonl()


# -- compaction of a long trace (issue 12: retained memory) ---------------------------------------


def long_sample(loops: int) -> Any:
    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, False, False, "x")
        for _ in range(loops):
            yield from api.SetEvent(ev)
            yield from api.WaitForSingleObject(ev, 0)
        yield from api.CloseHandle(ev)

    return run(main)


def distinct_tuples(events: list[Any]) -> int:
    return len({id(e[3]) for e in events} | {id(e[4]) for e in events})


def test_compacting_keeps_every_event_equal_and_shares_equal_values() -> None:
    trace = long_sample(50).k.trace
    before = list(trace.events)
    jsonl = trace.to_jsonl()
    spread = distinct_tuples(trace.events)
    trace.compact()
    assert trace.events == before
    assert trace.to_jsonl() == jsonl
    assert distinct_tuples(trace.events) < spread // 4
    odd = Trace(None)
    odd.events.append((0, 0, "test.odd", (1,), ([1, 2],), -1))  # an unhashable payload
    odd.events.append((0, 0, "test.odd", (1,), ([1, 2],), -1))
    odd.compact()
    assert odd.events[0][3] is odd.events[1][3]
    assert odd.events[1][4] == ([1, 2],)


def test_compacting_never_makes_true_and_1_one_value() -> None:
    # (0, True) == (0, 1) in Python, but the export writes true for one and 1 for the other:
    # payloads are shared only when their values and types are the same (review finding).
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(0, 1)
        yield from api.SleepEx(0, True)
        yield from api.SleepEx(0, 1)

    trace = run(main).k.trace
    jsonl = trace.to_jsonl()
    assert '"args":[0,1]' in jsonl and '"args":[0,true]' in jsonl
    calls = [e for e in trace.events if e[2] == "api"]
    trace.compact()
    assert trace.to_jsonl() == jsonl
    after = [e for e in trace.events if e[2] == "api"]
    assert [type(e[4][1][1]) for e in after] == [int, bool, int]
    assert after[0][4] is after[2][4] and after[1][4] is not after[0][4]
    assert [e[4] for e in after] == [e[4] for e in calls]


def test_a_run_that_reaches_compact_from_events_is_compacted_when_it_finishes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from emu.kernel import dispatcher

    short = long_sample(50).k.trace.events
    # Below the threshold: left as recorded (an actor's or an event's own events share their
    # objects tuple from the start, so half as many distinct tuples as events, not 2 per event).
    assert distinct_tuples(short) > len(short) // 2
    monkeypatch.setattr(dispatcher, "COMPACT_FROM", 100)
    events = long_sample(50).k.trace.events
    assert events == short
    assert distinct_tuples(events) < len(events) // 4
