"""What ReadFile, WriteFile, ConnectNamedPipe and their kin share: starting a request from an
OVERLAPPED, and turning its outcome into the documented BOOL and last error.

- An overlapped handle needs an OVERLAPPED (assumption: without one the call fails with
  ERROR_INVALID_PARAMETER; Windows documents the outcome as unreliable). The OVERLAPPED's hEvent,
  if not NULL, must name an event; its low-order bit set means "no completion packet" (the bit
  is a tag: the event handle is the value without it).
- A request the device completes at once returns TRUE (and, on a handle associated with a
  completion port, still queues a packet, as Wine's pipe tests observe); one left pending
  returns FALSE with ERROR_IO_PENDING; a synchronous handle waits (not alertable) until it
  completes and then returns its outcome.
- A request that fails before it starts (a broken or listening pipe) returns FALSE with the
  mapped error and produces no completion: no event, no packet.
"""

from __future__ import annotations

from typing import Any

from emu.codes.ntstatus import STATUS_INVALID_PARAMETER, nt_success
from emu.codes.winerror import ERROR_IO_PENDING
from emu.kernel import waits
from emu.kernel.event import KEvent
from emu.kernel.io import FileObject, IoRequest, Routine, start_io
from emu.kernel.thread import Thread
from emu.win32.base import ApiCall, Win32Base, handle_value
from emu.win32.types import DWORD, OVERLAPPED


class IoBase(Win32Base):
    __slots__ = ()

    def _file(self, t: Thread, handle: Any, access: int) -> tuple[FileObject | None, int]:
        """The file a handle names, if the handle has ``access`` (FILE_READ_DATA, ...)."""
        file, status = self._resolve(t, handle, FileObject, access, pseudo=False)
        if status:
            return None, status
        assert isinstance(file, FileObject)
        return file, 0

    def _begin(
        self,
        t: Thread,
        file: FileObject,
        op: str,
        lpOverlapped: Any,
        routine: Routine | None = None,
    ) -> IoRequest | int:
        """Start a request, or return the NTSTATUS that refuses it."""
        overlapped = lpOverlapped if isinstance(lpOverlapped, OVERLAPPED) else None
        if lpOverlapped is not None and overlapped is None:
            return STATUS_INVALID_PARAMETER
        if file.overlapped and overlapped is None:
            return STATUS_INVALID_PARAMETER
        event: KEvent | None = None
        post = True
        if overlapped is not None:
            overlapped.bind(self.k)
            value = handle_value(overlapped.sys_get("hEvent"))
            if value is None:
                return STATUS_INVALID_PARAMETER
            if value:
                post = not value & 1
                obj, status = self._resolve(t, value & ~1, KEvent, 0, pseudo=False)
                if status:
                    return status
                assert isinstance(obj, KEvent)
                event = obj
        return start_io(self.k, file, t, op, overlapped, event=event, post=post, routine=routine)

    def _finish(
        self,
        t: Thread,
        name: str,
        args: tuple[Any, ...],
        irp: IoRequest,
        transferred: Any = None,
    ) -> ApiCall[int]:
        """The BOOL outcome of a started request: TRUE, FALSE + ERROR_IO_PENDING, or wait."""
        if not irp.done and not irp.file.overlapped:
            while not irp.done:  # synchronous I/O: wait for this request
                yield from waits.wait(self.k, t, (irp.file,), False, None, False)
        if not irp.done:
            return self._fail(t, name, args, 0, ERROR_IO_PENDING)
        if isinstance(transferred, DWORD):
            transferred.bind(self.k)
            transferred.sys_set("value", irp.information)
        if nt_success(irp.status):
            return self._done(t, name, args, 1)
        return self._fail_nt(t, name, args, 0, irp.status)
