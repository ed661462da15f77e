"""Devices in scenarios: the extension point each subsystem fills, and the kernel's own objects.

A device kind contributes three things to the format:

- its ``devices.<kind>:`` configuration (a Shape), compiled into a setup function run when a
  Simulation is built, which creates the device's state and names its objects;
- the names it declares (``$ready`` for a declared event), so steps can reference them;
- the actions the timeline and fault injection may take on it, written ``<kind>.<action>``
  (``kernel.set_event: ready``), each with its own argument shape.

The SCM, NICs, sockets and the BranchCache service register here as they land. The ``kernel``
device declares kernel objects the process holds handles to from the start:

    devices:
      kernel:
        events: {ready: {manual_reset: true, initial: false}}
        ports: {port: {concurrency: 2}}

Each object is displayed in the trace under its variable name (or its ``name:``). The device
acts on them: ``set_event``, ``reset_event`` (an event), ``post`` (a packet to a port:
``{port, key, bytes, status}``), ``close`` (closes the handle the scenario holds: the last one
runs the object down), ``queue_apc`` (``{thread, handler, data}``: a user-mode APC, as another
process's QueueUserAPC would queue it), ``unload_driver`` (runs a driver's DriverUnload) and
``unload_module`` (unloads the DLL a handler declares as its ``module:``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from emu.codes.access import EVENT_ALL_ACCESS, IO_COMPLETION_ALL_ACCESS
from emu.codes.ntstatus import STATUS_SUCCESS
from emu.kernel import apc as kernel_apc
from emu.kernel.event import KEvent, create_event
from emu.kernel.iocp import IoCompletionPort
from emu.kernel.modules import modules_of
from emu.scenario.model import Action, SimContext
from emu.scenario.nodes import Map, Node, Scalar
from emu.scenario.shape import Bool, Int, MapOf, Record, Shape, Str
from emu.scenario.values import article, constant


@dataclass(slots=True)
class ActionContext:
    """What an action's compiler may check at load: the objects devices declared, and the
    thread, handler and driver names it refers to (checked once the whole scenario is known)."""

    names: dict[str, str]
    references: list[tuple[Node, str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ActionKind:
    """One ``<device>.<action>`` of the timeline: its argument shape and compiler."""

    shape: Shape
    compile: Callable[[Node, ActionContext], Action]
    doc: str


@dataclass(frozen=True, slots=True)
class DeviceKind:
    """A kind of device a scenario can configure."""

    name: str
    shape: Shape
    declare: Callable[[Map], tuple[dict[str, str], Callable[[SimContext], None]]]
    actions: dict[str, ActionKind]
    doc: str


DRIVER_VISIBLE: frozenset[str] = frozenset(("adapter", "adapter index"))
"""Kinds of declared names whose values are plain constants a driver's steps may use too (an
adapter's NET_LUID and InterfaceIndex); the others (handles, peers) belong to the process."""

DEVICE_KINDS: dict[str, DeviceKind] = {}
"""Every device kind scenarios may configure, by name; subsystems register theirs."""


def register_device(kind: DeviceKind) -> None:
    if kind.name in DEVICE_KINDS:
        raise ValueError(f"device kind {kind.name!r} is registered twice")
    DEVICE_KINDS[kind.name] = kind


# -- the kernel device --------------------------------------------------------------------------

_EVENT = Record(
    {
        "manual_reset": Bool(),
        "initial": Bool(),
        "name": Str("the event's name (for OpenEvent and CreateEvent)"),
    },
    description="an event (defaults: auto-reset, not signalled, unnamed)",
)
_PORT = Record(
    {"concurrency": Int(0, 1024, "the concurrency value (0: the number of processors)")},
    description="an I/O completion port",
)
_KERNEL = Record(
    {
        "events": MapOf(_EVENT, description="event objects, by variable name"),
        "ports": MapOf(_PORT, description="I/O completion ports, by variable name"),
    },
    description="kernel objects the process holds a handle to from the start",
)


