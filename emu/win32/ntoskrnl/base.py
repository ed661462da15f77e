"""What the kernel-mode exports share: the calling context (any actor: a system thread, a DPC
processor, a worker thread) and the recording of misuse C would not survive.

Kernel functions do not validate what C would crash on: a structure never initialised, or the
wrong one, is recorded as ``win32.bad_argument`` and the call does nothing (returning 0, or
STATUS_INVALID_PARAMETER where it returns an NTSTATUS).
"""

from __future__ import annotations

from typing import Any, Final, TypeVar

from emu.errors import ProgramError
from emu.kernel.actor import Actor
from emu.kernel.event import KEvent
from emu.win32.base import Win32Base
from emu.win32.ntos_types import KEVENT

R = TypeVar("R")

NotificationEvent: Final = 0
SynchronizationEvent: Final = 1
KernelMode: Final = 0
UserMode: Final = 1
CriticalWorkQueue: Final = 0
DelayedWorkQueue: Final = 1
HyperCriticalWorkQueue: Final = 2
WORK_QUEUES: Final = {
    CriticalWorkQueue: "CriticalWorkQueue",
    DelayedWorkQueue: "DelayedWorkQueue",
    HyperCriticalWorkQueue: "HyperCriticalWorkQueue",
}
NTSTATUS_RESULT: Final = "NTSTATUS"
BOOLEAN: Final = "BOOL"


class NtosBase(Win32Base):
    """The shared helpers of the ntoskrnl mixins."""

    __slots__ = ()

    def _ctx(self) -> Actor:
        cur = self.k.current
        if cur is None:
            raise ProgramError("a kernel routine was called outside an execution context")
        return cur

    def _bad(self, ctx: Actor, name: str, args: tuple[Any, ...], what: str, result: R) -> R:
        self.k.violation("win32.bad_argument", f"{name}: {what}", (ctx.oid,))
        return self._done(ctx, name, args, result)

    def _event(self, Event: Any) -> KEvent | None:
        if isinstance(Event, KEVENT) and isinstance(Event.obj, KEvent):
            return Event.obj
        return None
