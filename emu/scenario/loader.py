"""From a file to a compiled ``Scenario``: load safely, check the shape, check the meaning.

``load_scenario(path)`` reads the file, parses it into positioned nodes
(``emu.scenario.yamlsafe``), checks its layout against the format (``emu.scenario.format``),
then compiles each section in dependency order: devices and ``shared:`` first (the names every
program may reference), handlers, threads and drivers (their steps, into callables), the
timeline and faults (device actions), the expectation and the run's ``limits:``. The first
problem found stops the load with a one-line ``ScenarioError``: ``file:line:column: message
[in breadcrumb]``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from emu.errors import ScenarioError, ScenarioErrors, gather
from emu.scenario import (
    branchcache_device,  # noqa: F401 - registers the branchcache device
    nic_device,  # noqa: F401 - registers the nic device
    scm_device,  # noqa: F401 - registers the scm device
    sockets_device,  # noqa: F401 - registers the sockets device
)
from emu.scenario import format as fmt
from emu.scenario.devices import DEVICE_KINDS, DRIVER_VISIBLE, ActionContext
from emu.scenario.durations import DurationError, parse_duration
from emu.scenario.model import (
    Limits,
    Machine,
    ProgramSpec,
    Scenario,
    Setup,
    SimContext,
    TimedAction,
)
from emu.scenario.nodes import Map, Node, Scalar, Seq
from emu.scenario.outcome import compile_expectation, compile_explore, compile_schedule
from emu.scenario.programs import (
    HandlerSpec,
    compile_driver,
    compile_handler,
    compile_thread,
    declarations,
    position,
    surfaces,
)
from emu.scenario.pyrefs import PythonRefs
from emu.scenario.shape import did_you_mean
from emu.scenario.structs import Declaration, bind_named
from emu.scenario.values import Binding, Scope
from emu.scenario.yamlsafe import load_nodes

T = TypeVar("T")

KERNEL_ONLY = "is a kernel-mode routine: call it from a driver's entry:, unload: or routines:"
USER_ONLY = "is a user-mode function: call it from a thread or a handler"


def load_scenario(path: str | Path, *, allow_python: bool = False) -> Scenario:
    """Load, validate and compile the scenario file at ``path``."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ScenarioError(f"cannot read the file: {exc.strerror}", file=file) from None
    return load_bytes(data, file, allow_python=allow_python)


def trace_label(file: str) -> str:
    """How positions in a run name the scenario file: its name, without any folder."""
    return Path(file).name or file


def load_text(text: str, file: str = "<scenario>", *, allow_python: bool = False) -> Scenario:
    # surrogatepass: a lone surrogate reaches the decoder, which reports it as one line
    return load_bytes(text.encode("utf-8", "surrogatepass"), file, allow_python=allow_python)


def load_bytes(data: bytes, file: str, *, allow_python: bool = False) -> Scenario:
    """Compile a scenario read from ``file``; its nodes are positioned by ``trace_label``."""
    label = trace_label(file)
    try:
        root = load_nodes(data, label)
        return _Compiler(file, allow_python).compile(root)
    except ScenarioError as exc:
        if exc.file == label and label != file:
            raise exc.located(file) from None
        raise


