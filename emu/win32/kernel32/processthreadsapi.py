"""Threads and APCs (processthreadsapi.h): CreateThread, ExitThread, GetExitCodeThread,
ResumeThread, SwitchToThread, QueueUserAPC, GetCurrentThread(Id), GetCurrentProcess(Id).

Sentences implemented (CreateThread, QueueUserAPC, GetExitCodeThread pages, MS docs):

- CreateThread: "If the function succeeds, the return value is a handle to the new thread. If
  the function fails, the return value is NULL." The thread runs ``lpStartAddress(lpParameter)``
  (a generator function, or a plain function that is wrapped); "The thread object remains in the
  signaled state until the thread has terminated"... in fact it becomes signalled when it
  terminates and stays so. CREATE_SUSPENDED: "The thread is created in a suspended state, and
  does not run until the ResumeThread function is called."
- ExitThread ends the calling thread with ``dwExitCode``; returning from the start routine does
  the same with the return value.
- GetExitCodeThread: "If the specified thread has not terminated and the function succeeds, the
  status returned is STILL_ACTIVE."
- QueueUserAPC: "If the function succeeds, the return value is nonzero. If the function fails,
  the return value is zero." The handle "must have the THREAD_SET_CONTEXT access right". "When
  the thread is in the process of being terminated, calling QueueUserAPC to add to the thread's
  APC queue will fail with (31) ERROR_GEN_FAILURE." The APC routine runs ``pfnAPC(dwData)`` on
  the target thread when it waits alertably (see emu.kernel.apc for the delivery rules).

Emulation notes: a start routine or APC routine that is not callable (the C NULL) fails the call
with ERROR_INVALID_PARAMETER (assumption: Windows would accept it and crash the thread later);
creation flags other than CREATE_SUSPENDED and STACK_SIZE_PARAM_IS_A_RESERVATION fail the same
way (assumption). SuspendThread is not modelled. OpenThread finds a thread by id among the
thread objects that still exist.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from types import GeneratorType
from typing import Any

from emu.codes.access import (
    CREATE_SUSPENDED,
    STACK_SIZE_PARAM_IS_A_RESERVATION,
    THREAD_ALL_ACCESS,
    THREAD_QUERY_INFORMATION,
    THREAD_QUERY_LIMITED_INFORMATION,
    THREAD_SET_CONTEXT,
    THREAD_SUSPEND_RESUME,
)
from emu.codes.ntstatus import STATUS_ACCESS_VIOLATION, STATUS_INVALID_CID, STATUS_UNSUCCESSFUL
from emu.codes.wait import STILL_ACTIVE
from emu.codes.winerror import ERROR_GEN_FAILURE, ERROR_INVALID_PARAMETER
from emu.kernel.actor import PARK, ActorState, Park, ThreadExit
from emu.kernel.apc import queue_user_apc, routine_label
from emu.kernel.handles import NT_CURRENT_PROCESS, NT_CURRENT_THREAD
from emu.kernel.thread import Thread
from emu.kernel.trace import payload_value
from emu.win32.base import (
    BOOL,
    DWORD_VALUE,
    HANDLE,
    VOID,
    ApiCall,
    Win32Base,
    dword,
    export,
)
from emu.win32.types import DWORD

_VALID_CREATE_FLAGS = CREATE_SUSPENDED | STACK_SIZE_PARAM_IS_A_RESERVATION
_QUERY = THREAD_QUERY_INFORMATION | THREAD_QUERY_LIMITED_INFORMATION


def thread_body(routine: Callable[..., Any], *args: Any) -> Generator[Park, None, Any]:
    """The generator a new thread runs: ``routine(*args)``, a generator function or not."""
    result = routine(*args)
    if isinstance(result, GeneratorType):
        result = yield from result
    return result


class ProcessThreadsApi(Win32Base):
    __slots__ = ()

    @export("kernel32", HANDLE)
    def CreateThread(
        self,
        lpThreadAttributes: Any = None,
        dwStackSize: Any = 0,
        lpStartAddress: Any = None,
        lpParameter: Any = None,
        dwCreationFlags: Any = 0,
        lpThreadId: Any = None,
    ) -> ApiCall[int]:
        """HANDLE CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
        LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter, DWORD dwCreationFlags,
        LPDWORD lpThreadId);

        "Creates a thread to execute within the virtual address space of the calling process."
        "If the function succeeds, the return value is a handle to the new thread. If the
        function fails, the return value is NULL."

        Emulation notes: the new thread is named after its start routine; ``lpThreadId``, if
        given, is a ``DWORD`` box the system writes the thread id into.
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("CreateThread", ()):
            yield PARK
        name = "CreateThread"
        args = (
            lpThreadAttributes,
            dwStackSize,
            lpStartAddress,
            lpParameter,
            dwCreationFlags,
            lpThreadId,
        )
        flags = dword(dwCreationFlags)
        if (
            not callable(lpStartAddress)
            or flags is None
            or flags & ~_VALID_CREATE_FLAGS
            or dword(dwStackSize) is None
            or not (lpThreadId is None or isinstance(lpThreadId, DWORD))
        ):
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if lpThreadId is not None:
            lpThreadId.bind(k)  # before any effect: a structure of another run is refused
        thread = Thread(k, routine_label(lpStartAddress), thread_body(lpStartAddress, lpParameter))
        k.spawn(thread, suspended=bool(flags & CREATE_SUSPENDED))
        handle = k.handles.insert(thread, THREAD_ALL_ACCESS)
        if lpThreadId is not None:
            lpThreadId.sys_set("value", thread.tid)
        return self._done(t, name, args, handle)

    @export("kernel32", VOID)
    def ExitThread(self, dwExitCode: Any) -> ApiCall[None]:
        """void ExitThread(DWORD dwExitCode);

        "Ends the calling thread." The thread object becomes signalled and its exit code is
        ``dwExitCode``; its pending APCs are discarded.
        """
        t = self._caller()
        code = dword(dwExitCode)
        if code is None:
            self._bad_argument(t, "ExitThread", (dwExitCode,), "dwExitCode is not a DWORD")
            code = 0
        self._done(t, "ExitThread", (code,), None)
        raise ThreadExit(code)
        yield  # type: ignore[unreachable]  # every export is a generator

    @export("kernel32", BOOL)
    def GetExitCodeThread(self, hThread: Any, lpExitCode: Any) -> ApiCall[int]:
        """BOOL GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode);

        "If the specified thread has not terminated and the function succeeds, the status
        returned is STILL_ACTIVE." The handle needs THREAD_QUERY_INFORMATION or
        THREAD_QUERY_LIMITED_INFORMATION.

        Emulation notes: the handle is checked first; a missing ``lpExitCode`` (C NULL) fails
        with ERROR_NOACCESS where Windows would fault writing through it.
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("GetExitCodeThread", self._footprint(hThread, "r")):
            yield PARK
        name = "GetExitCodeThread"
        args = (hThread, lpExitCode)
        thread, status = self._resolve(t, hThread, Thread, _QUERY, any_of=True)
        if status:
            return self._fail_nt(t, name, args, 0, status)
        assert isinstance(thread, Thread)
        if not isinstance(lpExitCode, DWORD):
            return self._fail_nt(t, name, args, 0, STATUS_ACCESS_VIOLATION)
        lpExitCode.bind(k)
        code = thread.exit_code if thread.exit_code is not None else STILL_ACTIVE
        lpExitCode.sys_set("value", code)
        return self._done(t, name, args, 1)

    @export("kernel32", DWORD_VALUE)
    def ResumeThread(self, hThread: Any) -> ApiCall[int]:
        """DWORD ResumeThread(HANDLE hThread);

        "If the function succeeds, the return value is the thread's previous suspend count. If
        the function fails, the return value is (DWORD) -1." A thread created with
        CREATE_SUSPENDED has suspend count 1; resuming it makes it runnable.
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("ResumeThread", self._footprint(hThread, "w")):
            yield PARK
        name = "ResumeThread"
        args = (hThread,)
        thread, status = self._resolve(t, hThread, Thread, THREAD_SUSPEND_RESUME)
        if status:
            return self._fail_nt(t, name, args, 0xFFFFFFFF, status)
        assert isinstance(thread, Thread)
        if thread.state is not ActorState.SUSPENDED:
            return self._done(t, name, args, 0)
        k.set_state(thread, ActorState.READY)
        k.make_ready(thread)
        return self._done(t, name, args, 1)

    @export("kernel32", BOOL)
    def SwitchToThread(self) -> ApiCall[int]:
        """BOOL SwitchToThread(void);

        "Causes the calling thread to yield execution to another thread that is ready to run on
        the current processor." "If calling the SwitchToThread function causes the operating
        system to switch execution to another thread, the return value is nonzero. If there are
        no other threads ready to execute, ... the return value is zero."
        """
        t = self._caller()
        k = self.k
        switched = False
        if k.ready and k.yielded("SwitchToThread"):
            yield PARK
            switched = True
        return self._done(t, "SwitchToThread", (), int(switched))

    @export("kernel32", BOOL)
    def QueueUserAPC(self, pfnAPC: Any, hThread: Any, dwData: Any) -> ApiCall[int]:
        """DWORD QueueUserAPC(PAPCFUNC pfnAPC, HANDLE hThread, ULONG_PTR dwData);

        "Adds a user-mode asynchronous procedure call (APC) object to the APC queue of the
        specified thread." "The handle must have the THREAD_SET_CONTEXT access right." "If the
        function succeeds, the return value is nonzero. If the function fails, the return value
        is zero." "When the thread is in the process of being terminated, calling QueueUserAPC
        to add to the thread's APC queue will fail with (31) ERROR_GEN_FAILURE."

        Emulation notes: ``pfnAPC`` is called as ``pfnAPC(dwData)`` on the target thread; it may
        be a generator function (it may then call APIs). A non-callable ``pfnAPC`` fails with
        ERROR_INVALID_PARAMETER (assumption).
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("QueueUserAPC", self._footprint(hThread, "w")):
            yield PARK
        name = "QueueUserAPC"
        args = (pfnAPC, hThread, dwData)
        if not callable(pfnAPC):
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        thread, status = self._resolve(t, hThread, Thread, THREAD_SET_CONTEXT)
        if status:
            return self._fail_nt(t, name, args, 0, status)
        assert isinstance(thread, Thread)
        status = queue_user_apc(k, thread, pfnAPC, (dwData,), payload_value(dwData))
        if status == STATUS_UNSUCCESSFUL:
            return self._fail(t, name, args, 0, ERROR_GEN_FAILURE)
        return self._done(t, name, args, 1)

    @export("kernel32", HANDLE)
    def OpenThread(
        self, dwDesiredAccess: Any, bInheritHandle: Any, dwThreadId: Any
    ) -> ApiCall[int]:
        """HANDLE OpenThread(DWORD dwDesiredAccess, BOOL bInheritHandle, DWORD dwThreadId);

        "If the function succeeds, the return value is an open handle to the specified
        thread. If the function fails, the return value is NULL." The handle has exactly
        ``dwDesiredAccess``, generic rights mapped through the thread type's GENERIC_MAPPING.
        A thread id that names no thread object is STATUS_INVALID_CID,
        reported as ERROR_INVALID_PARAMETER.
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("OpenThread", ()):
            yield PARK
        name = "OpenThread"
        args = (dwDesiredAccess, bInheritHandle, dwThreadId)
        access = dword(dwDesiredAccess)
        tid = dword(dwThreadId)
        if access is None or tid is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        for actor in k.actors:
            if isinstance(actor, Thread) and actor.tid == tid and actor.alive:
                granted = actor.map_access(access)
                return self._done(t, name, args, k.handles.insert(actor, granted))
        return self._fail_nt(t, name, args, 0, STATUS_INVALID_CID)

    @export("kernel32", HANDLE)
    def GetCurrentThread(self) -> ApiCall[int]:
        """HANDLE GetCurrentThread(void);

        "The return value is a pseudo handle for the current thread." It is (HANDLE)-2 and
        needs no CloseHandle.
        """
        t = self._caller()
        return self._done(t, "GetCurrentThread", (), NT_CURRENT_THREAD)
        yield  # type: ignore[unreachable]  # every export is a generator

    @export("kernel32", DWORD_VALUE)
    def GetCurrentThreadId(self) -> ApiCall[int]:
        """DWORD GetCurrentThreadId(void);  "The return value is the thread identifier of the
        calling thread." """
        t = self._caller()
        return self._done(t, "GetCurrentThreadId", (), t.tid)
        yield  # type: ignore[unreachable]  # every export is a generator

    @export("kernel32", HANDLE)
    def GetCurrentProcess(self) -> ApiCall[int]:
        """HANDLE GetCurrentProcess(void);  "The return value is a pseudo handle to the current
        process." It is (HANDLE)-1."""
        t = self._caller()
        return self._done(t, "GetCurrentProcess", (), NT_CURRENT_PROCESS)
        yield  # type: ignore[unreachable]  # every export is a generator
