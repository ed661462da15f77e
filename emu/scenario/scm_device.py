"""The ``scm`` device of a scenario: services declared up front, and what the world does to them.

::

    machine:
      profile: win8plus                 # default | win8plus | win7 | scm-per-service
      latency: {rpc: [50us, 2ms], notify: [0us, 100us]}
    devices:
      scm:
        timeout: 30s                    # how long the SCM waits for a service that never reports
        backlog: 32                     # unreported creations/deletions before a client lags
        services:
          Spooler: {state: RUNNING, accepts: [STOP, PAUSE_CONTINUE], stop_pending: 3ms}
          Beep: {type: kernel_driver, start: system}
    timeline:
      - {at: 10ms, scm.stop: Spooler}   # another process's ControlService(STOP)
      - {at: 20ms, scm.crash: Spooler}  # the process dies: STOPPED, ERROR_PROCESS_ABORTED
      - {at: 30ms, scm.create: NewSvc}  # another process's CreateService
      - {at: 40ms, scm.delete: NewSvc}  # another process's DeleteService

Each service has a ``type`` (own_process, share_process, kernel_driver, file_system_driver),
a ``start`` type (boot, system, auto, demand, disabled), an initial ``state`` (STOPPED,
RUNNING, PAUSED), the controls it ``accepts`` (STOP, PAUSE_CONTINUE), pending times
(``start_pending``, ``stop_pending``, ``pause_pending``, ``continue_pending``),
``unresponsive`` (it never reports: StartService and ControlService time out) and
``depends_on``. A service name is any text without / or \\ (at most 256 characters) and
is written as every scenario text is: a literal ``$`` as ``$$`` (``WireGuardTunnel$$wg0``),
in ``services:``, ``depends_on``, the timeline's actions and a step's ``lpServiceName`` alike
(``emu.scenario.values.literal_text``). The actions act as another process with full access
would; one that does not apply (stopping a stopped service) is a ``world.skip`` with the error
the call would get.
The latencies: ``rpc`` (each SCM call) and ``notify`` (from the SCM firing a request to the
APC being queued).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from emu.codes.services import (
    SERVICE_ACCEPT_PAUSE_CONTINUE,
    SERVICE_ACCEPT_STOP,
    SERVICE_AUTO_START,
    SERVICE_BOOT_START,
    SERVICE_DEMAND_START,
    SERVICE_DISABLED,
    SERVICE_FILE_SYSTEM_DRIVER,
    SERVICE_KERNEL_DRIVER,
    SERVICE_PAUSED,
    SERVICE_RUNNING,
    SERVICE_STOPPED,
    SERVICE_SYSTEM_START,
    SERVICE_WIN32_OWN_PROCESS,
    SERVICE_WIN32_SHARE_PROCESS,
    ServiceState,
)
from emu.codes.winerror import (
    ERROR_SERVICE_EXISTS,
    ERROR_SERVICE_MARKED_FOR_DELETE,
    win32_error_name,
)
from emu.devices.scm import DEFAULT_TIMEOUT, ScmConfig, Service, ServiceConfig, scm_of
from emu.scenario.devices import ActionContext, ActionKind, DeviceKind, register_device
from emu.scenario.durations import DurationError, parse_duration
from emu.scenario.format import LATENCY_KEYS
from emu.scenario.model import Action, SimContext
from emu.scenario.nodes import Map, Node, Scalar, Seq
from emu.scenario.shape import Bool, Choice, Duration, Int, ListOf, MapOf, Record, Str
from emu.scenario.values import literal_text

TYPES: Final = {
    "own_process": SERVICE_WIN32_OWN_PROCESS,
    "share_process": SERVICE_WIN32_SHARE_PROCESS,
    "kernel_driver": SERVICE_KERNEL_DRIVER,
    "file_system_driver": SERVICE_FILE_SYSTEM_DRIVER,
}
STARTS: Final = {
    "boot": SERVICE_BOOT_START,
    "system": SERVICE_SYSTEM_START,
    "auto": SERVICE_AUTO_START,
    "demand": SERVICE_DEMAND_START,
    "disabled": SERVICE_DISABLED,
}
STATES: Final = {"STOPPED": SERVICE_STOPPED, "RUNNING": SERVICE_RUNNING, "PAUSED": SERVICE_PAUSED}
ACCEPTS: Final = {"STOP": SERVICE_ACCEPT_STOP, "PAUSE_CONTINUE": SERVICE_ACCEPT_PAUSE_CONTINUE}
PENDING: Final = ("start_pending", "stop_pending", "pause_pending", "continue_pending")

LATENCY_KEYS["rpc"] = "each SCM call: the RPC to services.exe (default [50us, 500us])"
LATENCY_KEYS["notify"] = (
    "from the SCM firing a notification request to its APC being queued (default [0us, 0us])"
)

SERVICE_NAME_PATTERN: Final = r"[^/\\]+"
"""What a service name may hold: any character but / and \\ (the rule ``_declare`` applies,
with the length of at most 256, once ``$$`` is read as ``$``), so names such as
``WireGuardTunnel$wg0`` (written ``WireGuardTunnel$$wg0``) or ``My Service`` are declared."""

_SERVICE: Final = Record(
    {
        "type": Choice(tuple(TYPES), "the service type"),
        "start": Choice(tuple(STARTS), "the start type"),
        "state": Choice(tuple(STATES), "the state at time 0"),
        "accepts": ListOf(Choice(tuple(ACCEPTS), "a control the service accepts")),
        **{key: Duration() for key in PENDING},
        "unresponsive": Bool(),
        "depends_on": ListOf(Str("a service name")),
        "display_name": Str("the display name"),
    },
    description="a service (defaults: own_process, demand start, STOPPED, accepts STOP)",
)
_SCM: Final = Record(
    {
        "timeout": Duration(),
        "backlog": Int(1, 100_000, "unreported creations/deletions before a client lags"),
        "deleted_prefix": Str("the marker before deleted names in pszServiceNames ('' or '\\')"),
        "services": MapOf(
            _SERVICE,
            description="services, by name",
            key="service name",
            pattern=SERVICE_NAME_PATTERN,
            rule="any characters but / and \\",
        ),
    },
    description="the Service Control Manager",
)


def _text(node: Node | None, default: str = "") -> str:
    return str(node.value) if isinstance(node, Scalar) else default


def service_name(node: Node, text: str) -> str:
    """A service name as written in the scenario: ``$$`` is a literal ``$``, as in every text
    of a scenario (``WireGuardTunnel$$wg0`` names ``WireGuardTunnel$wg0``); any other ``$``
    is an error suggesting ``$$``."""
    return literal_text(node, text)


def _ticks(node: Node | None, default: int) -> int:
    if not isinstance(node, Scalar):
        return default
    try:
        return parse_duration(node.value)
    except DurationError as exc:
        node.fail(str(exc))


def _service_config(node: Node) -> ServiceConfig:
    spec = node if isinstance(node, Map) else Map(node.file, node.line, node.column, node.path)
    accepts_node = spec.get("accepts")
    accepts = SERVICE_ACCEPT_STOP
    if isinstance(accepts_node, Seq):
        accepts = 0
        for item in accepts_node:
            accepts |= ACCEPTS[_text(item)]
    depends = spec.get("depends_on")
    return ServiceConfig(
        service_type=TYPES[_text(spec.get("type"), "own_process")],
        start_type=STARTS[_text(spec.get("start"), "demand")],
        state=STATES[_text(spec.get("state"), "STOPPED")],
        accepts=accepts,
        start_pending=_ticks(spec.get("start_pending"), 0),
        stop_pending=_ticks(spec.get("stop_pending"), 0),
        pause_pending=_ticks(spec.get("pause_pending"), 0),
        continue_pending=_ticks(spec.get("continue_pending"), 0),
        unresponsive=bool(getattr(spec.get("unresponsive"), "value", False)),
        depends_on=tuple(service_name(d, _text(d)) for d in depends)
        if isinstance(depends, Seq)
        else (),
        display_name=_text(spec.get("display_name")),
    )


def _declare(node: Map) -> tuple[dict[str, str], Callable[[SimContext], None]]:
    services: dict[str, ServiceConfig] = {}
    seen: dict[str, Node] = {}
    services_node = node.get("services")
    if isinstance(services_node, Map):
        for written, child in services_node.items():
            key_node = services_node.key_node(written)
            name = service_name(key_node, written)
            if "/" in name or "\\" in name or len(name) > 256:
                key_node.fail(f"{name!r} is not a service name (no / or \\, at most 256)")
            if name.lower() in seen:
                key_node.fail(f"service {name!r} is declared twice (names ignore case)")
            seen[name.lower()] = key_node
            services[name] = _service_config(child)
    for name, config in services.items():
        for dependency in config.depends_on:
            if dependency.lower() not in seen:
                seen[name.lower()].fail(f"{name} depends on {dependency!r}, not a declared service")
    timeout = _ticks(node.get("timeout"), DEFAULT_TIMEOUT)
    backlog_node = node.get("backlog")
    backlog = int(backlog_node.value) if isinstance(backlog_node, Scalar) else 32
    prefix = _text(node.get("deleted_prefix"))

    def setup(ctx: SimContext) -> None:
        config = ScmConfig(dict(services), timeout, backlog, prefix)
        k = ctx.k
        from emu.devices.scm import ServiceControlManager  # noqa: PLC0415

        k.device("scm", lambda: ServiceControlManager(k, config))

    return {}, setup


def _service_action(
    verb: str, act: Callable[[SimContext, Service], str | None]
) -> Callable[[Node, ActionContext], Action]:
    def compile_action(node: Node, cx: ActionContext) -> Action:
        if not isinstance(node, Scalar) or not isinstance(node.value, str) or not node.value:
            node.fail(f"scm.{verb} names a service")
        name = service_name(node, node.value)

        def run(ctx: SimContext) -> str | None:
            service = scm_of(ctx.k).find(name)
            if service is None:
                return f"no service {name!r} (ERROR_SERVICE_DOES_NOT_EXIST)"
            return act(ctx, service)

        return run

    return compile_action


def _start(ctx: SimContext, service: Service) -> str | None:
    scm = scm_of(ctx.k)
    if scm.is_disabled(service):
        return f"{service.name} is disabled (ERROR_SERVICE_DISABLED)"
    if service.state != SERVICE_STOPPED:
        return f"{service.name} is not stopped (ERROR_SERVICE_ALREADY_RUNNING)"
    if service.marked:
        return f"{service.name} is marked for delete (ERROR_SERVICE_MARKED_FOR_DELETE)"
    scm.start(service)
    return None


def _control(verb: str) -> Callable[[SimContext, Service], str | None]:
    def act(ctx: SimContext, service: Service) -> str | None:
        scm = scm_of(ctx.k)
        state = service.state
        if state == SERVICE_STOPPED:
            return f"{service.name} is stopped (ERROR_SERVICE_NOT_ACTIVE)"
        if state not in (SERVICE_RUNNING, SERVICE_PAUSED):
            return f"{service.name} is pending (ERROR_SERVICE_CANNOT_ACCEPT_CTRL)"
        if verb == "stop":
            scm.stop(service)
        elif verb == "pause" and state == SERVICE_RUNNING:
            scm.pause(service)
        elif verb == "continue" and state == SERVICE_PAUSED:
            scm.resume(service)
        else:
            return f"{service.name} is already {'paused' if verb == 'pause' else 'running'}"
        return None

    return act


def _crash(ctx: SimContext, service: Service) -> str | None:
    if not scm_of(ctx.k).crash(service):
        return f"{service.name} is not running: nothing to crash"
    return None


def _delete(ctx: SimContext, service: Service) -> str | None:
    if service.marked:
        return f"{service.name} is already marked (ERROR_SERVICE_MARKED_FOR_DELETE)"
    scm_of(ctx.k).mark_for_delete(service)
    return None


def _create(node: Node, cx: ActionContext) -> Action:
    if not isinstance(node, Scalar) or not isinstance(node.value, str) or not node.value:
        node.fail("scm.create names the new service")
    name = service_name(node, node.value)

    def run(ctx: SimContext) -> str | None:
        scm = scm_of(ctx.k)
        existing = scm.find(name)
        if existing is not None:
            code = ERROR_SERVICE_MARKED_FOR_DELETE if existing.marked else ERROR_SERVICE_EXISTS
            return f"{name} exists ({win32_error_name(code)})"
        scm.create(name, ServiceConfig())
        return None

    return run


def _set_state(node: Node, cx: ActionContext) -> Action:
    if not isinstance(node, Map):
        node.fail("scm.set_state is {service: NAME, state: STATE}")
    service_node = node.get("service")
    name = service_name(service_node, _text(service_node)) if service_node is not None else ""
    states = {member.name.removeprefix("SERVICE_"): int(member) for member in ServiceState}
    state = states.get(_text(node.get("state")).removeprefix("SERVICE_"))
    if state is None or not name:
        node.fail(f"scm.set_state needs service: and state: (one of {', '.join(states)})")

    def run(ctx: SimContext) -> str | None:
        scm = scm_of(ctx.k)
        service = scm.find(name)
        if service is None:
            return f"no service {name!r}"
        scm.set_state(service, state)
        return None

    return run


_NAME: Final = Str("a service name")
register_device(
    DeviceKind(
        name="scm",
        shape=_SCM,
        declare=_declare,
        actions={
            "start": ActionKind(_NAME, _service_action("start", _start), "start a service"),
            "stop": ActionKind(_NAME, _service_action("stop", _control("stop")), "stop a service"),
            "pause": ActionKind(
                _NAME, _service_action("pause", _control("pause")), "pause a service"
            ),
            "continue": ActionKind(
                _NAME, _service_action("continue", _control("continue")), "continue a service"
            ),
            "crash": ActionKind(
                _NAME, _service_action("crash", _crash), "the service's process dies"
            ),
            "delete": ActionKind(
                _NAME, _service_action("delete", _delete), "DeleteService by another process"
            ),
            "create": ActionKind(
                Str("the new service's name"), _create, "CreateService by another process"
            ),
            "set_state": ActionKind(
                Record(
                    {"service": Str("a service"), "state": Str("a state")},
                    description="a state the service reports",
                ),
                _set_state,
                "the service reports a state itself (SetServiceStatus)",
            ),
        },
        doc="the Service Control Manager: services and what the world does to them",
    )
)