class _Compiler:
    def __init__(self, file: str, allow_python: bool) -> None:
        self.file = file
        self.refs = PythonRefs(file, allow_python)
        self.shared: dict[str, Binding] = {}
        self.user, self.kernel = surfaces()
        self.errors: list[ScenarioError] = []

    def compile(self, root: Node) -> Scenario:
        if not isinstance(root, Map):
            root.fail("a scenario is a mapping with at least `version`, `name` and `threads`")
        version = root.get("version")
        if (
            isinstance(version, Scalar)
            and type(version.value) is int
            and version.value != fmt.VERSION
        ):
            version.fail(
                f"unsupported scenario version {version.value}: this emu reads version "
                f"{fmt.VERSION}"
            )
        top = fmt.top_shape()
        try:
            top.check(root)  # every shape error at once (emu.scenario.shape)
        except ScenarioErrors as exc:
            unknown = [key for key in root.keys if key not in top.fields]
            if len(unknown) >= 2 and 2 * len(unknown) >= len(root.keys):
                # mostly foreign keys: not a scenario at all (a replay, another tool's file);
                # its first unknown section says so better than a line per key
                raise next(e for e in exc.errors if "unknown section" in e.message) from None
            raise
        # Then the meaning, section by section: each section's (and each thread's, handler's
        # and timeline entry's) first error is kept and the next one compiled, so a file with
        # several mistakes is reported whole. A phase with errors ends the load before the
        # sections that depend on it (a thread naming a handler that did not compile).
        errors = self.errors
        machine = self._try(self._machine, root.get("machine"), default=Machine())
        setup: list[Setup] = []
        no_names: dict[str, str] = {}
        action_names = self._try(self._devices, root.get("devices"), setup, default=no_names)
        no_declarations: list[Declaration] = []
        shared_decls = self._try(
            declarations,
            root.get("shared"),
            Scope("the scenario", self.shared),
            shared=True,
            default=no_declarations,
        )
        handlers = self._handlers(root.get("handlers"))
        gather(errors)
        threads = self._programs(root.get("threads"), "thread")
        drivers = self._programs(root.get("drivers"), "driver")
        if not threads and not drivers and not errors:
            errors.append(
                root.error("a scenario needs at least one thread (threads:) or driver (drivers:)")
            )
        if "seed" in root and "schedule" in root:
            errors.append(
                root.key_node("schedule").error(
                    "a scenario replays a schedule: or draws a random one with seed:, not both"
                )
            )
        context = ActionContext(action_names)
        timeline = self._timed(root.get("timeline"), context, fault=False)
        faults = self._timed(root.get("faults"), context, fault=True)
        quiescent: int | str = "quiescent"
        run_until = self._try(self._run_until, root.get("run_until"), default=quiescent)
        expect = self._try(
            compile_expectation, root.get("expect"), [t.name for t in threads], default=None
        )
        schedule = self._try(compile_schedule, root.get("schedule"), default=None)
        explore = self._try(compile_explore, root.get("explore"), default=None)
        limits = self._try(
            self._limits, root.get("limits"), root.get("run_until"), default=Limits()
        )
        gather(errors)
        self._check_references(context, threads, drivers, handlers)
        setup.append(_shared_setup(shared_decls))
        setup.append(_handler_setup(handlers))
        name_node = root.get("name")
        description = root.get("description")
        assert expect is not None
        return Scenario(
            version=fmt.VERSION,
            name=str(name_node.value) if isinstance(name_node, Scalar) else "",
            description=str(description.value) if isinstance(description, Scalar) else "",
            file=self.file,
            machine=machine,
            setup=tuple(setup),
            threads=tuple(threads),
            drivers=tuple(drivers),
            timeline=timeline,
            faults=faults,
            run_until=run_until,
            expect=expect,
            seed=_int_or_none(root.get("seed")),
            schedule=schedule,
            python=tuple(self.refs.used),
            explore=explore,
            limits=limits,
        )

    def _try(self, compile_one: Callable[..., T], *args: Any, default: T, **kwargs: Any) -> T:
        """``compile_one(*args, **kwargs)``, or ``default`` with its error kept in
        ``self.errors`` (a load goes on to find the file's other mistakes)."""
        try:
            return compile_one(*args, **kwargs)
        except ScenarioError as exc:
            self.errors.append(exc)
            return default

    # -- sections -------------------------------------------------------------------------------

    def _machine(self, node: Node | None) -> Machine:
        if not isinstance(node, Map):
            return Machine()
        processors = node.get("processors")
        profile = node.get("profile")
        latency: dict[str, tuple[int, int]] = {}
        ranges = node.get("latency")
        if isinstance(ranges, Map):
            for key, child in ranges.items():
                if key not in fmt.LATENCY_KEYS:
                    known = ", ".join(fmt.LATENCY_KEYS) or "none yet: no modelled device waits"
                    hint = did_you_mean(key, tuple(fmt.LATENCY_KEYS))
                    ranges.key_node(key).fail(f"unknown latency {key!r}{hint} (latencies: {known})")
                assert isinstance(child, Seq)
                low, high = (parse_duration(item.plain()) for item in child)
                if low > high:
                    child.fail("a latency range is [low, high] with low <= high")
                latency[key] = (low, high)
        return Machine(
            processors=int(processors.value) if isinstance(processors, Scalar) else 1,
            profile=str(profile.value) if isinstance(profile, Scalar) else "default",
            latency=latency,
        )

    def _devices(self, node: Node | None, setup: list[Setup]) -> dict[str, str]:
        names: dict[str, str] = {}
        if not isinstance(node, Map):
            return names
        for kind_name, config in node.items():
            kind = DEVICE_KINDS[kind_name]
            assert isinstance(config, Map)
            declared, make = kind.declare(config)
            for name, what in declared.items():
                if name in names:
                    config.fail(f"{name!r} is declared by two devices")
                names[name] = what
                self.shared[name] = Binding(what, True)
            setup.append(make)
        return names

    def _handlers(self, node: Node | None) -> list[HandlerSpec]:
        if not isinstance(node, Map):
            return []
        for name in node.keys:
            self._try(self._claim, node, name, "handler", default=None)
        compiled = [
            self._try(
                compile_handler,
                name,
                child,
                self.shared,
                self.user,
                _why(self.kernel, KERNEL_ONLY),
                self.refs.resolve,
                default=None,
            )
            for name, child in node.items()
        ]
        return [handler for handler in compiled if handler is not None]

    def _claim(self, node: Map, name: str, what: str) -> None:
        if name in self.shared:
            what = self.shared[name].what
            article = "an" if what[:1] in "aeiou" else "a"
            node.key_node(name).fail(f"{name!r} is already declared (as {article} {what})")
        if not name.isidentifier():
            node.key_node(name).fail(f"{name!r} is not a usable name (letters, digits and _)")
        self.shared[name] = Binding(what, True)

    def _programs(self, node: Node | None, kind: str) -> list[ProgramSpec]:
        if not isinstance(node, Map):
            return []
        specs: list[ProgramSpec | None] = []
        for name, child in node.items():
            if kind == "thread":
                specs.append(
                    self._try(
                        compile_thread,
                        name,
                        child,
                        self.shared,
                        self.user,
                        _why(self.kernel, KERNEL_ONLY),
                        self.refs.resolve,
                        default=None,
                    )
                )
            else:
                specs.append(
                    self._try(
                        compile_driver,
                        name,
                        child,
                        self.kernel,
                        _why(self.user, USER_ONLY),
                        self.refs.resolve,
                        {n: b for n, b in self.shared.items() if b.what in DRIVER_VISIBLE},
                        default=None,
                    )
                )
        return [spec for spec in specs if spec is not None]

    def _timed(
        self, node: Node | None, context: ActionContext, *, fault: bool
    ) -> tuple[TimedAction, ...]:
        if node is None:
            return ()
        what = "faults" if fault else "timeline"
        if not isinstance(node, Seq):
            node.fail(f"{what} is a list of entries such as {{at: 10ms, kernel.set_event: ready}}")
        entries: list[TimedAction] = []
        previous: tuple[int, Node] | None = None
        for item in node:
            entry = self._try(self._entry, item, context, fault, default=None)
            if entry is None:
                continue
            if not fault:
                if previous is not None and entry.at < previous[0]:
                    at_node = item.get("at") if isinstance(item, Map) else item
                    assert at_node is not None
                    self.errors.append(
                        at_node.error(
                            f"times out of order: {at_node.plain()} comes after "
                            f"{previous[1].plain()} (line {previous[1].line}); the timeline is "
                            "in time order"
                        )
                    )
                at_node = item.get("at") if isinstance(item, Map) else None
                assert at_node is not None
                previous = (entry.at, at_node)
            entries.append(entry)
        return tuple(entries)

    def _entry(self, item: Node, context: ActionContext, fault: bool) -> TimedAction:
        if not isinstance(item, Map):
            item.fail("expected an entry such as {at: 10ms, kernel.set_event: ready}")
        timing = ("at", "between", "probability") if fault else ("at",)
        actions = _actions()
        chosen = [key for key in item.keys if key not in timing]
        for key in chosen:
            if key not in actions:
                hint = did_you_mean(key, (*actions, *timing))
                listing = ", ".join(actions)
                item.key_node(key).fail(f"unknown action {key!r}{hint}; actions: {listing}")
        if len(chosen) != 1:
            item.fail(f"an entry has exactly one action ({len(chosen)} given)")
        at, until = self._when(item, fault)
        probability = 1.0
        prob_node = item.get("probability")
        if prob_node is not None:
            value = prob_node.value if isinstance(prob_node, Scalar) else None
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not 0 <= value <= 1
            ):
                prob_node.fail("probability is a number from 0 to 1")
            probability = float(value)
        label = chosen[0]
        kind_name, action_name = label.split(".", 1)
        spec = DEVICE_KINDS[kind_name].actions[action_name]
        argument = item.get(label)
        assert argument is not None
        spec.shape.check(argument)
        run = spec.compile(argument, context)
        text = f"{label}: {_short(argument)}"
        return TimedAction(at, until, probability, text, run, position(item), fault)

    def _when(self, item: Map, fault: bool) -> tuple[int, int | None]:
        at_node, between = item.get("at"), item.get("between")
        if fault and (at_node is None) == (between is None):
            item.fail("a fault has either at: or between: [from, to], exactly one of them")
        if at_node is not None:
            return _duration(at_node), None
        if between is None:
            item.fail("a timeline entry needs at: (a duration such as 10ms)")
        if not isinstance(between, Seq) or len(between) != 2:
            between.fail("between is [from, to], two durations")
        low, high = (_duration(x) for x in between)
        if low > high:
            between.fail("between goes from the earlier time to the later one")
        return low, high

    def _check_references(
        self,
        context: ActionContext,
        threads: list[ProgramSpec],
        drivers: list[ProgramSpec],
        handlers: list[HandlerSpec],
    ) -> None:
        known = {
            "thread": [t.name for t in threads],
            "driver": [d.name for d in drivers],
            "handler": [h.name for h in handlers],
        }
        for node, name, what in context.references:
            if name not in known[what]:
                listing = ", ".join(known[what]) or "none"
                hint = did_you_mean(name, known[what])
                node.fail(f"no {what} named {name!r}{hint} ({what}s: {listing})")

    def _limits(self, node: Node | None, run_until: Node | None) -> Limits:
        if not isinstance(node, Map):
            return Limits()
        time = node.get("time")
        ticks = _duration(time) if time is not None else None
        if time is not None and ticks == 0:
            time.fail("the time budget is a duration above 0 (a run needs some time)")
        if time is not None and ticks is not None and run_until is not None:
            until = self._run_until(run_until)
            if isinstance(until, int) and until > ticks:
                time.fail(
                    f"the time budget {time.plain()} is shorter than run_until "
                    f"{run_until.plain()}: run_until bounds the run's time itself; drop "
                    "limits.time or raise it"
                )
        return Limits(
            time=ticks,
            events=_int_or_none(node.get("events")),
            steps_per_instant=_int_or_none(node.get("steps_per_instant")),
            apc_depth=_int_or_none(node.get("apc_depth")),
        )

    def _run_until(self, node: Node | None) -> int | str:
        if node is None:
            return fmt.RUN_UNTIL_WORDS[1]
        value = node.plain()
        if value in fmt.RUN_UNTIL_WORDS:
            return str(value)
        return _duration(node)


