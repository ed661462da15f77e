"""The keyword steps of the step language: work, repeat, until, if, set, increment,
decrement, assert, return, note and free (the call step and the dispatch live in
``emu.scenario.steps``). Each compiles, once, into a function of the running frame.

``return:`` takes an integer, as a C thread, routine or DriverEntry returns one (an exit code,
a status, a callback's result): a number, a constant, TRUE/FALSE, NULL, flags, or a
``$reference``; text, a fraction, a structure (``{new: ...}`` or a declared one) or a handler is
refused at load. A loop's body is compiled after the names it binds are marked as assigned (a
later round sees what an earlier one bound), and ``repeat``'s ``as:`` is bound before its body.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Final

from emu.errors import ProgramError
from emu.kernel.actor import Park
from emu.kernel.cpu import work as cpu_work
from emu.kernel.memory import Struct
from emu.kernel.trace import trace_kind, value_text
from emu.scenario import expect
from emu.scenario.checked import record_frame_check
from emu.scenario.conditions import compile_condition
from emu.scenario.durations import DurationError, parse_duration
from emu.scenario.frame import Frame, Return
from emu.scenario.nodes import Map, Node, Scalar, Seq
from emu.scenario.values import Scope, compile_reference, compile_value, constant
from emu.win32.base import VOID, ApiSpec

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel

Step = Callable[[Frame], Generator[Park, None, None]]
Block = tuple[Step, ...]

SCENARIO_NOTE = trace_kind(
    "scenario.note",
    ("text",),
    text="note: {text}",
    doc="A `note:` step of a YAML program: a line the scenario's author wanted in the timeline.",
)

DEFAULT_UNTIL_MAX: Final = 1000
MAX_ROUNDS: Final = 1_000_000
"""The largest ``repeat:`` count and ``until`` ``max:``: a scripted loop is bounded."""


class KeywordSteps(ABC):
    """The keyword compilers; ``StepCompiler`` adds the call step and the dispatch."""

    scope: Scope
    _calls: list[list[ApiSpec]]

    @abstractmethod
    def block(self, node: Node) -> Block:
        """Compile a list of steps (``StepCompiler`` provides it)."""

    @abstractmethod
    def assigned_in(self, node: Node) -> None:
        """Mark the names a loop body binds as assigned (``StepCompiler`` provides it)."""

    def setter(self, name: str) -> Callable[[Frame, object], None]:
        """How a step stores into ``name``: a driver's global (shared by its routines) or the
        program's own variable. From here on in the text, ``name`` may be bound."""
        binding = self.scope.find(name)
        if binding is not None:
            binding.assigned = True
        if binding is not None and binding.shared:

            def store_shared(frame: Frame, value: object) -> None:
                frame.shared[name] = value

            return store_shared

        def store_local(frame: Frame, value: object) -> None:
            frame.locals[name] = value

        return store_local

    def _work(self, value: Node, step: Map) -> Step:
        label = f"work@line{step.line}"
        if isinstance(value, Seq):
            if len(value) != 2:
                value.fail("a work range is [low, high], two durations")
            low, high = (_duration(item) for item in value)
            if low > high:
                value.fail("a work range goes from low to high")
        else:
            low = high = _duration(value)

        def work(frame: Frame) -> Generator[Park, None, None]:
            k = frame.api.k
            ticks = low if low == high else k.choose_latency(label, low, high)
            actor = k.current
            assert actor is not None
            yield from cpu_work(k, actor, ticks)

        return work

    def _repeat(self, value: Node, step: Map) -> Step:
        if (
            not isinstance(value, Scalar)
            or type(value.value) is not int
            or not 0 <= value.value <= MAX_ROUNDS
        ):
            value.fail(f"repeat takes a count: an integer from 0 to {MAX_ROUNDS:,}")
        count = int(value.value)
        target = bind_target(step)
        store = self.setter(target) if target is not None else None  # bound before the body
        body_node = _required(step, "steps", "repeat")
        self.assigned_in(body_node)
        body = self.block(body_node)
        at = f"{step.file}:{step.line}:{step.column}"

        def repeat(frame: Frame) -> Generator[Park, None, None]:
            where = at  # noqa: F841 - read from this frame by emu.sim.locate if a limit stops it
            note_step = frame.api.k.note_step
            for index in range(count):
                note_step()  # a loop that never lets time advance still meets the step limit
                if store is not None:
                    store(frame, index)
                for inner in body:
                    yield from inner(frame)

        return repeat

    def _until(self, value: Node, step: Map) -> Step:
        limit = DEFAULT_UNTIL_MAX
        max_node = step.get("max")
        if max_node is not None:
            if (
                not isinstance(max_node, Scalar)
                or type(max_node.value) is not int
                or not 1 <= max_node.value <= MAX_ROUNDS
            ):
                max_node.fail(f"max takes a count: an integer from 1 to {MAX_ROUNDS:,}")
            limit = int(max_node.value)
        steps_node = _required(step, "steps", "until")
        self.assigned_in(steps_node)
        self._calls.append([])
        try:
            body = self.block(steps_node)
        finally:
            specs = self._calls.pop()
        if self._calls:
            self._calls[-1].extend(specs)
        done = self._until_test(value, specs, steps_node)
        where = f"{step.file}:{step.line}:{step.column}"

        def until(frame: Frame) -> Generator[Park, None, None]:
            record_frame_check(frame, frame.api.k, "scenario.loop_bound")
            note_step = frame.api.k.note_step
            for _ in range(limit):
                note_step()
                frame.last = None  # the code tested is that of a call of this round
                for inner in body:
                    yield from inner(frame)
                if done(frame):
                    return
            record_violation(
                frame.api.k,
                "scenario.loop_bound",
                f"{frame.owner}: the until loop at {where} ran {limit} times without its "
                "condition holding",
            )

        return until

    def _until_test(self, value: Node, specs: list[ApiSpec], body: Node) -> Callable[[Frame], bool]:
        if isinstance(value, Map):
            condition = compile_condition(value, self.scope)
            return condition.holds
        specs = [s for s in specs if s.returns != VOID]
        if not specs:
            body.fail("until CODE needs a call that returns a code among its steps")
        matchers = {s.name: expect.compile_expectation(value, s)[0] for s in specs}

        def test(frame: Frame) -> bool:
            last = frame.last
            if last is None:
                return False
            matcher = matchers.get(last.spec.name)
            return matcher is not None and matcher(last.result, last.error)

        return test

    def _if(self, value: Node, step: Map) -> Step:
        condition = compile_condition(value, self.scope)
        then = self.block(_required(step, "then", "if"))
        else_node = step.get("else")
        otherwise = self.block(else_node) if else_node is not None else ()
        holds = condition.holds

        def branch(frame: Frame) -> Generator[Park, None, None]:
            chosen = then if holds(frame) else otherwise
            for inner in chosen:
                yield from inner(frame)

        return branch

    def _set(self, value: Node, step: Map) -> Step:
        if not isinstance(value, Map) or not value.keys:
            value.fail("set takes a mapping of name: value (or name.Field: value)")
        actions: list[Callable[[Frame], None]] = []
        for key, child in value.items():
            actions.append(self._assignment(value.key_node(key), key, child))

        def assign(frame: Frame) -> Generator[Park, None, None]:
            for action in actions:
                action(frame)
            return
            yield  # type: ignore[unreachable]  # a step is a generator

        return assign

    def _assignment(self, key: Scalar, text: str, child: Node) -> Callable[[Frame], None]:
        source = compile_value(child, self.scope)
        path = text.removeprefix("$")
        if "." not in path and "[" not in path:
            store = self.setter(path)

            def set_variable(frame: Frame) -> None:
                store(frame, source(frame))

            return set_variable
        head, _, field = path.rpartition(".")
        if not field or not head:
            key.fail(f"{text!r}: write name.Field to set a structure's field")
        compile_reference(key, "$" + path, self.scope)  # checks the field at load
        target = compile_reference(key, "$" + head, self.scope)
        where = f"{key.file}:{key.line}:{key.column}"

        def set_field(frame: Frame) -> None:
            struct = target(frame)
            if not isinstance(struct, Struct):
                raise ProgramError(
                    f"{where}: set {text}: ${head} is {value_text(struct)}, not a structure",
                    thread=frame.owner,
                )
            try:
                setattr(struct, field, source(frame))
            except AttributeError as exc:
                raise ProgramError(f"{where}: set {text}: {exc}", thread=frame.owner) from None

        return set_field

    def _increment(self, value: Node, step: Map) -> Step:
        return self._add(value, 1, "increment")

    def _decrement(self, value: Node, step: Map) -> Step:
        return self._add(value, -1, "decrement")

    def _add(self, value: Node, delta: int, verb: str) -> Step:
        if not isinstance(value, Scalar) or not str(value.value).startswith("$"):
            value.fail(f"{verb} takes a structure's field: $counter (its value) or $s.Field")
        text = str(value.value)
        head, _, field = text.rpartition(".") if "." in text else (text, ".", "value")
        compile_reference(value, f"{head}.{field}", self.scope)  # checks the field at load
        target = compile_reference(value, head, self.scope)
        label = f"{verb}@{head[1:]}"
        where = f"{value.file}:{value.line}:{value.column}"

        def add(frame: Frame) -> Generator[Park, None, None]:
            struct = target(frame)
            if not isinstance(struct, Struct) or field not in struct._fields_:
                raise ProgramError(
                    f"{where}: {verb} {text}: not an integer field of a structure",
                    thread=frame.owner,
                )
            k = frame.api.k
            oid = struct.bind(k)
            old = getattr(struct, field)  # load
            if not isinstance(old, int):
                raise ProgramError(
                    f"{where}: {verb} {text}: the field holds {value_text(old)}, not an integer",
                    thread=frame.owner,
                )
            if k.ready:
                yield from k.preempt(label, ((oid, "w"),))
            setattr(struct, field, old + delta)  # store

        return add

    def _assert(self, value: Node, step: Map) -> Step:
        condition = compile_condition(value, self.scope)
        message_node = step.get("message")
        message = str(message_node.value) if isinstance(message_node, Scalar) else ""
        where = f"{value.file}:{value.line}:{value.column}"
        failure = condition.failure

        def check(frame: Frame) -> Generator[Park, None, None]:
            record_frame_check(frame, frame.api.k, "scenario.assert")
            account = failure(frame)
            if account is not None:
                prefix = f"{message}: " if message else ""
                record_violation(
                    frame.api.k,
                    "scenario.assert",
                    f"{frame.owner}: {prefix}assertion failed, {account} ({where})",
                )
            return
            yield  # type: ignore[unreachable]  # a step is a generator

        return check

    def _return(self, value: Node, step: Map) -> Step:
        _check_integer(value, self.scope)
        result = compile_value(value, self.scope)

        def leave(frame: Frame) -> Generator[Park, None, None]:
            raise Return(result(frame))
            yield  # type: ignore[unreachable]  # a step is a generator

        return leave

    def _free(self, value: Node, step: Map) -> Step:
        """``free: $s``: end a structure's lifetime, as free() would (``api.free``)."""
        if not isinstance(value, Scalar) or not str(value.value).startswith("$"):
            value.fail("free takes a structure: free: $note")
        target = compile_reference(value, str(value.value), self.scope)

        def free(frame: Frame) -> Generator[Park, None, None]:
            yield from frame.api.free(target(frame))

        return free

    def _note(self, value: Node, step: Map) -> Step:
        if not isinstance(value, Scalar) or value.value is None:
            value.fail("note takes a line of text")
        text = str(value.value)

        def note(frame: Frame) -> Generator[Park, None, None]:
            k = frame.api.k
            k.emit(k.actor_id(), SCENARIO_NOTE, (), (text,))
            return
            yield  # type: ignore[unreachable]  # a step is a generator

        return note


