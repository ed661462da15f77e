"""ProcessSocketNotifications: register sockets with a completion port and dequeue what it holds.

``DWORD ProcessSocketNotifications(HANDLE completionPort, UINT32 registrationCount,
SOCK_NOTIFY_REGISTRATION *registrationInfos, UINT32 timeoutMs, ULONG completionCount,
OVERLAPPED_ENTRY *completionPortEntries, UINT32 *receivedEntryCount)`` (F2.7). The
registrations themselves (their operations, triggers, coalescing) are
``emu.devices.sockets.notify``; this is the call:

- **Parameters first** (F2.10-F2.13): "registrationInfos ... If registrationCount is 0, then
  this parameter must be NULL" (and not NULL otherwise); with completionCount 0, "timeoutMs
  must be 0", completionPortEntries and receivedEntryCount must be NULL and "only
  registration operations will be processed"; the entries array "must not overlap" the
  registrations. A breach fails the whole call with WSAEINVAL (10022), a registrations or
  entries array shorter than its count or a receivedEntryCount that is not a UINT32 with
  WSAEFAULT (10014), a handle that is not a completion port with WSA_INVALID_HANDLE (6): "the
  entire operation failed, and no changes occurred" (F2.8; the codes are not documented:
  assumption). The arrays cannot overlap here: each is a list of its own structure type, so
  one array given for both fails the type check (WSAEFAULT). Counts and timeoutMs are C
  unsigned integers: -1 is 0xFFFFFFFF (timeoutMs INFINITE), as for GetQueuedCompletionStatusEx.
- **Then every registration**, in order, each with its own registrationResult ("you must
  inspect the elements for whether registration was processed successfully", F2.9): one that
  fails (a SOCKET that is not a socket: WSAENOTSOCK 10038; a bad operation or trigger:
  WSAEINVAL) does not stop the others.
- **Then the dequeue**: up to completionCount entries, waiting up to timeoutMs (INFINITE never
  times out, 0 never waits, F2.12), exactly as GetQueuedCompletionStatusEx does — the same
  queue, so packets PostQueuedCompletionStatus queued come back too (F2.16) — but never
  alertably (the function has no fAlertable: APCs queued to the thread wait). Each entry gets
  the packet's key, its lpOverlapped (NULL for a notification), its status and its bytes
  transferred (the event mask, which SocketNotificationRetrieveEvents reads); receivedEntryCount
  the number removed (F2.17).
- **The result**: ERROR_SUCCESS (0); WAIT_TIMEOUT (258) "if the function succeeded and you
  supplied a non-0 completionCount, but no completion packets appeared within the specified
  time" — the Return value section; the timeoutMs text says ERROR_TIMEOUT (1460), which profile
  ``sock-timeout-error`` returns instead (F2.8); ERROR_ABANDONED_WAIT_0 (735) when the port is
  closed under the wait. Registrations made before a timeout stay made (F2.9). The result is
  the return value: the thread's last error is left as it was (assumption).
"""

from __future__ import annotations

from typing import Any

from emu.codes.access import SYNCHRONIZE
from emu.codes.ntstatus import STATUS_ABANDONED_WAIT_0, STATUS_SUCCESS, STATUS_TIMEOUT
from emu.codes.wait import WAIT_TIMEOUT
from emu.codes.winerror import ERROR_ABANDONED_WAIT_0, ERROR_SUCCESS, ERROR_TIMEOUT
from emu.codes.winsock import (
    WSA_INVALID_HANDLE,
    WSAEFAULT,
    WSAEINVAL,
    WSAENOTSOCK,
    WSANOTINITIALISED,
)
from emu.devices.sockets import Socket
from emu.devices.sockets.notify import Request, notifications_of
from emu.kernel.actor import PARK
from emu.kernel.iocp import IoCompletionPort, Packet
from emu.kernel.memory import Struct
from emu.kernel.thread import Thread
from emu.kernel.time import ms_to_ticks
from emu.win32.base import DWORD_VALUE, ApiCall, dword, export
from emu.win32.types import DWORD, OVERLAPPED_ENTRY, ULONG
from emu.win32.ws2_32.base import WsBase, plain_int

