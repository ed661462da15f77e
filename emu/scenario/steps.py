"""The step language, compiled once at load into callables.

A program written as steps is a list; each step is a mapping with one action:

- ``FunctionName: {param: value, ...}`` calls a Win32 (or, in a driver, an ntoskrnl) function by
  its Windows name with named arguments (pointer parameters, ``lp...``/``p...``, default to
  NULL; the others are required). ``as: name`` binds what it returned; ``expect: CODE`` checks it
  (``emu.scenario.expect``); a failed expectation is recorded as a ``scenario.expect`` violation
  and the program goes on, as C code that ignored the error would.
- ``work: 2ms`` spends CPU time; ``work: [1ms, 3ms]`` lets the chooser pick within the range.
- ``repeat: N`` with ``steps:`` (and ``as: i`` for the iteration number, from 0);
  ``until: CODE`` (or a condition) with ``steps:`` repeats until the last call of an iteration
  returned that code, at most ``max:`` times (1,000 by default; reaching the bound is recorded
  as ``scenario.loop_bound``); ``if: CONDITION`` with ``then:`` and ``else:``.
- ``set: {name: value, name.Field: value}`` sets a variable or writes a structure's field;
  ``increment: $counter`` / ``decrement:`` is C's ``counter++``: a read, a scheduling point,
  a write (not atomic: use InterlockedIncrement for that); ``assert: CONDITION`` records a
  ``scenario.assert`` violation when it does not hold; ``return: value`` ends the program with
  that exit code (or status, or callback result); ``note: text`` writes a line to the trace.

Every step compiles to a function ``step(frame)`` returning a generator; a block runs its steps
in order. Nothing is interpreted per call and nothing is copied per run.

What the text alone makes certain is refused at load (``emu validate``, exit 2), not left to
fail at run time: a ``return:`` value that is not an integer (``emu.scenario.keywords``); a
``$variable`` of the program's own that no earlier step can bind (the compiler passes the steps
in text order, a binding inside an ``if`` branch counts as made, and a loop body's bindings count
from its first step on, since a later round sees what an earlier one bound; a driver's globals
and a handler's parameters are never refused); a field or element of a name that never holds a
structure (a variable every binding of which stores a number: a call returning a HANDLE, BOOL,
code or count, a constant, a loop index; a declared event or port handle; a handler; a buffer).
Whatever is not certain stays a run-time ``ProgramError`` at the step's position.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, Final

from emu.kernel.actor import Park
from emu.scenario import expect
from emu.scenario.checked import record_frame_check
from emu.scenario.frame import Frame, LastCall, Return
from emu.scenario.keywords import Block, KeywordSteps, Step, bind_target, record_violation
from emu.scenario.nodes import Map, Node, Scalar, Seq
from emu.scenario.shape import did_you_mean
from emu.scenario.values import Binding, Scope, compile_value
from emu.win32.base import ApiSpec

if TYPE_CHECKING:
    pass


MODIFIERS: Final[dict[str, tuple[str, ...]]] = {
    "work": (),
    "repeat": ("steps", "as"),
    "until": ("steps", "max"),
    "if": ("then", "else"),
    "set": (),
    "increment": (),
    "decrement": (),
    "assert": ("message",),
    "return": (),
    "note": (),
    "free": (),
}
KEYWORDS: Final = tuple(MODIFIERS)
CALL_MODIFIERS: Final = ("as", "expect")


def param_name(name: str) -> str:
    """A parameter as a scenario writes it (``Dpc_`` in Python is ``Dpc``)."""
    return name.rstrip("_")


def optional_param(name: str) -> bool:
    """Pointer parameters (``lpOverlapped``, ``pfnAPC``) default to NULL."""
    return name.startswith("lp") or (name.startswith("p") and name[1:2].isupper())


def run_block(block: Block, frame: Frame) -> Generator[Park, None, None]:
    for step in block:
        yield from step(frame)


def run_program(block: Block, frame: Frame, default: Any = 0) -> Generator[Park, None, Any]:
    """Run a whole program or handler: its ``return:`` value, else ``default``."""
    try:
        for step in block:
            yield from step(frame)
    except Return as done:
        return done.value
    return default


Site = tuple[Scalar, str]
"""A name a step binds, and what it stores when certainly not a structure (else "")."""

SCALAR_RETURNS: Final = frozenset(
    ("BOOL", "DWORD", "HANDLE", "LONG", "NTSTATUS", "SLEEPEX", "VOID", "WAIT", "WIN32_ERROR")
)
"""Return kinds that are a number (or nothing), never a structure: ``as:`` binds a number."""


def binding_sites(node: Node, surface: dict[str, ApiSpec], found: list[Site]) -> None:
    """Every name a block binds (``as:``, ``set:`` on a plain name), in text order, each with
    what it stores when that is certainly not a structure (else "")."""
    if not isinstance(node, Seq):
        return
    for step in node:
        if not isinstance(step, Map):
            continue
        target = step.get("as")
        if isinstance(target, Scalar) and isinstance(target.value, str):
            found.append((target, _returned(step, surface)))
        assignments = step.get("set")
        if isinstance(assignments, Map):
            for key, value in assignments.items():
                if "." not in key and "[" not in key:  # $x and x name the same variable
                    found.append((assignments.key_node(key), _stored(value)))
        for nested in ("steps", "then", "else"):
            child = step.get(nested)
            if child is not None:
                binding_sites(child, surface, found)


def _returned(step: Map, surface: dict[str, ApiSpec]) -> str:
    if "repeat" in step:
        return "a number (the iteration)"
    for key in step.keys:
        spec = surface.get(key)
        if spec is not None and spec.returns in SCALAR_RETURNS:
            return f"a {spec.returns} ({spec.name}'s return)"
    return ""


def _stored(value: Node) -> str:
    """What ``set: {x: value}`` stores, when certainly not a structure."""
    if isinstance(value, Seq):
        return "a number (a flag combination)"
    if not isinstance(value, Scalar):
        return ""  # {new: TYPE}: a structure
    text = value.value
    if isinstance(text, str) and text.startswith("$"):
        return ""  # a copy of another name: it may be a structure
    return f"the constant {value.text}"


def collect_bindings(node: Node, found: list[Scalar]) -> None:
    """Every name a block binds (``as:``, ``set:`` on a plain name)."""
    sites: list[Site] = []
    binding_sites(node, {}, sites)
    found.extend(key for key, _ in sites)


class StepCompiler(KeywordSteps):
    """Compiles the steps of one program (thread, driver routine or handler) in its scope."""

    def __init__(
        self, scope: Scope, surface: dict[str, ApiSpec], elsewhere: dict[str, str]
    ) -> None:
        self.scope = scope
        self.surface = surface
        self.elsewhere = elsewhere  # names callable only from the other mode, and why
        self._calls: list[list[ApiSpec]] = []

    def bind_names(self, node: Node, *, shared: bool = False) -> None:
        """Declare the names ``node`` binds (call before compiling it).

        A new variable starts unassigned: until the compiler passes a step that may bind it, a
        reference to it always fails, so it is refused at load. A variable every step of which
        stores a number (a call's HANDLE, BOOL or code, a constant, a loop count) holds no
        structure: a field access on it is refused at load too."""
        sites: list[Site] = []
        binding_sites(node, self.surface, sites)
        for key, plain in sites:
            name = str(key.value).removeprefix("$")
            if not name.isidentifier():
                key.fail(f"{name!r} is not a variable name (letters, digits and _)")
            known = self.scope.find(name)
            if known is not None and known.what != "variable":
                key.fail(f"{name!r} would overwrite the {known.what} ${name}; choose another name")
            if known is None:
                self.scope.local[name] = Binding("variable", shared, assigned=False, plain=plain)
            elif not plain:
                known.plain = ""  # one step may store a structure: nothing is certain

    def assigned_in(self, node: Node) -> None:
        """Mark the names a loop body binds as assigned before compiling it: a later round
        sees what an earlier one bound."""
        found: list[Scalar] = []
        collect_bindings(node, found)
        for key in found:
            binding = self.scope.find(str(key.value).removeprefix("$"))
            if binding is not None:
                binding.assigned = True

    def block(self, node: Node) -> Block:
        if not isinstance(node, Seq):
            node.fail("expected a list of steps")
        return tuple(self.step(item) for item in node)

    def step(self, node: Node) -> Step:
        if isinstance(node, Scalar) and isinstance(node.value, str):
            return self._call(node.value, None, node, None)  # a call without arguments
        if not isinstance(node, Map) or not node.keys:
            node.fail("expected a step: a mapping such as {SetEvent: {hEvent: $ev}}")
        actions = [k for k in node.keys if k in MODIFIERS or k in self.surface or k[:1].isupper()]
        modifiers = [k for k in node.keys if k not in actions]
        if not actions:
            first = node.keys[0]
            hint = did_you_mean(first, KEYWORDS + CALL_MODIFIERS)
            node.key_node(first).fail(f"unknown step {first!r}{hint}; steps: {', '.join(KEYWORDS)}")
        if len(actions) > 1:
            node.key_node(actions[1]).fail(
                f"one action per step: {actions[0]!r} and {actions[1]!r} are two steps"
            )
        action = actions[0]
        allowed = MODIFIERS.get(action, CALL_MODIFIERS)
        for key in modifiers:
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                expected = f"; a {action} step takes {', '.join(allowed)}" if allowed else ""
                node.key_node(key).fail(f"unknown key {key!r} in a {action} step{hint}{expected}")
        value = node.get(action)
        assert value is not None
        if action in MODIFIERS:
            compile_keyword: Callable[[Node, Map], Step] = getattr(self, f"_{action}")
            return compile_keyword(value, node)
        return self._call(action, value, node.key_node(action), node)

    # -- calls ----------------------------------------------------------------------------------

    def _call(self, name: str, args: Node | None, at: Node, step: Map | None) -> Step:
        spec = self.surface.get(name)
        if spec is None:
            if name in self.elsewhere:
                at.fail(f"{name} {self.elsewhere[name]}")
            hint = did_you_mean(name, tuple(self.surface))
            at.fail(
                f"unknown function {name!r}{hint}: not one emu models here (`emu schema` lists "
                "them)"
            )
        arguments = _reader(self._arguments(spec, args, at))
        target = bind_target(step)
        store = self.setter(target) if target is not None else None
        matcher = None
        expectation = ""
        where = f"{at.file}:{at.line}:{at.column}"
        if step is not None and "expect" in step:
            expect_node = step.get("expect")
            assert expect_node is not None
            matcher, expectation = expect.compile_expectation(expect_node, spec)
        in_until = bool(self._calls)  # only an until: loop's test reads frame.last
        if in_until:
            self._calls[-1].append(spec)
        reads_outcome = in_until or matcher is not None

        def call(frame: Frame) -> Generator[Park, None, None]:
            api = frame.api
            result = yield from getattr(api, name)(*arguments(frame))
            if store is not None:
                store(frame, result)
            if not reads_outcome:
                return
            k = api.k
            actor = k.current
            error = actor.call_error if actor is not None else None
            if in_until:
                frame.last = LastCall(spec, result, error)
            if matcher is not None:
                record_frame_check(frame, k, "scenario.expect")
                if not matcher(result, error):
                    observed = expect.describe_outcome(spec, result, error)
                    record_violation(
                        k,
                        "scenario.expect",
                        f"{frame.owner}: {name} returned {observed}; expected {expectation} "
                        f"({where})",
                    )

        return call

    def _arguments(
        self, spec: ApiSpec, args: Node | None, at: Node
    ) -> list[Callable[[Frame], Any]]:
        names = {param_name(p): p for p in spec.params}
        given: dict[str, Node] = {}
        if args is not None and not (isinstance(args, Scalar) and args.value is None):
            if not isinstance(args, Map):
                args.fail(f"the arguments of {spec.name} are a mapping of parameter: value")
            for key, child in args.items():
                if key not in names:
                    hint = did_you_mean(key, tuple(names))
                    listing = ", ".join(names) or "none"
                    args.key_node(key).fail(
                        f"{spec.name} has no parameter {key!r}{hint}; parameters: {listing}"
                    )
                given[key] = child
        missing = [n for n, p in names.items() if n not in given and not optional_param(p)]
        if missing:
            at.fail(f"{spec.name}: missing argument {', '.join(missing)}")
        values: list[Callable[[Frame], Any]] = []
        for display, param in names.items():
            arg = given.get(display)
            values.append(compile_value(arg, self.scope, param) if arg is not None else _null)
        return values


def _null(frame: Frame) -> None:
    return None


Reader = Callable[[Frame], tuple[Any, ...]]


def _reader(values: list[Callable[[Frame], Any]]) -> Reader:
    """One function that reads a call's arguments, in order: the common arities spelled out
    (a comprehension per call costs more than the reads themselves)."""
    count = len(values)
    if count == 0:
        return lambda frame: ()
    if count == 1:
        (a,) = values
        return lambda frame: (a(frame),)
    if count == 2:
        a, b = values
        return lambda frame: (a(frame), b(frame))
    if count == 3:
        a, b, c = values
        return lambda frame: (a(frame), b(frame), c(frame))
    if count == 4:
        a, b, c, d = values
        return lambda frame: (a(frame), b(frame), c(frame), d(frame))
    return lambda frame: tuple([value(frame) for value in values])
