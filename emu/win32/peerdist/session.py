"""The session and status calls: PeerDistStartup, PeerDistShutdown, PeerDistGetStatus(Ex),
PeerDistRegisterForStatusChangeNotification(Ex), PeerDistUnregisterForStatusChangeNotification,
PeerDistGetOverlappedResult.

- **PeerDistStartup.** dwVersionRequested's "high order byte specifies the minor version number;
  the low order byte specifies the major version number"; a version above the one supported
  (PEERDIST_VERSION, 2.0) gives PEERDIST_ERROR_VERSION_UNSUPPORTED, version 0 or a missing
  phPeerDist ERROR_INVALID_PARAMETER. pdwSupportedVersion, if not NULL, receives "the maximum
  version number that is supported", on success and on VERSION_UNSUPPORTED (assumption).
  Startup into a handle variable that still holds a live session of the process gives
  PEERDIST_ERROR_ALREADY_INITIALIZED (assumption: no page says when that code is returned; a
  process may hold several sessions, each "closed via a call to PeerDistShutdown").
- **PeerDistShutdown** marks the session shutting down, travels to the service, then cancels and
  removes everything of the session (``emu.devices.branchcache.device``).
- **Registration** (PeerDistRegisterForStatusChangeNotification, Remarks, F4.11-F4.16):
  lpOverlapped and pPeerDistStatus are required
  (ERROR_INVALID_PARAMETER); a second registration while one is pending fails with
  PEERDIST_ERROR_ALREADY_EXISTS (assumption for "Only one active registration for each session
  is allowed"); "If the function succeeds, the return value is ERROR_IO_PENDING". The Ex page
  says "If the function succeeds, the return value is ERROR_SUCCESS": emu returns that by
  default and ERROR_IO_PENDING under profile ``peerdist-ex-pending`` (the two pages disagree;
  docs/rules.md). Either way the registration completes later, or at once when the status
  already differs from the last one notified.
- **PeerDistUnregisterForStatusChangeNotification** cancels the pending registration (its
  OVERLAPPED completes with ERROR_OPERATION_ABORTED) and returns ERROR_SUCCESS, also when none
  was pending. Its page copies the cancel pages' sentence ("calling GetLastError immediately
  after a successful PeerDistRegisterForStatusChangeNotification will return the
  ERROR_OPERATION_ABORTED error code"); emu reads it as said of the unregistration and sets the
  last error to ERROR_OPERATION_ABORTED on its success (assumption).
- **PeerDistGetOverlappedResult** (Windows 8) is GetOverlappedResult without a file handle: TRUE
  once the operation completed successfully (the byte count written), FALSE with
  ERROR_IO_INCOMPLETE while it is pending and bWait is FALSE, FALSE with the operation's error
  otherwise (ERROR_OPERATION_ABORTED when cancelled). With bWait it waits once, on the
  OVERLAPPED's event, or on the operation's own object when hEvent is NULL; an operation still
  pending after that wait (the event was shared, or another operation of the same handle
  signalled the object) gives FALSE with ERROR_IO_INCOMPLETE (assumption: kernel32's
  GetOverlappedResult reads it as success, which the page of this function does not say).
"""

from __future__ import annotations

from typing import Any

from emu.codes.ntmap import win32_from_ntstatus
from emu.codes.ntstatus import STATUS_PENDING, nt_success
from emu.codes.peerdist import PEERDIST_STATUS_INFO_SIZE, PEERDIST_VERSION
from emu.codes.winerror import (
    ERROR_INVALID_PARAMETER,
    ERROR_IO_INCOMPLETE,
    ERROR_IO_PENDING,
    ERROR_OPERATION_ABORTED,
    ERROR_SUCCESS,
    PEERDIST_ERROR_ALREADY_EXISTS,
    PEERDIST_ERROR_ALREADY_INITIALIZED,
    PEERDIST_ERROR_VERSION_UNSUPPORTED,
)
from emu.devices.branchcache.status import MAX_VERSION, MIN_VERSION
from emu.kernel.event import KEvent
from emu.kernel.io import FileObject
from emu.kernel.waits import wait
from emu.win32.base import BOOL, WIN32_ERROR, ApiCall, dword, export, handle_value
from emu.win32.peerdist.base import DLL, PeerDistBase
from emu.win32.peerdist.types import PEERDIST_STATUS, PEERDIST_STATUS_INFO
from emu.win32.types import DWORD, HANDLE, OVERLAPPED

