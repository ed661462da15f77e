"""Events, waits and sleeps (synchapi.h): CreateEvent, OpenEvent, SetEvent, ResetEvent,
WaitForSingleObject(Ex), WaitForMultipleObjects(Ex), SleepEx, Sleep.

Sentences implemented (MS docs pages of each function; facts in shared/spec/kernel.md §5):

- CreateEvent: "If the function succeeds, the return value is a handle to the event object. If
  the named event object existed before the function call, the function returns a handle to
  the existing object and GetLastError returns ERROR_ALREADY_EXISTS." "If lpName matches the
  name of another kind of object in the same namespace ..., the function fails and the
  GetLastError function returns ERROR_INVALID_HANDLE." On success for a new object the last
  error is 0 (Wine kernel32 sync test_event: ``GetLastError() == 0``).
- SetEvent / ResetEvent: nonzero on success, zero on failure; the handle needs
  EVENT_MODIFY_STATE.
- Waits: "WAIT_OBJECT_0 ... The state of the specified object is signaled", "WAIT_IO_COMPLETION
  The wait was ended by one or more user-mode asynchronous procedure calls (APC) queued to the
  thread", "WAIT_TIMEOUT The time-out interval elapsed, and the object's state is nonsignaled",
  "WAIT_FAILED ... To get extended error information, call GetLastError." The handle needs
  SYNCHRONIZE. For WaitForMultipleObjects(Ex): nCount "cannot be zero" and at most
  MAXIMUM_WAIT_OBJECTS (STATUS_INVALID_PARAMETER_1 -> ERROR_INVALID_PARAMETER); with bWaitAll the
  same object twice is STATUS_INVALID_PARAMETER_MIX -> ERROR_INVALID_PARAMETER; pseudo-handles
  are not accepted in the array (Wine kernel32 sync test_WaitForMultipleObjects: WAIT_FAILED,
  ERROR_INVALID_HANDLE); "If bWaitAll is FALSE, the return value minus WAIT_OBJECT_0 indicates
  the lpHandles array index of the object that satisfied the wait. If more than one object
  became signaled during the call, this is the array index of the signaled object with the
  smallest index value". Every kernel object emu models is a dispatcher object; a handle to
  anything else fails the wait with ERROR_INVALID_HANDLE.
- SleepEx: "The return value is zero if the specified time interval expired" and
  "WAIT_IO_COMPLETION if the function returned due to one or more I/O completion callback
  functions"; "A value of zero causes the thread to relinquish the remainder of its time slice
  to any other thread that is ready to run"; it never touches the last error (F5.17, F5.18).
- The last error is set only when a call fails (WAIT_FAILED, FALSE, NULL).
"""

from __future__ import annotations

from typing import Any

from emu.codes.access import EVENT_ALL_ACCESS, EVENT_MODIFY_STATE, SYNCHRONIZE
from emu.codes.ntstatus import (
    STATUS_ACCESS_VIOLATION,
    STATUS_INVALID_PARAMETER_1,
    STATUS_INVALID_PARAMETER_MIX,
    STATUS_TIMEOUT,
    STATUS_USER_APC,
)
from emu.codes.wait import (
    MAXIMUM_WAIT_OBJECTS,
    WAIT_FAILED,
    WAIT_IO_COMPLETION,
    WAIT_TIMEOUT,
)
from emu.codes.winerror import (
    ERROR_ALREADY_EXISTS,
    ERROR_FILE_NOT_FOUND,
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER,
    ERROR_SUCCESS,
)
from emu.kernel import waits
from emu.kernel.event import KEvent, create_event
from emu.kernel.objects import DispatcherObject
from emu.kernel.time import ms_to_ticks
from emu.win32.base import (
    BOOL,
    DWORD_VALUE,
    DWORD_WAIT,
    HANDLE,
    VOID,
    ApiCall,
    Win32Base,
    dword,
    export,
    sequence_of,
)


def wait_result(status: int) -> int:
    """A kernel wait status as the Win32 wait result."""
    if status == STATUS_USER_APC:
        return WAIT_IO_COMPLETION
    if status == STATUS_TIMEOUT:
        return WAIT_TIMEOUT
    return status  # STATUS_WAIT_0 + n == WAIT_OBJECT_0 + n


