"""The BranchCache (Peer Distribution) service: its status, its sessions, and its operations'
latency, invalidation and cancellation.

- **Status** (PEERDIST_STATUS, F4.1) follows from three switches the scenario drives: the Group
  Policy that enables the feature (off: PEERDIST_STATUS_DISABLED), the service running and its
  cache being usable (either off: PEERDIST_STATUS_UNAVAILABLE); all three on: AVAILABLE. Every
  change is a ``peerdist.status`` event. "A Peer Distribution status change can result in the
  Peer Distribution service moving to an available, unavailable, or disabled state"
  (PeerDistRegisterForStatusChangeNotification, Remarks).
- **Invalidation.** When the status becomes DISABLED or UNAVAILABLE every stream, content
  information and content handle of every session is invalidated (``peerdist.invalidate``)
  and "any API that uses these handles will fail with error PEERDIST_ERROR_INVALIDATED"
  (PeerDistRegisterForStatusChangeNotification, Remarks). An operation still pending on such a
  handle completes with that error (assumption: nothing is lost; the service gives the
  operation up as the handle stops working).
- **Notification** (``emu.devices.branchcache.status``): at a change, each session with a
  registration pending is notified if the new status differs from the last one notified to it.
- **Operations take time.** Each asynchronous operation completes on the service's own context
  (a ``JobActor``) after a latency in the scenario's ``branchcache`` range
  (``machine.latency.branchcache``; default 100 µs to 1 ms) the chooser draws, so operations race
  with cancellation, shutdown and status changes; so does each call's trip to the service for
  cancellation and shutdown.
- **Cancellation** at the service: an operation still pending completes with STATUS_CANCELLED
  (ERROR_OPERATION_ABORTED); one that completed first is not touched: "The cancellation result
  will be posted only if no other results have been posted" (PeerDistServerCancelAsyncOperation,
  Remarks; ``io.late``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from emu.codes.ntmap import ntstatus_from_win32
from emu.codes.ntstatus import STATUS_CANCELLED, STATUS_INVALID_DEVICE_REQUEST
from emu.codes.peerdist import (
    PEERDIST_STATUS_AVAILABLE,
    PEERDIST_STATUS_DISABLED,
    PEERDIST_STATUS_UNAVAILABLE,
    peerdist_status_name,
)
from emu.codes.winerror import PEERDIST_ERROR_INVALIDATED
from emu.devices.branchcache.objects import CLOSED, PeerDistObject, Session
from emu.kernel.io import FileObject, IoRequest, complete
from emu.kernel.io import cancel as cancel_io
from emu.kernel.jobs import JobActor
from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel

BRANCHCACHE_DEVICE: Final = "branchcache"
PEERDIST_HANDLE_BASE: Final = 0x3E0000
PEERDIST_HANDLE_STEP: Final = 0x10
"""PEERDIST_*_HANDLE values: the service's own namespace, never reused (a closed handle stays
invalid rather than naming a later object)."""
DEFAULT_LATENCY: Final = (1_000, 10_000)
"""The ``branchcache`` latency range by default: 100 µs to 1 ms (ticks of 100 ns)."""

PEERDIST_STATUS_CHANGE = trace_kind(
    "peerdist.status",
    ("old", "new", "reason"),
    state=("new",),
    text="BranchCache status {old} -> {new} ({reason})",
    doc="The service's PEERDIST_STATUS changed (policy, service, cache: `reason`).",
)
PEERDIST_INVALIDATE = trace_kind(
    "peerdist.invalidate",
    ("handle", "kind", "status"),
    text="{kind} handle 0x{handle:X} invalidated (status {status})",
    doc="A stream, content-information or content handle (objects[0], of session objects[1]) "
    "stopped working: every call on it but its close fails with PEERDIST_ERROR_INVALIDATED.",
)


class ServiceState:
    """The three switches the status follows from."""

    __slots__ = ("cache", "policy", "running")

    def __init__(self, policy: bool, running: bool, cache: bool) -> None:
        self.policy = policy
        self.running = running
        self.cache = cache

    @property
    def status(self) -> int:
        if not self.policy:
            return PEERDIST_STATUS_DISABLED
        if not (self.running and self.cache):
            return PEERDIST_STATUS_UNAVAILABLE
        return PEERDIST_STATUS_AVAILABLE


class ServiceActor(JobActor):
    """The service's context: operations complete here as they fall due."""

    __slots__ = ()

    def __init__(self, k: Kernel) -> None:
        super().__init__(k, "branchcache", "branchcache")


