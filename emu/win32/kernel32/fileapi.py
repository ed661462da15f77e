"""File I/O (fileapi.h): ReadFile, WriteFile, ReadFileEx, WriteFileEx, on any file object whose
device implements reads and writes (named pipes now).

- ReadFile / WriteFile: "If the function succeeds, the return value is nonzero (TRUE)." "If the
  function is failing or is completing asynchronously, the return value is zero (FALSE). To get
  extended error information, call the GetLastError function. Note: The GetLastError code
  ERROR_IO_PENDING is not a failure." A handle without read (write) access fails with
  ERROR_ACCESS_DENIED.
- ReadFileEx / WriteFileEx queue the completion routine as an APC to the calling thread
  ("When the I/O operation completes, and the calling thread is in an alertable wait state, the
  system calls the completion routine"); on a handle associated with a completion port they
  fail (F5.15: STATUS_INVALID_PARAMETER).

Emulation notes: ``lpBuffer`` of a read is a ``bytearray`` the data is copied into when the read
completes; of a write, bytes (copied when the call is made). A buffer that is missing or smaller
than the byte count fails with ERROR_NOACCESS, where C would fault.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emu.codes.access import FILE_READ_DATA, FILE_WRITE_DATA
from emu.codes.ntmap import win32_from_ntstatus
from emu.codes.ntstatus import STATUS_ACCESS_VIOLATION, STATUS_INVALID_PARAMETER
from emu.codes.winerror import ERROR_INVALID_PARAMETER
from emu.kernel.actor import PARK
from emu.kernel.apc import routine_label
from emu.kernel.io import FileObject, IoRequest
from emu.kernel.thread import Thread
from emu.win32.base import BOOL, ApiCall, dword, export
from emu.win32.kernel32.iobase import IoBase, source_bytes, target_buffer


def win32_completion(routine: Callable[..., Any]) -> Callable[..., Any]:
    """The completion routine as the system calls it: with the Win32 error, not the NTSTATUS
    ("dwErrorCode: The I/O completion status"; kernelbase passes RtlNtStatusToDosError)."""

    def completion(status: int, information: int, overlapped: Any) -> Any:
        return routine(win32_from_ntstatus(status), information, overlapped)

    completion.__name__ = routine_label(routine)
    return completion


class FileApi(IoBase):
    __slots__ = ()

    def _transfer(
        self,
        name: str,
        args: tuple[Any, ...],
        hFile: Any,
        lpBuffer: Any,
        nBytes: Any,
        lpOverlapped: Any,
        transferred: Any = None,
        routine: Any = None,
    ) -> ApiCall[int]:
        t = self._caller()
        k = self.k
        if k.ready and k.preempted(name, self._footprint(hFile, "w")):
            yield PARK
        write = name.startswith("Write")
        size = dword(nBytes)
        if size is None:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        file, status = self._file(t, hFile, FILE_WRITE_DATA if write else FILE_READ_DATA)
        if file is None:
            return self._fail_nt(t, name, args, 0, status)
        data = source_bytes(lpBuffer, size) if write else None
        target = None if write else target_buffer(lpBuffer, size)
        if data is None and target is None:
            return self._fail_nt(t, name, args, 0, STATUS_ACCESS_VIOLATION)
        if routine is not None and (not callable(routine) or file.port is not None):
            return self._fail_nt(t, name, args, 0, STATUS_INVALID_PARAMETER)
        request = (file, size, data, target, lpOverlapped, transferred, routine)
        if file.overlapped:
            return (yield from self._issue(t, name, args, *request))
        yield from self._sync_enter(t, file)
        result = yield from self._issue(t, name, args, *request)
        self._sync_exit(file)
        return result

    def _issue(
        self,
        t: Thread,
        name: str,
        args: tuple[Any, ...],
        file: FileObject,
        size: int,
        data: bytes | None,
        target: bytearray | memoryview | None,
        lpOverlapped: Any,
        transferred: Any,
        routine: Any,
    ) -> ApiCall[int]:
        device = file.device
        status = device.check_write(file) if data is not None else device.check_read(file)
        if status:
            return self._fail_nt(t, name, args, 0, status)
        completion = None if routine is None else win32_completion(routine)
        irp = self._begin(t, file, name.removesuffix("Ex"), lpOverlapped, completion)
        if not isinstance(irp, IoRequest):
            return self._fail_nt(t, name, args, 0, irp)
        if data is not None:
            device.write(file, irp, data)
        else:
            assert target is not None
            device.read(file, irp, size, target)
        if routine is not None:  # ReadFileEx/WriteFileEx: TRUE once queued; the APC reports
            return self._done(t, name, args, 1)
        return (yield from self._finish(t, name, args, irp, transferred))

    @export("kernel32", BOOL)
    def ReadFile(
        self,
        hFile: Any,
        lpBuffer: Any,
        nNumberOfBytesToRead: Any,
        lpNumberOfBytesRead: Any = None,
        lpOverlapped: Any = None,
    ) -> ApiCall[int]:
        """BOOL ReadFile(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
        LPDWORD lpNumberOfBytesRead, LPOVERLAPPED lpOverlapped);"""
        args = (hFile, lpBuffer, nNumberOfBytesToRead, lpNumberOfBytesRead, lpOverlapped)
        return (
            yield from self._transfer(
                "ReadFile",
                args,
                hFile,
                lpBuffer,
                nNumberOfBytesToRead,
                lpOverlapped,
                lpNumberOfBytesRead,
            )
        )

    @export("kernel32", BOOL)
    def WriteFile(
        self,
        hFile: Any,
        lpBuffer: Any,
        nNumberOfBytesToWrite: Any,
        lpNumberOfBytesWritten: Any = None,
        lpOverlapped: Any = None,
    ) -> ApiCall[int]:
        """BOOL WriteFile(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
        LPDWORD lpNumberOfBytesWritten, LPOVERLAPPED lpOverlapped);"""
        args = (hFile, lpBuffer, nNumberOfBytesToWrite, lpNumberOfBytesWritten, lpOverlapped)
        return (
            yield from self._transfer(
                "WriteFile",
                args,
                hFile,
                lpBuffer,
                nNumberOfBytesToWrite,
                lpOverlapped,
                lpNumberOfBytesWritten,
            )
        )

    @export("kernel32", BOOL)
    def ReadFileEx(
        self,
        hFile: Any,
        lpBuffer: Any,
        nNumberOfBytesToRead: Any,
        lpOverlapped: Any,
        lpCompletionRoutine: Any,
    ) -> ApiCall[int]:
        """BOOL ReadFileEx(HANDLE hFile, LPVOID lpBuffer, DWORD nNumberOfBytesToRead,
        LPOVERLAPPED lpOverlapped, LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);

        The routine runs as ``lpCompletionRoutine(dwErrorCode, dwNumberOfBytesTransfered,
        lpOverlapped)`` in an alertable wait of the calling thread.
        """
        args = (hFile, lpBuffer, nNumberOfBytesToRead, lpOverlapped, lpCompletionRoutine)
        return (
            yield from self._transfer(
                "ReadFileEx",
                args,
                hFile,
                lpBuffer,
                nNumberOfBytesToRead,
                lpOverlapped,
                routine=lpCompletionRoutine,
            )
        )

    @export("kernel32", BOOL)
    def WriteFileEx(
        self,
        hFile: Any,
        lpBuffer: Any,
        nNumberOfBytesToWrite: Any,
        lpOverlapped: Any,
        lpCompletionRoutine: Any,
    ) -> ApiCall[int]:
        """BOOL WriteFileEx(HANDLE hFile, LPCVOID lpBuffer, DWORD nNumberOfBytesToWrite,
        LPOVERLAPPED lpOverlapped, LPOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);"""
        args = (hFile, lpBuffer, nNumberOfBytesToWrite, lpOverlapped, lpCompletionRoutine)
        return (
            yield from self._transfer(
                "WriteFileEx",
                args,
                hFile,
                lpBuffer,
                nNumberOfBytesToWrite,
                lpOverlapped,
                routine=lpCompletionRoutine,
            )
        )
