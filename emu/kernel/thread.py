"""Virtual threads: actors with a thread id, a last-error value and a user-mode APC queue.

A thread runs a program generator on the dispatcher. It is waitable: its object is signalled
when it terminates, and stays signalled (a thread handle works like a manual-reset event that is
set at exit). The exit code is the start routine's return value, or ExitThread's argument.

A thread's life has two points of its own, besides its program's API calls:

- **Start.** "If an application queues an APC before the thread begins running, the thread
  begins by calling the APC function" (QueueUserAPC, MS docs): APCs queued before the thread's
  first step run first (``apc.deliver`` with ``at`` = "thread start"), then the start routine.
- **Exit.** Returning from the start routine (or ExitThread) is a scheduling point like an API
  call: while another actor is enabled, the chooser may run it before the thread terminates, so
  a GetExitCodeThread racing the exit can see STILL_ACTIVE, as on Windows.

At exit, the kernel disposes of what dies with the thread, each with a trace event:

- its pending user-mode APCs are discarded (``apc.discard``);
- a critical section or SRW lock it still owns stays owned forever, as on Windows, and that is
  recorded as a violation (``kernel.lock_orphaned``): every later Enter blocks.

``impersonating`` marks a thread that runs under another user's token; such a thread may lack
THREAD_SET_CONTEXT on itself, which the APIs that queue APCs to their caller check.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import TYPE_CHECKING

from emu.codes.access import THREAD_GENERIC_MAPPING
from emu.kernel import apc, io
from emu.kernel.actor import PARK, Actor, ActorBody, Park, ThreadExit
from emu.kernel.irql import irql_name
from emu.kernel.objects import DispatcherObject
from emu.kernel.spinlock import orphan_spinlocks

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel
    from emu.kernel.io import IoRequest
    from emu.kernel.iocp import IoCompletionPort, Packet
    from emu.kernel.objects import KernelObject


class Thread(Actor):
    """A virtual thread (ETHREAD + TEB): TID, last error, APC queue, owned user-mode locks."""

    __slots__ = (
        "apc_depth",
        "apcs",
        "impersonating",
        "io_packets",
        "irps",
        "last_error",
        "owned_locks",
        "port",
        "port_counted",
        "tid",
    )

    TYPE = "Thread"
    KIND = "thread"
    GENERIC_MAPPING = THREAD_GENERIC_MAPPING

    def __init__(
        self, k: Kernel, name: str, body: ActorBody, *, impersonating: bool = False
    ) -> None:
        super().__init__(k, name, body)
        self.body = self._lifetime(body)
        self.tid = k.new_tid()
        self.apcs: deque[apc.Apc] = deque()
        self.apc_depth = 0
        self.last_error = 0
        self.impersonating = impersonating
        self.owned_locks: list[KernelObject] = []
        self.port: IoCompletionPort | None = None  # the completion port it is associated with
        self.port_counted = False  # counted among the port's running threads
        self.io_packets: list[Packet] = []  # handed over while blocked in a dequeue
        self.irps: list[IoRequest] = []  # its I/O requests not yet completed

    def _lifetime(self, body: ActorBody) -> ActorBody:
        """Start (APCs queued before the first step), the program, then the exit point."""
        if self.apcs:
            yield from apc.deliver(self.k, self, apc.AT_START)
        try:
            result = yield from body
        except ThreadExit as request:
            result = request.code
        k = self.k
        if k.ready and k.preempted("exit", ((self.oid, "w"),)):
            yield PARK
        return result

    def user_apc_pending(self) -> bool:
        return bool(self.apcs)

    def deliver_user_apcs(self, at: str = apc.AT_WAIT) -> Generator[Park, None, None]:
        return apc.deliver(self.k, self, at)

    def on_block(self) -> None:
        if self.port is not None:
            self.port.thread_blocked(self)

    def on_unblock(self) -> None:
        if self.port is not None:
            self.port.thread_unblocked(self)

    def on_exit(self) -> None:
        k = self.k
        if self.port is not None:
            self.port.disassociate(self)
        if self.irps:
            io.cancel_thread_io(k, self)
        apc.discard_all(k, self, "thread exited")
        if self.irql != self.BASE_IRQL:
            k.violation(
                "kernel.irql_leak",
                f"{self.name} exited at {irql_name(self.irql)}, not PASSIVE_LEVEL",
                (self.oid,),
            )
        orphan_spinlocks(k, self, f"{self.name} exited")
        for lock in self.owned_locks:
            k.violation(
                "kernel.lock_orphaned",
                f"{self.name} exited while owning {lock.name}; it stays owned and every later "
                "acquire blocks",
                (lock.oid, self.oid),
            )

    def at_end(self) -> None:
        apc.report_undelivered(self.k, self)


class KProcess(DispatcherObject):
    """The emulated process (EPROCESS). It outlives every run, so it is never signalled."""

    __slots__ = ()

    TYPE = "Process"
