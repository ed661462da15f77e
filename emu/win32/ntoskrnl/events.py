"""Events and waits for drivers (wdm.h): KeInitializeEvent, KeSetEvent, KeResetEvent,
KeClearEvent, KeReadStateEvent, KeWaitForSingleObject.

- KeInitializeEvent: "Type: Type of event, either NotificationEvent or SynchronizationEvent".
- KeSetEvent: "If the previous state of the given event object was signaled, a nonzero value is
  returned" (the previous state); "If Wait is set to FALSE, the caller can be running at IRQL
  <= DISPATCH_LEVEL. Otherwise, callers of KeSetEvent must be running at IRQL <= APC_LEVEL".
- KeResetEvent returns the previous state; KeClearEvent returns nothing; both at IRQL <=
  DISPATCH_LEVEL.
- KeWaitForSingleObject: returns STATUS_SUCCESS, STATUS_TIMEOUT, or (a UserMode alertable wait)
  STATUS_USER_APC; "Callers of KeWaitForSingleObject must be running at IRQL <= DISPATCH_LEVEL.
  However, if Timeout = NULL or *Timeout != 0, the caller must be running at IRQL <= APC_LEVEL";
  "If *Timeout = 0, the routine returns without waiting". A negative timeout is relative, in
  100-ns units; a positive one absolute. A wait at DISPATCH_LEVEL with a non-zero timeout is
  recorded (``kernel.wait_at_dispatch``) and performed as a poll.
"""

from __future__ import annotations

from typing import Any

from emu.codes.ntstatus import (
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    STATUS_TIMEOUT,
    STATUS_USER_APC,
)
from emu.kernel import waits
from emu.kernel.event import KEvent, create_event
from emu.kernel.irql import APC_LEVEL, DISPATCH_LEVEL, check_irql
from emu.win32.base import LONG_VALUE, VOID, ApiCall, export
from emu.win32.ntos_types import KEVENT, LARGE_INTEGER
from emu.win32.ntoskrnl.base import (
    NTSTATUS_RESULT,
    NotificationEvent,
    NtosBase,
    SynchronizationEvent,
    UserMode,
)


