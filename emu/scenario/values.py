"""Values in steps: constants by their header names, ``$references``, flags, durations.

An argument, an expectation or an operand is compiled once, at load, into either a constant or
a small function of the running frame. What a YAML value means:

- a number (decimal, ``0x`` hex or ``0o`` octal, at most 64 bits), ``true`` / ``false`` (TRUE /
  FALSE, passed as 1 / 0) or ``null`` (NULL);
- a constant by its header name, written plainly: ``INFINITE``, ``GENERIC_READ``,
  ``WAIT_IO_COMPLETION``, ``STATUS_SUCCESS``, ``NotificationEvent`` (every constant emu knows,
  with its real value). A plain ALL-CAPS word that is not a known constant is an error with a
  "did you mean"; quote it to pass the text itself;
- flags combined as in C: ``GENERIC_READ | GENERIC_WRITE``, or a list of constants;
- ``$name`` for a variable (a handle bound with ``as:``, a declared structure, a device object,
  a handler), ``$name.Field`` for a structure's field, ``$name[2].Field`` for an element of an
  array (quote it inside ``{...}``: ``"$entries[2].Internal"``); reading a field of a traced
  structure is a traced read, as in C. A reference no earlier step can bind, and a field of a
  name that never holds a structure, are refused at load (``Binding.assigned``,
  ``Binding.plain``; the rule is in ``emu.scenario.steps``);
- a duration (``10ms``) where the parameter is in milliseconds (``dwMilliseconds``,
  ``nDefaultTimeOut``), converted to whole milliseconds;
- a list, for an array parameter (``lpHandles``); text for a buffer (``lpBuffer``), as UTF-8;
- ``{new: TYPE, Field: value}``: a fresh structure for this call only;
- any other text is a string, where the parameter takes one (``lpName``, ``lpFileName``, a
  buffer); text for a numeric parameter (``dwMilliseconds: soon``) is an error.

``$`` always means a reference, so a literal ``$`` in text is written ``$$`` (a service name
such as ``WireGuardTunnel$$wg0``, quoted or not): ``literal_text`` turns each ``$$`` into one
``$``, and refuses any other ``$`` in text (a ``$`` that cannot start a name, or one inside a
word: a reference is a whole value) with the same text escaped as the suggestion. The SCM
device's service names follow the same rule (``emu.scenario.scm_device``), so a name is written
one way wherever it appears.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from emu import codes
from emu.errors import ProgramError
from emu.kernel import irql
from emu.scenario.durations import DurationError, parse_milliseconds
from emu.scenario.nodes import (
    Map,
    Node,
    Scalar,
    Seq,
    looks_numeric,
    number_error,
    resolve_plain,
)
from emu.scenario.shape import did_you_mean
from emu.scenario.structs import STRUCT_TYPES, Declaration, compile_declaration
from emu.win32.ntoskrnl import base as ntos

if TYPE_CHECKING:
    from emu.scenario.frame import Frame

Value = Callable[["Frame"], Any]

PLAIN_KINDS: Final = {
    "event": "a handle to an event",
    "port": "a handle to a completion port",
    "handler": "a handler (a routine)",
}
"""What a name declared as one of these kinds holds: never a structure."""
ARRAY_PARAMS: Final = frozenset(("lpHandles", "lpCompletionPortEntries"))
BUFFER_PARAMS: Final = frozenset(("lpBuffer",))
_CONSTANT_LIKE: Final = re.compile(r"[A-Z][A-Z0-9_]+\Z")
_REF: Final = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*|\[[0-9]+\])*)\Z")
_STEP: Final = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[([0-9]+)\]")
_NAME_START: Final = re.compile(r"[A-Za-z_]")
_DOLLARS: Final = re.compile(r"\$\$?")


@cache
def constants() -> dict[str, int]:
    """Every named constant a scenario may use, with its real value."""
    table: dict[str, int] = {"TRUE": 1, "FALSE": 0, "NULL": 0}
    for module in (codes, irql, ntos):
        for name in dir(module):
            value = getattr(module, name)
            if name.startswith("_") or isinstance(value, bool) or not isinstance(value, int):
                continue
            if name[0].isupper():
                table.setdefault(name, value)
    return table


def constant_name(value: int, prefix: str = "") -> str | None:
    """A constant's name for ``value`` (with ``prefix``), for messages."""
    for name, known in constants().items():
        if known == value and name.startswith(prefix):
            return name
    return None


