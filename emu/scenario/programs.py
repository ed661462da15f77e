"""Programs of a scenario: threads, handlers and drivers, as steps or as Python references.

- A **thread** runs on its own virtual thread from time 0, in the order the file lists them:
  ``steps:`` (with ``locals:``, structures of its own) or ``python: module:function``, a
  factory called once per run as ``function(api)`` that returns the thread's generator.
  ``blocks_forever: true`` declares a thread that is meant to wait for ever (a server loop):
  it is not reported as a possible lost wake-up. Its exit code is its ``return:`` value (0 when
  the steps run out).
- A **handler** is a routine the system calls: an APC routine (``pfnAPC: $on_apc``), a
  ReadFileEx completion routine, a thread start routine (``lpStartAddress``). ``params:`` names
  its arguments (bound positionally; missing ones are NULL, extra ones ignored); ``locals:``
  and its ``as:`` bindings are its own, fresh for each invocation, as a C function's locals;
  it sees the scenario's ``shared:`` names. Or ``python:
  module:function``, called as ``function(api, *args)``.
- A **driver** is loaded at time 0 on a system thread: ``entry:`` (DriverEntry; ``$DriverObject``
  and ``$RegistryPath`` are bound, and its ``return:`` is the NTSTATUS, STATUS_SUCCESS by
  default), ``unload:`` (DriverUnload, registered before DriverEntry runs), ``routines:``
  (DPC routines, work-item callbacks: handlers in kernel mode) and ``locals:``, the driver's
  globals, shared by all its routines. Or ``python: module:function``, the ``driver(kapi)``
  factory ``emu.win32.driver`` runs. Drivers call ntoskrnl; threads and handlers call kernel32.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from typing import Any

from emu.codes.ntstatus import STATUS_SUCCESS
from emu.kernel.actor import Park
from emu.scenario.frame import Frame
from emu.scenario.keywords import Block
from emu.scenario.model import Position, ProgramSpec, SimContext
from emu.scenario.nodes import Map, Node, Scalar, Seq
from emu.scenario.steps import StepCompiler, run_program
from emu.scenario.structs import Declaration, bind_named, compile_declaration
from emu.scenario.values import Binding, Scope, constant_node
from emu.win32 import driver as _driver  # noqa: F401 - registers the ntoskrnl exports
from emu.win32.base import API_SPECS, ApiSpec


def surfaces() -> tuple[dict[str, ApiSpec], dict[str, ApiSpec]]:
    """The functions a user-mode program and a driver can call (netio's are both: netio.sys
    for drivers, iphlpapi.dll for applications)."""
    user = {n: s for n, s in API_SPECS.items() if s.dll != "ntoskrnl"}
    kernel = {n: s for n, s in API_SPECS.items() if s.dll in ("ntoskrnl", "netio")}
    return user, kernel


def _elsewhere(names: dict[str, ApiSpec], why: str) -> dict[str, str]:
    return dict.fromkeys(names, why)


def position(node: Node) -> Position:
    return Position(node.file, node.line, node.column)


def declarations(node: Node | None, scope: Scope, *, shared: bool) -> list[Declaration]:
    """Compile ``locals:`` / ``shared:`` and add their names to ``scope``."""
    if node is None:
        return []
    if not isinstance(node, Map):
        node.fail("expected a mapping of name: structure type")
    found: list[Declaration] = []
    for name, child in node.items():
        if not name.isidentifier():
            node.key_node(name).fail(f"{name!r} is not a variable name (letters, digits and _)")
        if scope.find(name) is not None:
            node.key_node(name).fail(f"{name!r} is declared twice")
        decl = compile_declaration(name, child, constant_node)
        found.append(decl)
        what = "array" if decl.array else ("buffer" if decl.struct is None else "structure")
        target = scope.shared if shared else scope.local
        target[name] = Binding(what, shared, decl)
    return found


@dataclass(frozen=True, slots=True)
class HandlerSpec:
    """A compiled handler; ``instantiate`` makes the callable for one simulation."""

    name: str
    params: tuple[str, ...]
    block: Block | None
    python: Callable[..., Any] | None
    local_decls: tuple[Declaration, ...] = ()
    module: str | None = None  # the DLL its code is in (None: the main image)

    def instantiate(self, api: Any, shared: dict[str, Any]) -> Callable[..., Any]:
        name, params, block, python = self.name, self.params, self.block, self.python
        local_decls = self.local_decls

        if python is not None:
            target = python

            def routine_py(*args: Any) -> Any:
                return target(api, *args)

            routine_py.__name__ = routine_py.__qualname__ = name
            routine_py.emu_module = self.module  # type: ignore[attr-defined]
            return routine_py

        assert block is not None
        steps = block

        def routine(*args: Any) -> Generator[Park, None, Any]:
            frame = Frame(api, shared, f"handler {name}")
            for index, param in enumerate(params):
                frame.locals[param] = args[index] if index < len(args) else None
            for decl in local_decls:
                value = frame.locals[decl.name] = decl.make()
                bind_named(value, api.k, f"{name}.{decl.name}")
            return run_program(steps, frame, None)

        routine.__name__ = routine.__qualname__ = name
        routine.emu_module = self.module  # type: ignore[attr-defined]
        return routine


def _params(node: Map) -> tuple[str, ...]:
    params_node = node.get("params")
    if params_node is None:
        return ()
    if not isinstance(params_node, Seq):
        params_node.fail("params is a list of parameter names")
    names: list[str] = []
    for item in params_node:
        if not isinstance(item, Scalar) or not str(item.value).isidentifier():
            item.fail("a parameter name: letters, digits and _")
        if str(item.value) in names:
            item.fail(f"parameter {item.value!r} is listed twice")
        names.append(str(item.value))
    return tuple(names)


def _one_source(node: Map, steps_key: str, what: str) -> None:
    if ("python" in node) == (steps_key in node):
        node.fail(f"a {what} has either {steps_key}: or python:, exactly one of them")


def compile_handler(
    name: str,
    node: Node,
    shared: dict[str, Binding],
    surface: dict[str, ApiSpec],
    elsewhere: dict[str, str],
    resolve: Callable[[Node], Callable[..., Any]],
) -> HandlerSpec:
    if not isinstance(node, Map):
        node.fail("a handler is a mapping with steps: (and params:) or python:")
    _one_source(node, "steps", "handler")
    params = _params(node)
    module_node = node.get("module")
    module = str(module_node.value) if isinstance(module_node, Scalar) else None
    python_node = node.get("python")
    if python_node is not None:
        if "locals" in node:
            node.key_node("locals").fail("locals: belongs to steps; a Python program has its own")
        return HandlerSpec(name, params, None, resolve(python_node), module=module)
    scope = Scope(f"handler {name}", shared)
    for param in params:
        if param in shared:
            node.fail(f"parameter {param!r} hides the shared name ${param}")
        scope.local[param] = Binding("variable", False)
    local_decls = declarations(node.get("locals"), scope, shared=False)
    compiler = StepCompiler(scope, surface, elsewhere)
    steps = node.get("steps")
    assert steps is not None
    compiler.bind_names(steps)
    return HandlerSpec(name, params, compiler.block(steps), None, tuple(local_decls), module)


def compile_thread(
    name: str,
    node: Node,
    shared: dict[str, Binding],
    surface: dict[str, ApiSpec],
    elsewhere: dict[str, str],
    resolve: Callable[[Node], Callable[..., Any]],
) -> ProgramSpec:
    if not isinstance(node, Map):
        node.fail("a thread is a mapping with steps: or python:")
    _one_source(node, "steps", "thread")
    forever_node = node.get("blocks_forever")
    forever = bool(forever_node.value) if isinstance(forever_node, Scalar) else False
    impersonating_node = node.get("impersonating")
    impersonating = (
        bool(impersonating_node.value) if isinstance(impersonating_node, Scalar) else False
    )
    owner = f"thread {name}"
    python_node = node.get("python")
    if python_node is not None:
        if "locals" in node:
            node.key_node("locals").fail("locals: belongs to steps; a Python program has its own")
        factory = resolve(python_node)
        source = str(python_node.plain())
        return ProgramSpec(
            name, "thread", source, forever, lambda ctx: factory, position(node), impersonating
        )
    scope = Scope(owner, shared)
    local_decls = declarations(node.get("locals"), scope, shared=False)
    compiler = StepCompiler(scope, surface, elsewhere)
    steps = node.get("steps")
    assert steps is not None
    compiler.bind_names(steps)
    block = compiler.block(steps)

    def make(ctx: SimContext) -> Callable[..., Any]:
        shared_values = ctx.shared

        def program(api: Any) -> Generator[Park, None, Any]:
            frame = Frame(api, shared_values, owner)
            for decl in local_decls:
                value = frame.locals[decl.name] = decl.make()
                bind_named(value, api.k, f"{name}.{decl.name}")
            return run_program(block, frame, 0)

        program.__name__ = program.__qualname__ = name
        return program

    return ProgramSpec(name, "thread", "steps", forever, make, position(node), impersonating)


def compile_driver(
    name: str,
    node: Node,
    surface: dict[str, ApiSpec],
    elsewhere: dict[str, str],
    resolve: Callable[[Node], Callable[..., Any]],
    constants: dict[str, Binding] | None = None,
) -> ProgramSpec:
    """A driver; ``constants`` are the devices' declared names it may read (an adapter's
    ``$eth0``), a driver's globals from the start."""
    if not isinstance(node, Map):
        node.fail("a driver is a mapping with entry: (and unload:, routines:, locals:) or python:")
    _one_source(node, "entry", "driver")
    python_node = node.get("python")
    if python_node is not None:
        for key in ("unload", "routines", "locals"):
            if key in node:
                node.key_node(key).fail(f"{key}: belongs to a driver written as steps")
        factory = resolve(python_node)
        return ProgramSpec(
            name, "driver", str(python_node.plain()), False, lambda ctx: factory, position(node)
        )
    owner = f"driver {name}"
    visible = dict(constants or {})
    globals_scope = Scope(owner, dict(visible))
    global_decls = declarations(node.get("locals"), globals_scope, shared=True)
    routines_node = node.get("routines")
    routine_nodes = list(routines_node.items()) if isinstance(routines_node, Map) else []
    if routines_node is not None and not isinstance(routines_node, Map):
        routines_node.fail("routines is a mapping of name: {params, steps}")
    for routine_name, _ in routine_nodes:
        if globals_scope.find(routine_name) is not None:
            assert isinstance(routines_node, Map)
            routines_node.key_node(routine_name).fail(f"{routine_name!r} is declared twice")
        globals_scope.shared[routine_name] = Binding("handler", True)
    for reserved in ("DriverObject", "RegistryPath"):
        if globals_scope.find(reserved) is not None:
            node.fail(f"{reserved!r} is DriverEntry's argument: choose another name")
        globals_scope.shared[reserved] = Binding("variable", True)
    compiler = StepCompiler(globals_scope, surface, elsewhere)
    entry_node = node.get("entry")
    unload_node = node.get("unload")
    assert entry_node is not None
    compiler.bind_names(entry_node, shared=True)
    if unload_node is not None:
        compiler.bind_names(unload_node, shared=True)
    # Names bound by entry/unload are driver globals, visible to the routines.
    for bound, binding in list(globals_scope.local.items()):
        globals_scope.shared[bound] = replace(binding, shared=True)
    globals_scope.local.clear()
    entry = compiler.block(entry_node)
    unload = compiler.block(unload_node) if unload_node is not None else None
    routines = [
        compile_handler(r, rnode, globals_scope.shared, surface, elsewhere, resolve)
        for r, rnode in routine_nodes
    ]

    def make(ctx: SimContext) -> Callable[..., Any]:
        def driver(kapi: Any) -> Callable[..., Any]:
            state: dict[str, Any] = {n: ctx.shared[n] for n in visible}
            for decl in global_decls:
                value = state[decl.name] = decl.make()
                bind_named(value, kapi.k, f"{name}.{decl.name}")
            for spec in routines:
                state[spec.name] = spec.instantiate(kapi, state)

            def DriverUnload(DriverObject: Any) -> Generator[Park, None, Any]:  # noqa: N802, N803
                frame = Frame(kapi, state, f"{owner} (DriverUnload)")
                frame.locals = state
                assert unload is not None
                return run_program(unload, frame, None)

            def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Park, None, Any]:  # noqa: N802, N803
                state["DriverObject"] = DriverObject
                state["RegistryPath"] = RegistryPath
                if unload is not None:
                    DriverObject.DriverUnload = DriverUnload
                frame = Frame(kapi, state, f"{owner} (DriverEntry)")
                frame.locals = state
                return run_program(entry, frame, STATUS_SUCCESS)

            return DriverEntry

        return driver

    return ProgramSpec(name, "driver", "steps", False, make, position(node))
