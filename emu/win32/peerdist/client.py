"""The client calls: opening content, adding its content information, reading, cancelling.

The pages' rules (the codes' common order is ``emu.win32.peerdist.base``):

- PeerDistClientOpenContent: pContentTag "contains a 16 byte client specified identifier"
  (required); the port and key are the handle's, "used for posting the completion results" of
  its asynchronous calls.
- PeerDistClientAddContentInformation: asynchronous; "The Offset and OffsetHigh are reserved and
  must be 0"; pBuffer must stay valid until it completes; "When calling this function multiple
  times on a single content handle, the caller must wait for each operation to complete before
  the next call is made" (``peerdist.overlapping_add``). PeerDistClientCompleteContentInformation
  finishes it; only then can the client read ("Upon completion of this function, a client can
  call PeerDistClientStreamRead or PeerDistClientBlockRead"; a read before that fails with
  PEERDIST_ERROR_NOT_INITIALIZED, assumption: "The supplied object has not been initialized").
- PeerDistClientBlockRead reads at the OVERLAPPED's Offset/OffsetHigh ("The start offset for read
  is specified by setting the Offset and OffsetHigh members"); PeerDistClientStreamRead from the
  handle's stream position. cbMaxNumberOfBytes 0 is a query and pBuffer may then be NULL;
  dwTimeoutInMilliseconds is accepted (peers are not modelled: see
  ``emu.devices.branchcache.content``).
- PeerDistClientCloseContent "will cancel all pending asynchronous operations associated with
  the provided hContentHandle".
- PeerDistClientCancelAsyncOperation: as the server's (F4.17), the operation found by the
  content handle and the OVERLAPPED; "If the pointer is NULL all asynchronous operations for
  specified content handle will be canceled." (F4.18): with none pending that is
  PEERDIST_ERROR_OPERATION_NOTFOUND too (assumption).
"""

from __future__ import annotations

from typing import Any

from emu.codes.peerdist import PEERDIST_CONTENT_TAG_SIZE
from emu.codes.winerror import (
    ERROR_INVALID_PARAMETER,
    ERROR_IO_PENDING,
    ERROR_OPERATION_ABORTED,
    ERROR_SUCCESS,
    PEERDIST_ERROR_NOT_INITIALIZED,
    PEERDIST_ERROR_OPERATION_NOTFOUND,
)
from emu.devices.branchcache import ContentHandle
from emu.win32.base import WIN32_ERROR, ApiCall, dword, export
from emu.win32.kernel32.iobase import target_buffer
from emu.win32.peerdist.base import DLL, PeerDistBase
from emu.win32.peerdist.types import PEERDIST_CONTENT_TAG
from emu.win32.types import HANDLE, OVERLAPPED


