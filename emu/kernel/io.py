"""File objects and asynchronous I/O requests: complete exactly once, however it ends.

A device (a named pipe now; sockets and the BranchCache service later) starts an ``IoRequest``
for each asynchronous call and later completes or cancels it. ``complete`` does what the I/O
manager does when an IRP completes, in one step:

- the OVERLAPPED's Internal (the NTSTATUS) and InternalHigh (the byte count) are written by the
  system (traced structure writes);
- the OVERLAPPED's event, if any, is signalled; otherwise the file object itself is ("If the
  hEvent member ... is NULL, the system uses the state of the hFile handle to signal when the
  operation has been completed", GetOverlappedResult, MS docs);
- a packet is posted to the completion port the file is associated with, with the
  association's key and the OVERLAPPED as the value (F5.16), unless the hEvent had its low-order
  bit set ("setting its low-order bit ... prevent[s] completion port notification",
  GetQueuedCompletionStatus, MS docs), or the request has a completion routine, which is queued
  as an APC to the issuing thread instead (ReadFileEx/WriteFileEx);
- the request is done: a second completion, or a cancel that arrives after it, finds it done
  and changes nothing (``io.late``), which is how a cancel racing a completion resolves to
  exactly one outcome; the chooser orders the two when they meet at one instant.

Cancelling asks the device to give the request up: it completes with STATUS_CANCELLED
(GetOverlappedResult then fails with ERROR_OPERATION_ABORTED, and a packet still reaches the
port, F5.26/F5.27). A request issued by a thread that exits is cancelled with it, unless its file
is associated with a completion port (from Windows Vista on, I/O on such files is not tied to
the issuing thread).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from emu.codes.access import FILE_GENERIC_MAPPING
from emu.codes.ntstatus import STATUS_CANCELLED, STATUS_PENDING
from emu.kernel import waits
from emu.kernel.apc import queue_user_apc
from emu.kernel.memory import Struct
from emu.kernel.objects import DispatcherObject
from emu.kernel.trace import payload_value, trace_kind

if TYPE_CHECKING:
    from emu.kernel.actor import Actor
    from emu.kernel.dispatcher import Kernel
    from emu.kernel.event import KEvent
    from emu.kernel.iocp import IoCompletionPort
    from emu.kernel.thread import Thread

IO_START = trace_kind(
    "io.start",
    ("irp", "op", "overlapped", "pending"),
    state=("pending",),
    text="{o1} starts {op} #{irp} on {o0} ({pending} pending)",
    doc="An I/O request began on the file (objects[0]) for a thread (objects[1]); "
    "`pending` counts the file's requests not yet completed.",
)
IO_COMPLETE = trace_kind(
    "io.complete",
    ("irp", "op", "status", "information", "pending"),
    state=("pending",),
    text="{op} #{irp} on {o0} completes: status {status}, {information} bytes",
    doc="The request completed (exactly once); `cause` is its io.start.",
)
IO_CANCEL = trace_kind(
    "io.cancel",
    ("irp", "op", "by"),
    text="cancel {op} #{irp} on {o0} ({by})",
    doc="Cancellation of a pending request was requested (CancelIo, CancelIoEx, thread exit, "
    "handle close); the completion with STATUS_CANCELLED follows.",
)
IO_PENDING = trace_kind(
    "io.pending",
    ("irp", "op"),
    text="{op} #{irp} on {o0} is still pending at the end",
    doc="At the end of the run the request had not completed (nothing completed or cancelled it).",
)
IO_LATE = trace_kind(
    "io.late",
    ("irp", "op", "what"),
    text="{what} for {op} #{irp} on {o0} arrives after it completed: nothing changes",
    doc="A completion or cancel found the request already done (it lost the race).",
)


class FileObject(DispatcherObject):
    """A file object: the device behind it, its completion port association, its requests."""

    __slots__ = (
        "device",
        "key",
        "overlapped",
        "pending",
        "port",
        "signaled",
        "sync_done",
        "sync_lock",
    )

    TYPE = "File"
    GENERIC_MAPPING = FILE_GENERIC_MAPPING
    THREAD_BOUND: ClassVar[bool] = True
    """Whether a request on this file, not associated with a completion port, is cancelled
    when the issuing thread exits (the I/O manager's rule; a service's operations, such as
    BranchCache's, are not the thread's)."""

    def __init__(
        self, k: Kernel, device: FileDevice, overlapped: bool, name: str | None = None
    ) -> None:
        super().__init__(k, name)
        self.device = device
        self.overlapped = overlapped  # opened with FILE_FLAG_OVERLAPPED
        self.port: IoCompletionPort | None = None
        self.key: Any = 0
        self.pending: list[IoRequest] = []
        self.signaled = False
        # A synchronous handle serializes its I/O (the I/O manager's file-object lock) and
        # waits for each request on a private completion event; both created on first use.
        self.sync_lock: KEvent | None = None
        self.sync_done: KEvent | None = None
        k.end_reporters.append(self)

    def is_signaled_for(self, waiter: Actor) -> bool:
        return self.signaled

    def associate(self, port: IoCompletionPort, key: Any) -> None:
        """Completions of this file go to ``port`` with ``key`` (the file references it)."""
        self.port = port
        self.key = key
        port.reference()

    def on_last_handle_closed(self) -> None:
        self.device.close(self)

    def at_end(self) -> None:
        k = self.k
        for irp in self.pending:
            k.emit(0, IO_PENDING, (self.oid,), (irp.number, irp.op), irp.seq)

    def on_destroy(self) -> None:
        if self.port is not None:
            self.port.dereference()
            self.port = None
        super().on_destroy()


Routine = Callable[..., Any]


class FileDevice(Protocol):
    """What a device behind file objects implements (the named-pipe file system, ...).

    ``check_*`` return an NTSTATUS that refuses the call before any request starts (0: go on);
    ``read``/``write`` complete the request at once or keep it pending; ``cancel`` gives a
    pending request up; ``close`` runs when the file's last handle closes.
    """

    def check_read(self, file: Any) -> int: ...
    def read(
        self, file: Any, irp: IoRequest, size: int, buffer: bytearray | memoryview
    ) -> None: ...
    def check_write(self, file: Any) -> int: ...
    def write(self, file: Any, irp: IoRequest, data: bytes) -> None: ...
    def cancel(self, irp: IoRequest) -> None: ...
    def close(self, file: Any) -> None: ...


class IoRequest:
    """An IRP: one asynchronous operation on a file, completed exactly once."""

    __slots__ = (
        "data",
        "done",
        "event",
        "file",
        "information",
        "number",
        "op",
        "overlapped",
        "post",
        "routine",
        "seq",
        "status",
        "thread",
    )

    def __init__(
        self,
        file: FileObject,
        thread: Thread,
        op: str,
        overlapped: Struct | None,
        event: KEvent | None,
        post: bool,
        routine: Routine | None,
    ) -> None:
        self.file = file
        self.thread = thread
        self.op = op
        self.overlapped = overlapped
        self.event = event
        self.post = post
        self.routine = routine
        self.number = file.k.new_id("irp")
        self.status = STATUS_PENDING
        self.information = 0
        self.done = False
        self.seq = -1
        self.data: Any = None  # device-specific (a read's buffer, a write's bytes)


def start_io(
    k: Kernel,
    file: FileObject,
    thread: Thread,
    op: str,
    overlapped: Struct | None,
    *,
    event: KEvent | None = None,
    post: bool = True,
    routine: Routine | None = None,
) -> IoRequest:
    """Begin a request: OVERLAPPED.Internal is STATUS_PENDING, the event and the file reset."""
    irp = IoRequest(file, thread, op, overlapped, event, post and routine is None, routine)
    if overlapped is not None:
        overlapped.bind(k)
        overlapped.sys_set("Internal", STATUS_PENDING)
        overlapped.sys_set("InternalHigh", 0)
    if event is not None:
        event.reset()
        event.reference()  # the request holds its event until it completes
    else:
        file.signaled = False
    file.pending.append(irp)
    thread.irps.append(irp)
    irp.seq = k.emit(
        k.actor_id(),
        IO_START,
        (file.oid, thread.oid),
        (irp.number, op, payload_value(overlapped), len(file.pending)),
    )
    return irp


def complete(k: Kernel, irp: IoRequest, status: int, information: int) -> bool:
    """Complete ``irp`` (False, and an ``io.late`` event, if it already completed)."""
    file = irp.file
    if irp.done:
        k.emit(k.actor_id(), IO_LATE, (file.oid,), (irp.number, irp.op, "completion"), irp.seq)
        return False
    irp.done = True
    irp.status = status
    irp.information = information
    if irp in file.pending:
        file.pending.remove(irp)
    if irp in irp.thread.irps:
        irp.thread.irps.remove(irp)
    seq = k.emit(
        k.actor_id(),
        IO_COMPLETE,
        (file.oid, irp.thread.oid),
        (irp.number, irp.op, status, information, len(file.pending)),
        irp.seq,
    )
    overlapped = irp.overlapped
    if overlapped is not None:
        overlapped.sys_set("Internal", status)
        overlapped.sys_set("InternalHigh", information)
    if irp.event is not None:
        irp.event.set()
        irp.event.dereference()
    else:
        file.signaled = True
        if file.waiters:
            waits.signal(k, file, seq)
    if irp.routine is not None:
        queue_user_apc(
            k,
            irp.thread,
            irp.routine,
            (status, information, overlapped),
            (status, information, payload_value(overlapped)),
        )
    elif irp.post and file.port is not None:
        file.port.post(file.key, overlapped, status, information)
    return True


def cancel(k: Kernel, irp: IoRequest, by: str) -> bool:
    """Ask the device to give ``irp`` up; False if it already completed."""
    file = irp.file
    if irp.done:
        k.emit(k.actor_id(), IO_LATE, (file.oid,), (irp.number, irp.op, "cancel"), irp.seq)
        return False
    k.emit(k.actor_id(), IO_CANCEL, (file.oid,), (irp.number, irp.op, by), irp.seq)
    file.device.cancel(irp)
    if not irp.done:  # a device without a cancel routine of its own
        complete(k, irp, STATUS_CANCELLED, 0)
    return True


def cancel_thread_io(k: Kernel, thread: Thread) -> None:
    """At thread exit: cancel its requests on files not associated with a completion port."""
    for irp in list(thread.irps):
        if irp.file.port is None and irp.file.THREAD_BOUND:
            cancel(k, irp, "thread exit")
