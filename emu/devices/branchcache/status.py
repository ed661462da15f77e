"""PeerDistRegisterForStatusChangeNotification(Ex)'s registrations, as the service keeps them.

Every rule is a sentence of the PeerDistRegisterForStatusChangeNotification page or a fact of
docs/sources.md (F4.11-F4.16):

- "Only one active registration for each session is allowed": a session has at most one
  pending registration (the surface refuses a second one).
- "The caller must register for notification each time after it signals": a registration is
  one-shot; it completes once and the session has none until the caller registers again.
- "The notification will be sent only if the current status is changed from the previous
  notification. After the first call ... the first notification will trigger only if the
  status is no longer equal to PEERDIST_STATUS_DISABLED": each session remembers the last
  status notified to it, DISABLED before the first; a registration completes when the status
  differs from it: at once, when it already does when the caller registers (a re-registration
  after a change the caller was not registered for), else at the next change that makes it
  differ.
- "Upon successful completion, the pPeerDistStatus parameter will contain a valid
  PEERDIST_STATUS value": the status buffer is written by the system when the registration
  completes (a traced ``mem.write`` just before the ``io.complete``), not when the call returns;
  so it must outlive the call, and a program that reads it before the completion reads what it
  held (``peerdist.status_read_early``). The Ex form's PEERDIST_STATUS_INFO gets ``status`` and
  the content-information versions the service supports (dwMinVer 1, dwMaxVer 2).
- PeerDistUnregisterForStatusChangeNotification: "This function cancels any registered
  notification previously set by a PeerDistRegisterForStatusChangeNotification function call":
  the pending registration's OVERLAPPED completes as cancelled (STATUS_CANCELLED:
  GetOverlappedResult returns FALSE with ERROR_OPERATION_ABORTED), still through its event and
  port (F4.16).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emu.codes.ntstatus import STATUS_SUCCESS
from emu.codes.peerdist import (
    PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_1,
    PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_2,
    peerdist_status_name,
)
from emu.devices.branchcache.objects import Session, StatusRequest
from emu.devices.branchcache.service import ServiceBase
from emu.kernel.io import cancel as cancel_io
from emu.kernel.io import complete, start_io
from emu.kernel.trace import payload_value, trace_kind

if TYPE_CHECKING:
    from emu.kernel.event import KEvent
    from emu.kernel.iocp import IoCompletionPort
    from emu.kernel.memory import Struct
    from emu.kernel.thread import Thread

PEERDIST_REGISTER = trace_kind(
    "peerdist.register",
    ("handle", "ex", "port", "overlapped", "status", "last"),
    text="session 0x{handle:X} registers for status change (ex {ex}, port {port}): status "
    "{status}, last notified {last}",
    doc="A status-change registration (objects[1], on session objects[0]) began; `status` is "
    "the service's now, `last` the last status notified to the session (DISABLED before "
    "the first). It completes at once when they differ.",
)
PEERDIST_NOTIFY = trace_kind(
    "peerdist.notify",
    ("handle", "status", "previous"),
    text="session 0x{handle:X} notified: status {status} (previously notified {previous})",
    doc="A registration (objects[1]) of session objects[0] completed with `status`, which "
    "differs from the `previous` status notified to the session; `cause` is the "
    "peerdist.status change or the peerdist.register that found the status changed.",
)
PEERDIST_UNREGISTER = trace_kind(
    "peerdist.unregister",
    ("handle", "pending"),
    text="session 0x{handle:X} unregisters ({pending} registration pending)",
    doc="PeerDistUnregisterForStatusChangeNotification (or PeerDistShutdown): a pending "
    "registration (`pending` 1) completes as cancelled.",
)

MIN_VERSION = PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_1
MAX_VERSION = PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_2


class StatusNotifier(ServiceBase):
    """The sessions' status registrations."""

    def register(
        self,
        session: Session,
        thread: Thread,
        port: IoCompletionPort | None,
        key: Any,
        overlapped: Struct,
        event: KEvent | None,
        post: bool,
        buffer: Struct,
        ex: bool,
    ) -> StatusRequest:
        """A new pending registration (the caller checked there is none)."""
        k = self.k
        request = StatusRequest(k, self, session, buffer, ex)
        if port is not None:
            request.associate(port, key)
        irp = start_io(k, request, thread, "status", overlapped, event=event, post=post)
        request.irp = irp
        session.registration = request
        session.registered = True
        buffer.bind(k)
        seq = k.emit(
            k.actor_id(),
            PEERDIST_REGISTER,
            (session.oid, request.oid, buffer.oid),
            (
                session.handle,
                int(ex),
                payload_value(port.name) if port is not None else None,
                payload_value(overlapped),
                peerdist_status_name(self.status),
                peerdist_status_name(session.last_notified),
            ),
        )
        self.status_changed(session, seq)
        return request

    def status_changed(self, session: Session, cause: int) -> None:
        request = session.registration
        if request is None or request.irp is None or request.irp.done:
            return
        if self.status == session.last_notified:
            return
        k = self.k
        status, previous = self.status, session.last_notified
        buffer = request.buffer
        if request.ex:
            buffer.sys_set("status", status)
            buffer.sys_set("dwMinVer", MIN_VERSION)
            buffer.sys_set("dwMaxVer", MAX_VERSION)
        else:
            buffer.sys_set("value", status)
        session.last_notified = status
        session.registration = None
        k.emit(
            k.actor_id(),
            PEERDIST_NOTIFY,
            (session.oid, request.oid),
            (session.handle, peerdist_status_name(status), peerdist_status_name(previous)),
            cause,
        )
        complete(k, request.irp, STATUS_SUCCESS, 0)
        request.maybe_destroy()  # done with: its port reference goes

    def unregister(self, session: Session, by: str) -> None:
        """Cancel the session's pending registration, if any."""
        k = self.k
        request = session.registration
        session.registration = None
        pending = request is not None and request.irp is not None and not request.irp.done
        k.emit(k.actor_id(), PEERDIST_UNREGISTER, (session.oid,), (session.handle, int(pending)))
        if pending:
            assert request is not None and request.irp is not None
            cancel_io(k, request.irp, by)
            request.maybe_destroy()