class ServiceBase:
    """The service's status, sessions and operation scheduling (the content calls are in
    ``emu.devices.branchcache.content``, the notifications in ``.status``)."""

    def __init__(self, k: Kernel, state: ServiceState) -> None:
        self.k = k
        self.state = state
        self.status = state.status
        self.handles = k.namespace(
            "peerdist", PEERDIST_HANDLE_BASE, PEERDIST_HANDLE_STEP, reuse=False
        )
        self.sessions: list[Session] = []
        self.actor = ServiceActor(k)
        k.spawn(self.actor)

    # -- status -------------------------------------------------------------------------------

    def switch(self, what: str, on: bool, reason: str) -> str | None:
        """Turn ``policy``, ``running`` or ``cache`` on or off; None, or why nothing changed."""
        if getattr(self.state, what) == on:
            return f"{what} is already {'on' if on else 'off'}"
        setattr(self.state, what, on)
        self.transition(reason)
        return None

    def transition(self, reason: str) -> None:
        """Record the status the switches give now, and act on a change."""
        k = self.k
        old, new = self.status, self.state.status
        if old == new:
            return
        self.status = new
        seq = k.emit(
            k.actor_id(),
            PEERDIST_STATUS_CHANGE,
            (self.actor.oid,),
            (peerdist_status_name(old), peerdist_status_name(new), reason),
        )
        if new != PEERDIST_STATUS_AVAILABLE:
            for session in self.sessions:
                for obj in list(session.objects):
                    self.invalidate(obj, new)
        for session in self.sessions:
            self.status_changed(session, seq)

    def status_changed(self, session: Session, cause: int) -> None:
        """Notify ``session`` if its registration is pending (``.status`` does)."""

    def invalidate(self, obj: PeerDistObject, status: int) -> None:
        if obj.invalidated:
            return
        k = self.k
        obj.invalidated = True
        k.emit(
            k.actor_id(),
            PEERDIST_INVALIDATE,
            (obj.oid, obj.session.oid),
            (obj.handle, obj.KIND, peerdist_status_name(status)),
        )
        for irp in list(obj.pending):
            complete(k, irp, ntstatus_from_win32(PEERDIST_ERROR_INVALIDATED), 0)

    # -- sessions -----------------------------------------------------------------------------

    def session_of(self, handle: object) -> Session | None:
        """The live or closing session a PEERDIST_INSTANCE_HANDLE names."""
        entry = self.handles.get(handle)
        if entry is None or not isinstance(entry.obj, Session):
            return None
        return entry.obj if entry.obj.state != CLOSED else None

    def object_of(
        self, session: Session, handle: object, kind: type[PeerDistObject]
    ) -> PeerDistObject | None:
        """The object of ``kind`` a handle names in ``session``, or None."""
        entry = self.handles.get(handle)
        if entry is None or not isinstance(entry.obj, kind) or entry.obj.session is not session:
            return None
        return entry.obj

    # -- operations ---------------------------------------------------------------------------

    def latency(self, label: str) -> int:
        k = self.k
        lo, hi = k.latency.get("branchcache", DEFAULT_LATENCY)
        return k.choose_latency(f"branchcache@{label}", lo, hi) if hi > lo else lo

    def later(self, irp: IoRequest, work: Callable[[IoRequest], None]) -> None:
        """Complete ``irp`` with ``work`` on the service's context after a drawn latency,
        unless it completed first (cancelled, invalidated, shut down)."""

        def job() -> None:
            if not irp.done:
                work(irp)

        self.actor.later(self.latency(irp.op), irp.op, job)

    # -- FileDevice ---------------------------------------------------------------------------

    def check_read(self, file: FileObject) -> int:
        return STATUS_INVALID_DEVICE_REQUEST  # ReadFile cannot name a PEERDIST handle

    def read(self, file: FileObject, irp: IoRequest, size: int, buffer: object) -> None:
        complete(self.k, irp, STATUS_INVALID_DEVICE_REQUEST, 0)

    def check_write(self, file: FileObject) -> int:
        return STATUS_INVALID_DEVICE_REQUEST

    def write(self, file: FileObject, irp: IoRequest, data: bytes) -> None:
        complete(self.k, irp, STATUS_INVALID_DEVICE_REQUEST, 0)

    def cancel(self, irp: IoRequest) -> None:
        """Give a pending operation up: it completes as cancelled."""
        complete(self.k, irp, STATUS_CANCELLED, 0)

    def close(self, file: FileObject) -> None:
        """The last handle closed: every operation still pending on it is cancelled."""
        for irp in list(file.pending):
            cancel_io(self.k, irp, "handle closed")
