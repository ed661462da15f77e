"""What every PeerDist function shares: the session, the handles, the service's status, the
OVERLAPPED, the completion port, the trip to the service.

Every function returns a DWORD error code (the return convention ``WIN32_ERROR``): ERROR_SUCCESS,
ERROR_IO_PENDING for an operation started, or the failure. It sets the last error only where a
page says so (the cancel functions: "calling GetLastError immediately after a successful
PeerDistServerCancelAsyncOperation will return the ERROR_OPERATION_ABORTED error code",
PeerDistServerCancelAsyncOperation, Remarks) and on a successful
PeerDistUnregisterForStatusChangeNotification (its page copies that sentence; assumption,
``emu.win32.peerdist.session``). The checks, in this order in every function (the pages list the
codes, not their order; the order is emu's, docs/rules.md):

1. **The session.** ``hPeerDist`` must name a live session of the calling process:
   ERROR_INVALID_HANDLE ("The hPeerDist handle is invalid") otherwise (another process's
   session included); but a process that has no session at all has not called PeerDistStartup,
   which "must be called before any other Peer Distribution functions" (F4.9):
   PEERDIST_ERROR_NOT_INITIALIZED. A session whose PeerDistShutdown is on its way fails every call
   with PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS (assumptions).
2. **The handle** (stream, content information, content) must be one of the session's, of the
   function's kind: ERROR_INVALID_HANDLE; an invalidated one gives PEERDIST_ERROR_INVALIDATED
   (PeerDistRegisterForStatusChangeNotification, Remarks), whatever the other arguments.
3. **The arguments**: ERROR_INVALID_PARAMETER ("One or more parameters are invalid") for a
   missing or malformed pointer, buffer, OVERLAPPED or port, or reserved OVERLAPPED fields that
   are not zero.
4. **The service**: a feature disabled by Group Policy gives ERROR_ACCESS_DISABLED_BY_POLICY, a
   service that is not available PEERDIST_ERROR_SERVICE_UNAVAILABLE, for the calls whose pages
   list them (every call but the session and status calls and the closes).

Asynchronous operations start an ``IoRequest`` (``emu.kernel.io``) on the handle's object, so the
OVERLAPPED's event is signalled and a packet goes to the handle's port, both when both are given.
A function whose work travels to the service (cancellation, shutdown) waits, not alertably, for
a latency in the ``branchcache`` range (assumption: the documentation does not say whether the
RPC wait is alertable).
"""

from __future__ import annotations

from typing import Any, Final

from emu.codes.winerror import (
    ERROR_ACCESS_DISABLED_BY_POLICY,
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER,
    ERROR_SUCCESS,
    PEERDIST_ERROR_INVALIDATED,
    PEERDIST_ERROR_NOT_INITIALIZED,
    PEERDIST_ERROR_SERVICE_UNAVAILABLE,
    PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS,
)
from emu.devices.branchcache import (
    BranchCache,
    ContentHandle,
    ContentInfoHandle,
    PeerDistObject,
    Session,
    StreamHandle,
    branchcache_of,
)
from emu.devices.branchcache.objects import SHUTTING_DOWN
from emu.kernel.actor import PARK
from emu.kernel.event import KEvent
from emu.kernel.io import IoRequest, start_io
from emu.kernel.io import cancel as cancel_io
from emu.kernel.iocp import IoCompletionPort
from emu.kernel.thread import Thread
from emu.kernel.waits import wait
from emu.win32.base import ApiCall, Win32Base, dword, handle_value
from emu.win32.kernel32.iobase import source_bytes
from emu.win32.types import OVERLAPPED

DLL: Final = "peerdist"


CLOSES: Final[dict[str, type[PeerDistObject]]] = {
    "PeerDistServerCloseStreamHandle": StreamHandle,
    "PeerDistServerCloseContentInformation": ContentInfoHandle,
    "PeerDistClientCloseContent": ContentHandle,
}
"""Each close function and the kind of handle it closes."""


