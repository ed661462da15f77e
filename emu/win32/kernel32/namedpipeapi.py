"""Named pipes (namedpipeapi.h, fileapi.h): CreateNamedPipe, ConnectNamedPipe,
DisconnectNamedPipe, and CreateFile for pipe clients. Reads and writes are in ``fileapi``.

The pipe semantics are in ``emu.devices.npfs`` and the request semantics in ``emu.kernel.io``;
the contract (MS docs):

- CreateNamedPipe: "If the function succeeds, the return value is a handle to the server end of
  a named pipe instance. If the function fails, the return value is INVALID_HANDLE_VALUE." The
  name has the form ``\\\\.\\pipe\\pipename``. With FILE_FLAG_FIRST_PIPE_INSTANCE and an
  existing pipe it fails with ERROR_ACCESS_DENIED; beyond nMaxInstances with ERROR_PIPE_BUSY.
- ConnectNamedPipe: overlapped, it returns FALSE with ERROR_IO_PENDING until a client connects;
  "If a client connects before the function is called, the function returns zero and
  GetLastError returns ERROR_PIPE_CONNECTED"; a client that came and went gives ERROR_NO_DATA.
- CreateFile (a pipe client): ERROR_FILE_NOT_FOUND when no pipe has the name, ERROR_PIPE_BUSY
  when no instance is listening.

Emulation notes: only named pipes are modelled; CreateFile of any other path raises
UnsupportedApi.
"""

from __future__ import annotations

from typing import Any

from emu.codes.access import (
    FILE_GENERIC_READ,
    FILE_GENERIC_WRITE,
    FILE_READ_DATA,
    FILE_WRITE_DATA,
    SYNCHRONIZE,
)
from emu.codes.files import (
    FILE_FLAG_FIRST_PIPE_INSTANCE,
    FILE_FLAG_OVERLAPPED,
    INVALID_HANDLE_VALUE,
    OPEN_EXISTING,
    PIPE_ACCESS_DUPLEX,
    PIPE_ACCESS_INBOUND,
    PIPE_ACCESS_OUTBOUND,
    PIPE_NOWAIT,
    PIPE_READMODE_MESSAGE,
    PIPE_TYPE_MESSAGE,
    PIPE_UNLIMITED_INSTANCES,
)
from emu.codes.ntstatus import (
    STATUS_ACCESS_DENIED,
    STATUS_INVALID_DEVICE_REQUEST,
    STATUS_OBJECT_NAME_COLLISION,
    STATUS_OBJECT_NAME_INVALID,
)
from emu.codes.winerror import ERROR_INVALID_PARAMETER
from emu.devices.npfs import NamedPipeFileSystem, PipeEnd
from emu.errors import UnsupportedApi
from emu.kernel.actor import PARK
from emu.kernel.io import IoRequest
from emu.kernel.thread import Thread
from emu.win32.base import BOOL, HANDLE, ApiCall, dword, export
from emu.win32.kernel32.iobase import IoBase

PIPE_PREFIX = "\\\\.\\pipe\\"


