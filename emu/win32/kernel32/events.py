"""Event objects (synchapi.h): CreateEvent, OpenEvent, SetEvent, ResetEvent.

Sentences implemented (MS docs pages of each function; the event semantics are in
``emu.kernel.event``):

- CreateEvent: "If the function succeeds, the return value is a handle to the event object. If
  the named event object existed before the function call, the function returns a handle to
  the existing object and GetLastError returns ERROR_ALREADY_EXISTS." "If lpName matches the
  name of another kind of object in the same namespace ..., the function fails and the
  GetLastError function returns ERROR_INVALID_HANDLE." On success for a new object the last
  error is 0 (Wine kernel32 sync test_event: ``GetLastError() == 0``).
- OpenEvent: "If the function succeeds, the return value is a handle to the event object. If
  the function fails, the return value is NULL."; a name nobody created gives
  ERROR_FILE_NOT_FOUND (STATUS_OBJECT_NAME_NOT_FOUND).
- SetEvent / ResetEvent: nonzero on success, zero on failure; "The handle must have the
  EVENT_MODIFY_STATE access right." A handle to another kind of object fails with
  ERROR_INVALID_HANDLE (STATUS_OBJECT_TYPE_MISMATCH).
"""

from __future__ import annotations

from typing import Any

from emu.codes.access import EVENT_ALL_ACCESS, EVENT_MODIFY_STATE
from emu.codes.winerror import (
    ERROR_ALREADY_EXISTS,
    ERROR_FILE_NOT_FOUND,
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER,
    ERROR_SUCCESS,
)
from emu.kernel.actor import PARK
from emu.kernel.event import KEvent, create_event
from emu.kernel.thread import Thread
from emu.win32.base import BOOL, HANDLE, ApiCall, Win32Base, dword, export


class EventApi(Win32Base):
    __slots__ = ()

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
        if k.ready and k.preempted("CreateEventW", ()):
            yield PARK
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
        ``dwDesiredAccess``, generic rights mapped through the event type's GENERIC_MAPPING
        (GENERIC_ALL is EVENT_ALL_ACCESS), so a handle without EVENT_MODIFY_STATE cannot set
        the event.
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("OpenEventW", ()):
            yield PARK
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
        return self._done(t, name, args, k.handles.insert(existing, existing.map_access(access)))

    OpenEventA = OpenEventW
    OpenEvent = OpenEventW

    def _modify(self, t: Thread, name: str, hEvent: Any, set_it: bool) -> int:
        """SetEvent or ResetEvent after its scheduling point (no generator of its own)."""
        args = (hEvent,)
        event, status = self._resolve(t, hEvent, KEvent, EVENT_MODIFY_STATE, pseudo=False)
        if status:
            return self._fail_nt(t, name, args, 0, status)
        assert isinstance(event, KEvent)
        if set_it:
            event.set()
        else:
            event.reset()
        return self._done(t, name, args, 1)

    @export("kernel32", BOOL)
    def SetEvent(self, hEvent: Any) -> ApiCall[int]:
        """BOOL SetEvent(HANDLE hEvent);

        "Sets the specified event object to the signaled state." "The handle must have the
        EVENT_MODIFY_STATE access right." An auto-reset event releases a single waiting thread
        and becomes nonsignaled again; a manual-reset event releases every waiting thread.
        """
        k = self.k
        t = k.current
        if not isinstance(t, Thread):
            t = self._caller()  # raises: not called from a virtual thread
        if k.ready and k.preempted("SetEvent", self._footprint(hEvent, "w")):
            yield PARK
        return self._modify(t, "SetEvent", hEvent, True)

    @export("kernel32", BOOL)
    def ResetEvent(self, hEvent: Any) -> ApiCall[int]:
        """BOOL ResetEvent(HANDLE hEvent);

        "Sets the specified event object to the nonsignaled state." "The handle must have the
        EVENT_MODIFY_STATE access right."
        """
        k = self.k
        t = k.current
        if not isinstance(t, Thread):
            t = self._caller()  # raises: not called from a virtual thread
        if k.ready and k.preempted("ResetEvent", self._footprint(hEvent, "w")):
            yield PARK
        return self._modify(t, "ResetEvent", hEvent, False)
