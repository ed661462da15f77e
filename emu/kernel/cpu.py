"""Processors and CPU time: ``work`` consumes virtual time on a limited number of processors.

Virtual time passes only through timers: a program that computes calls ``work(ticks)``, which
holds one of the machine's ``processors`` for that long. While it works the thread is RUNNING
(it counts as running for an I/O completion port's concurrency value); when every processor is
busy it is READY in the processor queue until one frees up, and if several wait the chooser picks
who gets it (option 0: the one queued longest).

Assumption (recorded in the catalogue): API calls themselves take no processor time and are not
limited by ``processors``; only ``work`` is. A thread woken while all processors are busy runs its
zero-time steps at once, which is one of the orders a real machine with a priority boost on wake
would produce.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

from emu.kernel.actor import PARK, ActorState, Park
from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.actor import Actor
    from emu.kernel.dispatcher import Kernel

CPU_WORK = trace_kind(
    "cpu.work",
    ("ticks", "busy"),
    text="{o0} works {ticks} ticks ({busy} processors busy)",
    doc="A thread starts consuming `ticks` of CPU time; `busy` counts processors in use.",
)
CPU_QUEUE = trace_kind(
    "cpu.queue",
    ("queued",),
    text="{o0} waits for a processor ({queued} queued)",
    doc="Every processor was busy: the thread is READY in the processor queue.",
)
CPU_DONE = trace_kind(
    "cpu.done",
    ("busy",),
    text="{o0} finished its work ({busy} processors busy)",
    doc="A thread's CPU burst ended and its processor was released.",
)


def work(k: Kernel, actor: Actor, ticks: int) -> Generator[Park, None, None]:
    """Consume ``ticks`` of CPU time on one processor."""
    if ticks <= 0:
        return
    if k.cpus_busy < k.processors:
        k.cpus_busy += 1
    else:
        k.cpu_queue.append(actor)
        k.set_state(actor, ActorState.READY)
        if k.tracing:
            k.emit(actor.oid, CPU_QUEUE, (actor.oid,), (len(k.cpu_queue),))
        yield PARK  # granted: the processor is already counted for us
    if k.tracing:
        k.emit(actor.oid, CPU_WORK, (actor.oid,), (ticks, k.cpus_busy))
    k.call_later(ticks, _done, actor)
    yield PARK


def _done(actor: Actor) -> None:
    k = actor.k
    k.cpus_busy -= 1
    if k.tracing:
        k.emit(k.actor_id(), CPU_DONE, (actor.oid,), (k.cpus_busy,))
    actor.footprint = ()
    k.make_ready(actor)
    queue = k.cpu_queue
    if queue:
        index = 0
        if len(queue) > 1:
            index = k.choose_actor("processor", queue, lambda: tuple([() for _ in queue]))
        granted = queue.pop(index)
        k.cpus_busy += 1
        k.make_ready(granted)