def _check_integer(value: Node, scope: Scope) -> None:
    """``return:`` takes an integer (an exit code, a status, a callback's result): a number, a
    constant, TRUE/FALSE, NULL, flags, or a $reference that may hold one."""
    if isinstance(value, Map):
        value.fail("return takes an integer (an exit code or a status), not a structure")
    if not isinstance(value, Scalar):
        return  # flags as a list: a number, or an error compile_value reports
    text = value.value
    if isinstance(text, str) and text.startswith("$") and not value.quoted:
        binding = scope.find(text[1:])
        if binding is not None and "." not in text and "[" not in text:
            kind = binding.declaration.type_name if binding.declaration else binding.what
            if binding.declaration is not None or binding.what == "handler":
                value.fail(
                    f"return takes an integer (an exit code or a status), not the {kind} {text}"
                )
        return
    result = constant(value)
    if result is not None and type(result) is not int:
        shown = f"the text {result!r}" if isinstance(result, str) else value.text
        value.fail(
            f"return takes an integer (an exit code or a status, such as 0, STATUS_SUCCESS or "
            f"$rc), not {shown}"
        )


def bind_target(step: Map | None) -> str | None:
    if step is None:
        return None
    node = step.get("as")
    if node is None:
        return None
    if not isinstance(node, Scalar) or not isinstance(node.value, str):
        node.fail("as takes a variable name")
    return node.value


def _required(step: Map, key: str, action: str) -> Node:
    node = step.get(key)
    if node is None:
        step.fail(f"a {action} step needs {key}:")
    return node


def _duration(node: Node) -> int:
    try:
        return parse_duration(node.value if isinstance(node, Scalar) else node.plain())
    except DurationError as exc:
        node.fail(str(exc))


def record_violation(k: Kernel, rule: str, message: str) -> None:
    actor = k.current
    k.violation(rule, message, (actor.oid,) if actor is not None else ())
