"""Content the service publishes and serves: streams, content information, client reads.

- **Publishing.** PeerDistServerPublishStream opens a stream for a content identifier and a
  length; PeerDistServerPublishAddToStream adds bytes to it and PeerDistServerPublishCompleteStream
  finishes it, each asynchronously. A finished stream is a **publication** the service holds
  under its identifier until PeerDistServerUnpublish or the session's PeerDistShutdown ("removes
  all publications of the instance", F4.10). Publishing an identifier already published by a
  stream or publication fails with PEERDIST_ERROR_ALREADY_EXISTS ("The content identifier used
  for publication is already published"). A publication is the publishing user's; emu has one.
- **Content information** describes a range of a publication. Its bytes are emu's own encoding
  (``CONTENT_INFO_MAGIC``, the identifier, the range), not MS-PCCRC's hashes: what a client
  needs from them is which content and which range to read. PeerDistServerRetrieveContentInformation
  hands them out in pieces of at most the caller's buffer, the OVERLAPPED's Offset/OffsetHigh
  set to where each piece starts; once all were retrieved it completes with
  PEERDIST_ERROR_NO_MORE ("EOF on the content information has been reached").
- **Reading.** A client opens a content handle by tag, adds the content information
  (PeerDistClientAddContentInformation) and completes it (PeerDistClientCompleteContentInformation:
  PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO for bytes that are not content information), then
  reads with PeerDistClientBlockRead (at the OVERLAPPED's Offset/OffsetHigh in the content) or
  PeerDistClientStreamRead (from the handle's stream position: "The stream offset will be
  advanced by the number of bytes reported as read"; emu advances it when the read is issued,
  by its size, so that reads in flight are served "in a first-in/first-out manner" whatever
  their latencies; only the last read of the content can return fewer bytes). On success the
  OVERLAPPED's Offset/OffsetHigh hold "the ULONGLONG offset at which the read started"; a size
  of 0 asks "the length of available consecutive content bytes in the local cache" (0 when it
  holds none of it). The data comes from the service's cache: the publication of the same
  identifier. If there is none (never published, unpublished, unfinished) the read completes
  with PEERDIST_ERROR_MISSING_DATA ("If the read cannot not be completed from either the local
  cache or the peer cache"; peers are not modelled, so ERROR_TIMEOUT never happens), its byte
  count the length of the missing range (to the end of the content) and a stream read's
  position advanced past it. Outside the content information's range, or after the stream
  position passed its end, it completes with PEERDIST_ERROR_NO_MORE.
- Every one of these operations is an ``IoRequest`` that completes after the service's latency
  (``ServiceBase.later``), with the bytes it transferred as InternalHigh, or an error status
  carrying the Win32 code (``ntstatus_from_win32``: GetOverlappedResult gives the code back).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from emu.codes.ntmap import ntstatus_from_win32
from emu.codes.ntstatus import STATUS_SUCCESS
from emu.codes.winerror import (
    ERROR_INVALID_PARAMETER,
    PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO,
    PEERDIST_ERROR_MISSING_DATA,
    PEERDIST_ERROR_NO_MORE,
)
from emu.devices.branchcache.objects import (
    ContentHandle,
    ContentInfoHandle,
    Session,
    StreamHandle,
)
from emu.devices.branchcache.status import StatusNotifier
from emu.kernel.io import IoRequest, complete
from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.memory import Struct

CONTENT_INFO_MAGIC: Final = b"EMUPDCI1"

PEERDIST_PUBLISH = trace_kind(
    "peerdist.publish",
    ("content", "length", "state"),
    text="content {content} ({length} bytes) {state}",
    doc="A publication of session objects[0] changed: `state` is `opened` (a stream began), "
    "`published` (its stream completed), `unpublished` (PeerDistServerUnpublish) or `removed` "
    "(PeerDistShutdown).",
)


@dataclass(slots=True)
class Publication:
    """Content published under an identifier."""

    content_id: bytes
    session: Session
    data: bytes = b""
    complete: bool = False


def content_label(content_id: bytes) -> str:
    """An identifier as the trace shows it (hex)."""
    return content_id.hex()


def encode_info(content_id: bytes, offset: int, length: int) -> bytes:
    return (
        CONTENT_INFO_MAGIC
        + len(content_id).to_bytes(4, "little")
        + content_id
        + offset.to_bytes(8, "little")
        + length.to_bytes(8, "little")
    )


def decode_info(info: bytes) -> tuple[bytes, int, int] | None:
    """(identifier, offset, length) from content information bytes, or None."""
    head = len(CONTENT_INFO_MAGIC)
    if not info.startswith(CONTENT_INFO_MAGIC) or len(info) < head + 4:
        return None
    size = int.from_bytes(info[head : head + 4], "little")
    rest = info[head + 4 :]
    if len(rest) != size + 16:
        return None
    offset = int.from_bytes(rest[size : size + 8], "little")
    return bytes(rest[:size]), offset, int.from_bytes(rest[size + 8 :], "little")


def failed(code: int) -> int:
    return ntstatus_from_win32(code)


class ContentService(StatusNotifier):
    """Publications and the content operations."""

    publications: dict[bytes, Publication]

    def publish_state(self, pub: Publication, state: str) -> None:
        k = self.k
        k.emit(
            k.actor_id(),
            PEERDIST_PUBLISH,
            (pub.session.oid,),
            (content_label(pub.content_id), len(pub.data), state),
        )

    def published(self, content_id: bytes) -> Publication | None:
        return self.publications.get(content_id)

    def unpublish(self, pub: Publication, state: str) -> None:
        del self.publications[pub.content_id]
        self.publish_state(pub, state)

    # -- the server ---------------------------------------------------------------------------

    def add_to_stream(self, stream: StreamHandle, irp: IoRequest, data: bytes) -> None:
        def work(irp: IoRequest) -> None:
            stream.data += data
            complete(self.k, irp, STATUS_SUCCESS, len(data))

        self.later(irp, work)

    def complete_stream(self, stream: StreamHandle, irp: IoRequest) -> None:
        def work(irp: IoRequest) -> None:
            if stream.length and len(stream.data) != stream.length:
                # "If a non-zero argument is provided then it must match to the total data
                # length added" (PeerDistServerPublishStream): the stream is not finished.
                complete(self.k, irp, failed(ERROR_INVALID_PARAMETER), 0)
                return
            stream.complete = True
            pub = self.publications.get(stream.content_id)
            if pub is not None:
                pub.data = bytes(stream.data)
                pub.complete = True
                self.publish_state(pub, "published")
            complete(self.k, irp, STATUS_SUCCESS, 0)

        self.later(irp, work)

    def retrieve_info(
        self, info: ContentInfoHandle, irp: IoRequest, size: int, buffer: bytearray | memoryview
    ) -> None:
        def work(irp: IoRequest) -> None:
            chunk = info.info[info.retrieved : info.retrieved + size]
            if not chunk:
                complete(self.k, irp, failed(PEERDIST_ERROR_NO_MORE), 0)
                return
            buffer[: len(chunk)] = chunk
            if irp.overlapped is not None:
                irp.overlapped.sys_set("Offset", info.retrieved & 0xFFFFFFFF)
                irp.overlapped.sys_set("OffsetHigh", info.retrieved >> 32)
            info.retrieved += len(chunk)
            complete(self.k, irp, STATUS_SUCCESS, len(chunk))

        self.later(irp, work)

    # -- the client ---------------------------------------------------------------------------

    def add_info(self, content: ContentHandle, irp: IoRequest, data: bytes) -> None:
        def work(irp: IoRequest) -> None:
            content.info += data
            complete(self.k, irp, STATUS_SUCCESS, len(data))

        self.later(irp, work)

    def complete_info(self, content: ContentHandle, irp: IoRequest) -> None:
        def work(irp: IoRequest) -> None:
            decoded = decode_info(bytes(content.info))
            if decoded is None:
                complete(self.k, irp, failed(PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO), 0)
                return
            content.content_id, content.offset, content.length = decoded
            content.position = content.offset  # a stream read starts at the range's start
            content.complete = True
            complete(self.k, irp, STATUS_SUCCESS, 0)

        self.later(irp, work)

    def read_content(
        self,
        content: ContentHandle,
        irp: IoRequest,
        size: int,
        buffer: bytearray | memoryview | None,
        at: int | None,
    ) -> None:
        """A block read at ``at`` (an offset in the content), or a stream read (``at`` None)
        at the handle's stream position, which it advances by ``size`` at once, so that stream
        reads are served first in, first out whatever their latencies; ``size`` 0 asks how
        many bytes the cache holds there."""
        start = at
        if at is None:
            start = content.position
            end = content.offset + content.length
            content.position = min(end, start + size)

        def work(irp: IoRequest) -> None:
            assert start is not None
            k = self.k
            end = content.offset + content.length
            overlapped = irp.overlapped
            if start < content.offset or start >= end:
                complete(k, irp, failed(PEERDIST_ERROR_NO_MORE), 0)
                return
            pub = self.publications.get(content.content_id)
            if overlapped is not None:
                overlapped.sys_set("Offset", start & 0xFFFFFFFF)
                overlapped.sys_set("OffsetHigh", start >> 32)
            cached = pub is not None and pub.complete and len(pub.data) >= end
            if not size:
                complete(k, irp, STATUS_SUCCESS, end - start if cached else 0)
                return
            if not cached:
                # Nothing of it in the cache (peers are not modelled): the missing range is
                # the rest of the content, and a stream read moves past it.
                if at is None:
                    content.position = max(content.position, end)
                complete(k, irp, failed(PEERDIST_ERROR_MISSING_DATA), end - start)
                return
            assert pub is not None
            chunk = pub.data[start : min(end, start + size)]
            if buffer is not None:
                buffer[: len(chunk)] = chunk
            complete(k, irp, STATUS_SUCCESS, len(chunk))

        self.later(irp, work)

    # -- cancellation -------------------------------------------------------------------------

    def server_operation(
        self, session: Session, content_id: bytes, overlapped: Struct
    ) -> IoRequest | None:
        """The pending server operation of ``session`` on ``content_id`` with that OVERLAPPED."""
        for obj in session.objects:
            if isinstance(obj, (StreamHandle, ContentInfoHandle)) and obj.content_id == content_id:
                for irp in obj.pending:
                    if irp.overlapped is overlapped:
                        return irp
        return None

    @staticmethod
    def client_operations(content: ContentHandle, overlapped: Struct | None) -> list[IoRequest]:
        """The pending operations on ``content`` with that OVERLAPPED (every one: None)."""
        if overlapped is None:
            return list(content.pending)
        return [irp for irp in content.pending if irp.overlapped is overlapped]