class NamedPipeApi(IoBase):
    __slots__ = ()

    def _npfs(self) -> NamedPipeFileSystem:
        k = self.k
        return k.device("npfs", lambda: NamedPipeFileSystem(k))

    def _end(self, t: Thread, handle: Any) -> tuple[PipeEnd | None, int]:
        end, status = self._resolve(t, handle, PipeEnd, 0, pseudo=False)
        if status:
            return None, status
        assert isinstance(end, PipeEnd)
        return end, 0

    @export("kernel32", HANDLE, "CreateNamedPipeA", "CreateNamedPipe")
    def CreateNamedPipeW(
        self,
        lpName: Any,
        dwOpenMode: Any,
        dwPipeMode: Any,
        nMaxInstances: Any,
        nOutBufferSize: Any = 0,
        nInBufferSize: Any = 0,
        nDefaultTimeOut: Any = 0,
        lpSecurityAttributes: Any = None,
    ) -> ApiCall[int]:
        """HANDLE CreateNamedPipeW(LPCWSTR lpName, DWORD dwOpenMode, DWORD dwPipeMode,
        DWORD nMaxInstances, DWORD nOutBufferSize, DWORD nInBufferSize, DWORD nDefaultTimeOut,
        LPSECURITY_ATTRIBUTES lpSecurityAttributes);

        Creates a listening instance of a named pipe and returns its server end.
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("CreateNamedPipeW", ()):
            yield PARK
        name = "CreateNamedPipeW"
        args = (lpName, dwOpenMode, dwPipeMode, nMaxInstances, nOutBufferSize, nInBufferSize)
        bad = INVALID_HANDLE_VALUE
        open_mode, pipe_mode, max_instances = (
            dword(dwOpenMode),
            dword(dwPipeMode),
            dword(nMaxInstances),
        )
        if open_mode is None or pipe_mode is None or max_instances is None:
            return self._fail(t, name, args, bad, ERROR_INVALID_PARAMETER)
        if not isinstance(lpName, str) or not lpName.lower().startswith(PIPE_PREFIX):
            return self._fail_nt(t, name, args, bad, STATUS_OBJECT_NAME_INVALID)
        if pipe_mode & (PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_NOWAIT):
            raise UnsupportedApi(
                "CreateNamedPipeW: message-mode and PIPE_NOWAIT pipes are not modelled "
                "(byte mode only)"
            )
        direction = open_mode & PIPE_ACCESS_DUPLEX
        if not direction or not 1 <= max_instances <= PIPE_UNLIMITED_INSTANCES:
            return self._fail(t, name, args, bad, ERROR_INVALID_PARAMETER)
        status, end = self._npfs().create(
            lpName,
            max_instances,
            bool(open_mode & FILE_FLAG_FIRST_PIPE_INSTANCE),
            bool(open_mode & FILE_FLAG_OVERLAPPED),
            bool(direction & PIPE_ACCESS_INBOUND),
            bool(direction & PIPE_ACCESS_OUTBOUND),
        )
        if status == STATUS_OBJECT_NAME_COLLISION:
            status = STATUS_ACCESS_DENIED
        if end is None:
            return self._fail_nt(t, name, args, bad, status)
        access = SYNCHRONIZE
        if end.can_read:
            access |= FILE_GENERIC_READ
        if end.can_write:
            access |= FILE_GENERIC_WRITE
        handle = k.handles.insert(end, access)
        return self._done(t, name, args, handle)

    CreateNamedPipeA = CreateNamedPipeW
    CreateNamedPipe = CreateNamedPipeW

    @export("kernel32", HANDLE, "CreateFileA", "CreateFile")
    def CreateFileW(
        self,
        lpFileName: Any,
        dwDesiredAccess: Any,
        dwShareMode: Any = 0,
        lpSecurityAttributes: Any = None,
        dwCreationDisposition: Any = OPEN_EXISTING,
        dwFlagsAndAttributes: Any = 0,
        hTemplateFile: Any = None,
    ) -> ApiCall[int]:
        """HANDLE CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode,
        LPSECURITY_ATTRIBUTES lpSecurityAttributes, DWORD dwCreationDisposition,
        DWORD dwFlagsAndAttributes, HANDLE hTemplateFile);

        Opens the client end of a named pipe. "If the function fails, the return value is
        INVALID_HANDLE_VALUE."

        Emulation notes: only ``\\\\.\\pipe\\`` names are modelled; other paths raise
        UnsupportedApi. Pipes are opened with OPEN_EXISTING (anything else:
        ERROR_INVALID_PARAMETER, an assumption).
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("CreateFileW", ()):
            yield PARK
        name = "CreateFileW"
        args = (
            lpFileName,
            dwDesiredAccess,
            dwShareMode,
            lpSecurityAttributes,
            dwCreationDisposition,
            dwFlagsAndAttributes,
            hTemplateFile,
        )
        bad = INVALID_HANDLE_VALUE
        access = dword(dwDesiredAccess)
        disposition = dword(dwCreationDisposition)
        flags = dword(dwFlagsAndAttributes)
        if access is None or disposition is None or flags is None:
            return self._fail(t, name, args, bad, ERROR_INVALID_PARAMETER)
        if not isinstance(lpFileName, str):
            return self._fail_nt(t, name, args, bad, STATUS_OBJECT_NAME_INVALID)
        if not lpFileName.lower().startswith(PIPE_PREFIX):
            raise UnsupportedApi(
                f"CreateFileW({lpFileName!r}): only named pipes (\\\\.\\pipe\\...) are modelled"
            )
        if disposition != OPEN_EXISTING:
            return self._fail(t, name, args, bad, ERROR_INVALID_PARAMETER)
        mapped = PipeEnd.map_access(access)
        can_read, can_write = bool(mapped & FILE_READ_DATA), bool(mapped & FILE_WRITE_DATA)
        status, end = self._npfs().open(
            lpFileName, bool(flags & FILE_FLAG_OVERLAPPED), can_read, can_write
        )
        if end is None:
            return self._fail_nt(t, name, args, bad, status)
        return self._done(t, name, args, k.handles.insert(end, mapped))

    CreateFileA = CreateFileW
    CreateFile = CreateFileW

    @export("kernel32", BOOL)
    def ConnectNamedPipe(self, hNamedPipe: Any, lpOverlapped: Any = None) -> ApiCall[int]:
        """BOOL ConnectNamedPipe(HANDLE hNamedPipe, LPOVERLAPPED lpOverlapped);

        "Enables a named pipe server process to wait for a client process to connect to an
        instance of a named pipe." Overlapped: FALSE with ERROR_IO_PENDING until a client
        connects; ERROR_PIPE_CONNECTED if one already did.
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("ConnectNamedPipe", self._footprint(hNamedPipe, "w")):
            yield PARK
        name = "ConnectNamedPipe"
        args = (hNamedPipe, lpOverlapped)
        end, status = self._end(t, hNamedPipe)
        if end is None:
            return self._fail_nt(t, name, args, 0, status)
        if not end.is_server:
            return self._fail_nt(t, name, args, 0, STATUS_INVALID_DEVICE_REQUEST)
        if end.overlapped:
            return (yield from self._connect(t, name, args, end, lpOverlapped))
        yield from self._sync_enter(t, end)
        result = yield from self._connect(t, name, args, end, lpOverlapped)
        self._sync_exit(end)
        return result

    def _connect(
        self, t: Thread, name: str, args: tuple[Any, ...], end: PipeEnd, lpOverlapped: Any
    ) -> ApiCall[int]:
        npfs = self._npfs()
        status = npfs.connect(end, None)
        if status:
            return self._fail_nt(t, name, args, 0, status)
        irp = self._begin(t, end, "ConnectNamedPipe", lpOverlapped)
        if not isinstance(irp, IoRequest):
            return self._fail_nt(t, name, args, 0, irp)
        npfs.connect(end, irp)
        return (yield from self._finish(t, name, args, irp))

    @export("kernel32", BOOL)
    def DisconnectNamedPipe(self, hNamedPipe: Any) -> ApiCall[int]:
        """BOOL DisconnectNamedPipe(HANDLE hNamedPipe);

        "Disconnects the server end of a named pipe instance from a client process." The
        client's pending reads fail, and its later calls fail with ERROR_PIPE_NOT_CONNECTED.
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("DisconnectNamedPipe", self._footprint(hNamedPipe, "w")):
            yield PARK
        name = "DisconnectNamedPipe"
        args = (hNamedPipe,)
        end, status = self._end(t, hNamedPipe)
        if end is None:
            return self._fail_nt(t, name, args, 0, status)
        if not end.is_server:
            return self._fail_nt(t, name, args, 0, STATUS_INVALID_DEVICE_REQUEST)
        status = self._npfs().disconnect(end)
        if status:
            return self._fail_nt(t, name, args, 0, status)
        return self._done(t, name, args, 1)