def in_milliseconds(param: str) -> bool:
    """A parameter C passes in milliseconds (``dwMilliseconds``, ``nDefaultTimeOut``)."""
    return param.endswith(("Milliseconds", "TimeOut"))


def takes_text(param: str) -> bool:
    """Whether a parameter is a string in C (``lpName``, ``lpFileName``, ``RegistryPath``)."""
    return param.endswith(("Name", "Path", "String")) or param in BUFFER_PARAMS


def is_constant_like(text: str) -> bool:
    return bool(_CONSTANT_LIKE.match(text)) or text in constants()


@dataclass(slots=True)
class Binding:
    """A name a program can reference, and what is known of it at load.

    ``assigned`` is False for a program's own variable until the compiler has passed a step
    that may bind it (a reference before that always fails: ``compile_reference`` refuses it);
    ``plain`` says what the name holds when that is certainly not a structure (``a HANDLE``),
    so a field access on it is refused at load.
    """

    what: str  # "structure", "array", "buffer", "handle", "handler", "variable", "event", ...
    shared: bool
    declaration: Declaration | None = None
    assigned: bool = True
    plain: str = ""


@dataclass(slots=True)
class Scope:
    """The names visible to one program (a thread, a driver, or a handler)."""

    owner: str
    shared: dict[str, Binding]
    local: dict[str, Binding] = field(default_factory=dict)

    def find(self, name: str) -> Binding | None:
        return self.local.get(name) or self.shared.get(name)

    def names(self) -> tuple[str, ...]:
        return (*self.local, *self.shared)


def _field_path(path: str) -> list[str | int]:
    steps: list[str | int] = []
    for match in _STEP.finditer(path):
        steps.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
    return steps


def compile_reference(node: Node, text: str, scope: Scope) -> Value:
    """``$name``, ``$name.Field`` or ``$name[i].Field`` as a function of the frame."""
    match = _REF.match(text)
    if match is None:
        node.fail(
            f"{text!r} is not a reference: write $name, $name.Field or $name[0].Field (or "
            f"{escaped(text)!r} for the text, $$ being a literal $)"
        )
    name, path = match.group(1), match.group(2)
    binding = scope.find(name)
    if binding is None:
        hint = did_you_mean(name, scope.names())
        node.fail(f"unknown variable ${name}{hint} in {scope.owner}")
    if binding.what == "variable" and not binding.shared and not binding.assigned:
        node.fail(
            f"${name} is used before any step binds it: no earlier step of {scope.owner} has "
            f"as: {name} or set: {{{name}: ...}}"
        )
    steps = _field_path(path)
    if steps:
        # a shared name (a driver's global) may be stored by another routine: only a
        # program's own variable is known from its own steps
        plain = ("" if binding.shared else binding.plain) or PLAIN_KINDS.get(binding.what, "")
        if plain:
            first = steps[0]
            missing = (
                f"not an array: it has no element [{first}]"
                if isinstance(first, int)
                else f"not a structure: it has no field {first!r}"
            )
            node.fail(f"${name} holds {plain}, {missing}")
    _check_fields(node, name, binding, steps)
    where = f"{node.file}:{node.line}:{node.column}"
    shared = binding.shared

    def unbound(frame: Frame) -> ProgramError:
        return ProgramError(
            f"{where}: ${name} is used before a step bound it (with as: or set:)",
            thread=frame.owner,
        )

    # The common shapes get their own function (a name; a name and one field), so that a run
    # does no per-reference dispatch: what a reference is, is known here.
    if not steps:

        def lookup_name(frame: Frame) -> Any:
            try:
                return (frame.shared if shared else frame.locals)[name]
            except KeyError:
                raise unbound(frame) from None

        return lookup_name

    if len(steps) == 1 and isinstance(steps[0], str):
        attribute = steps[0]

        def lookup_field(frame: Frame) -> Any:
            try:
                value = (frame.shared if shared else frame.locals)[name]
            except KeyError:
                raise unbound(frame) from None
            try:
                return getattr(value, attribute)
            except (AttributeError, IndexError, TypeError) as exc:
                raise ProgramError(f"{where}: {text}: {exc}", thread=frame.owner) from None

        return lookup_field

    def lookup(frame: Frame) -> Any:
        table = frame.shared if shared else frame.locals
        try:
            value = table[name]
        except KeyError:
            raise unbound(frame) from None
        for step in steps:
            try:
                value = value[step] if isinstance(step, int) else getattr(value, step)
            except (AttributeError, IndexError, TypeError) as exc:
                raise ProgramError(f"{where}: {text}: {exc}", thread=frame.owner) from None
        return value

    return lookup


