"""Waits: blocking on dispatcher objects, with timeouts and alertability, and waking directly.

The order of the tests at the start of a wait is NT's (KeWaitForSingleObject /
KeWaitForMultipleObjects): first the objects, then pending user APCs, then the timeout.

1. If the wait can be satisfied now it is, even in an alertable wait with a user APC queued: the
   object wins and the APC stays queued for the next alertable wait ("If the wait is satisfied
   before the APC is queued, the thread is no longer in an alertable wait state so the APC
   function will not be executed. However, the APC is still queued" — Asynchronous Procedure
   Calls, MS docs; the same order in the WRK's KeWaitForSingleObject and Wine's check_wait).
   Wait-any takes the lowest index that is signalled; wait-all needs every object signalled at
   once and then consumes them all atomically.
2. An alertable wait with user APCs queued runs them all and returns STATUS_USER_APC.
3. A zero timeout returns STATUS_TIMEOUT.
4. Otherwise the actor is appended to each object's wait list and parks. A signal satisfies it
   directly (``signal``), an APC aborts it (``abort_wait``), and an expired timeout only
   *enables* it: the wait stays pending until the actor runs, so a signal at the same instant
   may still satisfy it, in whichever order the chooser puts the two.

A wait holds a pointer reference on each object until the waiter resumes (as NtWaitFor* holds
the references it took from the handles until it returns), so closing the last handle during a
wait does not destroy the object under the waiter.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

from emu.codes.ntstatus import STATUS_TIMEOUT, STATUS_USER_APC, STATUS_WAIT_0
from emu.kernel.actor import PARK, ActorState, Park
from emu.kernel.trace import NO_CAUSE, trace_kind

if TYPE_CHECKING:
    from emu.kernel.actor import Actor
    from emu.kernel.chooser import Footprint
    from emu.kernel.dispatcher import Kernel
    from emu.kernel.objects import DispatcherObject

THREAD_WAIT = trace_kind(
    "thread.wait",
    ("state", "alertable", "wait_all", "timeout", "on"),
    state=("state", "alertable", "on"),
    text="{o0} waits on {on} (alertable {alertable}, all {wait_all}, timeout {timeout})",
    doc="An actor blocked: on the objects listed in `on` (ids; empty for a sleep), for "
    "`timeout` ticks (null: INFINITE).",
)
THREAD_WAKE = trace_kind(
    "thread.wake",
    ("state", "status", "alertable", "on"),
    state=("state", "alertable", "on"),
    text="{o0} wakes with status {status}",
    doc="A wait ended with NTSTATUS `status` (STATUS_WAIT_0+n, STATUS_USER_APC, "
    "STATUS_TIMEOUT, ...); `cause` is the event that satisfied or aborted it.",
)


def wait(
    k: Kernel,
    actor: Actor,
    objects: tuple[DispatcherObject, ...],
    wait_all: bool,
    timeout: int | None,
    alertable: bool,
    *,
    shown: tuple[DispatcherObject, ...] = (),
    deliver: bool = True,
) -> Generator[Park, None, int]:
    """Wait for ``objects`` (any or all); ``timeout`` in ticks, ``None`` for INFINITE.

    Returns STATUS_WAIT_0 + index, STATUS_USER_APC (after running the queued APCs) or
    STATUS_TIMEOUT. An empty ``objects`` is a sleep, or, with ``shown``, a wait that another
    mechanism ends with ``end_wait`` (a dequeue from a completion port): ``shown`` is what the
    trace names as waited on. With ``deliver`` False a wait ended by APCs returns
    STATUS_USER_APC without running them: the caller tidies up first, then delivers.
    """
    if len(objects) == 1:  # the common case (any or all of one object is the same)
        obj = objects[0]
        if obj.is_signaled_for(actor):
            obj.consume(actor)
            return STATUS_WAIT_0
    elif objects:
        if wait_all:
            if all(o.is_signaled_for(actor) for o in objects):
                for o in objects:
                    o.consume(actor)
                return STATUS_WAIT_0
        else:
            for index, o in enumerate(objects):
                if o.is_signaled_for(actor):
                    o.consume(actor)
                    return STATUS_WAIT_0 + index
    if alertable and actor.user_apc_pending():
        if deliver:
            yield from actor.deliver_user_apcs()
        return STATUS_USER_APC
    if timeout == 0:
        return STATUS_TIMEOUT

    actor.wait_objects = objects
    actor.wait_shown = shown
    actor.wait_all = wait_all
    actor.wait_alertable = alertable
    actor.wait_status = None
    actor.wait_cause = NO_CAUSE
    seen: list[DispatcherObject] = [] if len(objects) > 1 else list(objects)
    if seen:
        obj = objects[0]
        obj.waiters.append(actor)
        obj.ref_count += 1  # the wait's pointer reference (KernelObject.reference)
    else:
        for o in objects:
            if o not in seen:
                seen.append(o)
                o.waiters.append(actor)
                o.reference()
    state = ActorState.WAITING_ALERTABLE if alertable else ActorState.WAITING
    actor.state = state
    if k.tracing:
        on = objects or shown
        oids = (on[0].oid,) if len(on) == 1 else tuple([o.oid for o in on])
        k.emit(
            actor.oid,
            THREAD_WAIT,
            (actor.oid, *oids),
            (state._value_, alertable, wait_all, timeout, oids),
        )
    if timeout is not None:
        actor.wait_timer = k.call_later(timeout, _timeout_expired, actor)
    actor.on_block()
    yield PARK

    status = actor.wait_status
    if status is None:
        # Dispatched by the timer and nothing satisfied the wait first: it times out now.
        _unlink(actor)
        status = STATUS_TIMEOUT
        actor.wait_status = status
        if k.tracing:
            k.emit(actor.oid, THREAD_WAKE, actor.as_objects, ("RUNNING", status, False, ()))
        actor.on_unblock()
    actor.wait_objects = ()
    for o in seen:  # the wait's references go when the waiter resumes, as at syscall return
        o.ref_count -= 1  # KernelObject.dereference, without a call while a handle keeps it
        if o.ref_count <= 0 and o.handle_count == 0:
            o.maybe_destroy()
    if status == STATUS_USER_APC and deliver:
        yield from actor.deliver_user_apcs()
    return status


def _timeout_expired(actor: Actor) -> None:
    actor.wait_timer = None
    actor.footprint = tuple((o.oid, "w") for o in actor.wait_objects)
    actor.k.make_ready(actor)


def _unlink(actor: Actor) -> None:
    objects = actor.wait_objects
    if len(objects) == 1:
        objects[0].waiters.remove(actor)
    elif objects:
        seen: list[DispatcherObject] = []
        for o in objects:
            if o not in seen:
                seen.append(o)
                o.waiters.remove(actor)
    timer = actor.wait_timer
    if timer is not None:
        timer.cancel()
        actor.wait_timer = None


def is_waiting(actor: Actor) -> bool:
    """True while ``actor`` is blocked in a wait that nothing has ended yet."""
    return actor.wait_status is None and actor.state in (
        ActorState.WAITING,
        ActorState.WAITING_ALERTABLE,
    )


def end_wait(k: Kernel, actor: Actor, status: int, cause: int) -> None:
    """End ``actor``'s pending wait with ``status`` and enable it (satisfied or aborted)."""
    objects = actor.wait_objects
    if len(objects) == 1 and actor.wait_timer is None:  # the common case of _unlink
        objects[0].waiters.remove(actor)
    else:
        _unlink(actor)
    actor.wait_status = status
    actor.wait_cause = cause
    actor.footprint = ()
    actor.state = ActorState.READY
    if k.tracing:
        k.emit(k.actor_id(), THREAD_WAKE, actor.as_objects, ("READY", status, False, ()), cause)
    actor.on_unblock()
    if not actor.queued:  # Kernel.make_ready
        actor.queued = True
        k.ready.append(actor)


