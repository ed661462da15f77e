# ruff: noqa: E501  (planted snippets are quoted whole, as they appear in the source)
"""One planted bug per fact of docs/facts.md: the tests its row names must notice it.

Each ``Plant`` replaces one exact piece of emu's source (it must occur once) with a plausible
wrong version of the fact. ``python -m tools.mutate --facts`` plants each in a copy of the
repository and runs the row's tests; ``tests/test_facts_doc.py`` checks on every run that
every fact has a plant and that each plant's text is still in the source (a refactoring
that moves it updates the plant here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Plant:
    fact: str
    path: str
    old: str
    new: str
    bug: str  # what the planted version gets wrong


IOCP: Final = "emu/kernel/iocp.py"
IOAPI: Final = "emu/win32/kernel32/ioapiset.py"
NOTIFY: Final = "emu/devices/scm_notify.py"

PLANTS: Final[tuple[Plant, ...]] = (
    # -- F5: the kernel ----------------------------------------------------------------------
    Plant(
        "F5.1",
        "emu/codes/wait.py",
        "WAIT_IO_COMPLETION: Final = 0x000000C0",
        "WAIT_IO_COMPLETION: Final = 0x000000C1",
        "WAIT_IO_COMPLETION is 0xC1",
    ),
    Plant(
        "F5.2",
        "emu/codes/ntstatus.py",
        "STATUS_PENDING: Final = 0x00000103",
        "STATUS_PENDING: Final = 0x00000104",
        "STATUS_PENDING is 0x104",
    ),
    Plant(
        "F5.3",
        "emu/codes/ntmap.py",
        "    nt.STATUS_CANCELLED: w.ERROR_OPERATION_ABORTED,",
        "    nt.STATUS_CANCELLED: w.ERROR_INVALID_HANDLE,",
        "STATUS_CANCELLED maps to ERROR_INVALID_HANDLE",
    ),
    Plant(
        "F5.4",
        IOCP,
        "taken = [self.packets.popleft() for _ in range(min(count, len(self.packets)))]",
        "taken = [self.packets.pop() for _ in range(min(count, len(self.packets)))]",
        "a dequeue takes the newest packet (LIFO queue)",
    ),
    Plant(
        "F5.5",
        IOCP,
        "        self.dequeuers.append(thread)\n",
        "        self.dequeuers.insert(0, thread)\n",
        "blocked dequeuers are released first in, first out",
    ),
    Plant(
        "F5.6",
        IOCP,
        "        if self.waiters:\n            waits.signal(k, self, packet.seq)\n",
        "",
        "a queued packet does not signal the port's waiters",
    ),
    Plant(
        "F5.7",
        IOCP,
        "dequeuer = self._next_dequeuer() if self.active < self.concurrency else None",
        "dequeuer = None",
        "a post queues the packet (waking port waiters) instead of handing it to a dequeuer",
    ),
    Plant(
        "F5.8",
        IOCP,
        "waits.end_wait(k, thread, STATUS_ABANDONED_WAIT_0, seq)",
        "waits.end_wait(k, thread, STATUS_TIMEOUT, seq)",
        "closing the port times its dequeuers out instead of abandoning them",
    ),
    Plant(
        "F5.9",
        IOAPI,
        "        _store(lpNumberOfBytesTransferred, packet.information)\n        _store(lpCompletionKey, packet.key)",
        "        _store(lpNumberOfBytesTransferred, packet.information & 0xFF)\n        _store(lpCompletionKey, packet.key)",
        "the byte count comes back truncated to its low byte",
    ),
    Plant(
        "F5.10",
        IOCP,
        "        if timeout == 0:\n            return STATUS_TIMEOUT, []",
        "        if timeout == 0:\n            return STATUS_USER_APC, []",
        "an empty port with a zero timeout reports an APC instead of a timeout",
    ),
    Plant(
        "F5.11",
        IOCP,
        "taken = [self.packets.popleft() for _ in range(min(count, len(self.packets)))]",
        "taken = [self.packets.popleft() for _ in range(min(1, len(self.packets)))]",
        "a dequeue takes one packet whatever the count",
    ),
    Plant(
        "F5.12",
        IOCP,
        "        if alertable and thread.apcs:\n            yield from thread.deliver_user_apcs()",
        "        if thread.apcs:\n            yield from thread.deliver_user_apcs()",
        "a non-alertable dequeue runs the queued APCs",
    ),
    Plant(
        "F5.13",
        IOCP,
        "        if alertable and thread.apcs:\n            yield from thread.deliver_user_apcs()",
        "        if False:\n            yield from thread.deliver_user_apcs()",
        "an alertable dequeue of an empty port times out without running the APC",
    ),
    Plant(
        "F5.14",
        IOCP,
        "if alertable and thread.apcs and thread.port is not self:",
        "if alertable and thread.apcs and False:",
        "a queued packet wins over the APC for a thread not yet associated",
    ),
    Plant(
        "F5.15",
        IOAPI,
        "            if not obj.overlapped or obj.port is not None:",
        "            if obj.port is not None:",
        "a synchronous handle can join a port",
    ),
    Plant(
        "F5.16",
        "emu/kernel/io.py",
        "    file.pending.append(irp)\n",
        "    file.pending.append(irp)\n"
        "    if file.port is not None and irp.post:\n"
        "        file.port.post(file.key, overlapped, STATUS_PENDING, 0)\n",
        "a pending request posts a packet when it starts",
    ),
    Plant(
        "F5.17",
        "emu/win32/kernel32/waits.py",
        "_IO_COMPLETION if status == STATUS_USER_APC else 0)",
        "0)",
        "SleepEx returns 0 after running APCs",
    ),
    Plant(
        "F5.18",
        "emu/win32/kernel32/waits.py",
        "_IO_COMPLETION if status == STATUS_USER_APC else 0)",
        "_IO_COMPLETION if status == STATUS_USER_APC else 0x102)",
        "an alertable sleep that times out returns WAIT_TIMEOUT",
    ),
    Plant(
        "F5.19",
        IOCP,
        "            self._release(dequeuer, [self.packets.popleft()])",
        "            self._release(dequeuer, [self.packets.pop()])",
        "a released waiter gets the newest packet",
    ),
    Plant(
        "F5.20",
        IOCP,
        "        while self.packets and self.active < self.concurrency:",
        "        while self.packets:",
        "a running thread that blocks releases every waiter",
    ),
    Plant(
        "F5.21",
        "emu/kernel/thread.py",
        "        if self.port is not None:\n            self.port.disassociate(self)\n",
        "",
        "a thread stays associated after it exits",
    ),
    Plant(
        "F5.22",
        IOAPI,
        '            entry.sys_set("Internal", packet.status)\n',
        '            entry.sys_set("Internal", 0)\n',
        "GetQueuedCompletionStatusEx hides each entry's status",
    ),
    Plant(
        "F5.23",
        "emu/kernel/io.py",
        "        self.key = key\n        port.reference()\n",
        "        self.key = key\n",
        "an associated file does not keep the port alive",
    ),
    Plant(
        "F5.24",
        "emu/kernel/apc.py",
        "        while queue:\n            apc = queue.popleft()\n            k.emit(\n                thread.oid,",
        "        while queue:\n            apc = queue.pop()\n            k.emit(\n                thread.oid,",
        "queued APCs run newest first",
    ),
    Plant(
        "F5.25",
        IOCP,
        "            return STATUS_SUCCESS, self._take(thread, taken, thread.oid)",
        "            thread.apcs.clear()\n            return STATUS_SUCCESS, self._take(thread, taken, thread.oid)",
        "an APC a packet took priority over is lost",
    ),
    Plant(
        "F5.26",
        IOAPI,
        "        if not cancelled and not mine_only:",
        "        if False:",
        "CancelIoEx with nothing to cancel succeeds",
    ),
    Plant(
        "F5.27",
        "emu/devices/npfs.py",
        "        complete(self.k, irp, STATUS_CANCELLED, 0)",
        "        complete(self.k, irp, STATUS_SUCCESS, 0)",
        "a cancelled pipe request completes with STATUS_SUCCESS",
    ),
    Plant(
        "F5.28",
        "emu/win32/ntoskrnl/base.py",
        "NotificationEvent: Final = 0",
        "NotificationEvent: Final = 2",
        "NotificationEvent is 2",
    ),
    Plant(
        "F5.29",
        "emu/kernel/event.py",
        "        previous = int(self.signaled)\n        self.signaled = True",
        "        previous = 1\n        self.signaled = True",
        "KeSetEvent returns 1 whatever the previous state",
    ),
    # -- F1: the SCM -------------------------------------------------------------------------
    Plant(
        "F1.1",
        "emu/codes/services.py",
        "SERVICE_NOTIFY_STATUS_CHANGE: Final = SERVICE_NOTIFY_STATUS_CHANGE_2",
        "SERVICE_NOTIFY_STATUS_CHANGE: Final = SERVICE_NOTIFY_STATUS_CHANGE_1",
        "SERVICE_NOTIFY_STATUS_CHANGE is 1",
    ),
    Plant(
        "F1.2",
        "emu/codes/services.py",
        "SERVICE_NOTIFY_RUNNING: Final = 0x00000008",
        "SERVICE_NOTIFY_RUNNING: Final = 0x00000010",
        "SERVICE_NOTIFY_RUNNING is 0x10",
    ),
    Plant(
        "F1.3",
        "emu/codes/services.py",
        "    return 1 << (state - SERVICE_STOPPED)",
        "    return 1 << state",
        "a state's bit is 1 << state",
    ),
    Plant(
        "F1.4",
        NOTIFY,
        "self._callback(reg), (buffer,), buffer.trace_name)",
        'self._callback(reg), (buffer.peek("pContext"),), buffer.trace_name)',
        "the callback receives pContext instead of the SERVICE_NOTIFY",
    ),
    Plant(
        "F1.5",
        "emu/codes/winerror.py",
        "ERROR_ALREADY_REGISTERED: Final = 1242",
        "ERROR_ALREADY_REGISTERED: Final = 1243",
        "ERROR_ALREADY_REGISTERED is 1243",
    ),
    Plant(
        "F1.6",
        NOTIFY,
        "            if mask & bit and not handle.notified:",
        "            if mask & bit and handle.notified:",
        "a request for the current state waits for the next change",
    ),
    Plant(
        "F1.7",
        NOTIFY,
        "self.fire(reg, ERROR_SUCCESS, bit, service.status(), (), immediate=True)",
        "self.fire(reg, ERROR_SUCCESS, mask, service.status(), (), immediate=True)",
        "dwNotificationTriggered is the whole mask asked for",
    ),
    Plant(
        "F1.8",
        NOTIFY,
        "            else:\n                handle.notified = False\n",
        "",
        "a state change does not clear the handle's notified flag",
    ),
    Plant(
        "F1.9",
        NOTIFY,
        '        elif existing is not None and profile == "win7":',
        "        elif existing is not None:",
        "every profile refuses a second request on a handle",
    ),
    Plant(
        "F1.10",
        NOTIFY,
        '        elif existing is not None and profile == "win7":',
        '        elif existing is not None and profile == "win7-":',
        "win7 (Wine's service manager) accepts a second request",
    ),
    Plant(
        "F1.11",
        NOTIFY,
        '        if profile == "scm-per-service" and service is not None:',
        "        if service is not None:",
        "one request per service, whatever the handle",
    ),
    Plant(
        "F1.12",
        NOTIFY,
        "            if mask & bit and not handle.notified:",
        "            if mask & bit:",
        "a handle already notified of the state is notified again at once",
    ),
    Plant(
        "F1.13",
        NOTIFY,
        "            self._end(reg, CANCELLED)\n",
        "",
        "CloseServiceHandle leaves the request live",
    ),
    Plant(
        "F1.14",
        NOTIFY,
        "        if reg.stage != FIRED:\n            return  # cancelled in the meantime (its scm.cancel says so)\n",
        "",
        "a request cancelled after it fired still gets its APC",
    ),
    Plant(
        "F1.15",
        NOTIFY,
        "        kernel_apc.queue_user_apc(k, thread, self._callback(reg), (buffer,), buffer.trace_name)",
        "        thread = next((a for a in k.actors if a is not thread and hasattr(a, 'apcs') "
        "and not a.terminated), thread)\n"
        "        kernel_apc.queue_user_apc(k, thread, self._callback(reg), (buffer,), buffer.trace_name)",
        "the callback goes to another thread than the one that registered",
    ),
    Plant(
        "F1.16",
        "emu/win32/advapi32/notify.py",
        "        if not entry.access & needed:",
        "        if False:",
        "a request needs no access right",
    ),
    Plant(
        "F1.17",
        "emu/devices/scm.py",
        "        if state == SERVICE_STOPPED:\n            service.pid = 0\n",
        "        if state == SERVICE_STOPPED:\n            pass\n",
        "a stopped service keeps its process id",
    ),
    Plant(
        "F1.18",
        "emu/win32/advapi32/services.py",
        "code = ERROR_SERVICE_MARKED_FOR_DELETE if existing.marked else ERROR_SERVICE_EXISTS",
        "code = ERROR_SERVICE_EXISTS",
        "CreateService of a name marked for delete says it exists",
    ),
    Plant(
        "F1.19",
        "emu/win32/advapi32/control.py",
        "        if state == SERVICE_STOPPED:\n            return ERROR_SERVICE_NOT_ACTIVE\n",
        "        if state == SERVICE_STOPPED:\n            return ERROR_SERVICE_CANNOT_ACCEPT_CTRL\n",
        "stopping a stopped service is ERROR_SERVICE_CANNOT_ACCEPT_CTRL",
    ),
    Plant(
        "F1.20",
        NOTIFY,
        "        if reg.handle.registration is reg:\n            reg.handle.registration = None\n        state = state_name",
        "        state = state_name",
        "a request stays registered after it fired and fires again",
    ),
)