UINT8_MAX = 0xFF
UINT16_MAX = 0xFFFF
COUNT_BOXES = (DWORD, ULONG)
"""What a ``UINT32 *receivedEntryCount`` accepts."""


class SOCK_NOTIFY_REGISTRATION(Struct):
    """One registration ProcessSocketNotifications processes (F2.6): the socket, its completion
    key, the events wanted, the operation, the trigger flags, and the result the call writes."""

    __slots__ = ()

    socket: Any
    completionKey: Any
    eventFilter: int
    operation: int
    triggerFlags: int
    registrationResult: int


def _uint(value: Any, top: int) -> int | None:
    number = plain_int(value)
    if number is None or not 0 <= number <= top:
        return None
    return number


class NotifyApi(WsBase):
    __slots__ = ()

    @export("ws2_32", DWORD_VALUE)
    def ProcessSocketNotifications(
        self,
        completionPort: Any,
        registrationCount: Any,
        registrationInfos: Any,
        timeoutMs: Any,
        completionCount: Any,
        completionPortEntries: Any,
        receivedEntryCount: Any,
    ) -> ApiCall[int]:
        """DWORD ProcessSocketNotifications(HANDLE completionPort, UINT32 registrationCount,
        SOCK_NOTIFY_REGISTRATION *registrationInfos, UINT32 timeoutMs, ULONG completionCount,
        OVERLAPPED_ENTRY *completionPortEntries, UINT32 *receivedEntryCount);

        "Associates a set of sockets with a completion port, and retrieves any notifications
        that are already pending on that port." The rules: the module docstring.
        """
        t = self._caller()
        k = self.k
        if k.ready:
            fp = self._footprint(completionPort, "w")
            if k.preempted("ProcessSocketNotifications", fp):
                yield PARK
        name = "ProcessSocketNotifications"
        args = (
            completionPort,
            registrationCount,
            registrationInfos,
            timeoutMs,
            completionCount,
            completionPortEntries,
            receivedEntryCount,
        )
        if not self._winsock().started:
            return self._done(t, name, args, WSANOTINITIALISED)
        problem = self._check(
            registrationCount,
            registrationInfos,
            timeoutMs,
            completionCount,
            completionPortEntries,
            receivedEntryCount,
        )
        if problem:
            return self._done(t, name, args, problem)
        port, status = self._resolve(t, completionPort, IoCompletionPort, SYNCHRONIZE, pseudo=False)
        if status or not isinstance(port, IoCompletionPort):
            return self._done(t, name, args, WSA_INVALID_HANDLE)
        registrations = list(registrationInfos or ())[: dword(registrationCount) or 0]
        for info in registrations:
            info.bind(k)
            info.sys_set("registrationResult", self._register(t, port, info))
        count = dword(completionCount) or 0
        if count == 0:
            return self._done(t, name, args, ERROR_SUCCESS)
        assert isinstance(receivedEntryCount, Struct)
        receivedEntryCount.bind(k)
        wait = ms_to_ticks(dword(timeoutMs) or 0)
        status, packets = yield from port.remove(t, count, wait, False)
        receivedEntryCount.sys_set("value", len(packets))
        for entry, packet in zip(completionPortEntries, packets, strict=False):
            _fill(k, entry, packet)
        if status == STATUS_SUCCESS:
            return self._done(t, name, args, ERROR_SUCCESS)
        if status == STATUS_TIMEOUT:
            timed_out = ERROR_TIMEOUT if k.profile == "sock-timeout-error" else WAIT_TIMEOUT
            return self._done(t, name, args, timed_out)
        assert status == STATUS_ABANDONED_WAIT_0, status
        return self._done(t, name, args, ERROR_ABANDONED_WAIT_0)

    def _check(
        self,
        registration_count: Any,
        infos: Any,
        timeout_ms: Any,
        completion_count: Any,
        entries: Any,
        received: Any,
    ) -> int:
        """The parameter rules that fail the whole call (0: none broken)."""
        count = dword(registration_count)  # UINT32 and ULONG: C wraps -1 to 0xFFFFFFFF
        timeout = dword(timeout_ms)
        wanted = dword(completion_count)
        if count is None or timeout is None or wanted is None:
            return WSAEINVAL
        if (infos is None) != (count == 0):
            return WSAEINVAL  # "If registrationCount is 0, then this parameter must be NULL"
        if count and (
            not isinstance(infos, (list, tuple))
            or len(infos) < count
            or not all(isinstance(i, SOCK_NOTIFY_REGISTRATION) for i in infos[:count])
        ):
            return WSAEFAULT
        if wanted == 0:
            if timeout != 0 or entries is not None or received is not None:
                return WSAEINVAL  # with completionCount 0: timeoutMs 0, both pointers NULL
            return 0
        if (
            not isinstance(entries, (list, tuple))
            or len(entries) < wanted
            or not all(isinstance(e, OVERLAPPED_ENTRY) for e in entries[:wanted])
            or not isinstance(received, COUNT_BOXES)
        ):
            return WSAEFAULT
        return 0

    def _register(self, t: Thread, port: IoCompletionPort, info: SOCK_NOTIFY_REGISTRATION) -> int:
        """One registration: its registrationResult."""
        sock = self._socket(info.sys_get("socket"))
        if sock is None or not isinstance(sock, Socket):
            return WSAENOTSOCK
        event_filter = _uint(info.sys_get("eventFilter"), UINT16_MAX)
        operation = _uint(info.sys_get("operation"), UINT8_MAX)
        trigger = _uint(info.sys_get("triggerFlags"), UINT8_MAX)
        if event_filter is None or operation is None or trigger is None:
            return WSAEINVAL
        key = info.sys_get("completionKey")
        if isinstance(key, Struct):
            key.bind(self.k)  # a per-socket context as the key: traced from now on, by its name
        request = Request(key, event_filter, operation, trigger)
        return notifications_of(self.k).apply(sock, port, request, t.oid)

    @export("ws2_32", DWORD_VALUE)
    def SocketNotificationRetrieveEvents(self, notification: Any) -> ApiCall[int]:
        """UINT32 SocketNotificationRetrieveEvents(OVERLAPPED_ENTRY *notification);

        "This inline helper function is provided as a convenience to retrieve the events mask from
        an OVERLAPPED_ENTRY" — its dwNumberOfBytesTransferred (F2.7). A FORCEINLINE in
        winsock2.h, so it cannot fail: anything but an OVERLAPPED_ENTRY is a
        ``win32.bad_argument`` violation and 0."""
        t = self._caller()
        name = "SocketNotificationRetrieveEvents"
        args = (notification,)
        if not isinstance(notification, OVERLAPPED_ENTRY):
            self._bad_argument(t, name, args, "notification is not an OVERLAPPED_ENTRY")
            return self._done(t, name, args, 0)
        notification.bind(self.k)
        events = notification.dwNumberOfBytesTransferred  # the program reads its own entry
        return self._done(t, name, args, events if type(events) is int else 0)
        yield  # type: ignore[unreachable]  # every export is a generator


def _fill(k: Any, entry: OVERLAPPED_ENTRY, packet: Packet) -> None:
    entry.bind(k)
    entry.sys_set("lpCompletionKey", packet.key)
    entry.sys_set("lpOverlapped", packet.value)
    entry.sys_set("Internal", packet.status)
    entry.sys_set("dwNumberOfBytesTransferred", packet.information)