class SynchApi(Win32Base):
    __slots__ = ()

    # -- events -------------------------------------------------------------------------------

    @export("kernel32", HANDLE, "CreateEventA", "CreateEvent")
    def CreateEventW(
        self,
        lpEventAttributes: Any = None,
        bManualReset: Any = False,
        bInitialState: Any = False,
        lpName: Any = None,
    ) -> ApiCall[int]:
        """HANDLE CreateEventW(LPSECURITY_ATTRIBUTES lpEventAttributes, BOOL bManualReset,
        BOOL bInitialState, LPCWSTR lpName);

        "Creates or opens a named or unnamed event object." bManualReset: "If this parameter is
        TRUE, the function creates a manual-reset event object, which requires the use of the
        ResetEvent function to set the event state to nonsignaled. If this parameter is FALSE,
        the function creates an auto-reset event object, and system automatically resets the
        event state to nonsignaled after a single waiting thread has been released."

        Emulation notes: security attributes are ignored; names live in one namespace per
        simulation.
        """
        t = self._caller()
        k = self.k
        if k.ready:
            yield from k.preempt("CreateEventW", ())
        name = "CreateEventW"
        args = (lpEventAttributes, bManualReset, bInitialState, lpName)
        manual = dword(bManualReset)
        initial = dword(bInitialState)
        if manual is None or initial is None or not (lpName is None or isinstance(lpName, str)):
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if lpName:
            existing = k.find_name(lpName)
            if existing is not None:
                if not isinstance(existing, KEvent):
                    return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
                handle = k.handles.insert(existing, EVENT_ALL_ACCESS)
                return self._done_setting(t, name, args, handle, ERROR_ALREADY_EXISTS)
        event = create_event(k, bool(manual), bool(initial), lpName or None)
        if lpName:
            k.add_name(lpName, event)
        handle = k.handles.insert(event, EVENT_ALL_ACCESS)
        return self._done_setting(t, name, args, handle, ERROR_SUCCESS)

    CreateEventA = CreateEventW
    CreateEvent = CreateEventW

    @export("kernel32", HANDLE, "OpenEventA", "OpenEvent")
    def OpenEventW(self, dwDesiredAccess: Any, bInheritHandle: Any, lpName: Any) -> ApiCall[int]:
        """HANDLE OpenEventW(DWORD dwDesiredAccess, BOOL bInheritHandle, LPCWSTR lpName);

        "If the function succeeds, the return value is a handle to the event object. If the
        function fails, the return value is NULL." The handle has exactly
        ``dwDesiredAccess``, so a handle without EVENT_MODIFY_STATE cannot set the event.
        """
        t = self._caller()
        k = self.k
        if k.ready:
            yield from k.preempt("OpenEventW", ())
        name = "OpenEventW"
        args = (dwDesiredAccess, bInheritHandle, lpName)
        access = dword(dwDesiredAccess)
        if access is None or not isinstance(lpName, str) or not lpName:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        existing = k.find_name(lpName)
        if existing is None:
            return self._fail(t, name, args, 0, ERROR_FILE_NOT_FOUND)
        if not isinstance(existing, KEvent):
            return self._fail(t, name, args, 0, ERROR_INVALID_HANDLE)
        return self._done(t, name, args, k.handles.insert(existing, access))

    OpenEventA = OpenEventW
    OpenEvent = OpenEventW

    @export("kernel32", BOOL)
    def SetEvent(self, hEvent: Any) -> ApiCall[int]:
        """BOOL SetEvent(HANDLE hEvent);

        "Sets the specified event object to the signaled state." "The handle must have the
        EVENT_MODIFY_STATE access right." An auto-reset event releases a single waiting thread
        and becomes nonsignaled again; a manual-reset event releases every waiting thread.
        """
        t = self._caller()
        k = self.k
        if k.ready:
            yield from k.preempt("SetEvent", self._footprint(hEvent, "w"))
        args = (hEvent,)
        event, status = self._resolve(t, hEvent, KEvent, EVENT_MODIFY_STATE, pseudo=False)
        if status:
            return self._fail_nt(t, "SetEvent", args, 0, status)
        assert isinstance(event, KEvent)
        event.set()
        return self._done(t, "SetEvent", args, 1)

    @export("kernel32", BOOL)
    def ResetEvent(self, hEvent: Any) -> ApiCall[int]:
        """BOOL ResetEvent(HANDLE hEvent);

        "Sets the specified event object to the nonsignaled state." "The handle must have the
        EVENT_MODIFY_STATE access right."
        """
        t = self._caller()
        k = self.k
        if k.ready:
            yield from k.preempt("ResetEvent", self._footprint(hEvent, "w"))
        args = (hEvent,)
        event, status = self._resolve(t, hEvent, KEvent, EVENT_MODIFY_STATE, pseudo=False)
        if status:
            return self._fail_nt(t, "ResetEvent", args, 0, status)
        assert isinstance(event, KEvent)
        event.reset()
        return self._done(t, "ResetEvent", args, 1)

    # -- waits --------------------------------------------------------------------------------

    def _wait_one(
        self,
        name: str,
        args: tuple[Any, ...],
        hHandle: Any,
        dwMilliseconds: Any,
        bAlertable: Any,
    ) -> ApiCall[int]:
        t = self._caller()
        k = self.k
        alertable = dword(bAlertable)
        if k.ready:
            fp = self._footprint(hHandle, "w")
            yield from k.preempt(name, (*fp, (t.oid, "r")) if alertable else fp)
        ms = dword(dwMilliseconds)
        if ms is None or alertable is None:
            return self._fail(t, name, args, WAIT_FAILED, ERROR_INVALID_PARAMETER)
        obj, status = self._resolve(t, hHandle, DispatcherObject, SYNCHRONIZE)
        if status:
            return self._fail_nt(t, name, args, WAIT_FAILED, status)
        assert isinstance(obj, DispatcherObject)
        status = yield from waits.wait(k, t, (obj,), False, ms_to_ticks(ms), bool(alertable))
        return self._done(t, name, args, wait_result(status))

    @export("kernel32", DWORD_WAIT)
    def WaitForSingleObjectEx(
        self, hHandle: Any, dwMilliseconds: Any, bAlertable: Any
    ) -> ApiCall[int]:
        """DWORD WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable);

        "Waits until the specified object is in the signaled state, an I/O completion routine
        or asynchronous procedure call (APC) is queued to the thread, or the time-out interval
        elapses." "If dwMilliseconds is zero, the function does not enter a wait state if the
        criteria is not met; it always returns immediately. If dwMilliseconds is INFINITE, the
        function will return only when the object is signaled or an I/O completion routine or
        APC is queued."

        Emulation notes: if the object is already signalled the wait is satisfied even when an
        APC is queued and the wait is alertable; the APC stays queued (NT's order of tests).
        Every kernel object emu models is a dispatcher object (waitable).
        """
        return (
            yield from self._wait_one(
                "WaitForSingleObjectEx",
                (hHandle, dwMilliseconds, bAlertable),
                hHandle,
                dwMilliseconds,
                bAlertable,
            )
        )

    @export("kernel32", DWORD_WAIT)
    def WaitForSingleObject(self, hHandle: Any, dwMilliseconds: Any) -> ApiCall[int]:
        """DWORD WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);

        WaitForSingleObjectEx with bAlertable FALSE: queued APCs stay queued.
        """
        return (
            yield from self._wait_one(
                "WaitForSingleObject", (hHandle, dwMilliseconds), hHandle, dwMilliseconds, 0
            )
        )

    def _wait_many(
        self,
        name: str,
        nCount: Any,
        lpHandles: Any,
        bWaitAll: Any,
        dwMilliseconds: Any,
        bAlertable: Any,
    ) -> ApiCall[int]:
        t = self._caller()
        k = self.k
        handles = sequence_of(lpHandles)
        if k.ready:
            fp = tuple(f for h in (handles or ()) for f in self._footprint(h, "w"))
            yield from k.preempt(name, (*fp, (t.oid, "r")))
        listed = tuple(handles) if handles is not None else lpHandles
        args: tuple[Any, ...] = (nCount, listed, bWaitAll, dwMilliseconds)
        if name.endswith("Ex"):
            args = (*args, bAlertable)
        count = dword(nCount)
        wait_all = dword(bWaitAll)
        alertable = dword(bAlertable)
        ms = dword(dwMilliseconds)
        if count is None or wait_all is None or alertable is None or ms is None:
            return self._fail(t, name, args, WAIT_FAILED, ERROR_INVALID_PARAMETER)
        if count == 0 or count > MAXIMUM_WAIT_OBJECTS:
            return self._fail_nt(t, name, args, WAIT_FAILED, STATUS_INVALID_PARAMETER_1)
        if handles is None or len(handles) < count:
            return self._fail_nt(t, name, args, WAIT_FAILED, STATUS_ACCESS_VIOLATION)
        objects: list[DispatcherObject] = []
        for handle in handles[:count]:
            obj, status = self._resolve(t, handle, DispatcherObject, SYNCHRONIZE, pseudo=False)
            if status:
                return self._fail_nt(t, name, args, WAIT_FAILED, status)
            assert isinstance(obj, DispatcherObject)
            objects.append(obj)
        if wait_all and any(o in objects[:i] for i, o in enumerate(objects)):
            return self._fail_nt(t, name, args, WAIT_FAILED, STATUS_INVALID_PARAMETER_MIX)
        status = yield from waits.wait(
            k, t, tuple(objects), bool(wait_all), ms_to_ticks(ms), bool(alertable)
        )
        return self._done(t, name, args, wait_result(status))

    @export("kernel32", DWORD_WAIT)
    def WaitForMultipleObjectsEx(
        self,
        nCount: Any,
        lpHandles: Any,
        bWaitAll: Any,
        dwMilliseconds: Any,
        bAlertable: Any,
    ) -> ApiCall[int]:
        """DWORD WaitForMultipleObjectsEx(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
        DWORD dwMilliseconds, BOOL bAlertable);

        "If bWaitAll is TRUE, the function returns when the state of all objects in the
        lpHandles array have been set to signaled." "If bWaitAll is FALSE, the return value
        minus WAIT_OBJECT_0 indicates the lpHandles array index of the object that satisfied
        the wait." "The maximum number of object handles is MAXIMUM_WAIT_OBJECTS. This
        parameter cannot be zero."

        Emulation notes: ``lpHandles`` is a list or tuple; anything else (the C NULL) fails
        with ERROR_NOACCESS, as the kernel's probe of the array would. The wait-all is real:
        the objects are acquired together, only when all are signalled at once.
        """
        return (
            yield from self._wait_many(
                "WaitForMultipleObjectsEx",
                nCount,
                lpHandles,
                bWaitAll,
                dwMilliseconds,
                bAlertable,
            )
        )

    @export("kernel32", DWORD_WAIT)
    def WaitForMultipleObjects(
        self, nCount: Any, lpHandles: Any, bWaitAll: Any, dwMilliseconds: Any
    ) -> ApiCall[int]:
        """DWORD WaitForMultipleObjects(DWORD nCount, const HANDLE *lpHandles, BOOL bWaitAll,
        DWORD dwMilliseconds);

        WaitForMultipleObjectsEx with bAlertable FALSE.
        """
        return (
            yield from self._wait_many(
                "WaitForMultipleObjects", nCount, lpHandles, bWaitAll, dwMilliseconds, 0
            )
        )

    # -- sleeps -------------------------------------------------------------------------------

    def _sleep(self, name: str, dwMilliseconds: Any, bAlertable: Any) -> ApiCall[int]:
        t = self._caller()
        k = self.k
        args = (dwMilliseconds, bAlertable) if name == "SleepEx" else (dwMilliseconds,)
        ms = dword(dwMilliseconds)
        alertable = dword(bAlertable)
        if ms is None or alertable is None:
            self._bad_argument(t, name, args, "dwMilliseconds and bAlertable are DWORD/BOOL")
            return self._done(t, name, args, 0)
        if ms == 0 and not (alertable and t.apcs):
            if k.ready:
                yield from k.yield_processor(f"{name}(0)")
            return self._done(t, name, args, 0)
        if k.ready:
            yield from k.preempt(name, ((t.oid, "r"),) if alertable else ())
        status = yield from waits.wait(k, t, (), False, ms_to_ticks(ms), bool(alertable))
        return self._done(t, name, args, WAIT_IO_COMPLETION if status == STATUS_USER_APC else 0)

    @export("kernel32", DWORD_VALUE)
    def SleepEx(self, dwMilliseconds: Any, bAlertable: Any) -> ApiCall[int]:
        """DWORD SleepEx(DWORD dwMilliseconds, BOOL bAlertable);

        "Suspends the current thread until the specified condition is met. Execution resumes
        when one of the following occurs: An I/O completion callback function is called. An
        asynchronous procedure call (APC) is queued to the thread. The time-out interval
        elapses." "The return value is zero if the specified time interval expired." "The
        return value is WAIT_IO_COMPLETION if the function returned due to one or more I/O
        completion callback functions." "A value of zero causes the thread to relinquish the
        remainder of its time slice to any other thread that is ready to run."

        Emulation notes: never sets the last error, even for a bad argument (then it records a
        ``win32.bad_argument`` violation and returns 0 at once).
        """
        return (yield from self._sleep("SleepEx", dwMilliseconds, bAlertable))

    @export("kernel32", VOID)
    def Sleep(self, dwMilliseconds: Any) -> ApiCall[None]:
        """void Sleep(DWORD dwMilliseconds);  SleepEx with bAlertable FALSE."""
        yield from self._sleep("Sleep", dwMilliseconds, 0)
        return None
