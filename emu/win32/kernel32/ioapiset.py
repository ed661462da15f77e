"""Completion ports and overlapped results (ioapiset.h): CreateIoCompletionPort,
PostQueuedCompletionStatus, GetQueuedCompletionStatus(Ex), GetOverlappedResult, CancelIo,
CancelIoEx.

The port's semantics are in ``emu.kernel.iocp``; the sentences here are the Win32 contract
(MS docs; F5.x in docs/sources.md):

- CreateIoCompletionPort: with INVALID_HANDLE_VALUE it creates a port ("NumberOfConcurrentThreads
  ... If this parameter is zero, the system allows as many concurrently running threads as there
  are processors"); with a file handle it associates the file with a port under a key and
  returns the port's handle. A file opened without FILE_FLAG_OVERLAPPED, or already associated,
  cannot be associated (F5.15: STATUS_INVALID_PARAMETER). Failure returns NULL.
- PostQueuedCompletionStatus: the packet comes back verbatim (F5.9).
- GetQueuedCompletionStatus: TRUE with a packet of a successful operation; "If *lpOverlapped is
  not NULL and the function dequeues a completion packet for a failed I/O operation from the
  completion port, the function stores information about the failed operation in the variables
  pointed to by lpNumberOfBytes, lpCompletionKey, and lpOverlapped" and returns FALSE with the
  operation's error; a timeout returns FALSE, *lpOverlapped NULL, WAIT_TIMEOUT (F5.10); a port
  closed under the waiter FALSE, NULL, ERROR_ABANDONED_WAIT_0 (F5.8).
- GetQueuedCompletionStatusEx: TRUE if at least one entry was removed, each entry carrying its
  own status; FALSE with WAIT_TIMEOUT, ERROR_ABANDONED_WAIT_0 or WAIT_IO_COMPLETION (F5.22).
- GetOverlappedResult: ERROR_IO_INCOMPLETE while pending and bWait is FALSE; with bWait it waits
  on the OVERLAPPED's event, or on the file when there is none; a cancelled operation gives
  FALSE with ERROR_OPERATION_ABORTED (F5.26, F5.27).
- CancelIo cancels the calling thread's requests on the handle; CancelIoEx the handle's requests
  from any thread, or the one OVERLAPPED, and fails with ERROR_NOT_FOUND when nothing matches
  (F5.26).
"""

from __future__ import annotations

from typing import Any

from emu.codes.access import IO_COMPLETION_ALL_ACCESS, IO_COMPLETION_MODIFY_STATE, SYNCHRONIZE
from emu.codes.files import INVALID_HANDLE_VALUE
from emu.codes.ntmap import WAIT_LAST_ERROR
from emu.codes.ntstatus import (
    STATUS_ACCESS_VIOLATION,
    STATUS_PENDING,
    STATUS_SUCCESS,
    nt_success,
)
from emu.codes.winerror import (
    ERROR_INVALID_PARAMETER,
    ERROR_IO_INCOMPLETE,
    ERROR_NOT_FOUND,
)
from emu.kernel import waits
from emu.kernel.actor import PARK
from emu.kernel.event import KEvent
from emu.kernel.io import FileObject, cancel
from emu.kernel.iocp import IoCompletionPort, Packet
from emu.kernel.memory import Struct
from emu.kernel.thread import Thread
from emu.kernel.time import ms_to_ticks
from emu.win32.base import BOOL, HANDLE, ApiCall, Win32Base, dword, export, handle_value
from emu.win32.types import DWORD, OVERLAPPED, OVERLAPPED_ENTRY, PVOID, ULONG, ULONG_PTR


def _store(box: Struct, value: Any) -> None:
    box.sys_set("value", value)