class KeEvents(NtosBase):
    __slots__ = ()

    @export("ntoskrnl", VOID)
    def KeInitializeEvent(self, Event: Any, Type: Any, State: Any) -> ApiCall[None]:
        """VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State);"""
        ctx = self._ctx()
        name, args = "KeInitializeEvent", (Event, Type, State)
        check_irql(self.k, ctx, name, DISPATCH_LEVEL)
        if not isinstance(Event, KEVENT) or Type not in (NotificationEvent, SynchronizationEvent):
            return self._bad(ctx, name, args, "Event is a KEVENT, Type an EVENT_TYPE", None)
        Event.bind(self.k)
        previous = Event.obj
        event = create_event(self.k, Type == NotificationEvent, bool(State), Event.trace_name)
        event.reference()  # held by its KEVENT storage, as a handle would hold it
        object.__setattr__(Event, "obj", event)
        if isinstance(previous, KEvent):
            previous.dereference()  # re-initialised: the old object is no longer reachable
        return self._done(ctx, name, args, None)
        yield  # type: ignore[unreachable]  # every export is a generator

    @export("ntoskrnl", LONG_VALUE)
    def KeSetEvent(self, Event: Any, Increment: Any, Wait: Any) -> ApiCall[int]:
        """LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);"""
        ctx = self._ctx()
        k = self.k
        if k.ready:
            obj = self._event(Event)
            yield from k.preempt("KeSetEvent", ((obj.oid, "w"),) if obj is not None else ())
        name, args = "KeSetEvent", (Event, Increment, Wait)
        check_irql(k, ctx, name, APC_LEVEL if Wait else DISPATCH_LEVEL)
        event = self._event(Event)
        if event is None:
            return self._bad(ctx, name, args, "Event is not an initialized KEVENT", 0)
        return self._done(ctx, name, args, event.set())

    @export("ntoskrnl", LONG_VALUE)
    def KeResetEvent(self, Event: Any) -> ApiCall[int]:
        """LONG KeResetEvent(PRKEVENT Event);  returns the previous state."""
        ctx = self._ctx()
        k = self.k
        if k.ready:
            yield from k.preempt("KeResetEvent", ())
        name, args = "KeResetEvent", (Event,)
        check_irql(k, ctx, name, DISPATCH_LEVEL)
        event = self._event(Event)
        if event is None:
            return self._bad(ctx, name, args, "Event is not an initialized KEVENT", 0)
        return self._done(ctx, name, args, event.reset())

    @export("ntoskrnl", VOID)
    def KeClearEvent(self, Event: Any) -> ApiCall[None]:
        """VOID KeClearEvent(PRKEVENT Event);"""
        ctx = self._ctx()
        k = self.k
        if k.ready:
            yield from k.preempt("KeClearEvent", ())
        name, args = "KeClearEvent", (Event,)
        check_irql(k, ctx, name, DISPATCH_LEVEL)
        event = self._event(Event)
        if event is None:
            return self._bad(ctx, name, args, "Event is not an initialized KEVENT", None)
        event.reset()
        return self._done(ctx, name, args, None)

    @export("ntoskrnl", LONG_VALUE)
    def KeReadStateEvent(self, Event: Any) -> ApiCall[int]:
        """LONG KeReadStateEvent(PRKEVENT Event);"""
        ctx = self._ctx()
        event = self._event(Event)
        if event is None:
            return self._bad(ctx, "KeReadStateEvent", (Event,), "not a KEVENT", 0)
        return self._done(ctx, "KeReadStateEvent", (Event,), int(event.signaled))
        yield  # type: ignore[unreachable]  # every export is a generator

    @export("ntoskrnl", NTSTATUS_RESULT)
    def KeWaitForSingleObject(
        self, Object: Any, WaitReason: Any, WaitMode: Any, Alertable: Any, Timeout: Any
    ) -> ApiCall[int]:
        """NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason,
        KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout);"""
        ctx = self._ctx()
        k = self.k
        if k.ready:
            obj = self._event(Object)
            yield from k.preempt(
                "KeWaitForSingleObject", ((obj.oid, "w"),) if obj is not None else ()
            )
        name, args = "KeWaitForSingleObject", (Object, WaitReason, WaitMode, Alertable, Timeout)
        event = self._event(Object)
        if event is None:
            what = "Object is not an initialized KEVENT"
            return self._bad(ctx, name, args, what, STATUS_INVALID_PARAMETER)
        if Timeout is not None and not isinstance(Timeout, LARGE_INTEGER):
            what = "Timeout is a LARGE_INTEGER or NULL"
            return self._bad(ctx, name, args, what, STATUS_INVALID_PARAMETER)
        ticks: int | None = None
        if Timeout is not None:
            Timeout.bind(k)
            value = Timeout.sys_get("QuadPart")
            if type(value) is not int:
                what = "Timeout->QuadPart is a LONGLONG"
                return self._bad(ctx, name, args, what, STATUS_INVALID_PARAMETER)
            ticks = -value if value < 0 else max(0, value - k.now)
        check_irql(k, ctx, name, DISPATCH_LEVEL)
        if ctx.irql >= DISPATCH_LEVEL and ticks != 0:
            k.violation(
                "kernel.wait_at_dispatch",
                f"{ctx.name} waits on {event.name} at DISPATCH_LEVEL with a non-zero timeout "
                "(a bug check on Windows); performed as a poll",
                (ctx.oid, event.oid),
            )
            ticks = 0
        alertable = bool(Alertable) and WaitMode == UserMode
        status = yield from waits.wait(k, ctx, (event,), False, ticks, alertable)
        if status not in (STATUS_SUCCESS, STATUS_TIMEOUT, STATUS_USER_APC):
            status = STATUS_SUCCESS
        return self._done(ctx, name, args, status)