def _declare_kernel(node: Map) -> tuple[dict[str, str], Callable[[SimContext], None]]:
    names: dict[str, str] = {}
    makers: list[Callable[[SimContext], None]] = []
    events = node.get("events")
    windows_names: dict[str, Node] = {}
    if isinstance(events, Map):
        for name, spec in events.items():
            names[name] = "event"
            given = spec.get("name") if isinstance(spec, Map) else None
            if isinstance(given, Scalar) and given.value:
                first = windows_names.get(str(given.value))
                if first is not None:
                    given.fail(
                        f"two events are named {given.value!r} (the first at line {first.line})"
                    )
                windows_names[str(given.value)] = given
            makers.append(_event_maker(name, spec))
    ports = node.get("ports")
    if isinstance(ports, Map):
        for name, spec in ports.items():
            if name in names:
                ports.key_node(name).fail(f"{name!r} is declared twice in devices.kernel")
            names[name] = "port"
            makers.append(_port_maker(name, spec))

    def setup(ctx: SimContext) -> None:
        for make in makers:
            make(ctx)

    return names, setup


def _flag(spec: Node, key: str) -> bool:
    node = spec.get(key) if isinstance(spec, Map) else None
    return bool(node.value) if isinstance(node, Scalar) else False


def _event_maker(name: str, spec: Node) -> Callable[[SimContext], None]:
    manual, initial = _flag(spec, "manual_reset"), _flag(spec, "initial")
    name_node = spec.get("name") if isinstance(spec, Map) else None
    object_name = str(name_node.value) if isinstance(name_node, Scalar) else None

    def make(ctx: SimContext) -> None:
        event = create_event(ctx.k, manual, initial, object_name or name)
        if object_name:
            ctx.k.add_name(object_name, event)
        ctx.objects[name] = event
        ctx.shared[name] = ctx.k.handles.insert(event, EVENT_ALL_ACCESS)

    return make


def _port_maker(name: str, spec: Node) -> Callable[[SimContext], None]:
    node = spec.get("concurrency") if isinstance(spec, Map) else None
    concurrency = int(node.value) if isinstance(node, Scalar) else 0

    def make(ctx: SimContext) -> None:
        port = IoCompletionPort(ctx.k, concurrency or ctx.k.processors, name)
        ctx.objects[name] = port
        ctx.shared[name] = ctx.k.handles.insert(port, IO_COMPLETION_ALL_ACCESS)

    return make


def _object_name(node: Node, names: dict[str, str], what: str) -> str:
    if not isinstance(node, Scalar) or not isinstance(node.value, str):
        node.fail(f"expected the name of a declared {what}")
    name = node.value.removeprefix("$")
    if names.get(name) != what:
        declared = [n for n, w in names.items() if w == what]
        listing = ", ".join(declared) or "none"
        node.fail(
            f"{name!r} is not {article(what)} {what} declared in devices.kernel (declared: "
            f"{listing})"
        )
    return name


def _set_event(node: Node, cx: ActionContext) -> Action:
    name = _object_name(node, cx.names, "event")

    def run(ctx: SimContext) -> str | None:
        event = ctx.objects[name]
        assert isinstance(event, KEvent)
        if not event.alive:
            return f"{name} was closed and destroyed"
        event.set()
        return None

    return run


def _reset_event(node: Node, cx: ActionContext) -> Action:
    name = _object_name(node, cx.names, "event")

    def run(ctx: SimContext) -> str | None:
        event = ctx.objects[name]
        assert isinstance(event, KEvent)
        if not event.alive:
            return f"{name} was closed and destroyed"
        event.reset()
        return None

    return run


def _post(node: Node, cx: ActionContext) -> Action:
    assert isinstance(node, Map)
    port_node = node.get("port")
    if port_node is None:
        node.fail("post needs port: (a port declared in devices.kernel)")
    name = _object_name(port_node, cx.names, "port")
    key = _int_field(node, "key", 0)
    count = _int_field(node, "bytes", 0)
    status = _int_field(node, "status", STATUS_SUCCESS)

    def run(ctx: SimContext) -> str | None:
        port = ctx.objects[name]
        assert isinstance(port, IoCompletionPort)
        if port.closed:
            return f"{name} was closed: the packet is not posted"
        port.post(key, None, status, count)
        return None

    return run


def _int_field(node: Map, key: str, default: int) -> int:
    child = node.get(key)
    if child is None:
        return default
    value = constant(child) if isinstance(child, Scalar) else None
    if type(value) is not int:
        child.fail(f"{key} is an integer or a constant")
    return int(value)