class ClientApi(PeerDistBase):
    __slots__ = ()

    @export(DLL, WIN32_ERROR)
    def PeerDistClientOpenContent(
        self,
        hPeerDist: Any,
        pContentTag: Any,
        hCompletionPort: Any,
        ulCompletionKey: Any,
        phContentHandle: Any,
    ) -> ApiCall[int]:
        """DWORD PeerDistClientOpenContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
        PCPEERDIST_CONTENT_TAG pContentTag, HANDLE hCompletionPort, ULONG_PTR ulCompletionKey,
        PPEERDIST_CONTENT_HANDLE phContentHandle);"""
        t = self._caller()
        name = "PeerDistClientOpenContent"
        args = (hPeerDist, pContentTag, hCompletionPort, ulCompletionKey, phContentHandle)
        session = yield from self._pd_ready(name, args, hPeerDist)
        if isinstance(session, int):
            return self._done(t, name, args, session)
        tag = None
        if isinstance(pContentTag, PEERDIST_CONTENT_TAG):
            pContentTag.bind(self.k)
            data = pContentTag.sys_get("Data")
            if isinstance(data, (bytes, bytearray)) and len(data) == PEERDIST_CONTENT_TAG_SIZE:
                tag = bytes(data)
        port = self._pd_port(t, hCompletionPort)
        if tag is None or isinstance(port, int) or not isinstance(phContentHandle, HANDLE):
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        error = self._pd_service_error()
        if error:
            return self._done(t, name, args, error)
        content = self._pd_bc().open_content(session, tag, port, ulCompletionKey)
        self._pd_store(phContentHandle, content.handle)
        return self._done(t, name, args, ERROR_SUCCESS)

    @export(DLL, WIN32_ERROR)
    def PeerDistClientCloseContent(self, hPeerDist: Any, hContentHandle: Any) -> ApiCall[int]:
        """DWORD PeerDistClientCloseContent(PEERDIST_INSTANCE_HANDLE hPeerDist,
        PEERDIST_CONTENT_HANDLE hContentHandle);"""
        return (yield from self._pd_close("PeerDistClientCloseContent", hPeerDist, hContentHandle))

    def _pd_content(
        self, name: str, args: tuple[Any, ...], hPeerDist: Any, hContentHandle: Any
    ) -> ApiCall[ContentHandle | int]:
        """The session and the content handle, checked in that order."""
        session = yield from self._pd_ready(name, args, hPeerDist, hContentHandle)
        if isinstance(session, int):
            return session
        content = self._pd_object(session, hContentHandle, ContentHandle)
        if isinstance(content, int):
            return content
        assert isinstance(content, ContentHandle)
        return content

    @export(DLL, WIN32_ERROR)
    def PeerDistClientAddContentInformation(
        self,
        hPeerDist: Any,
        hContentHandle: Any,
        cbNumberOfBytes: Any,
        pBuffer: Any,
        lpOverlapped: Any,
    ) -> ApiCall[int]:
        """DWORD PeerDistClientAddContentInformation(PEERDIST_INSTANCE_HANDLE hPeerDist,
        PEERDIST_CONTENT_HANDLE hContentHandle, DWORD cbNumberOfBytes, PBYTE pBuffer,
        LPOVERLAPPED lpOverlapped);"""
        t = self._caller()
        name = "PeerDistClientAddContentInformation"
        args = (hPeerDist, hContentHandle, cbNumberOfBytes, pBuffer, lpOverlapped)
        content = yield from self._pd_content(name, args, hPeerDist, hContentHandle)
        if isinstance(content, int):
            return self._done(t, name, args, content)
        data = self._pd_bytes(cbNumberOfBytes, pBuffer)
        if data is None or content.complete:
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        busy = bool(content.pending)
        irp = self._pd_start(t, content, name, lpOverlapped)
        if isinstance(irp, int):
            return self._done(t, name, args, irp)
        if busy:
            self._pd_overlapping_add(t, content, name)
        self._pd_bc().add_info(content, irp, data)
        return self._done(t, name, args, ERROR_IO_PENDING)

    @export(DLL, WIN32_ERROR)
    def PeerDistClientCompleteContentInformation(
        self, hPeerDist: Any, hContentHandle: Any, lpOverlapped: Any
    ) -> ApiCall[int]:
        """DWORD PeerDistClientCompleteContentInformation(PEERDIST_INSTANCE_HANDLE hPeerDist,
        PEERDIST_CONTENT_HANDLE hContentHandle, LPOVERLAPPED lpOverlapped);"""
        t = self._caller()
        name = "PeerDistClientCompleteContentInformation"
        args = (hPeerDist, hContentHandle, lpOverlapped)
        content = yield from self._pd_content(name, args, hPeerDist, hContentHandle)
        if isinstance(content, int):
            return self._done(t, name, args, content)
        if content.complete:
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        irp = self._pd_start(t, content, name, lpOverlapped, reserved_zero=False)
        if isinstance(irp, int):
            return self._done(t, name, args, irp)
        self._pd_bc().complete_info(content, irp)
        return self._done(t, name, args, ERROR_IO_PENDING)

    def _pd_read(self, name: str, args: tuple[Any, ...], block: bool) -> ApiCall[int]:
        t = self._caller()
        hPeerDist, hContentHandle, cbMaxNumberOfBytes, pBuffer, dwTimeout, lpOverlapped = args
        content = yield from self._pd_content(name, args, hPeerDist, hContentHandle)
        if isinstance(content, int):
            return self._done(t, name, args, content)
        size = dword(cbMaxNumberOfBytes)
        buffer = target_buffer(pBuffer, size) if size else None
        if size is None or (size and buffer is None) or dword(dwTimeout) is None:
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        if not content.complete:
            return self._done(t, name, args, PEERDIST_ERROR_NOT_INITIALIZED)
        at = None
        if block and isinstance(lpOverlapped, OVERLAPPED):
            lpOverlapped.bind(self.k)
            low, high = lpOverlapped.sys_get("Offset"), lpOverlapped.sys_get("OffsetHigh")
            if type(low) is not int or type(high) is not int:
                return self._done(t, name, args, ERROR_INVALID_PARAMETER)
            at = (high << 32) | low
        irp = self._pd_start(t, content, name, lpOverlapped, reserved_zero=False)
        if isinstance(irp, int):
            return self._done(t, name, args, irp)
        self._pd_bc().read_content(content, irp, size, buffer, at)
        return self._done(t, name, args, ERROR_IO_PENDING)

    @export(DLL, WIN32_ERROR)
    def PeerDistClientBlockRead(
        self,
        hPeerDist: Any,
        hContentHandle: Any,
        cbMaxNumberOfBytes: Any,
        pBuffer: Any,
        dwTimeoutInMilliseconds: Any,
        lpOverlapped: Any,
    ) -> ApiCall[int]:
        """DWORD PeerDistClientBlockRead(PEERDIST_INSTANCE_HANDLE hPeerDist,
        PEERDIST_CONTENT_HANDLE hContentHandle, DWORD cbMaxNumberOfBytes, PBYTE pBuffer, DWORD
        dwTimeoutInMilliseconds, LPOVERLAPPED lpOverlapped);"""
        args = (
            hPeerDist,
            hContentHandle,
            cbMaxNumberOfBytes,
            pBuffer,
            dwTimeoutInMilliseconds,
            lpOverlapped,
        )
        return (yield from self._pd_read("PeerDistClientBlockRead", args, True))

    @export(DLL, WIN32_ERROR)
    def PeerDistClientStreamRead(
        self,
        hPeerDist: Any,
        hContentHandle: Any,
        cbMaxNumberOfBytes: Any,
        pBuffer: Any,
        dwTimeoutInMilliseconds: Any,
        lpOverlapped: Any,
    ) -> ApiCall[int]:
        """DWORD PeerDistClientStreamRead(PEERDIST_INSTANCE_HANDLE hPeerDist,
        PEERDIST_CONTENT_HANDLE hContentHandle, DWORD cbMaxNumberOfBytes, PBYTE pBuffer, DWORD
        dwTimeoutInMilliseconds, LPOVERLAPPED lpOverlapped);"""
        args = (
            hPeerDist,
            hContentHandle,
            cbMaxNumberOfBytes,
            pBuffer,
            dwTimeoutInMilliseconds,
            lpOverlapped,
        )
        return (yield from self._pd_read("PeerDistClientStreamRead", args, False))

    @export(DLL, WIN32_ERROR)
    def PeerDistClientCancelAsyncOperation(
        self, hPeerDist: Any, hContentHandle: Any, pOverlapped: Any
    ) -> ApiCall[int]:
        """DWORD PeerDistClientCancelAsyncOperation(PEERDIST_INSTANCE_HANDLE hPeerDist,
        PEERDIST_CONTENT_HANDLE hContentHandle, LPOVERLAPPED pOverlapped);"""
        t = self._caller()
        name = "PeerDistClientCancelAsyncOperation"
        args = (hPeerDist, hContentHandle, pOverlapped)
        content = yield from self._pd_content(name, args, hPeerDist, hContentHandle)
        if isinstance(content, int):
            return self._done(t, name, args, content)
        if pOverlapped is not None and not isinstance(pOverlapped, OVERLAPPED):
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        error = self._pd_service_error()
        if error:
            return self._done(t, name, args, error)
        irps = self._pd_bc().client_operations(content, pOverlapped)
        if not irps:
            return self._done(t, name, args, PEERDIST_ERROR_OPERATION_NOTFOUND)
        yield from self._pd_cancel_at_service(t, name, irps)
        return self._done_setting(t, name, args, ERROR_SUCCESS, ERROR_OPERATION_ABORTED)