def _check_fields(node: Node, name: str, binding: Binding, steps: list[str | int]) -> None:
    decl = binding.declaration
    if decl is None or not steps:
        return
    first = steps[0]
    if decl.array:
        if not isinstance(first, int):
            node.fail(f"${name} is an array of {decl.type_name}: index it, as ${name}[0]")
        steps = steps[1:]
        if not steps:
            return
        first = steps[0]
    elif isinstance(first, int):
        node.fail(f"${name} is {article(decl.type_name)} {decl.type_name}, not an array")
    if isinstance(first, str) and decl.struct is None:
        node.fail(
            f"${name} is {article(decl.type_name)} {decl.type_name}, not a structure: it has no "
            f"field {first!r}"
        )
    if isinstance(first, str) and decl.struct is not None and not decl.fields:
        node.fail(f"{decl.type_name} is opaque: a program reaches it only through the API")
    if isinstance(first, str) and decl.struct is not None and first not in decl.fields:
        hint = did_you_mean(first, decl.fields)
        node.fail(
            f"{decl.type_name} has no field {first!r}{hint}; fields: {', '.join(decl.fields)}"
        )


def constant(node: Scalar) -> Any:
    """The constant value of a scalar that holds no reference (ints, names, flags, text)."""
    value = node.value
    if isinstance(value, bool):
        return int(value)
    if not isinstance(value, str):
        return value
    if node.quoted:
        return literal_text(node, value)
    if "|" in value:
        return _flags(node, [part.strip() for part in value.split("|")])
    table = constants()
    if value in table:
        return table[value]
    if looks_numeric(value):
        node.fail(number_error(value))
    if _CONSTANT_LIKE.match(value):
        node.fail(f"unknown constant {value!r}{did_you_mean(value, tuple(table))}")
    return literal_text(node, value)


def escaped(text: str) -> str:
    """``text`` with every ``$`` that is not already half of a ``$$`` doubled."""
    return _DOLLARS.sub("$$", text)


def literal_text(node: Node, text: str) -> str:
    """Text as the program sees it: each ``$$`` is one ``$``; any other ``$`` is refused,
    with the text escaped as the suggestion (a reference is a whole value, never part of
    text)."""
    if "$" not in text:
        return text
    if "$" in text.replace("$$", ""):
        at = text.replace("$$", "\0\0").index("$")
        after = text[at + 1 : at + 2]
        if at == 0 and not _NAME_START.match(after):
            why = f"'$' followed by {repr(after) if after else 'nothing'} starts no reference"
        elif at == 0:
            why = "not a reference ($name, $name.Field or $name[0].Field)"
        else:
            why = "$ starts a $reference, which is a whole value, never part of text"
        node.fail(f"{text!r}: {why}; a literal $ is written $$: {escaped(text)!r}")
    return text.replace("$$", "$")


_AN_BEFORE: Final = ("srw", "hour", "honest")
"""Words whose first letter is a consonant said with a vowel sound (an SRWLOCK)."""
_A_BEFORE: Final = ("uni", "ulong", "use", "usu", "one", "eu")
"""Words whose first letter is a vowel said with a consonant sound (a ULONG, a UNICODE_STRING)."""


