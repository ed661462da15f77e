"""NotifyServiceStatusChange inside the SCM: requests, firing, delivery as an APC, cancellation.

The rules, with their sources (the NotifyServiceStatusChange page, MS doc, and the F1 facts of
docs/sources.md):

- A request belongs to one SC_HANDLE. On a service handle it fires when the service enters a
  state in its mask; "If the service is already in any of the requested states when
  NotifyServiceStatusChange is called, the callback function is queued immediately" — unless
  this handle was already notified of the current state and the state has not changed since
  ("the callback function is not queued immediately; the callback function is queued the next
  time the service enters the requested state"; the per-handle flag of F1.12).
- A request fires once ("After the callback function is invoked, the caller must call
  NotifyServiceStatusChange to receive additional notifications"; one result per request,
  F1.20). ``dwNotificationTriggered`` is the bit of the state that fired, not the mask (F1.7,
  F1.17).
- Delivery (F1.15): after the ``notify`` latency the SCM's client side copies the result into
  the caller's SERVICE_NOTIFY (dwNotificationStatus, ServiceStatus when the status is
  ERROR_SUCCESS, dwNotificationTriggered, pszServiceNames) and queues the callback as a user
  APC to the thread that registered; it runs only in that thread's alertable wait.
- Cancellation: closing the handle cancels its request; "After CloseServiceHandle succeeds, no
  more notification APCs will be queued" — a request that fired but whose APC is not queued yet
  is cancelled too (F1.13, F1.14), while an APC already queued still runs.
- A second request on a handle with one outstanding: profile ``win8plus`` (and ``default``)
  replaces the first, which is dropped without an APC, and evaluates the new one afresh;
  ``win7`` fails it with ERROR_ALREADY_REGISTERED (F1.9). Different handles to one service
  each hold a request (F1.11); the profile ``scm-per-service`` takes the page's literal "one
  outstanding notification request per service" instead.
- DeleteService completes every outstanding request on the service's handles: with
  SERVICE_NOTIFY_DELETE_PENDING in the mask as ERROR_SUCCESS with that bit, otherwise with
  dwNotificationStatus ERROR_SERVICE_MARKED_FOR_DELETE (an assumption: docs/rules.md).
- SCM handles: CREATED and DELETED. Once a handle made such a request, the SCM keeps the
  changes it has not reported yet (its backlog); a request fires at once with the backlog
  (CREATED and DELETED may arrive together, ``pszServiceNames`` lists every name, created ones
  prefixed ``/``). A backlog longer than the SCM's ``backlog`` size makes the client lag: every
  later request on that handle returns ERROR_SERVICE_NOTIFY_CLIENT_LAGGING until it is closed.
- Nothing is lost silently: every request ends fired and delivered, cancelled, replaced, dropped
  (its thread exited) or reported outstanding at the end, each with an ``scm.*`` event.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from types import GeneratorType
from typing import TYPE_CHECKING, Any, Final

from emu.codes.services import (
    SERVICE_NOTIFY_CREATED,
    SERVICE_NOTIFY_DELETE_PENDING,
    SERVICE_NOTIFY_DELETED,
    notify_bit,
    notify_mask_names,
    state_name,
)
from emu.codes.winerror import (
    ERROR_ALREADY_REGISTERED,
    ERROR_SERVICE_MARKED_FOR_DELETE,
    ERROR_SERVICE_NOTIFY_CLIENT_LAGGING,
    ERROR_SUCCESS,
    win32_error_name,
)
from emu.devices.scm_handles import ScmHandle, ServiceHandle
from emu.kernel import apc as kernel_apc
from emu.kernel.actor import Park
from emu.kernel.memory import MEM_STALE, MEM_WRITE, SYSTEM, Struct
from emu.kernel.modules import modules_of, routine_module
from emu.kernel.trace import KERNEL_ACTOR, payload_value, trace_kind

if TYPE_CHECKING:
    from emu.devices.scm import Service, ServiceControlManager
    from emu.devices.scm_handles import ScHandle
    from emu.kernel.thread import Thread

SCM_REGISTER = trace_kind(
    "scm.register",
    ("request", "service", "mask", "bits", "state", "module"),
    text="request #{request} on {o0} for {bits} ({service} is {state}), buffer {o1}, thread {o2}",
    doc="NotifyServiceStatusChange made request #request; objects: the SC_HANDLE, the "
    "SERVICE_NOTIFY, the registering thread, the service (none for an SCM handle). `mask` is "
    "dwNotifyMask, `bits` its names; `module` is the callback's module (null: the main image).",
)
SCM_FIRE = trace_kind(
    "scm.fire",
    ("request", "status", "code", "triggered", "bits", "state", "names", "immediate"),
    text="request #{request} fires: {code}, triggered {bits}, state {state}, names {names}",
    doc="The SCM completed a request: dwNotificationStatus `status` (`code` by name), "
    "dwNotificationTriggered `triggered` (`bits` by name), the service's state and the "
    "pszServiceNames names; `immediate`: inside the NotifyServiceStatusChange call, the "
    "service being in a requested state. Objects as in scm.register.",
)
SCM_DELIVER = trace_kind(
    "scm.deliver",
    ("request", "apc", "status"),
    text="request #{request}: result written to {o1}, callback queued as APC #{apc} to {o0}",
    doc="The result was copied into the SERVICE_NOTIFY and the callback queued as a user APC; "
    "objects: the thread, the SERVICE_NOTIFY, the SC_HANDLE, its ServiceStatus, the "
    "pszServiceNames block (0: none).",
)
SCM_CANCEL = trace_kind(
    "scm.cancel",
    ("request", "reason"),
    text="request #{request} cancelled: {reason}",
    doc="CloseServiceHandle cancelled a request: no APC is queued for it (objects: the "
    "SC_HANDLE, the SERVICE_NOTIFY, the thread).",
)
SCM_REPLACE = trace_kind(
    "scm.replace",
    ("request", "by"),
    text="request #{request} replaced by request #{by}: dropped without an APC",
    doc="Under win8plus a new request on the same handle replaced an outstanding one.",
)
SCM_DROP = trace_kind(
    "scm.drop",
    ("request", "reason"),
    text="request #{request} dropped: {reason}",
    doc="A fired request could not be delivered (its thread exited: the request leaked).",
)
SCM_OUTSTANDING = trace_kind(
    "scm.outstanding",
    ("request", "stage"),
    text="request #{request} still {stage} at the end",
    doc="At the end of the run a request had not fired (or fired and was not delivered yet).",
)
SCM_BACKLOG = trace_kind(
    "scm.backlog",
    ("names", "size", "lagging"),
    state=("size", "lagging"),
    text="{o0} backlog: {size} unreported changes{lagging}",
    doc="A creation or deletion was kept for an SCM handle with no request outstanding; "
    "`lagging` says the backlog outgrew the SCM's size (the client lags).",
)

OUTSTANDING: Final = "outstanding"
FIRED: Final = "fired"
QUEUED: Final = "queued"
DONE: Final = "done"
CANCELLED: Final = "cancelled"
REPLACED: Final = "replaced"
DROPPED: Final = "dropped"
LIVE: Final = (OUTSTANDING, FIRED, QUEUED)


_PLAIN: Final = frozenset((int, str, bool, type(None)))
"""The value types a ``mem.write`` payload holds as they are (as ``Struct.sys_set`` has it)."""


def system_writes(struct: Struct, fields: Iterable[tuple[str, Any]]) -> None:
    """``struct.sys_set(name, value)`` for each pair, in order: the same values stored and the
    same ``mem.write`` events (each followed by ``mem.stale`` once the memory's lifetime ended),
    with the acting actor and the structure looked up once for all of them.

    A delivery copies a whole SERVICE_STATUS_PROCESS into the caller's SERVICE_NOTIFY, nine
    traced writes, the SCM's hottest path (issue 12); tests/devices/test_scm_notify.py checks
    the events against ``sys_set``'s."""
    values = struct._values
    k = struct._k
    if k is None:  # not bound to a simulation: the program's own memory, nothing traced
        values.update(fields)
        return
    cur = k.current
    actor = cur.oid if cur is not None else KERNEL_ACTOR
    objects = (struct._oid,)
    ended = struct._ended
    emit = k.emit
    for name, value in fields:
        values[name] = value
        shown = value if type(value) in _PLAIN else payload_value(value)
        emit(actor, MEM_WRITE, objects, (name, shown, SYSTEM))
        if ended:
            emit(actor, MEM_STALE, objects, (name, "written", ended))


class Registration:
    """One NotifyServiceStatusChange request."""

    __slots__ = (
        "buffer",
        "callback",
        "handle",
        "make_names",
        "mask",
        "number",
        "result",
        "stage",
        "thread",
    )

    def __init__(
        self,
        number: int,
        handle: ScHandle,
        thread: Thread,
        buffer: Struct,
        mask: int,
        callback: Callable[..., Any],
        make_names: Callable[[str], Struct],
    ) -> None:
        self.number = number
        self.make_names = make_names
        self.handle = handle
        self.thread = thread
        self.buffer = buffer
        self.mask = mask
        self.callback = callback
        self.stage = OUTSTANDING
        self.result: tuple[int, int, tuple[int, ...] | None, tuple[str, ...]] = (0, 0, None, ())

    def objects(self) -> tuple[int, int, int]:
        return (self.handle.oid, self.buffer.oid, self.thread.oid)


class Notifier:
    """The notification half of the SCM."""

    def __init__(self, scm: ServiceControlManager) -> None:
        self.scm = scm
        self.k = scm.k
        self.live: list[Registration] = []  # every request not yet ended, oldest first
        self.lent: dict[int, Registration] = {}  # SERVICE_NOTIFY oid -> the request holding it
        self.in_callback: dict[int, int] = {}  # thread oid -> depth of SCM callbacks running

    # -- requests -----------------------------------------------------------------------------

    def register(
        self,
        handle: ScHandle,
        thread: Thread,
        buffer: Struct,
        mask: int,
        callback: Callable[..., Any],
        make_names: Callable[[str], Struct],
    ) -> int:
        """Make a request; returns ERROR_SUCCESS or the error the call fails with.

        ``make_names`` allocates the pszServiceNames block (the API layer's MULTI_SZ).
        """
        k = self.k
        profile = k.profile
        service = handle.service if isinstance(handle, ServiceHandle) else None
        if isinstance(handle, ScmHandle) and (handle.lagging or handle.overflowed):
            handle.lagging = True
            return ERROR_SERVICE_NOTIFY_CLIENT_LAGGING
        existing = handle.registration
        if profile == "scm-per-service" and service is not None:
            if any(h.registration is not None for h in service.handles):
                return ERROR_ALREADY_REGISTERED
        elif existing is not None and profile == "win7":
            return ERROR_ALREADY_REGISTERED
        lender = self.lent.get(buffer.oid)
        if lender is not None and lender is not existing:
            k.violation(
                "scm.buffer_reused",
                f"{buffer.trace_name} is still lent to request #{lender.number} (its callback "
                "has not run and it was not cancelled): which version the callback sees is not "
                "guaranteed",
                (buffer.oid, thread.oid),
            )
        reg = Registration(
            k.new_id("scm-request"), handle, thread, buffer, mask, callback, make_names
        )
        if existing is not None:
            self._end(existing, REPLACED)
            k.emit(k.actor_id(), SCM_REPLACE, existing.objects(), (existing.number, reg.number))
            if isinstance(handle, ServiceHandle):
                handle.notified = False
        handle.registration = reg
        self.live.append(reg)
        self.lent[buffer.oid] = reg
        state = state_name(service.state) if service is not None else "open"
        objects = (*reg.objects(), service.oid) if service is not None else reg.objects()
        module = routine_module(callback)
        k.emit(
            k.actor_id(),
            SCM_REGISTER,
            objects,
            (
                reg.number,
                service.name if service else "the SCM",
                mask,
                notify_mask_names(mask),
                state,
                module,
            ),
        )
        if isinstance(handle, ServiceHandle):
            assert service is not None
            bit = notify_bit(service.state)
            if mask & bit and not handle.notified:
                handle.notified = True
                self.fire(reg, ERROR_SUCCESS, bit, service.status(), (), immediate=True)
        elif isinstance(handle, ScmHandle):
            handle.tracking = True
            self._flush_backlog(handle, reg)
        return ERROR_SUCCESS

    def _end(self, reg: Registration, stage: str) -> None:
        reg.stage = stage
        if reg in self.live:
            self.live.remove(reg)
        if self.lent.get(reg.buffer.oid) is reg:
            del self.lent[reg.buffer.oid]
        if reg.handle.registration is reg:
            reg.handle.registration = None

    def is_lent(self, buffer: Struct) -> bool:
        return buffer.oid in self.lent

    # -- firing -------------------------------------------------------------------------------

    def fire(
        self,
        reg: Registration,
        status: int,
        triggered: int,
        service_status: tuple[int, ...] | None,
        names: tuple[str, ...],
        *,
        immediate: bool = False,
    ) -> None:
        """Complete ``reg``: its result goes to the client after the ``notify`` latency."""
        k = self.k
        reg.stage = FIRED
        reg.result = (status, triggered, service_status, names)
        if reg.handle.registration is reg:
            reg.handle.registration = None
        state = state_name(service_status[1]) if service_status else ""
        k.emit(
            k.actor_id(),
            SCM_FIRE,
            reg.objects(),
            (
                reg.number,
                status,
                win32_error_name(status),
                triggered,
                notify_mask_names(triggered),
                state,
                names,
                immediate,
            ),
        )
        lo, hi = k.latency.get("notify", (0, 0))
        delay = k.choose_latency(f"notify#{reg.number}", lo, hi) if hi > lo else lo
        self.scm.actor.later(delay, f"deliver#{reg.number}", lambda: self.deliver(reg))

    def state_changed(self, service: Service) -> None:
        """The service entered a new state: fire the requests that asked for it (F1.12)."""
        bit = notify_bit(service.state)
        for handle in list(service.handles):
            reg = handle.registration
            if reg is not None and reg.mask & bit:
                handle.notified = True
                self.fire(reg, ERROR_SUCCESS, bit, service.status(), ())
            else:
                handle.notified = False

    def marked_for_delete(self, service: Service) -> None:
        for handle in list(service.handles):
            reg = handle.registration
            if reg is None:
                continue
            if reg.mask & SERVICE_NOTIFY_DELETE_PENDING:
                self.fire(reg, ERROR_SUCCESS, SERVICE_NOTIFY_DELETE_PENDING, service.status(), ())
            else:
                self.fire(reg, ERROR_SERVICE_MARKED_FOR_DELETE, 0, None, ())

    def created(self, service: Service) -> None:
        self._database_change(SERVICE_NOTIFY_CREATED, "/" + service.name)

    def deleted(self, service: Service) -> None:
        self._database_change(SERVICE_NOTIFY_DELETED, self.scm.config.deleted_prefix + service.name)

    def _database_change(self, bit: int, name: str) -> None:
        k = self.k
        for handle in list(self.scm.scm_handles):
            if not handle.tracking or handle.lagging:
                continue
            handle.backlog.append((bit, name))
            reg = handle.registration
            if reg is not None:
                self._flush_backlog(handle, reg)
                continue
            size = self.scm.config.backlog
            if len(handle.backlog) > size:
                handle.overflowed = True
            lagging = ", the client lags" if handle.overflowed else ""
            k.emit(k.actor_id(), SCM_BACKLOG, (handle.oid,), (name, len(handle.backlog), lagging))

    def _flush_backlog(self, handle: ScmHandle, reg: Registration) -> None:
        """Fire ``reg`` with the unreported changes it asks for; the others stay kept."""
        wanted = [(bit, name) for bit, name in handle.backlog if reg.mask & bit]
        if not wanted:
            return
        handle.backlog = [(bit, name) for bit, name in handle.backlog if not reg.mask & bit]
        triggered = 0
        for bit, _name in wanted:
            triggered |= bit
        self.fire(reg, ERROR_SUCCESS, triggered, None, tuple(name for _bit, name in wanted))

    # -- delivery -----------------------------------------------------------------------------

    def deliver(self, reg: Registration) -> None:
        """The client side: copy the result into the buffer, queue the callback as an APC."""
        k = self.k
        if reg.stage != FIRED:
            return  # cancelled in the meantime (its scm.cancel says so)
        thread = reg.thread
        if thread.terminated:
            self._end(reg, DROPPED)
            k.emit(
                k.actor_id(),
                SCM_DROP,
                reg.objects(),
                (reg.number, f"{thread.name} exited before the result came: the request leaked"),
            )
            return
        status, triggered, service_status, names = reg.result
        buffer = reg.buffer
        buffer.sys_set("dwNotificationStatus", status)
        nested = buffer.peek("ServiceStatus")
        is_struct = isinstance(nested, Struct)
        if status == ERROR_SUCCESS and service_status is not None and is_struct:
            system_writes(nested, zip(nested._fields_, service_status, strict=True))
        buffer.sys_set("dwNotificationTriggered", triggered)
        block: Struct | None = None
        if names:
            block = reg.make_names("\0".join(names) + "\0\0")
            block.bind(k, f"names#{reg.number}")
        buffer.sys_set("pszServiceNames", block)
        kernel_apc.queue_user_apc(k, thread, self._callback(reg), (buffer,), buffer.trace_name)
        apc_id = thread.apcs[-1].aid
        reg.stage = QUEUED
        if reg in self.live:
            self.live.remove(reg)
            self.live.append(reg)
        nested_oid = nested.oid if is_struct else 0
        k.emit(
            k.actor_id(),
            SCM_DELIVER,
            (thread.oid, buffer.oid, reg.handle.oid, nested_oid, block.oid if block else 0),
            (reg.number, apc_id, status),
        )

    def _callback(self, reg: Registration) -> Callable[[Any], Generator[Park, None, None]]:
        """The APC routine: the program's callback, marked as running inside an SCM callback."""
        pfn = reg.callback
        k = self.k
        depth = self.in_callback

        def routine(buffer: Any) -> Generator[Park, None, None]:
            oid = reg.thread.oid
            depth[oid] = depth.get(oid, 0) + 1
            try:
                module = routine_module(pfn)
                if module is not None and modules_of(k).is_unloaded(module):
                    k.violation(
                        "scm.callback_after_unload",
                        f"the callback of request #{reg.number} is in {module}, unloaded before "
                        "the notification came: unpredictable results (it is not called)",
                        (reg.thread.oid, reg.buffer.oid),
                    )
                    return
                result = pfn(buffer)
                if isinstance(result, GeneratorType):
                    yield from result
            finally:
                depth[oid] -= 1
                self._end(reg, DONE)

        routine.__name__ = kernel_apc.routine_label(pfn)
        return routine

    def in_scm_callback(self, thread: Thread) -> bool:
        return self.in_callback.get(thread.oid, 0) > 0

    # -- cancellation and the end -------------------------------------------------------------

    def handle_closed(self, handle: ScHandle) -> None:
        k = self.k
        for reg in list(self.live):
            if reg.handle is not handle or reg.stage == QUEUED:
                continue
            if reg.stage == OUTSTANDING:
                reason = "CloseServiceHandle: no APC will be queued"
            else:
                reason = "CloseServiceHandle after the SCM fired, before the APC was queued"
            self._end(reg, CANCELLED)
            k.emit(k.actor_id(), SCM_CANCEL, reg.objects(), (reg.number, reason))

    def at_end(self) -> None:
        k = self.k
        for reg in self.live:
            if reg.stage != QUEUED:  # a queued APC is reported by the kernel
                k.emit(0, SCM_OUTSTANDING, reg.objects(), (reg.number, reg.stage))
