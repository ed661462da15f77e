"""The objects behind BranchCache's handles: sessions, and the stream, content-information and
content handles whose asynchronous calls are I/O requests.

- A **session** is what PeerDistStartup returns (a PEERDIST_INSTANCE_HANDLE): its own handle
  namespace ``peerdist`` (not a kernel handle: CloseHandle on one fails), its status
  registration, the last status notified to it (PEERDIST_STATUS_DISABLED before the first:
  "the first notification will trigger only if the status is no longer equal to
  PEERDIST_STATUS_DISABLED", PeerDistRegisterForStatusChangeNotification, Remarks), and the handles
  opened through it.
- A **stream** (PeerDistServerPublishStream), a **content information** handle
  (PeerDistServerOpenContentInformation) and a **content** handle (PeerDistClientOpenContent)
  are file objects of the BranchCache device, associated at open with the completion port and
  key the call names (the port may be NULL). Their asynchronous calls are ``IoRequest``s, which
  complete exactly once through the kernel's one path: the OVERLAPPED's Internal and
  InternalHigh, its event ("even if the completion port is specified",
  PeerDistRegisterForStatusChangeNotification, Remarks), the port.
  They are the service's operations, not the issuing thread's (``THREAD_BOUND`` is False): a
  thread that exits leaves them running (assumption).
- A handle is **invalidated** when the service's status becomes DISABLED or UNAVAILABLE: "the
  content, content information, or stream handles the caller has access to will no longer
  function. In this case, any API that uses these handles will fail with error
  PEERDIST_ERROR_INVALIDATED. The caller must explicitly close the handles"
  (PeerDistRegisterForStatusChangeNotification, Remarks).
- A status registration's OVERLAPPED completes through a file object of its own (a
  ``StatusRequest``), associated with the port that registration names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from emu.codes.peerdist import PEERDIST_STATUS_DISABLED
from emu.kernel.io import FileDevice, FileObject, IoRequest
from emu.kernel.objects import KernelObject

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel
    from emu.kernel.memory import Struct
    from emu.kernel.thread import KProcess

LIVE = "live"
SHUTTING_DOWN = "shutting down"
CLOSED = "closed"


class Session(KernelObject):
    """A PEERDIST_INSTANCE_HANDLE's session."""

    __slots__ = (
        "handle",
        "last_notified",
        "objects",
        "process",
        "registered",
        "registration",
        "state",
        "version",
    )

    TYPE = "PeerDistSession"

    def __init__(self, k: Kernel, process: KProcess, version: int) -> None:
        super().__init__(k)
        self.process = process
        self.version = version
        self.handle = 0
        self.state = LIVE
        self.last_notified = PEERDIST_STATUS_DISABLED
        self.registered = False  # whether it ever registered for status notification
        self.registration: StatusRequest | None = None
        self.objects: list[PeerDistObject] = []  # open stream, content info, content handles


class PeerDistObject(FileObject):
    """A stream, content-information or content handle's object."""

    __slots__ = ("content_id", "handle", "invalidated", "session")

    TYPE = "PeerDistObject"
    KIND: ClassVar[str] = "object"
    THREAD_BOUND: ClassVar[bool] = False

    def __init__(
        self, k: Kernel, device: FileDevice, session: Session, content_id: bytes, name: str
    ) -> None:
        super().__init__(k, device, True, name)
        self.session = session
        self.content_id = content_id
        self.handle = 0
        self.invalidated = False


class StreamHandle(PeerDistObject):
    """PeerDistServerPublishStream's handle: the bytes added so far, toward ``length``."""

    __slots__ = ("complete", "data", "length")

    TYPE = "PeerDistStream"
    KIND = "stream"

    def __init__(
        self, k: Kernel, device: FileDevice, session: Session, content_id: bytes, length: int
    ) -> None:
        super().__init__(k, device, session, content_id, f"stream#{k.new_id('peerdist-stream')}")
        self.length = length
        self.data = bytearray()
        self.complete = False


class ContentInfoHandle(PeerDistObject):
    """PeerDistServerOpenContentInformation's handle: the content information of a range of a
    published content, and how much of it has been retrieved."""

    __slots__ = ("info", "retrieved")

    TYPE = "PeerDistContentInfo"
    KIND = "content information"

    def __init__(
        self, k: Kernel, device: FileDevice, session: Session, content_id: bytes, info: bytes
    ) -> None:
        name = f"contentinfo#{k.new_id('peerdist-contentinfo')}"
        super().__init__(k, device, session, content_id, name)
        self.info = info
        self.retrieved = 0


class ContentHandle(PeerDistObject):
    """PeerDistClientOpenContent's handle: the content information added so far, the content it
    names once complete, and the stream read position."""

    __slots__ = ("complete", "info", "length", "offset", "position", "tag")

    TYPE = "PeerDistContent"
    KIND = "content"

    def __init__(self, k: Kernel, device: FileDevice, session: Session, tag: bytes) -> None:
        name = f"content#{k.new_id('peerdist-content')}"
        super().__init__(k, device, session, b"", name)
        self.tag = tag
        self.info = bytearray()
        self.complete = False
        self.offset = 0  # the range the content information describes
        self.length = 0
        self.position = 0  # PeerDistClientStreamRead's next byte


class StatusRequest(FileObject):
    """One status-change registration: the file object its OVERLAPPED completes through."""

    __slots__ = ("buffer", "ex", "irp", "session")

    TYPE = "PeerDistStatusRequest"
    THREAD_BOUND: ClassVar[bool] = False

    def __init__(
        self, k: Kernel, device: FileDevice, session: Session, buffer: Struct, ex: bool
    ) -> None:
        super().__init__(k, device, True, f"status#{k.new_id('peerdist-status')}")
        self.session = session
        self.buffer = buffer
        self.ex = ex
        self.irp: IoRequest | None = None
