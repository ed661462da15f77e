"""The BranchCache device: sessions open and close, handles open and close, shutdown.

- PeerDistStartup opens a session ("must be called before any other Peer Distribution
  functions"; each handle "should be closed via a call to PeerDistShutdown", F4.9).
- PeerDistShutdown "cancel[s] all pending Peer Distribution client and server operations
  associated with the supplied PEERDIST_INSTANCE_HANDLE" and "will remove all publications that
  were created with the specified hPeerDist handle" (F4.10): its pending registration and every
  pending operation complete as cancelled (ERROR_OPERATION_ABORTED), its handles close, its
  publications go (``peerdist.shutdown`` records how many of each). While the shutdown is on its
  way to the service the session is *shutting down*: calls on it fail with
  PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS (the surface).
- Closing a stream, content-information or content handle "cancels all pending operations
  associated with" it (PeerDistServerCloseStreamHandle, ...CloseContentInformation,
  PeerDistClientCloseContent); an invalidated handle closes like any other
  (PeerDistRegisterForStatusChangeNotification, Remarks: "The
  caller must explicitly close the handles").
- PeerDistServerUnpublish "cancels all pending operations on unpublished content within the
  Peer Distribution session"; closing a stream "does not remove the publication".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from emu.codes.peerdist import PEERDIST_STATUS_AVAILABLE
from emu.devices.branchcache.content import (
    ContentService,
    Publication,
    content_label,
    encode_info,
)
from emu.devices.branchcache.objects import (
    CLOSED,
    SHUTTING_DOWN,
    ContentHandle,
    ContentInfoHandle,
    PeerDistObject,
    Session,
    StreamHandle,
)
from emu.devices.branchcache.service import BRANCHCACHE_DEVICE, ServiceState
from emu.kernel.io import cancel as cancel_io
from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel
    from emu.kernel.iocp import IoCompletionPort
    from emu.kernel.thread import KProcess

PEERDIST_STARTUP = trace_kind(
    "peerdist.startup",
    ("handle", "version"),
    state=("handle",),
    text="PeerDistStartup: session 0x{handle:X} (version {version})",
    doc="A session (objects[0]) opened for the process.",
)
PEERDIST_SHUTDOWN = trace_kind(
    "peerdist.shutdown",
    ("handle", "cancelled", "closed", "unpublished"),
    text="PeerDistShutdown 0x{handle:X}: {cancelled} operations cancelled, {closed} handles "
    "closed, {unpublished} publications removed",
    doc="A session (objects[0]) ended: what it cancelled, closed and removed.",
)
PEERDIST_OPEN = trace_kind(
    "peerdist.open",
    ("handle", "kind", "content", "port"),
    text="{kind} handle 0x{handle:X} opened for {content} (port {port})",
    doc="A stream, content-information or content handle (objects[0]) opened in session "
    "objects[1], associated with the completion port named (or none).",
)
PEERDIST_CLOSE = trace_kind(
    "peerdist.close",
    ("handle", "kind", "invalidated", "cancelled"),
    text="{kind} handle 0x{handle:X} closed (invalidated {invalidated}; {cancelled} "
    "operations cancelled)",
    doc="A stream, content-information or content handle (objects[0]) closed.",
)

DEFAULT_STATE: Final = (True, True, True)


class BranchCache(ContentService):
    """The simulation's BranchCache service (``branchcache_of``)."""

    def __init__(self, k: Kernel, state: ServiceState | None = None) -> None:
        super().__init__(k, state if state is not None else ServiceState(*DEFAULT_STATE))
        self.publications: dict[bytes, Publication] = {}

    # -- sessions -----------------------------------------------------------------------------

    def startup(self, process: KProcess, version: int) -> Session:
        k = self.k
        session = Session(k, process, version)
        session.handle = self.handles.insert(session, 0)
        self.sessions.append(session)
        k.emit(k.actor_id(), PEERDIST_STARTUP, (session.oid,), (session.handle, version))
        return session

    def begin_shutdown(self, session: Session) -> None:
        session.state = SHUTTING_DOWN

    def shutdown(self, session: Session) -> None:
        """The service's half of PeerDistShutdown."""
        k = self.k
        cancelled = closed = 0
        request = session.registration
        if request is not None:
            cancelled += int(request.irp is not None and not request.irp.done)
            self.unregister(session, "PeerDistShutdown")
        for obj in list(session.objects):
            cancelled += len(obj.pending)
            self.close_object(obj, "PeerDistShutdown")
            closed += 1
        mine = [pub for pub in self.publications.values() if pub.session is session]
        for pub in mine:
            self.unpublish(pub, "removed")
        session.state = CLOSED
        self.sessions.remove(session)
        self.handles.remove(session.handle)
        k.emit(
            k.actor_id(),
            PEERDIST_SHUTDOWN,
            (session.oid,),
            (session.handle, cancelled, closed, len(mine)),
        )

    def live_sessions(self, process: KProcess) -> list[Session]:
        return [s for s in self.sessions if s.process is process]

    # -- handles ------------------------------------------------------------------------------

    def _opened(
        self, obj: PeerDistObject, port: IoCompletionPort | None, key: Any, content: str
    ) -> None:
        k = self.k
        if port is not None:
            obj.associate(port, key)
        obj.handle = self.handles.insert(obj, 0)
        obj.session.objects.append(obj)
        k.emit(
            k.actor_id(),
            PEERDIST_OPEN,
            (obj.oid, obj.session.oid),
            (obj.handle, obj.KIND, content, port.name if port is not None else None),
        )

    def open_stream(
        self,
        session: Session,
        content_id: bytes,
        length: int,
        port: IoCompletionPort | None,
        key: Any,
    ) -> StreamHandle:
        stream = StreamHandle(self.k, self, session, content_id, length)
        pub = Publication(content_id, session)
        self.publications[content_id] = pub
        self._opened(stream, port, key, content_label(content_id))
        self.publish_state(pub, "opened")
        return stream

    def open_info(
        self,
        session: Session,
        pub: Publication,
        offset: int,
        length: int,
        port: IoCompletionPort | None,
        key: Any,
    ) -> ContentInfoHandle:
        info = encode_info(pub.content_id, offset, length)
        obj = ContentInfoHandle(self.k, self, session, pub.content_id, info)
        self._opened(obj, port, key, content_label(pub.content_id))
        return obj

    def open_content(
        self, session: Session, tag: bytes, port: IoCompletionPort | None, key: Any
    ) -> ContentHandle:
        content = ContentHandle(self.k, self, session, tag)
        self._opened(content, port, key, f"tag {tag.hex()}")
        return content

    def close_object(self, obj: PeerDistObject, by: str) -> None:
        """Close a handle: its pending operations are cancelled first."""
        k = self.k
        cancelled = len(obj.pending)
        for irp in list(obj.pending):
            cancel_io(k, irp, by)
        obj.session.objects.remove(obj)
        k.emit(
            k.actor_id(),
            PEERDIST_CLOSE,
            (obj.oid, obj.session.oid),
            (obj.handle, obj.KIND, int(obj.invalidated), cancelled),
        )
        self.handles.remove(obj.handle)

    def unpublish_content(self, session: Session, pub: Publication) -> None:
        """PeerDistServerUnpublish: the publication goes, the session's operations on it are
        cancelled."""
        k = self.k
        for obj in session.objects:
            if (
                isinstance(obj, (StreamHandle, ContentInfoHandle))
                and obj.content_id == pub.content_id
            ):
                for irp in list(obj.pending):
                    cancel_io(k, irp, "PeerDistServerUnpublish")
        self.unpublish(pub, "unpublished")

    @property
    def available(self) -> bool:
        return self.status == PEERDIST_STATUS_AVAILABLE


def branchcache_of(k: Kernel) -> BranchCache:
    """This simulation's BranchCache service (available unless a scenario says otherwise)."""
    return k.device(BRANCHCACHE_DEVICE, lambda: BranchCache(k))
