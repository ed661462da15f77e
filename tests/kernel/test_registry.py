"""Per-simulation identities."""

from __future__ import annotations

from emu.kernel import Kernel
from emu.kernel.event import create_event


def test_ids_come_from_per_simulation_counters() -> None:
    a, b = Kernel(), Kernel()
    assert [a.new_oid(), a.new_oid()] == [b.new_oid(), b.new_oid()] == [1, 2]
    assert [a.new_tid(), a.new_tid()] == [4, 8]


def test_actor_names_are_made_unique_per_kind() -> None:
    k = Kernel()
    assert [k.unique_actor_name("thread", "worker") for _ in range(3)] == [
        "worker",
        "worker-2",
        "worker-3",
    ]
    assert k.unique_actor_name("device", "worker") == "worker"


def test_named_objects_are_forgotten_when_destroyed() -> None:
    k = Kernel()
    event = create_event(k, True, False, "name")
    k.add_name("name", event)
    assert k.find_name("name") is event
    handle = k.handles.insert(event, 0)
    k.handles.remove(handle)
    assert k.find_name("name") is None
