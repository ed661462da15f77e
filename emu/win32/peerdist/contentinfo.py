"""The server's content information: PeerDistServerOpenContentInformation,
PeerDistServerRetrieveContentInformation and PeerDistServerCloseContentInformation.

The pages' rules (the codes' common order is ``emu.win32.peerdist.base``):

- PeerDistServerOpenContentInformation: "If ullContentOffset and cbContentLength are both zero,
  then the content information for the whole content will be retrieved"; a range past the
  content: ERROR_INVALID_PARAMETER (assumption); content not published (or its stream not
  complete): the page's "PEERDIST_ERROR_NOT_FOUND", which winerror.h does not define: emu returns
  ERROR_NOT_FOUND (1168) (assumption; ``emu.codes.peerdist.PEERDIST_ERROR_NOT_FOUND``). The port
  and key are the handle's.
- PeerDistServerRetrieveContentInformation: asynchronous; "The offset is implicitly maintained
  per hContentInfo. The Offset and OffsetHigh are reserved and must be zero"; it completes with
  the bytes retrieved, or PEERDIST_ERROR_NO_MORE once all were ("EOF on the content information
  has been reached"; ``emu.devices.branchcache.content``).
- PeerDistServerCloseContentInformation "will cancel any pending operations associated with the
  PEERDIST_CONTENTINFO_HANDLE".
"""

from __future__ import annotations

from typing import Any

from emu.codes.peerdist import PEERDIST_ERROR_NOT_FOUND
from emu.codes.winerror import ERROR_INVALID_PARAMETER, ERROR_IO_PENDING, ERROR_SUCCESS
from emu.devices.branchcache import ContentInfoHandle
from emu.win32.base import WIN32_ERROR, ApiCall, dword, export
from emu.win32.kernel32.iobase import target_buffer
from emu.win32.peerdist.base import DLL, PeerDistBase, ulonglong
from emu.win32.types import HANDLE


class ContentInfoApi(PeerDistBase):
    __slots__ = ()

    @export(DLL, WIN32_ERROR)
    def PeerDistServerOpenContentInformation(
        self,
        hPeerDist: Any,
        cbContentIdentifier: Any,
        pContentIdentifier: Any,
        ullContentOffset: Any,
        cbContentLength: Any,
        hCompletionPort: Any,
        ulCompletionKey: Any,
        phContentInfo: Any,
    ) -> ApiCall[int]:
        """DWORD PeerDistServerOpenContentInformation(PEERDIST_INSTANCE_HANDLE hPeerDist, DWORD
        cbContentIdentifier, PBYTE pContentIdentifier, ULONGLONG ullContentOffset, ULONGLONG
        cbContentLength, HANDLE hCompletionPort, ULONG_PTR ulCompletionKey,
        PPEERDIST_CONTENTINFO_HANDLE phContentInfo);"""
        t = self._caller()
        name = "PeerDistServerOpenContentInformation"
        args = (
            hPeerDist,
            cbContentIdentifier,
            pContentIdentifier,
            ullContentOffset,
            cbContentLength,
            hCompletionPort,
            ulCompletionKey,
            phContentInfo,
        )
        session = yield from self._pd_ready(name, args, hPeerDist)
        if isinstance(session, int):
            return self._done(t, name, args, session)
        content_id = self._pd_bytes(cbContentIdentifier, pContentIdentifier)
        offset = ulonglong(ullContentOffset)
        length = ulonglong(cbContentLength)
        port = self._pd_port(t, hCompletionPort)
        if (
            content_id is None
            or offset < 0
            or length < 0
            or isinstance(port, int)
            or not isinstance(phContentInfo, HANDLE)
        ):
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        error = self._pd_service_error()
        if error:
            return self._done(t, name, args, error)
        bc = self._pd_bc()
        pub = bc.published(content_id)
        if pub is None or not pub.complete:
            return self._done(t, name, args, PEERDIST_ERROR_NOT_FOUND)
        if offset == 0 and length == 0:
            length = len(pub.data)  # "the content information for the whole content"
        elif offset + length > len(pub.data) or length == 0:
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        info = bc.open_info(session, pub, offset, length, port, ulCompletionKey)
        self._pd_store(phContentInfo, info.handle)
        return self._done(t, name, args, ERROR_SUCCESS)

    @export(DLL, WIN32_ERROR)
    def PeerDistServerRetrieveContentInformation(
        self,
        hPeerDist: Any,
        hContentInfo: Any,
        cbMaxNumberOfBytes: Any,
        pBuffer: Any,
        lpOverlapped: Any,
    ) -> ApiCall[int]:
        """DWORD PeerDistServerRetrieveContentInformation(PEERDIST_INSTANCE_HANDLE hPeerDist,
        PEERDIST_CONTENTINFO_HANDLE hContentInfo, DWORD cbMaxNumberOfBytes, PBYTE pBuffer,
        LPOVERLAPPED lpOverlapped);"""
        t = self._caller()
        name = "PeerDistServerRetrieveContentInformation"
        args = (hPeerDist, hContentInfo, cbMaxNumberOfBytes, pBuffer, lpOverlapped)
        session = yield from self._pd_ready(name, args, hPeerDist, hContentInfo)
        if isinstance(session, int):
            return self._done(t, name, args, session)
        info = self._pd_object(session, hContentInfo, ContentInfoHandle)
        if isinstance(info, int):
            return self._done(t, name, args, info)
        size = dword(cbMaxNumberOfBytes)
        buffer = target_buffer(pBuffer, size) if size else None
        if buffer is None:
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        irp = self._pd_start(t, info, name, lpOverlapped)
        if isinstance(irp, int):
            return self._done(t, name, args, irp)
        assert isinstance(info, ContentInfoHandle) and size is not None
        self._pd_bc().retrieve_info(info, irp, size, buffer)
        return self._done(t, name, args, ERROR_IO_PENDING)

    @export(DLL, WIN32_ERROR)
    def PeerDistServerCloseContentInformation(
        self, hPeerDist: Any, hContentInfo: Any
    ) -> ApiCall[int]:
        """DWORD PeerDistServerCloseContentInformation(PEERDIST_INSTANCE_HANDLE hPeerDist,
        PEERDIST_CONTENTINFO_HANDLE hContentInfo);"""
        return (
            yield from self._pd_close(
                "PeerDistServerCloseContentInformation", hPeerDist, hContentInfo
            )
        )