class IoApiSet(Win32Base):
    __slots__ = ()

    @export("kernel32", HANDLE)
    def CreateIoCompletionPort(
        self,
        FileHandle: Any,
        ExistingCompletionPort: Any,
        CompletionKey: Any,
        NumberOfConcurrentThreads: Any,
    ) -> ApiCall[int]:
        """HANDLE CreateIoCompletionPort(HANDLE FileHandle, HANDLE ExistingCompletionPort,
        ULONG_PTR CompletionKey, DWORD NumberOfConcurrentThreads);

        "If the function succeeds, the return value is the handle to an I/O completion port"
        (the existing one when associating with it). "If the function fails, the return value
        is NULL."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("CreateIoCompletionPort", self._footprint(FileHandle, "w")):
            yield PARK
        name = "CreateIoCompletionPort"
        args = (FileHandle, ExistingCompletionPort, CompletionKey, NumberOfConcurrentThreads)
        concurrency = dword(NumberOfConcurrentThreads)
        file_value = handle_value(FileHandle)
        existing = handle_value(ExistingCompletionPort)
        if concurrency is None or file_value is None or existing is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        file: FileObject | None = None
        if file_value != INVALID_HANDLE_VALUE:
            obj, status = self._resolve(t, file_value, FileObject, 0, pseudo=False)
            if status:
                return self._fail_nt(t, name, args, 0, status)
            assert isinstance(obj, FileObject)
            if not obj.overlapped or obj.port is not None:
                return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
            file = obj
        elif existing:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if existing:
            port, status = self._resolve(t, existing, IoCompletionPort, 0, pseudo=False)
            if status:
                return self._fail_nt(t, name, args, 0, status)
            assert isinstance(port, IoCompletionPort) and file is not None
            file.associate(port, CompletionKey)
            return self._done(t, name, args, existing)
        new_port = IoCompletionPort(k, concurrency)
        handle = k.handles.insert(new_port, IO_COMPLETION_ALL_ACCESS)
        if file is not None:
            file.associate(new_port, CompletionKey)
        return self._done(t, name, args, handle)

    @export("kernel32", BOOL)
    def PostQueuedCompletionStatus(
        self,
        CompletionPort: Any,
        dwNumberOfBytesTransferred: Any,
        dwCompletionKey: Any,
        lpOverlapped: Any,
    ) -> ApiCall[int]:
        """BOOL PostQueuedCompletionStatus(HANDLE CompletionPort,
        DWORD dwNumberOfBytesTransferred, ULONG_PTR dwCompletionKey, LPOVERLAPPED lpOverlapped);

        "Posts an I/O completion packet to an I/O completion port." The three values come back
        verbatim from GetQueuedCompletionStatus (F5.9).
        """
        k = self.k
        t = k.current
        if not isinstance(t, Thread):
            t = self._caller()  # raises: not called from a virtual thread
        if k.ready:
            fp = self._footprint(CompletionPort, "w")
            if k.preempted("PostQueuedCompletionStatus", fp):
                yield PARK
        name = "PostQueuedCompletionStatus"
        args = (CompletionPort, dwNumberOfBytesTransferred, dwCompletionKey, lpOverlapped)
        count = dword(dwNumberOfBytesTransferred)
        if count is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        port, status = self._resolve(
            t, CompletionPort, IoCompletionPort, IO_COMPLETION_MODIFY_STATE, pseudo=False
        )
        if status:
            return self._fail_nt(t, name, args, 0, status)
        assert isinstance(port, IoCompletionPort)
        port.post(dwCompletionKey, lpOverlapped, STATUS_SUCCESS, count)
        return self._done(t, name, args, 1)

    def _port(self, t: Thread, hPort: Any) -> IoCompletionPort | int:
        """The port a dequeue waits on (the handle needs SYNCHRONIZE), or the NTSTATUS that
        refuses the handle."""
        port, status = self._resolve(t, hPort, IoCompletionPort, SYNCHRONIZE, pseudo=False)
        if status:
            return status
        assert isinstance(port, IoCompletionPort)
        return port

    @export("kernel32", BOOL)
    def GetQueuedCompletionStatus(
        self,
        CompletionPort: Any,
        lpNumberOfBytesTransferred: Any,
        lpCompletionKey: Any,
        lpOverlapped: Any,
        dwMilliseconds: Any,
    ) -> ApiCall[int]:
        """BOOL GetQueuedCompletionStatus(HANDLE CompletionPort,
        LPDWORD lpNumberOfBytesTransferred, PULONG_PTR lpCompletionKey,
        LPOVERLAPPED *lpOverlapped, DWORD dwMilliseconds);

        "Attempts to dequeue an I/O completion packet from the specified I/O completion port.
        If there is no completion packet queued, the function waits for a pending I/O operation
        associated with the completion port to complete."

        Emulation notes: the out-parameters are ``DWORD``, ``ULONG_PTR`` and ``PVOID`` boxes;
        a missing one (C NULL) fails with ERROR_NOACCESS.
        """
        k = self.k
        t = k.current
        if not isinstance(t, Thread):
            t = self._caller()  # raises: not called from a virtual thread
        if k.ready:
            fp = self._footprint(CompletionPort, "w")
            if k.preempted("GetQueuedCompletionStatus", fp):
                yield PARK
        name = "GetQueuedCompletionStatus"
        args = (
            CompletionPort,
            lpNumberOfBytesTransferred,
            lpCompletionKey,
            lpOverlapped,
            dwMilliseconds,
        )
        ms = dwMilliseconds & 0xFFFFFFFF if type(dwMilliseconds) is int else dword(dwMilliseconds)
        if ms is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if not (
            isinstance(lpNumberOfBytesTransferred, DWORD)
            and isinstance(lpCompletionKey, ULONG_PTR)
            and isinstance(lpOverlapped, PVOID)
        ):
            return self._fail_nt(t, name, args, 0, STATUS_ACCESS_VIOLATION)
        lpNumberOfBytesTransferred.bind(k)
        lpCompletionKey.bind(k)
        lpOverlapped.bind(k)
        port = self._port(t, CompletionPort)
        packets: list[Packet] = []
        if isinstance(port, int):
            status = port
        else:
            status, packets = yield from port.remove(t, 1, ms_to_ticks(ms), False)
        if status != STATUS_SUCCESS:
            _store(lpOverlapped, None)
            error = WAIT_LAST_ERROR.get(status)
            if error is not None:
                return self._fail(t, name, args, 0, error)
            return self._fail_nt(t, name, args, 0, status)
        packet = packets[0]
        _store(lpNumberOfBytesTransferred, packet.information)
        _store(lpCompletionKey, packet.key)
        _store(lpOverlapped, packet.value)
        status = packet.status
        if status == STATUS_SUCCESS or nt_success(status):
            return self._done(t, name, args, 1)
        return self._fail_nt(t, name, args, 0, status)

    @export("kernel32", BOOL)
    def GetQueuedCompletionStatusEx(
        self,
        CompletionPort: Any,
        lpCompletionPortEntries: Any,
        ulCount: Any,
        ulNumEntriesRemoved: Any,
        dwMilliseconds: Any,
        fAlertable: Any,
    ) -> ApiCall[int]:
        """BOOL GetQueuedCompletionStatusEx(HANDLE CompletionPort,
        LPOVERLAPPED_ENTRY lpCompletionPortEntries, ULONG ulCount, PULONG ulNumEntriesRemoved,
        DWORD dwMilliseconds, BOOL fAlertable);

        "Retrieves multiple completion port entries simultaneously." "Returns nonzero (TRUE) if
        successful or zero (FALSE) otherwise." "fAlertable ... If this parameter is TRUE and the
        calling thread is not associated ... the function returns when the system queues an I/O
        completion routine or APC to the thread and the thread executes the function."
        """
        t = self._caller()
        k = self.k
        alertable = dword(fAlertable)
        if k.ready:
            fp = self._footprint(CompletionPort, "w")
            if k.preempted("GetQueuedCompletionStatusEx", (*fp, (t.oid, "r")) if alertable else fp):
                yield PARK
        name = "GetQueuedCompletionStatusEx"
        args = (
            CompletionPort,
            lpCompletionPortEntries,
            ulCount,
            ulNumEntriesRemoved,
            dwMilliseconds,
            fAlertable,
        )
        count = dword(ulCount)
        ms = dword(dwMilliseconds)
        entries = lpCompletionPortEntries
        if count is None or ms is None or alertable is None or count == 0:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if (
            not isinstance(entries, (list, tuple))
            or len(entries) < count
            or not all(isinstance(e, OVERLAPPED_ENTRY) for e in entries[:count])
            or not isinstance(ulNumEntriesRemoved, ULONG)
        ):
            return self._fail_nt(t, name, args, 0, STATUS_ACCESS_VIOLATION)
        ulNumEntriesRemoved.bind(k)
        port = self._port(t, CompletionPort)
        packets: list[Packet] = []
        if isinstance(port, int):
            status = port
        else:
            status, packets = yield from port.remove(t, count, ms_to_ticks(ms), bool(alertable))
        _store(ulNumEntriesRemoved, len(packets))
        if status != STATUS_SUCCESS:
            error = WAIT_LAST_ERROR.get(status)
            if error is not None:
                return self._fail(t, name, args, 0, error)
            return self._fail_nt(t, name, args, 0, status)
        for entry, packet in zip(entries, packets, strict=False):
            entry.bind(k)
            entry.sys_set("lpCompletionKey", packet.key)
            entry.sys_set("lpOverlapped", packet.value)
            entry.sys_set("Internal", packet.status)
            entry.sys_set("dwNumberOfBytesTransferred", packet.information)
        return self._done(t, name, args, 1)

    @export("kernel32", BOOL)
    def GetOverlappedResult(
        self, hFile: Any, lpOverlapped: Any, lpNumberOfBytesTransferred: Any, bWait: Any
    ) -> ApiCall[int]:
        """BOOL GetOverlappedResult(HANDLE hFile, LPOVERLAPPED lpOverlapped,
        LPDWORD lpNumberOfBytesTransferred, BOOL bWait);

        "If the bWait parameter is FALSE and the operation is still pending, the function
        returns FALSE and the GetLastError function returns ERROR_IO_INCOMPLETE." "If the hEvent
        member of the OVERLAPPED structure is NULL, the system uses the state of the hFile
        handle to signal when the operation has been completed." A failed (or cancelled)
        operation returns FALSE with its error (ERROR_OPERATION_ABORTED, F5.26).

        Emulation notes: with bWait it waits once, on the event or the file, and then reads the
        OVERLAPPED; a status still STATUS_PENDING after that wait (the event or file was
        signalled by another operation) is reported as success, as kernelbase does: the
        documented hazard of sharing an event or waiting on the file.
        """
        t = self._caller()
        k = self.k
        name = "GetOverlappedResult"
        args = (hFile, lpOverlapped, lpNumberOfBytesTransferred, bWait)
        wait = dword(bWait)
        if wait is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if not isinstance(lpOverlapped, OVERLAPPED) or not isinstance(
            lpNumberOfBytesTransferred, DWORD
        ):
            return self._fail_nt(t, name, args, 0, STATUS_ACCESS_VIOLATION)
        lpOverlapped.bind(k)
        lpNumberOfBytesTransferred.bind(k)
        if k.ready and k.preempted(name, ((lpOverlapped.oid, "r"),)):
            yield PARK
        status = lpOverlapped.sys_get("Internal")
        if type(status) is not int:  # not a status the system wrote: garbage in the OVERLAPPED
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if status == STATUS_PENDING:
            if not wait:
                return self._fail(t, name, args, 0, ERROR_IO_INCOMPLETE)
            event_value = handle_value(lpOverlapped.sys_get("hEvent")) or 0
            if event_value:
                obj, status = self._resolve(t, event_value & ~1, KEvent, 0, pseudo=False)
            else:
                obj, status = self._resolve(t, hFile, FileObject, 0, pseudo=False)
            if status:
                return self._fail_nt(t, name, args, 0, status)
            assert isinstance(obj, (KEvent, FileObject))
            yield from waits.wait(k, t, (obj,), False, None, False)
            status = lpOverlapped.sys_get("Internal")
            if type(status) is not int:
                return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
            if status == STATUS_PENDING:  # woken by another completion: read as success
                status = STATUS_SUCCESS
        _store(lpNumberOfBytesTransferred, lpOverlapped.sys_get("InternalHigh"))
        if nt_success(status):
            return self._done(t, name, args, 1)
        return self._fail_nt(t, name, args, 0, status)

    def _cancel(self, name: str, hFile: Any, lpOverlapped: Any, mine_only: bool) -> ApiCall[int]:
        t = self._caller()
        k = self.k
        if k.ready and k.preempted(name, self._footprint(hFile, "w")):
            yield PARK
        args = (hFile,) if mine_only else (hFile, lpOverlapped)
        file, status = self._resolve(t, hFile, FileObject, 0, pseudo=False)
        if status:
            return self._fail_nt(t, name, args, 0, status)
        assert isinstance(file, FileObject)
        targets = [
            irp
            for irp in file.pending
            if (not mine_only or irp.thread is t)
            and (lpOverlapped is None or irp.overlapped is lpOverlapped)
        ]
        cancelled = 0
        for irp in targets:
            cancelled += cancel(k, irp, name)
        if not cancelled and not mine_only:
            return self._fail(t, name, args, 0, ERROR_NOT_FOUND)
        return self._done(t, name, args, 1)

    @export("kernel32", BOOL)
    def CancelIo(self, hFile: Any) -> ApiCall[int]:
        """BOOL CancelIo(HANDLE hFile);

        "Cancels all pending input and output (I/O) operations that are issued by the calling
        thread for the specified file." The cancelled operations complete with
        ERROR_OPERATION_ABORTED.
        """
        return (yield from self._cancel("CancelIo", hFile, None, True))

    @export("kernel32", BOOL)
    def CancelIoEx(self, hFile: Any, lpOverlapped: Any) -> ApiCall[int]:
        """BOOL CancelIoEx(HANDLE hFile, LPOVERLAPPED lpOverlapped);

        "Marks any outstanding I/O operations for the specified file handle. The function only
        cancels I/O operations in the current process, regardless of which thread created the
        I/O operation." "If this parameter is NULL, all I/O requests for the hFile parameter
        are canceled." "If this function cannot find a request to cancel, the return value is 0
        (zero), and GetLastError returns ERROR_NOT_FOUND."
        """
        return (yield from self._cancel("CancelIoEx", hFile, lpOverlapped, False))