def _why(names: dict[str, Any], why: str) -> dict[str, str]:
    return dict.fromkeys(names, why)


def _actions() -> tuple[str, ...]:
    return tuple(
        f"{kind.name}.{action}" for kind in DEVICE_KINDS.values() for action in kind.actions
    )


def _duration(node: Node) -> int:
    try:
        return parse_duration(node.plain())
    except DurationError as exc:
        node.fail(str(exc))


def _int_or_none(node: Node | None) -> int | None:
    return int(node.value) if isinstance(node, Scalar) and type(node.value) is int else None


def _short(node: Node) -> str:
    plain = node.plain()
    if isinstance(plain, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in plain.items()) + "}"
    return str(plain)


def _shared_setup(decls: list[Any]) -> Setup:
    def setup(ctx: SimContext) -> None:
        k = ctx.k
        for decl in decls:
            value = decl.make()
            bind_named(value, k, decl.name)  # shared memory is traced from the first access
            ctx.shared[decl.name] = value

    return setup


def _handler_setup(handlers: list[HandlerSpec]) -> Setup:
    def setup(ctx: SimContext) -> None:
        for handler in handlers:
            ctx.shared[handler.name] = handler.instantiate(ctx.api, ctx.shared)

    return setup


Factory = Callable[[SimContext], Callable[..., Any]]
