"""Waits and sleeps (synchapi.h): WaitForSingleObject(Ex), WaitForMultipleObjects(Ex), SleepEx,
Sleep.

Sentences implemented (MS docs pages of each function; facts in docs/sources.md, F5):

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
- The last error is set only when a call fails (WAIT_FAILED); a wait that succeeds, times out or
  is ended by APCs leaves it untouched.
"""

from __future__ import annotations

from typing import Any

from emu.codes.access import SYNCHRONIZE
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
    WAIT_RESULT_MEMBERS,
    WAIT_TIMEOUT,
)
from emu.codes.winerror import (
    ERROR_INVALID_PARAMETER,
)
from emu.kernel import waits
from emu.kernel.actor import PARK
from emu.kernel.objects import DispatcherObject
from emu.kernel.thread import Thread
from emu.kernel.time import INFINITE_MS, TICKS_PER_MS, ms_to_ticks
from emu.win32.base import (
    DWORD_WAIT,
    SLEEP_RESULT,
    VOID,
    ApiCall,
    Win32Base,
    dword,
    export,
    sequence_of,
)


def wait_result(status: int) -> int:
    """A kernel wait status as the Win32 wait result, a ``WaitResult`` member when it has a
    name (the API boundary prints codes by name; ``WAIT_OBJECT_0 + n`` stays an int)."""
    if status == STATUS_USER_APC:
        status = WAIT_IO_COMPLETION
    elif status == STATUS_TIMEOUT:
        status = WAIT_TIMEOUT
    return WAIT_RESULT_MEMBERS.get(status, status)  # STATUS_WAIT_0 + n == WAIT_OBJECT_0 + n


_IO_COMPLETION = WAIT_RESULT_MEMBERS[WAIT_IO_COMPLETION]
WAIT_FAILED_RESULT = WAIT_RESULT_MEMBERS[WAIT_FAILED]


class WaitApi(Win32Base):
    __slots__ = ()

    # -- waits --------------------------------------------------------------------------------

    def _wait_one(
        self,
        name: str,
        args: tuple[Any, ...],
        hHandle: Any,
        dwMilliseconds: Any,
        bAlertable: Any,
    ) -> ApiCall[int]:
        k = self.k
        t = k.current
        if not isinstance(t, Thread):
            t = self._caller()  # raises: not called from a virtual thread
        # dword() of each DWORD/BOOL argument, without a call for a plain int
        alertable = bAlertable & 0xFFFFFFFF if type(bAlertable) is int else dword(bAlertable)
        if k.ready:
            fp = self._footprint(hHandle, "w")
            if k.preempted(name, (*fp, (t.oid, "r")) if alertable else fp):
                yield PARK
        ms = dwMilliseconds & 0xFFFFFFFF if type(dwMilliseconds) is int else dword(dwMilliseconds)
        if ms is None or alertable is None:
            return self._fail(t, name, args, WAIT_FAILED_RESULT, ERROR_INVALID_PARAMETER)
        obj, status = self._resolve(t, hHandle, DispatcherObject, SYNCHRONIZE)
        if status:
            return self._fail_nt(t, name, args, WAIT_FAILED_RESULT, status)
        assert isinstance(obj, DispatcherObject)
        ticks = None if ms == INFINITE_MS else ms * TICKS_PER_MS  # ms_to_ticks
        status = yield from waits.wait(k, t, (obj,), False, ticks, bool(alertable))
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
            if k.preempted(name, (*fp, (t.oid, "r"))):
                yield PARK
        listed = tuple(handles) if handles is not None else lpHandles
        args: tuple[Any, ...] = (nCount, listed, bWaitAll, dwMilliseconds)
        if name.endswith("Ex"):
            args = (*args, bAlertable)
        count = dword(nCount)
        wait_all = dword(bWaitAll)
        alertable = dword(bAlertable)
        ms = dword(dwMilliseconds)
        if count is None or wait_all is None or alertable is None or ms is None:
            return self._fail(t, name, args, WAIT_FAILED_RESULT, ERROR_INVALID_PARAMETER)
        if count == 0 or count > MAXIMUM_WAIT_OBJECTS:
            return self._fail_nt(t, name, args, WAIT_FAILED_RESULT, STATUS_INVALID_PARAMETER_1)
        if handles is None or len(handles) < count:
            return self._fail_nt(t, name, args, WAIT_FAILED_RESULT, STATUS_ACCESS_VIOLATION)
        objects: list[DispatcherObject] = []
        for handle in handles[:count]:
            obj, status = self._resolve(t, handle, DispatcherObject, SYNCHRONIZE, pseudo=False)
            if status:
                return self._fail_nt(t, name, args, WAIT_FAILED_RESULT, status)
            assert isinstance(obj, DispatcherObject)
            objects.append(obj)
        if wait_all and any(o in objects[:i] for i, o in enumerate(objects)):
            return self._fail_nt(t, name, args, WAIT_FAILED_RESULT, STATUS_INVALID_PARAMETER_MIX)
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
        k = self.k
        t = k.current
        if not isinstance(t, Thread):
            t = self._caller()  # raises: not called from a virtual thread
        args = (dwMilliseconds, bAlertable) if name == "SleepEx" else (dwMilliseconds,)
        ms = dword(dwMilliseconds)
        alertable = dword(bAlertable)
        if ms is None or alertable is None:
            self._bad_argument(t, name, args, "dwMilliseconds and bAlertable are DWORD/BOOL")
            return self._done(t, name, args, 0)
        if ms == 0 and not (alertable and t.apcs):
            if k.ready and k.yielded(f"{name}(0)"):
                yield PARK
            return self._done(t, name, args, 0)
        if k.ready and k.preempted(name, ((t.oid, "r"),) if alertable else ()):
            yield PARK
        ticks = None if ms == INFINITE_MS else ms * TICKS_PER_MS  # ms_to_ticks
        status = yield from waits.wait(k, t, (), False, ticks, bool(alertable))
        return self._done(t, name, args, _IO_COMPLETION if status == STATUS_USER_APC else 0)

    @export("kernel32", SLEEP_RESULT)
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