def ulonglong(value: Any) -> int:
    """A ULONGLONG argument, or -1 when it is not one (not an int, negative, over 64 bits)."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 64:
        return int(value)
    return -1


class PeerDistBase(Win32Base):
    __slots__ = ()

    def _pd_bc(self) -> BranchCache:
        return branchcache_of(self.k)

    def _pd_enter(self, name: str, *handles: Any) -> ApiCall[None]:
        """The scheduling point every call makes before it acts."""
        k = self.k
        if k.ready:
            footprint: tuple[tuple[int, str], ...] = ()
            if k.chooser.reads_footprints:
                entries = (self._pd_bc().handles.get(h) for h in handles)
                footprint = tuple((e.obj.oid, "w") for e in entries if e is not None)
            if k.preempted(name, footprint):
                yield PARK

    def _pd_session(self, handle: Any) -> Session | int:
        """The session ``hPeerDist`` names, or the error code (rule 1 above)."""
        bc = self._pd_bc()
        session = bc.session_of(handle_value(handle)) if handle_value(handle) else None
        if session is None:
            return (
                ERROR_INVALID_HANDLE
                if bc.live_sessions(self.process)
                else (PEERDIST_ERROR_NOT_INITIALIZED)
            )
        if session.process is not self.process:
            return ERROR_INVALID_HANDLE
        if session.state == SHUTTING_DOWN:
            return PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS
        return session

    def _pd_object(
        self, session: Session, handle: Any, kind: type[PeerDistObject], valid: bool = True
    ) -> PeerDistObject | int:
        """The handle's object in ``session``, or the error code (rule 2); an invalidated one
        is an error unless ``valid`` is False (the closes)."""
        value = handle_value(handle)
        obj = self._pd_bc().object_of(session, value, kind) if value else None
        if not isinstance(obj, kind):
            return ERROR_INVALID_HANDLE
        if valid and obj.invalidated:
            return PEERDIST_ERROR_INVALIDATED
        return obj

    def _pd_service_error(self) -> int:
        """0 when the service is available, else the code rule 4 gives."""
        bc = self._pd_bc()
        if bc.available:
            return 0
        if not bc.state.policy:
            return ERROR_ACCESS_DISABLED_BY_POLICY
        return PEERDIST_ERROR_SERVICE_UNAVAILABLE

    def _pd_port(self, t: Thread, hCompletionPort: Any) -> IoCompletionPort | int | None:
        """The completion port (None for NULL), or ERROR_INVALID_PARAMETER."""
        value = handle_value(hCompletionPort)
        if value is None:
            return ERROR_INVALID_PARAMETER
        if not value:
            return None
        port, status = self._resolve(t, value, IoCompletionPort, 0, pseudo=False)
        if status or not isinstance(port, IoCompletionPort):
            return ERROR_INVALID_PARAMETER
        return port

    def _pd_overlapped(
        self, t: Thread, lpOverlapped: Any, reserved_zero: bool
    ) -> tuple[OVERLAPPED, KEvent | None, bool] | int:
        """The OVERLAPPED, its event and whether a packet is posted (hEvent's low bit clear),
        or ERROR_INVALID_PARAMETER."""
        if not isinstance(lpOverlapped, OVERLAPPED):
            return ERROR_INVALID_PARAMETER
        lpOverlapped.bind(self.k)
        if reserved_zero and (lpOverlapped.sys_get("Offset") or lpOverlapped.sys_get("OffsetHigh")):
            return ERROR_INVALID_PARAMETER
        value = handle_value(lpOverlapped.sys_get("hEvent"))
        if value is None:
            return ERROR_INVALID_PARAMETER
        if not value:
            return lpOverlapped, None, True
        event, status = self._resolve(t, value & ~1, KEvent, 0, pseudo=False)
        if status or not isinstance(event, KEvent):
            return ERROR_INVALID_PARAMETER
        return lpOverlapped, event, not value & 1

    @staticmethod
    def _pd_bytes(count: Any, buffer: Any) -> bytes | None:
        """The first ``count`` bytes of a buffer (an identifier, data); None for a count of 0,
        a NULL or too short buffer."""
        size = dword(count)
        if not size or buffer is None:
            return None
        return source_bytes(buffer, size)

    def _pd_store(self, box: Any, value: int) -> None:
        """Write an out-parameter (a HANDLE or DWORD box)."""
        box.bind(self.k)
        box.sys_set("value", value)

    def _pd_cancel_at_service(self, t: Thread, name: str, irps: list[IoRequest]) -> ApiCall[int]:
        """Cancel ``irps`` at the service: the trip there, then each completes as cancelled
        unless it completed first (``io.late``); the chooser then orders the caller's return
        against the waiters the completions woke. Returns 0 (a shutdown during the trip
        cancelled the operations already: the cancel then finds them done)."""
        k = self.k
        yield from self._pd_trip(t, name)
        for irp in irps:
            cancel_io(k, irp, name)
        if k.ready:
            yield from k.preempt(f"branchcache@{name}-return", ())
        return 0

    def _pd_overlapping_add(self, t: Thread, obj: PeerDistObject, name: str) -> None:
        """Record ``peerdist.overlapping_add``: an add started on ``obj`` while an earlier
        operation of it was still pending."""
        self.k.violation(
            "peerdist.overlapping_add",
            f"{name} on {obj.KIND} 0x{obj.handle:X} while an earlier operation is pending: "
            '"the caller must wait for each operation to complete before the next call is '
            'made"',
            (obj.oid, t.oid),
        )

    def _pd_trip(self, t: Thread, name: str) -> ApiCall[None]:
        """The call's way to the service and back: a latency, waited not alertably."""
        k = self.k
        delay = self._pd_bc().latency(name)
        if delay:
            yield from wait(k, t, (), False, delay, False)
        elif k.ready:
            yield from k.preempt(f"branchcache@{name}", ())

    def _pd_ready(
        self, name: str, args: tuple[Any, ...], hPeerDist: Any, *handles: Any
    ) -> ApiCall[Session | int]:
        """The scheduling point, then the session (or the error code)."""
        yield from self._pd_enter(name, hPeerDist, *handles)
        return self._pd_session(hPeerDist)

    def _pd_start(
        self,
        t: Thread,
        obj: Any,
        name: str,
        lpOverlapped: Any,
        reserved_zero: bool = True,
    ) -> IoRequest | int:
        """Start an operation on ``obj``'s file object, or the error code: the OVERLAPPED is
        the last argument checked, then the service."""
        overlapped = self._pd_overlapped(t, lpOverlapped, reserved_zero)
        if isinstance(overlapped, int):
            return overlapped
        error = self._pd_service_error()
        if error:
            return error
        struct, event, post = overlapped
        return start_io(self.k, obj, t, name, struct, event=event, post=post)

    def _pd_close(self, name: str, hPeerDist: Any, handle: Any) -> ApiCall[int]:
        t = self._caller()
        args = (hPeerDist, handle)
        session = yield from self._pd_ready(name, args, hPeerDist, handle)
        if isinstance(session, int):
            return self._done(t, name, args, session)
        obj = self._pd_object(session, handle, CLOSES[name], valid=False)
        if isinstance(obj, int):
            return self._done(t, name, args, obj)
        self._pd_bc().close_object(obj, name)
        return self._done(t, name, args, ERROR_SUCCESS)