EX_PENDING_PROFILE = "peerdist-ex-pending"


def _version(value: int) -> tuple[int, int]:
    """(major, minor) of a PeerDist version DWORD."""
    return value & 0xFF, (value >> 8) & 0xFF


class SessionApi(PeerDistBase):
    __slots__ = ()

    @export(DLL, WIN32_ERROR)
    def PeerDistStartup(
        self, dwVersionRequested: Any, phPeerDist: Any, pdwSupportedVersion: Any
    ) -> ApiCall[int]:
        """DWORD PeerDistStartup(DWORD dwVersionRequested, PPEERDIST_INSTANCE_HANDLE
        phPeerDist, PDWORD pdwSupportedVersion);"""
        t = self._caller()
        name = "PeerDistStartup"
        args = (dwVersionRequested, phPeerDist, pdwSupportedVersion)
        yield from self._pd_enter(name)
        version = dword(dwVersionRequested)
        if (
            version is None
            or not version
            or not isinstance(phPeerDist, HANDLE)
            or not (pdwSupportedVersion is None or isinstance(pdwSupportedVersion, DWORD))
        ):
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        if isinstance(pdwSupportedVersion, DWORD):
            self._pd_store(pdwSupportedVersion, PEERDIST_VERSION)
        if _version(version) > _version(PEERDIST_VERSION):
            return self._done(t, name, args, PEERDIST_ERROR_VERSION_UNSUPPORTED)
        bc = self._pd_bc()
        phPeerDist.bind(self.k)
        held = bc.session_of(handle_value(phPeerDist.sys_get("value")) or 0)
        if held is not None and held.process is self.process:
            return self._done(t, name, args, PEERDIST_ERROR_ALREADY_INITIALIZED)
        session = bc.startup(self.process, version)
        self._pd_store(phPeerDist, session.handle)
        return self._done(t, name, args, ERROR_SUCCESS)

    @export(DLL, WIN32_ERROR)
    def PeerDistShutdown(self, hPeerDist: Any) -> ApiCall[int]:
        """DWORD PeerDistShutdown(PEERDIST_INSTANCE_HANDLE hPeerDist);"""
        t = self._caller()
        name = "PeerDistShutdown"
        args = (hPeerDist,)
        yield from self._pd_enter(name, hPeerDist)
        session = self._pd_session(hPeerDist)
        if isinstance(session, int):
            return self._done(t, name, args, session)
        bc = self._pd_bc()
        bc.begin_shutdown(session)
        yield from self._pd_trip(t, name)
        bc.shutdown(session)
        return self._done(t, name, args, ERROR_SUCCESS)

    @export(DLL, WIN32_ERROR)
    def PeerDistGetStatus(self, hPeerDist: Any, pPeerDistStatus: Any) -> ApiCall[int]:
        """DWORD PeerDistGetStatus(PEERDIST_INSTANCE_HANDLE hPeerDist, PEERDIST_STATUS
        *pPeerDistStatus);"""
        t = self._caller()
        name = "PeerDistGetStatus"
        args = (hPeerDist, pPeerDistStatus)
        yield from self._pd_enter(name, hPeerDist)
        session = self._pd_session(hPeerDist)
        if isinstance(session, int):
            return self._done(t, name, args, session)
        if not isinstance(pPeerDistStatus, PEERDIST_STATUS):
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        pPeerDistStatus.bind(self.k)
        pPeerDistStatus.sys_set("value", self._pd_bc().status)
        return self._done(t, name, args, ERROR_SUCCESS)

    @export(DLL, WIN32_ERROR)
    def PeerDistGetStatusEx(self, hPeerDist: Any, pPeerDistStatus: Any) -> ApiCall[int]:
        """DWORD PeerDistGetStatusEx(PEERDIST_INSTANCE_HANDLE hPeerDist, PEERDIST_STATUS_INFO
        *pPeerDistStatus);"""
        t = self._caller()
        name = "PeerDistGetStatusEx"
        args = (hPeerDist, pPeerDistStatus)
        yield from self._pd_enter(name, hPeerDist)
        session = self._pd_session(hPeerDist)
        if isinstance(session, int):
            return self._done(t, name, args, session)
        if not self._pd_status_info(pPeerDistStatus):
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        pPeerDistStatus.sys_set("status", self._pd_bc().status)
        pPeerDistStatus.sys_set("dwMinVer", MIN_VERSION)
        pPeerDistStatus.sys_set("dwMaxVer", MAX_VERSION)
        return self._done(t, name, args, ERROR_SUCCESS)

    def _pd_status_info(self, info: Any) -> bool:
        if not isinstance(info, PEERDIST_STATUS_INFO):
            return False
        info.bind(self.k)
        return bool(info.sys_get("cbSize") == PEERDIST_STATUS_INFO_SIZE)

    def _pd_register(
        self, name: str, args: tuple[Any, ...], ex: bool, buffer_ok: bool
    ) -> ApiCall[int]:
        t = self._caller()
        hPeerDist, hCompletionPort, ulCompletionKey, lpOverlapped, _buffer = args
        yield from self._pd_enter(name, hPeerDist)
        session = self._pd_session(hPeerDist)
        if isinstance(session, int):
            return self._done(t, name, args, session)
        overlapped = self._pd_overlapped(t, lpOverlapped, False)
        port = self._pd_port(t, hCompletionPort)
        if isinstance(overlapped, int) or isinstance(port, int) or not buffer_ok:
            return self._done(t, name, args, ERROR_INVALID_PARAMETER)
        if session.registration is not None:
            return self._done(t, name, args, PEERDIST_ERROR_ALREADY_EXISTS)
        struct, event, post = overlapped
        self._pd_bc().register(session, t, port, ulCompletionKey, struct, event, post, args[4], ex)
        if ex and self.k.profile != EX_PENDING_PROFILE:
            return self._done(t, name, args, ERROR_SUCCESS)
        return self._done(t, name, args, ERROR_IO_PENDING)

    @export(DLL, WIN32_ERROR)
    def PeerDistRegisterForStatusChangeNotification(
        self,
        hPeerDist: Any,
        hCompletionPort: Any,
        ulCompletionKey: Any,
        lpOverlapped: Any,
        pPeerDistStatus: Any,
    ) -> ApiCall[int]:
        """DWORD PeerDistRegisterForStatusChangeNotification(PEERDIST_INSTANCE_HANDLE
        hPeerDist, HANDLE hCompletionPort, ULONG_PTR ulCompletionKey, LPOVERLAPPED
        lpOverlapped, PEERDIST_STATUS *pPeerDistStatus);"""
        args = (hPeerDist, hCompletionPort, ulCompletionKey, lpOverlapped, pPeerDistStatus)
        ok = isinstance(pPeerDistStatus, PEERDIST_STATUS)
        return (
            yield from self._pd_register(
                "PeerDistRegisterForStatusChangeNotification", args, False, ok
            )
        )

    @export(DLL, WIN32_ERROR)
    def PeerDistRegisterForStatusChangeNotificationEx(
        self,
        hPeerDist: Any,
        hCompletionPort: Any,
        ulCompletionKey: Any,
        lpOverlapped: Any,
        pPeerDistStatus: Any,
    ) -> ApiCall[int]:
        """DWORD PeerDistRegisterForStatusChangeNotificationEx(PEERDIST_INSTANCE_HANDLE
        hPeerDist, HANDLE hCompletionPort, ULONG_PTR ulCompletionKey, LPOVERLAPPED
        lpOverlapped, PEERDIST_STATUS_INFO *pPeerDistStatus);"""
        args = (hPeerDist, hCompletionPort, ulCompletionKey, lpOverlapped, pPeerDistStatus)
        ok = self._pd_status_info(pPeerDistStatus)
        return (
            yield from self._pd_register(
                "PeerDistRegisterForStatusChangeNotificationEx", args, True, ok
            )
        )

    @export(DLL, WIN32_ERROR)
    def PeerDistUnregisterForStatusChangeNotification(self, hPeerDist: Any) -> ApiCall[int]:
        """DWORD PeerDistUnregisterForStatusChangeNotification(PEERDIST_INSTANCE_HANDLE
        hPeerDist);"""
        t = self._caller()
        name = "PeerDistUnregisterForStatusChangeNotification"
        args = (hPeerDist,)
        yield from self._pd_enter(name, hPeerDist)
        session = self._pd_session(hPeerDist)
        if isinstance(session, int):
            return self._done(t, name, args, session)
        self._pd_bc().unregister(session, name)
        return self._done_setting(t, name, args, ERROR_SUCCESS, ERROR_OPERATION_ABORTED)

    @export(DLL, BOOL)
    def PeerDistGetOverlappedResult(
        self, lpOverlapped: Any, lpNumberOfBytesTransferred: Any, bWait: Any
    ) -> ApiCall[int]:
        """BOOL PeerDistGetOverlappedResult(LPOVERLAPPED lpOverlapped, LPDWORD
        lpNumberOfBytesTransferred, BOOL bWait);"""
        t = self._caller()
        k = self.k
        name = "PeerDistGetOverlappedResult"
        args = (lpOverlapped, lpNumberOfBytesTransferred, bWait)
        wait_flag = dword(bWait)
        if (
            wait_flag is None
            or not isinstance(lpOverlapped, OVERLAPPED)
            or not isinstance(lpNumberOfBytesTransferred, DWORD)
        ):
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        lpOverlapped.bind(k)
        yield from self._pd_enter(name)
        status = lpOverlapped.sys_get("Internal")
        if type(status) is not int:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        if status & 0xFFFFFFFF == STATUS_PENDING:
            if not wait_flag:
                return self._fail(t, name, args, 0, ERROR_IO_INCOMPLETE)
            target = self._pd_waitable(t, lpOverlapped)
            if target is None:
                return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
            yield from wait(k, t, (target,), False, None, False)
            status = lpOverlapped.sys_get("Internal")
            if type(status) is not int:
                return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
            if status & 0xFFFFFFFF == STATUS_PENDING:
                # Woken by another completion (a shared event, or the object's other
                # operation when hEvent is NULL): still running.
                return self._fail(t, name, args, 0, ERROR_IO_INCOMPLETE)
        count = lpOverlapped.sys_get("InternalHigh")
        if type(count) is not int:
            return self._fail(t, name, args, 0, ERROR_INVALID_PARAMETER)
        self._pd_store(lpNumberOfBytesTransferred, count & 0xFFFFFFFF)
        status &= 0xFFFFFFFF
        if nt_success(status):
            return self._done(t, name, args, 1)
        return self._fail(t, name, args, 0, win32_from_ntstatus(status))

    def _pd_waitable(self, t: Any, overlapped: OVERLAPPED) -> KEvent | FileObject | None:
        """What a wait for ``overlapped``'s operation waits on: its event, or its object."""
        value = handle_value(overlapped.sys_get("hEvent")) or 0
        if value:
            event, status = self._resolve(t, value & ~1, KEvent, 0, pseudo=False)
            return event if isinstance(event, KEvent) and not status else None
        for session in self._pd_bc().sessions:
            files: list[FileObject] = list(session.objects)
            if session.registration is not None:
                files.append(session.registration)
            for file in files:
                if any(irp.overlapped is overlapped for irp in file.pending):
                    return file
        return None
