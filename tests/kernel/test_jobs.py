"""A device's job actor: jobs run in the order they fell due, and an idle one is settled."""

from __future__ import annotations

from emu.kernel import Kernel
from emu.kernel.jobs import JobActor


def test_jobs_run_in_the_order_they_fell_due_and_an_idle_actor_is_settled() -> None:
    k = Kernel()
    actor = JobActor(k, "device", "dev")
    k.spawn(actor)
    ran: list[tuple[str, int]] = []
    actor.later(10, "b", lambda: ran.append(("b", k.now)))
    actor.later(0, "a", lambda: ran.append(("a", k.now)))
    actor.later(10, "c", lambda: ran.append(("c", k.now)))
    reason = k.run()
    assert ran == [("a", 0), ("b", 10), ("c", 10)]
    assert actor.settled and reason == "all threads done"
