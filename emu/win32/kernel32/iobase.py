"""What ReadFile, WriteFile, ConnectNamedPipe and their kin share: starting a request from an
OVERLAPPED, and turning its outcome into the documented BOOL and last error.

- An overlapped handle needs an OVERLAPPED (assumption: without one the call fails with
  ERROR_INVALID_PARAMETER; Windows documents the outcome as unreliable). The OVERLAPPED's hEvent,
  if not NULL, must name an event; its low-order bit set means "no completion packet" (the bit
  is a tag: the event handle is the value without it).
- A request the device completes at once returns TRUE (and, on a handle associated with a
  completion port, still queues a packet, as Wine's pipe tests observe); one left pending
  returns FALSE with ERROR_IO_PENDING.
- A synchronous handle (opened without FILE_FLAG_OVERLAPPED) serializes its calls, as the I/O
  manager's file-object lock does: a call waits (not alertable) behind the one in progress,
  then waits for its own request to complete. Reading and writing one synchronous pipe handle
  from two threads therefore deadlocks here as it does on Windows.
- A request that fails before it starts (a broken or listening pipe) returns FALSE with the
  mapped error and produces no completion: no event, no packet.
"""

from __future__ import annotations

from typing import Any

from emu.codes.ntstatus import STATUS_INVALID_PARAMETER, nt_success
from emu.codes.winerror import ERROR_IO_PENDING
from emu.kernel import waits
from emu.kernel.event import KEvent, create_event
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

    def _sync_enter(self, t: Thread, file: FileObject) -> ApiCall[None]:
        """Take a synchronous handle's file-object lock (waiting behind a call in progress)."""
        k = self.k
        if file.sync_lock is None:
            file.sync_lock = create_event(k, False, True, f"{file.name}.lock")
            file.sync_done = create_event(k, False, False, f"{file.name}.done")
        yield from waits.wait(k, t, (file.sync_lock,), False, None, False)

    def _sync_exit(self, file: FileObject) -> None:
        assert file.sync_lock is not None
        file.sync_lock.set()

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
        if not file.overlapped:
            event = file.sync_done  # the private completion event of the file-object lock
        elif routine is None and overlapped is not None:
            # ReadFileEx/WriteFileEx ignore hEvent: applications keep their own context there.
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
        """The BOOL outcome of a started request: TRUE, FALSE + ERROR_IO_PENDING, or (on a
        synchronous handle) the outcome once it completed."""
        if not irp.done and not irp.file.overlapped:
            assert irp.event is not None
            yield from waits.wait(self.k, t, (irp.event,), False, None, False)
        if not irp.done:
            return self._fail(t, name, args, 0, ERROR_IO_PENDING)
        if isinstance(transferred, DWORD):
            transferred.bind(self.k)
            transferred.sys_set("value", irp.information)
        if nt_success(irp.status):
            return self._done(t, name, args, 1)
        return self._fail_nt(t, name, args, 0, irp.status)


def source_bytes(buffer: Any, size: int) -> bytes | None:
    """The first ``size`` bytes of a write's buffer, or None (not a buffer, too small)."""
    if isinstance(buffer, (bytes, bytearray)):
        return bytes(buffer[:size]) if len(buffer) >= size else None
    if isinstance(buffer, memoryview):
        try:
            view = buffer.cast("B")
        except (TypeError, ValueError):  # released, or not castable
            return None
        return bytes(view[:size]) if view.nbytes >= size else None
    return None


def target_buffer(buffer: Any, size: int) -> bytearray | memoryview | None:
    """A read's buffer as writable bytes of at least ``size``, or None."""
    if isinstance(buffer, bytearray):
        return buffer if len(buffer) >= size else None
    if isinstance(buffer, memoryview):
        try:
            view = buffer.cast("B")
        except (TypeError, ValueError):
            return None
        return view if not view.readonly and view.nbytes >= size else None
    return None
