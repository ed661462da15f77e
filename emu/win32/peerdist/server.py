"""The server calls: publishing a stream, unpublishing, and the server's cancel (the content
information calls are ``emu.win32.peerdist.contentinfo``).

The pages' rules (the codes' common order is ``emu.win32.peerdist.base``):

- PeerDistServerPublishStream: the identifier is "a user defined label" (cbContentIdentifier
  bytes, at least one); cbContentLength "can be 0 if the content length is not yet known";
  pPublishOptions may be NULL; an identifier already published gives
  PEERDIST_ERROR_ALREADY_EXISTS. The port and key are the stream's.
- PeerDistServerPublishAddToStream / ...CompleteStream: asynchronous (ERROR_IO_PENDING); "The
  Offset and OffsetHigh members are reserved and must be zero"; pBuffer "must remain valid for
  the duration of the add operation"; "the caller must wait for each operation to complete
  before the next call is made" (a second add while one is pending is
  ``peerdist.overlapping_add``, and it still runs).
- PeerDistServerCloseStreamHandle "cancels all pending operations associated with hStream" and
  "does not remove the publication"; PeerDistServerUnpublish removes it and "cancels all pending
  operations on unpublished content within the Peer Distribution session" (an identifier not
  published: ERROR_NOT_FOUND, assumption; no page lists a code for it).
- PeerDistServerCancelAsyncOperation (its Remarks): a zero-length or NULL identifier, or a
  pOverlapped that is not an OVERLAPPED: ERROR_INVALID_PARAMETER; the policy and service codes;
  no pending operation of the session on that identifier with that OVERLAPPED:
  PEERDIST_ERROR_OPERATION_NOTFOUND. Else
  the cancel travels to the service; "This function will synchronously cancel the operation, but
  will not return until the cancelation result is posted to the completion port or wait event
  is set": the operation completes as cancelled unless it completed first ("The cancellation
  result will be posted only if no other results have been posted"); waiters woken by the
  completion and the returning caller are ordered by the chooser ("Any threads in waiting can
  receive the completion notice for the operation before or after [it] returns"). The call
  returns ERROR_SUCCESS with the last error ERROR_OPERATION_ABORTED, whichever result was posted
  ("To confirm successfully canceled operations, a call should be made to GetOverlappedResult").
"""

from __future__ import annotations

from typing import Any

from emu.codes.peerdist import PEERDIST_ERROR_NOT_FOUND
from emu.codes.winerror import (
    ERROR_INVALID_PARAMETER,
    ERROR_IO_PENDING,
    ERROR_OPERATION_ABORTED,
    ERROR_SUCCESS,
    PEERDIST_ERROR_ALREADY_EXISTS,
    PEERDIST_ERROR_OPERATION_NOTFOUND,
)
from emu.devices.branchcache import (
    StreamHandle,
)
from emu.kernel.io import IoRequest
from emu.win32.base import WIN32_ERROR, ApiCall, export
from emu.win32.peerdist.base import DLL, PeerDistBase, ulonglong
from emu.win32.peerdist.types import PEERDIST_PUBLICATION_OPTIONS
from emu.win32.types import HANDLE, OVERLAPPED


