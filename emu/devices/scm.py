"""The Service Control Manager and its services: the state machine, the database, the handles.

What is modelled (the NotifyServiceStatusChange page and the F1 facts of docs/sources.md; the
API surface is ``emu.win32.advapi32``, notifications are ``emu.devices.scm_notify``):

- **States**: SERVICE_STOPPED, START_PENDING, RUNNING, STOP_PENDING, PAUSE_PENDING, PAUSED,
  CONTINUE_PENDING. A start, stop, pause or continue enters the pending state at once and
  reaches the final state after the service's configured pending time (``start_pending``,
  ``stop_pending``, ``pause_pending``, ``continue_pending``), as a job of the SCM's own actor,
  so what the service does at an instant is ordered against the threads by the chooser; with
  no pending time both states are reported at once, by whoever made the change.
  Every change of dwCurrentState is an ``scm.service`` event.
- **Service types**: own process, shared process (one host process id per run), kernel and
  file-system drivers (process id 0; NotifyServiceStatusChange refuses them). **Start types**:
  a SERVICE_DISABLED service does not start (ERROR_SERVICE_DISABLED, F1.19).
- **Controls** a service accepts (``accepts``): ControlService's checks are in
  ``ServiceControlManager.control``. A service that never reports (``unresponsive``) makes
  StartService and ControlService wait the SCM's timeout (30 s by default) and fail with
  ERROR_SERVICE_REQUEST_TIMEOUT.
- **Crashes**: a running or pending service dies (``crash``): SERVICE_STOPPED at once, with
  dwWin32ExitCode ERROR_PROCESS_ABORTED and no process.
- **Creation and deletion**: CreateService of an existing name fails (ERROR_SERVICE_EXISTS), of
  a name marked for delete with ERROR_SERVICE_MARKED_FOR_DELETE (F1.18). DeleteService marks
  the service; it disappears only when its last handle closes and it is stopped, and only then
  do SCM-handle registrations hear SERVICE_NOTIFY_DELETED ("An application cannot receive this
  notification if it has an open handle to the service").
- **Handles**: each SC_HANDLE is its own context (``ScmHandle``, ``ServiceHandle``) in the
  ``sc`` handle namespace, never a kernel handle. A service handle keeps the per-handle
  "already notified of this state" flag of F1.12.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from emu.codes.services import (
    SERVICE_ACCEPT_STOP,
    SERVICE_CONTINUE_PENDING,
    SERVICE_DEMAND_START,
    SERVICE_DISABLED,
    SERVICE_DRIVER,
    SERVICE_PAUSE_PENDING,
    SERVICE_PAUSED,
    SERVICE_RUNNING,
    SERVICE_START_PENDING,
    SERVICE_STOP_PENDING,
    SERVICE_STOPPED,
    SERVICE_WIN32_OWN_PROCESS,
    SERVICE_WIN32_SHARE_PROCESS,
    state_name,
)
from emu.codes.winerror import ERROR_PROCESS_ABORTED, ERROR_SERVICE_REQUEST_TIMEOUT
from emu.devices.scm_actor import ScmActor
from emu.devices.scm_handles import ScHandle, ScmHandle, ServiceHandle
from emu.kernel.objects import KernelObject
from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.devices.scm_notify import Notifier
    from emu.kernel.clock import Timer
    from emu.kernel.dispatcher import Kernel

SCM_SERVICE = trace_kind(
    "scm.service",
    ("state", "exit_code", "pid", "marked"),
    state=("state", "exit_code", "pid", "marked"),
    text="{o0} -> {state} (exit code {exit_code}, pid {pid}{marked})",
    doc="A service's dwCurrentState changed, or it was marked for delete (`marked`: "
    "', marked for delete' or ''); `exit_code` is dwWin32ExitCode.",
)
SCM_CREATE = trace_kind(
    "scm.create",
    ("service", "type", "start_type"),
    text="service {service} created (type 0x{type:X}, start type {start_type})",
    doc="A service was added to the database (declared by the scenario or CreateService).",
)
SCM_DELETE = trace_kind(
    "scm.delete",
    ("service",),
    text="service {service} deleted: its last handle closed",
    doc="A service marked for delete left the database (last handle closed, stopped).",
)

DEFAULT_TIMEOUT: Final = 30 * 10_000_000  # the SCM waits 30 s for a service to respond
SC_HANDLE_BASE: Final = 0x00C0_0000
SC_HANDLE_STEP: Final = 0x10


@dataclass(slots=True)
class ServiceConfig:
    """How a service behaves; durations in ticks."""

    service_type: int = SERVICE_WIN32_OWN_PROCESS
    start_type: int = SERVICE_DEMAND_START
    state: int = SERVICE_STOPPED
    accepts: int = SERVICE_ACCEPT_STOP
    start_pending: int = 0
    stop_pending: int = 0
    pause_pending: int = 0
    continue_pending: int = 0
    unresponsive: bool = False
    depends_on: tuple[str, ...] = ()
    display_name: str = ""


@dataclass(slots=True)
class ScmConfig:
    """The SCM of a scenario: its services, its timeout, the per-client backlog."""

    services: dict[str, ServiceConfig] = field(default_factory=dict)
    timeout: int = DEFAULT_TIMEOUT
    backlog: int = 32
    deleted_prefix: str = ""


class Service(KernelObject):
    """A service in the database: configuration, status and the handles open to it."""

    __slots__ = (
        "config",
        "exit_code",
        "handles",
        "marked",
        "pid",
        "state",
        "transition",
    )

    TYPE = "Service"

    def __init__(self, k: Kernel, name: str, config: ServiceConfig) -> None:
        super().__init__(k, name)
        self.config = config
        self.state = SERVICE_STOPPED
        self.exit_code = 0
        self.pid = 0
        self.marked = False
        self.handles: list[ServiceHandle] = []  # open handles, in the order they were opened
        self.transition: Timer | None = None

    @property
    def is_driver(self) -> bool:
        return bool(self.config.service_type & SERVICE_DRIVER)

    def status(self) -> tuple[int, ...]:
        """SERVICE_STATUS_PROCESS as a tuple, in member order."""
        pending = self.state in (
            SERVICE_START_PENDING,
            SERVICE_STOP_PENDING,
            SERVICE_PAUSE_PENDING,
            SERVICE_CONTINUE_PENDING,
        )
        accepts = 0 if pending or self.state == SERVICE_STOPPED else self.config.accepts
        wait_hint = self._pending_time() // 10_000 if pending else 0
        return (
            self.config.service_type,
            self.state,
            accepts,
            self.exit_code,
            0,
            1 if pending else 0,
            wait_hint,
            self.pid,
            0,
        )

    def _pending_time(self) -> int:
        c = self.config
        return {
            SERVICE_START_PENDING: c.start_pending,
            SERVICE_STOP_PENDING: c.stop_pending,
            SERVICE_PAUSE_PENDING: c.pause_pending,
            SERVICE_CONTINUE_PENDING: c.continue_pending,
        }.get(self.state, 0)


class ServiceControlManager:
    """services.exe: the database of services and the handles clients hold."""

    def __init__(self, k: Kernel, config: ScmConfig | None = None) -> None:
        from emu.devices.scm_notify import Notifier  # noqa: PLC0415 - the two halves

        self.k = k
        self.config = config if config is not None else ScmConfig()
        self.services: dict[str, Service] = {}  # by lower-case name
        self.handles = k.namespace("sc", SC_HANDLE_BASE, SC_HANDLE_STEP)
        self.scm_handles: list[ScmHandle] = []
        self.actor = ScmActor(k)
        k.spawn(self.actor, suspended=False)
        self.shared_pid = 0
        self.notifier: Notifier = Notifier(self)
        self.actor.notifier = self.notifier
        for name, service_config in self.config.services.items():
            service = self.create(name, service_config)
            if service_config.state != SERVICE_STOPPED:
                self._enter(service, service_config.state)

    # -- the database -------------------------------------------------------------------------

    def find(self, name: str) -> Service | None:
        return self.services.get(name.lower())

    def create(self, name: str, config: ServiceConfig) -> Service:
        service = Service(self.k, name, config)
        self.services[name.lower()] = service
        k = self.k
        k.emit(
            k.actor_id(),
            SCM_CREATE,
            (service.oid,),
            (name, config.service_type, config.start_type),
        )
        self.notifier.created(service)
        return service

    def mark_for_delete(self, service: Service) -> None:
        service.marked = True
        self._trace(service)
        self.notifier.marked_for_delete(service)
        self._maybe_delete(service)

    def _maybe_delete(self, service: Service) -> None:
        if not service.marked or service.handles or service.state != SERVICE_STOPPED:
            return
        if self.services.get(service.name.lower()) is not service:
            return
        del self.services[service.name.lower()]
        k = self.k
        k.emit(k.actor_id(), SCM_DELETE, (service.oid,), (service.name,))
        self.notifier.deleted(service)

    # -- handles ------------------------------------------------------------------------------

    def open_scm(self, access: int) -> int:
        handle = ScmHandle(self.k, self, f"SCM#{self.k.new_id('scm-handle')}")
        self.scm_handles.append(handle)
        return self.handles.insert(handle, access)

    def open_service(self, service: Service, access: int) -> int:
        handle = ServiceHandle(self.k, self, service)
        service.handles.append(handle)
        return self.handles.insert(handle, access)

    def handle_closed(self, handle: ScHandle) -> None:
        """CloseServiceHandle: cancel its request, and let a marked service go."""
        self.notifier.handle_closed(handle)
        if isinstance(handle, ScmHandle):
            self.scm_handles.remove(handle)
        elif isinstance(handle, ServiceHandle):
            service = handle.service
            service.handles.remove(handle)
            self._maybe_delete(service)

    # -- state changes ------------------------------------------------------------------------

    def _trace(self, service: Service) -> None:
        k = self.k
        marked = ", marked for delete" if service.marked else ""
        k.emit(
            k.actor_id(),
            SCM_SERVICE,
            (service.oid,),
            (state_name(service.state), service.exit_code, service.pid, marked),
        )

    def _enter(self, service: Service, state: int) -> None:
        """Set dwCurrentState (and the process), record it, notify the handles."""
        if state == SERVICE_STOPPED:
            service.pid = 0
        elif not service.pid:  # any other state has a process (a declared PAUSED one too)
            service.pid = self._process_id(service)
        if state == SERVICE_START_PENDING:
            service.exit_code = 0
        service.state = state
        self._trace(service)
        self.notifier.state_changed(service)
        if state == SERVICE_STOPPED:
            self._maybe_delete(service)

    def _process_id(self, service: Service) -> int:
        kind = service.config.service_type
        if kind & SERVICE_DRIVER:
            return 0
        if kind & SERVICE_WIN32_SHARE_PROCESS:
            if not self.shared_pid:
                self.shared_pid = 4 * (0x100 + self.k.new_id("pid"))
            return self.shared_pid
        return 4 * (0x100 + self.k.new_id("pid"))

    def _cancel_transition(self, service: Service) -> None:
        if service.transition is not None:
            service.transition.cancel()
            service.transition = None

    def begin(self, service: Service, pending: int, final: int, delay: int) -> None:
        """Enter ``pending`` now and ``final`` after ``delay`` ticks (an SCM job); with no
        pending time the service reports both at once (two notifications, one instant)."""
        self._cancel_transition(service)
        self._enter(service, pending)
        if delay == 0:
            self._enter(service, final)
            return

        def finish() -> None:
            service.transition = None
            if service.state == pending:
                self._enter(service, final)

        service.transition = self.actor.later(delay, f"{service.name}:{state_name(final)}", finish)

    def start(self, service: Service) -> None:
        self.begin(service, SERVICE_START_PENDING, SERVICE_RUNNING, service.config.start_pending)

    def stop(self, service: Service) -> None:
        self.begin(service, SERVICE_STOP_PENDING, SERVICE_STOPPED, service.config.stop_pending)

    def pause(self, service: Service) -> None:
        self.begin(service, SERVICE_PAUSE_PENDING, SERVICE_PAUSED, service.config.pause_pending)

    def resume(self, service: Service) -> None:
        self.begin(
            service, SERVICE_CONTINUE_PENDING, SERVICE_RUNNING, service.config.continue_pending
        )

    def start_timed_out(self, service: Service) -> None:
        """A service that never reported: the SCM gives up on it (ERROR_SERVICE_REQUEST_TIMEOUT)."""
        self._cancel_transition(service)
        service.exit_code = ERROR_SERVICE_REQUEST_TIMEOUT
        self._enter(service, SERVICE_STOPPED)

    def crash(self, service: Service) -> bool:
        """The service's process dies: STOPPED with ERROR_PROCESS_ABORTED; False if stopped."""
        if service.state == SERVICE_STOPPED:
            return False
        self._cancel_transition(service)
        service.exit_code = ERROR_PROCESS_ABORTED
        self._enter(service, SERVICE_STOPPED)
        return True

    def set_state(self, service: Service, state: int) -> None:
        """The service reports a state of its own (SetServiceStatus)."""
        self._cancel_transition(service)
        self._enter(service, state)

    def running_dependents(self, service: Service) -> list[Service]:
        key = service.name.lower()
        return [
            other
            for other in self.services.values()
            if key in (d.lower() for d in other.config.depends_on)
            and other.state != SERVICE_STOPPED
        ]

    def is_disabled(self, service: Service) -> bool:
        return service.config.start_type == SERVICE_DISABLED

    def describe(self) -> dict[str, Any]:
        return {s.name: state_name(s.state) for s in self.services.values()}


def scm_of(k: Kernel) -> ServiceControlManager:
    """The simulation's SCM (an empty database unless the scenario declared services)."""
    return k.device("scm", lambda: ServiceControlManager(k))