def _close(node: Node, cx: ActionContext) -> Action:
    if not isinstance(node, Scalar) or str(node.value).removeprefix("$") not in cx.names:
        listing = ", ".join(cx.names) or "none"
        node.fail(f"close names an object declared in devices.kernel (declared: {listing})")
    name = str(node.value).removeprefix("$")

    def run(ctx: SimContext) -> str | None:
        handle = ctx.shared[name]
        entry = ctx.k.handles.get(handle)
        if entry is None or entry.obj is not ctx.objects[name]:
            return f"the scenario's handle to {name} was already closed"
        ctx.k.handles.remove(handle)
        return None

    return run


def _queue_apc(node: Node, cx: ActionContext) -> Action:
    assert isinstance(node, Map)
    thread_node, handler_node = node.get("thread"), node.get("handler")
    if thread_node is None or handler_node is None:
        node.fail("queue_apc needs thread: and handler:")
    thread = str(thread_node.value) if isinstance(thread_node, Scalar) else ""
    handler = str(handler_node.value).removeprefix("$") if isinstance(handler_node, Scalar) else ""
    data_node = node.get("data")
    data = constant(data_node) if isinstance(data_node, Scalar) else 0
    cx.references.append((thread_node, thread, "thread"))
    cx.references.append((handler_node, handler, "handler"))

    def run(ctx: SimContext) -> str | None:
        target = ctx.threads[thread]
        routine = ctx.shared[handler]
        status = kernel_apc.queue_user_apc(ctx.k, target, routine, (data,), data)
        return None if status == STATUS_SUCCESS else f"{thread} has exited: no APC is queued"

    return run


def _unload_module(node: Node, cx: ActionContext) -> Action:
    if not isinstance(node, Scalar) or not isinstance(node.value, str) or not node.value:
        node.fail("unload_module names a module (a handler's module:)")
    module = node.value

    def run(ctx: SimContext) -> str | None:
        if not modules_of(ctx.k).unload(module):
            return f"{module} was already unloaded"
        return None

    return run


def _unload_driver(node: Node, cx: ActionContext) -> Action:
    if not isinstance(node, Scalar) or not isinstance(node.value, str):
        node.fail("unload_driver names a driver of the scenario")
    driver = node.value
    cx.references.append((node, driver, "driver"))

    def run(ctx: SimContext) -> str | None:
        if ctx.system.unload(driver) is None:
            return f"{driver} is not loaded (its DriverEntry failed or it was unloaded)"
        return None

    return run


_NAME_ARG = Str("the name of a declared object")

register_device(
    DeviceKind(
        name="kernel",
        shape=_KERNEL,
        declare=_declare_kernel,
        actions={
            "set_event": ActionKind(_NAME_ARG, _set_event, "SetEvent on a declared event"),
            "reset_event": ActionKind(_NAME_ARG, _reset_event, "ResetEvent on a declared event"),
            "post": ActionKind(
                Record(
                    {
                        "port": Str("a declared port"),
                        "key": Int(0, (1 << 64) - 1),
                        "bytes": Int(0, 0xFFFFFFFF),
                        "status": Str("an NTSTATUS by name"),
                    },
                    required=("port",),
                    description="a completion packet",
                ),
                _post,
                "PostQueuedCompletionStatus to a declared port",
            ),
            "close": ActionKind(_NAME_ARG, _close, "close the scenario's handle to an object"),
            "queue_apc": ActionKind(
                Record(
                    {
                        "thread": Str("a thread of the scenario"),
                        "handler": Str("a handler of the scenario"),
                        "data": Int(0, (1 << 64) - 1),
                    },
                    required=("thread", "handler"),
                    description="a user-mode APC",
                ),
                _queue_apc,
                "queue a user-mode APC running a handler to a thread",
            ),
            "unload_driver": ActionKind(
                Str("a driver of the scenario"), _unload_driver, "run a driver's DriverUnload"
            ),
            "unload_module": ActionKind(
                Str("a module (a handler's module:)"),
                _unload_module,
                "unload a program module (DLL) holding handlers",
            ),
        },
        doc="kernel objects declared up front, and world actions on them",
    )
)


def describe_actions() -> dict[str, str]:
    """``kind.action`` -> what it does, for messages and docs."""
    return {
        f"{kind.name}.{action}": spec.doc
        for kind in DEVICE_KINDS.values()
        for action, spec in kind.actions.items()
    }
