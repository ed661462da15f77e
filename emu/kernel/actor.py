"""Actors: the things the dispatcher schedules (virtual threads and device processes).

An actor is a generator the dispatcher resumes itself. It runs until it reaches a point where
it cannot or may not go on at this instant, parks itself (in the ready list after a preemption,
in an object's wait list, on a timer, in the processor queue) and yields ``PARK``. Whoever
unparks it later (a signal, a timer, the chooser) appends it to the ready list. Nothing else is
ever yielded to the dispatcher: a program that yields a value of its own is told so.

A routine the system calls on an actor's stack (a user-mode APC) runs nested, on the actor's
own ``stack`` of generators rather than Python's (``emu.kernel.nest``).

States follow the Windows thread states the issue names: ``READY`` (enabled, not executing),
``RUNNING`` (executing at this instant, or holding a processor in ``work``), ``WAITING`` and
``WAITING_ALERTABLE`` (blocked in a wait), ``SUSPENDED`` (created with CREATE_SUSPENDED) and
``TERMINATED``. A thread whose wait timed out is enabled (in the ready list) but stays
``WAITING`` until it runs: until then, a signal may still satisfy its wait, which is exactly the
timeout-versus-signal race the chooser must be able to order either way.

Actors are dispatcher objects: waiting on one waits for it to terminate (thread handles).
"""

from __future__ import annotations

from collections.abc import Generator
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Final

from emu.kernel.chooser import Footprint
from emu.kernel.objects import DispatcherObject, KernelObject
from emu.kernel.trace import trace_kind, value_text

if TYPE_CHECKING:
    from emu.kernel.clock import Timer
    from emu.kernel.dispatcher import Kernel


class Park(Enum):
    """The type of ``PARK``, the only value an actor's generator yields to the dispatcher."""

    PARK = "park"


PARK: Final = Park.PARK
"""Yielded by kernel code after it parked the current actor; a unique object, so a program
that yields a value of its own (even the string "park") is caught."""

ActorBody = Generator[Any, None, Any]


class ActorState(StrEnum):
    READY = "READY"
    RUNNING = "RUNNING"
    WAITING = "WAITING"
    WAITING_ALERTABLE = "WAITING_ALERTABLE"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"


ACTOR_STATE = trace_kind(
    "actor.state",
    ("state",),
    state=("state",),
    text="{o0} -> {state}",
    doc="A thread or device process changed state (dispatched, preempted, resumed, "
    "terminated). Waits and wake-ups have their own kinds.",
)
ACTOR_EXIT = trace_kind(
    "actor.exit",
    ("state", "exit_code"),
    state=("state", "exit_code"),
    text="{o0} exits with code {exit_code}",
    doc="A thread returned from its start routine or called ExitThread.",
)


class ThreadExit(BaseException):
    """Raised by ExitThread inside a thread's stack; the dispatcher ends the thread with it."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class Actor(DispatcherObject):
    """A schedulable generator with a stable key and the state of its current wait."""

    __slots__ = (
        "as_objects",
        "body",
        "call_error",
        "exit_code",
        "footprint",
        "irql",
        "key",
        "queued",
        "spinlocks",
        "stack",
        "state",
        "wait_alertable",
        "wait_all",
        "wait_cause",
        "wait_mode",
        "wait_objects",
        "wait_shown",
        "wait_status",
        "wait_timer",
    )

    TYPE = "Actor"
    KIND: ClassVar[str] = "actor"
    BASE_IRQL: ClassVar[int] = 0
    """The IRQL the context runs its code at and must never go below (DISPATCH_LEVEL for DPCs)."""
    SYSTEM: ClassVar[bool] = False
    """A system actor (DPC processor, worker thread) idles in waits by design: it is reported
    as blocked at the end of a run only when it is stuck with work in hand."""

    def __init__(self, k: Kernel, name: str, body: ActorBody) -> None:
        super().__init__(k, k.unique_actor_name(self.KIND, name))
        self.key: tuple[str, str] = (self.KIND, self.name)
        self.as_objects: tuple[int] = (self.oid,)
        """The actor as the ``objects`` of its own events (one tuple, shared by all of them)."""
        self.body = body
        self.stack: list[ActorBody] = []
        """The generators suspended under ``body`` while it runs a nested routine
        (``emu.kernel.nest``), bottom first; empty unless an APC is running."""
        self.state = ActorState.READY
        self.footprint: Footprint = ()
        self.irql = self.BASE_IRQL
        self.spinlocks: list[KernelObject] = []  # the spin locks it holds, in acquisition order
        self.queued = False
        self.exit_code: int | None = None
        self.call_error: int | None = None  # the last error the latest API call set, if any
        self.wait_objects: tuple[DispatcherObject, ...] = ()
        self.wait_shown: tuple[DispatcherObject, ...] = ()  # what a dequeue waits on, for reports
        self.wait_all = False
        self.wait_alertable = False
        self.wait_status: int | None = None
        self.wait_cause = -1
        self.wait_mode = ""
        self.wait_timer: Timer | None = None
        self.reference()  # a running actor keeps itself alive

    @property
    def terminated(self) -> bool:
        return self.state is ActorState.TERMINATED

    @property
    def settled(self) -> bool:
        """Whether the actor has nothing left to do: a thread has exited, a system actor idles."""
        return self.state is ActorState.TERMINATED

    def is_signaled_for(self, waiter: Actor) -> bool:
        return self.state is ActorState.TERMINATED

    def user_apc_pending(self) -> bool:
        """Whether user-mode APCs are queued (threads only)."""
        return False

    def deliver_user_apcs(self, at: str = "alertable wait") -> Generator[Park, None, None]:
        """Run the queued user-mode APCs on this actor's stack (threads only); ``at`` says
        where (the ``apc.deliver`` event's ``at``)."""
        return
        yield  # type: ignore[unreachable]  # a generator with nothing to run

    def on_block(self) -> None:
        """Hook: the actor just blocked in a wait (an I/O completion port stops counting it)."""

    def on_unblock(self) -> None:
        """Hook: the actor's wait just ended."""

    def on_exit(self) -> None:
        """Release what dies with the actor (a thread's APC queue); before it is signalled."""

    def resolve_exit_code(self, value: Any) -> int:
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"returned {value_text(value)}; a thread's exit code is a DWORD (int)")
        return value & 0xFFFFFFFF