class ServerApi(PeerDistBase):
    __slots__ = ()

    @export(DLL, WIN32_ERROR)
    def PeerDistServerPublishStream(
        self,
        hPeerDist: Any,
        cbContentIdentifier: Any,
        pContentIdentifier: Any,
        cbContentLength: Any,
        pPublishOptions: Any,
        hCompletionPort: Any,
        ulCompletionKey: Any,
        phStream: Any,
    ) -> ApiCall[int]:
        """DWORD PeerDistServerPublishStream(PEERDIST_INSTANCE_HANDLE hPeerDist, DWORD
        cbContentIdentifier, PBYTE pContentIdentifier, ULONGLONG cbContentLength,
        PCPEERDIST_PUBLICATION_OPTIONS pPublishOptions, HANDLE hCompletionPort, ULONG_PTR
        ulCompletionKey, PPEERDIST_STREAM_HANDLE phStream);"""
        t = self._caller()
        name = "PeerDistServerPublishStream"
        args = (
            hPeerDist,
            cbContentIdentifier,
            pContentIdentifier,
            cbContentLength,
            pPublishOptions,
            hCompletionPort,
            ulCompletionKey,
            phStream,
        )
        session = yield from self._pd_ready(name, args, hPeerDist)
        if isinstance(session, int):
            return self._done(t, name, args, session)
        content_id = self._pd_bytes(cbContentIdentifier, pContentIdentifier)
        length = ulonglong(cbContentLength)
        port = self._pd_port(t, hCompletionPort)
        options_ok = pPublishOptions is None or isinstance(
            pPublishOptions, PEERDIST_PUBLICATION_OPTIONS
        )
        if (
            content_id is None
            or length < 0
            or isinstance(port, int)
            or not options_ok
            or not isinstance(phStream, HANDLE)
        ):
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        error = self._pd_service_error()
        if error:
            return self._done(t, name, args, error)
        bc = self._pd_bc()
        if bc.published(content_id) is not None:
            return self._done(t, name, args, PEERDIST_ERROR_ALREADY_EXISTS)
        stream = bc.open_stream(session, content_id, length, port, ulCompletionKey)
        self._pd_store(phStream, stream.handle)
        return self._done(t, name, args, ERROR_SUCCESS)

    def _pd_stream_op(
        self,
        name: str,
        args: tuple[Any, ...],
        hPeerDist: Any,
        hStream: Any,
        lpOverlapped: Any,
        data_ok: bool = True,
    ) -> ApiCall[tuple[StreamHandle, IoRequest] | int]:
        """Session, stream handle, the data (``data_ok``), the OVERLAPPED, the service; then
        the request."""
        t = self._caller()
        session = yield from self._pd_ready(name, args, hPeerDist, hStream)
        if isinstance(session, int):
            return session
        stream = self._pd_object(session, hStream, StreamHandle)
        if isinstance(stream, int):
            return stream
        assert isinstance(stream, StreamHandle)
        if not data_ok:
            return ERROR_INVALID_PARAMETER
        busy = bool(stream.pending) and name == "PeerDistServerPublishAddToStream"
        irp = self._pd_start(t, stream, name, lpOverlapped)
        if isinstance(irp, int):
            return irp
        if busy:
            self._pd_overlapping_add(t, stream, name)
        return stream, irp

    @export(DLL, WIN32_ERROR)
    def PeerDistServerPublishAddToStream(
        self,
        hPeerDist: Any,
        hStream: Any,
        cbNumberOfBytes: Any,
        pBuffer: Any,
        lpOverlapped: Any,
    ) -> ApiCall[int]:
        """DWORD PeerDistServerPublishAddToStream(PEERDIST_INSTANCE_HANDLE hPeerDist,
        PEERDIST_STREAM_HANDLE hStream, DWORD cbNumberOfBytes, PBYTE pBuffer, LPOVERLAPPED
        lpOverlapped);"""
        t = self._caller()
        name = "PeerDistServerPublishAddToStream"
        args = (hPeerDist, hStream, cbNumberOfBytes, pBuffer, lpOverlapped)
        data = self._pd_bytes(cbNumberOfBytes, pBuffer)
        started = yield from self._pd_stream_op(
            name, args, hPeerDist, hStream, lpOverlapped, data is not None
        )
        if isinstance(started, int):
            return self._done(t, name, args, started)
        stream, irp = started
        assert data is not None
        self._pd_bc().add_to_stream(stream, irp, data)
        return self._done(t, name, args, ERROR_IO_PENDING)

    @export(DLL, WIN32_ERROR)
    def PeerDistServerPublishCompleteStream(
        self, hPeerDist: Any, hStream: Any, lpOverlapped: Any
    ) -> ApiCall[int]:
        """DWORD PeerDistServerPublishCompleteStream(PEERDIST_INSTANCE_HANDLE hPeerDist,
        PEERDIST_STREAM_HANDLE hStream, LPOVERLAPPED lpOverlapped);"""
        t = self._caller()
        name = "PeerDistServerPublishCompleteStream"
        args = (hPeerDist, hStream, lpOverlapped)
        started = yield from self._pd_stream_op(name, args, hPeerDist, hStream, lpOverlapped)
        if isinstance(started, int):
            return self._done(t, name, args, started)
        stream, irp = started
        self._pd_bc().complete_stream(stream, irp)
        return self._done(t, name, args, ERROR_IO_PENDING)

    @export(DLL, WIN32_ERROR)
    def PeerDistServerCloseStreamHandle(self, hPeerDist: Any, hStream: Any) -> ApiCall[int]:
        """DWORD PeerDistServerCloseStreamHandle(PEERDIST_INSTANCE_HANDLE hPeerDist,
        PEERDIST_STREAM_HANDLE hStream);"""
        return (yield from self._pd_close("PeerDistServerCloseStreamHandle", hPeerDist, hStream))

    @export(DLL, WIN32_ERROR)
    def PeerDistServerUnpublish(
        self, hPeerDist: Any, cbContentIdentifier: Any, pContentIdentifier: Any
    ) -> ApiCall[int]:
        """DWORD PeerDistServerUnpublish(PEERDIST_INSTANCE_HANDLE hPeerDist, DWORD
        cbContentIdentifier, PBYTE pContentIdentifier);"""
        t = self._caller()
        name = "PeerDistServerUnpublish"
        args = (hPeerDist, cbContentIdentifier, pContentIdentifier)
        session = yield from self._pd_ready(name, args, hPeerDist)
        if isinstance(session, int):
            return self._done(t, name, args, session)
        content_id = self._pd_bytes(cbContentIdentifier, pContentIdentifier)
        if content_id is None:
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        error = self._pd_service_error()
        if error:
            return self._done(t, name, args, error)
        bc = self._pd_bc()
        pub = bc.published(content_id)
        if pub is None or pub.session is not session:
            return self._done(t, name, args, PEERDIST_ERROR_NOT_FOUND)
        bc.unpublish_content(session, pub)
        return self._done(t, name, args, ERROR_SUCCESS)

    @export(DLL, WIN32_ERROR)
    def PeerDistServerCancelAsyncOperation(
        self,
        hPeerDist: Any,
        cbContentIdentifier: Any,
        pContentIdentifier: Any,
        pOverlapped: Any,
    ) -> ApiCall[int]:
        """DWORD PeerDistServerCancelAsyncOperation(PEERDIST_INSTANCE_HANDLE hPeerDist, DWORD
        cbContentIdentifier, PBYTE pContentIdentifier, LPOVERLAPPED pOverlapped);"""
        t = self._caller()
        name = "PeerDistServerCancelAsyncOperation"
        args = (hPeerDist, cbContentIdentifier, pContentIdentifier, pOverlapped)
        session = yield from self._pd_ready(name, args, hPeerDist)
        if isinstance(session, int):
            return self._done(t, name, args, session)
        content_id = self._pd_bytes(cbContentIdentifier, pContentIdentifier)
        if content_id is None or not isinstance(pOverlapped, OVERLAPPED):
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        error = self._pd_service_error()
        if error:
            return self._done(t, name, args, error)
        irp = self._pd_bc().server_operation(session, content_id, pOverlapped)
        if irp is None:
            return self._done(t, name, args, PEERDIST_ERROR_OPERATION_NOTFOUND)
        code = yield from self._pd_cancel_at_service(t, name, [irp])
        if code:
            return self._done(t, name, args, code)
        return self._done_setting(t, name, args, ERROR_SUCCESS, ERROR_OPERATION_ABORTED)