def article(word: str) -> str:
    """``a`` or ``an`` before ``word``, by its sound: an event, an OVERLAPPED, a port, a
    ULONG, an SRWLOCK."""
    low = word.lower()
    if low.startswith(_AN_BEFORE):
        return "an"
    if low.startswith(_A_BEFORE):
        return "a"
    return "an" if low[:1] in ("a", "e", "i", "o", "u") else "a"


def _flags(node: Node, parts: list[Any]) -> int:
    table = constants()
    result = 0
    for part in parts:
        if isinstance(part, bool) or part is None or isinstance(part, float):
            node.fail(f"expected a constant or a number in a flag combination, not {part!r}")
        if isinstance(part, int):
            result |= part
            continue
        text = str(part)
        if text.startswith("$"):
            node.fail(
                f"{text} in a flag combination: flags combine constants and numbers; pass a "
                "$reference on its own"
            )
        number = resolve_plain(text)
        if isinstance(number, int) and not isinstance(number, bool):
            result |= number
        elif text in table:
            result |= table[text]
        elif looks_numeric(text):
            node.fail(number_error(text))
        else:
            hint = did_you_mean(text, tuple(table))
            node.fail(f"unknown constant {text!r} in a flag combination{hint}")
    return result


def compile_value(node: Node, scope: Scope, param: str = "") -> Value:
    """Compile an argument or operand; ``param`` (the parameter name) selects conversions."""
    if isinstance(node, Scalar):
        value = node.value
        if (
            isinstance(value, str)
            and value.startswith("$")
            and _NAME_START.match(value[1:2])
            and (not node.quoted or _REF.match(value))
        ):
            return compile_reference(node, value, scope)
        if (
            in_milliseconds(param)
            and isinstance(value, str)
            and value[:1].isdigit()
            and "|" not in value
            and not looks_numeric(value)
        ):
            try:
                ms = parse_milliseconds(value)
            except DurationError as exc:
                node.fail(str(exc))
            return _const(ms)
        result = constant(node)
        if param in BUFFER_PARAMS and isinstance(result, str):
            data = result.encode("utf-8")
            return lambda frame: data
        if isinstance(result, str) and param and not takes_text(param):
            node.fail(
                f"{param} takes a number, a constant or a $reference, not the text {result!r}"
            )
        return _const(result)
    if isinstance(node, Seq):
        if param in ARRAY_PARAMS:
            items = [compile_value(item, scope) for item in node]
            return lambda frame: [item(frame) for item in items]
        parts: list[Any] = []
        for item in node:
            if not isinstance(item, Scalar):
                item.fail("expected a constant in a flag list")
            parts.append(item.value)
        return _const(_flags(node, parts))
    assert isinstance(node, Map)
    return _compile_new(node)


def _compile_new(node: Map) -> Value:
    new = node.get("new")
    if new is None:
        node.fail(
            "a mapping here must create a structure: {new: OVERLAPPED} (or pass $name of a "
            "declared one)"
        )
    if "type" in node:
        node.key_node("type").fail("{new: TYPE} names the type; a type: key is not a field")
    fields = Map(node.file, node.line, node.column, node.path)
    fields.add(Scalar(node.file, node.line, node.column, node.path, "type", False), new)
    for key, child in node.items():
        if key != "new":
            fields.add(node.key_node(key), child)
    decl = compile_declaration("new", fields, constant_node)
    make = decl.make
    return lambda frame: make()


def constant_node(node: Node) -> Any:
    """A field's initial value: a number or a constant (memory is initialised before any step
    runs, so no $reference; a handle is stored into a declared structure with set:)."""
    if not isinstance(node, Scalar):
        node.fail("a structure field starts as a number or a constant")
    if isinstance(node.value, str) and node.value.startswith("$"):
        node.fail(
            "a structure field starts as a number or a constant, not a $reference; store "
            "one into a declared structure with set:"
        )
    value = constant(node)
    if type(value) is not int:
        node.fail(f"a structure field starts as a number or a constant, not {node.text!r}")
    return value


def _const(value: Any) -> Value:
    return lambda frame: value


def is_struct_type(name: str) -> bool:
    return name in STRUCT_TYPES
