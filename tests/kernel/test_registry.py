"""Per-simulation identities."""

from __future__ import annotations

from emu.kernel import Kernel
from emu.kernel.event import create_event


def test_ids_come_from_per_simulation_counters() -> None:
    a, b = Kernel(), Kernel()
    assert [a.new_oid(), a.new_oid()] == [b.new_oid(), b.new_oid()] == [1, 2]
    assert [a.new_tid(), a.new_tid()] == [4, 8]


def test_actor_names_are_unique_across_kinds() -> None:
    k = Kernel()
    assert [k.unique_actor_name("thread", "worker") for _ in range(3)] == [
        "worker",
        "worker-2",
        "worker-3",
    ]
    # Another kind never reuses a name: the trace names each actor once.
    assert k.unique_actor_name("world", "worker") == "worker-4"
    # An explicit "-2" name taken first pushes the numbering on.
    assert k.unique_actor_name("thread", "w-2") == "w-2"
    assert [k.unique_actor_name("thread", "w") for _ in range(2)] == ["w", "w-3"]


def test_named_objects_are_forgotten_when_destroyed() -> None:
    k = Kernel()
    event = create_event(k, True, False, "name")
    k.add_name("name", event)
    assert k.find_name("name") is event
    handle = k.handles.insert(event, 0)
    k.handles.remove(handle)
    assert k.find_name("name") is None