def abort_wait(k: Kernel, actor: Actor, status: int, cause: int) -> bool:
    """End a pending wait early (an APC for an alertable wait); False if none was pending."""
    if not is_waiting(actor):
        return False
    end_wait(k, actor, status, cause)
    return True


def _can_satisfy(waiter: Actor, obj: DispatcherObject) -> bool:
    if waiter.wait_all:
        return all(o.is_signaled_for(waiter) for o in waiter.wait_objects)
    return obj.is_signaled_for(waiter)


def _each(footprint: Footprint, n: int) -> Callable[[], tuple[Footprint, ...]]:
    """The footprints of ``n`` options that all touch the same (built only when read)."""
    return lambda: (footprint,) * n


def signal(k: Kernel, obj: DispatcherObject, cause: int) -> None:
    """``obj`` may have become signalled: satisfy the waits it now can, in wait-list order.

    For an object that releases one waiter per signal (``RELEASE_ONE``) with several waiters
    that could take it, the chooser picks which (option 0: the longest waiting).
    """
    waiters = obj.waiters
    while waiters:
        if len(waiters) == 1:  # the common case: one waiter, no choice
            chosen = waiters[0]
            if not _can_satisfy(chosen, obj):
                return
            candidates = waiters
        else:
            candidates = [w for w in waiters if _can_satisfy(w, obj)]
            if not candidates:
                return
            chosen = candidates[0]
        if obj.RELEASE_ONE and len(candidates) > 1:
            index = k.choose_actor(
                f"release@{obj.name}",
                candidates,
                _each(((obj.oid, "w"),), len(candidates)),
            )
            chosen = candidates[index]
        if chosen.wait_all:
            for o in chosen.wait_objects:
                o.consume(chosen)
            status = STATUS_WAIT_0
        else:
            obj.consume(chosen)
            status = STATUS_WAIT_0 + chosen.wait_objects.index(obj)
        end_wait(k, chosen, status, cause)
