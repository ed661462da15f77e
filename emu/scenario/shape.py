"""Shapes: the declarative description of the scenario format, checked and published.

One description serves two purposes: ``check(node)`` validates the shape of a loaded document
(types, known and required keys, ranges) with positioned one-line errors and "did you mean"
hints, and ``json()`` emits the same rules as JSON Schema (``emu schema``), so editors validate
and complete scenario files exactly as the loader does. Meaning (which functions exist, which
variables are bound) is checked afterwards, by the compiler.
"""

from __future__ import annotations

import difflib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Final, NoReturn

from emu.errors import ScenarioError, gather
from emu.scenario.durations import DurationError, parse_duration
from emu.scenario.nodes import Map, Node, Scalar, Seq, looks_numeric, number_error

NAME_PATTERN: Final = r"[A-Za-z_][A-Za-z0-9_.-]*"
"""Patterns here are unanchored: Python checks them with ``re.fullmatch`` (so a trailing
newline never slips through, as it would past ``$``); the JSON Schema gets them as ``^...$``."""
_NAME: Final = re.compile(NAME_PATTERN)
MAX_INT: Final = (1 << 64) - 1


def did_you_mean(word: str, candidates: Sequence[str]) -> str:
    """`` (did you mean 'X'?)`` when a candidate is close to ``word``, else empty."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.75)
    if not close:
        lowered = {c.lower(): c for c in candidates}
        if word.lower() in lowered:
            close = [lowered[word.lower()]]
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe_value(node: Node) -> str:
    if isinstance(node, Scalar):
        value = node.value
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return f"the number {node.text}"
        return f"the string {value!r}" if len(str(value)) <= 40 else "a long string"
    return f"a {node.KIND}"


def _collect(errors: list[ScenarioError], check: Callable[[Node], None], node: Node) -> None:
    """Run one check, keeping its error (or errors) instead of stopping at it: a file with
    several mistakes is reported whole."""
    try:
        check(node)
    except ScenarioError as exc:
        errors.append(exc)


class Shape(ABC):
    """A rule for one node."""

    description = "a value"

    @abstractmethod
    def check(self, node: Node) -> None:
        """Fail ``node`` (one line, its position) unless it has this shape."""

    @abstractmethod
    def json(self) -> dict[str, Any]:
        """The shape as JSON Schema."""

    def expected(self, node: Node) -> NoReturn:
        node.fail(f"expected {self.description}, found {describe_value(node)}")


class AnyValue(Shape):
    description = "any value"

    def __init__(self, description: str = "any value") -> None:
        self.description = description

    def check(self, node: Node) -> None:
        return

    def json(self) -> dict[str, Any]:
        return {"description": self.description}


class Str(Shape):
    def __init__(self, description: str = "a string", *, pattern: str | None = None) -> None:
        self.description = description
        self.pattern = pattern

    def check(self, node: Node) -> None:
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            self.expected(node)
        if self.pattern is not None and not re.fullmatch(self.pattern, node.value):
            node.fail(f"{node.value!r} is not {self.description}")

    def json(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string", "description": self.description}
        if self.pattern is not None:
            schema["pattern"] = f"^{self.pattern}$"
        return schema


class Name(Str):
    def __init__(self, description: str = "a name (letters, digits, _ . -)") -> None:
        super().__init__(description, pattern=NAME_PATTERN)


class Int(Shape):
    def __init__(self, low: int = 0, high: int = MAX_INT, description: str = "") -> None:
        self.low = low
        self.high = high
        self.description = description or f"an integer from {low} to {high}"

    def check(self, node: Node) -> None:
        if isinstance(node, Scalar) and isinstance(node.value, str) and looks_numeric(node.value):
            node.fail(number_error(node.value))
        if not isinstance(node, Scalar) or type(node.value) is not int:
            self.expected(node)
        if not self.low <= node.value <= self.high:
            node.fail(f"{node.text} is out of range: expected {self.description}")

    def json(self) -> dict[str, Any]:
        return {
            "type": "integer",
            "minimum": self.low,
            "maximum": self.high,
            "description": self.description,
        }


class Bool(Shape):
    description = "true or false"

    def check(self, node: Node) -> None:
        if not isinstance(node, Scalar) or not isinstance(node.value, bool):
            self.expected(node)

    def json(self) -> dict[str, Any]:
        return {"type": "boolean"}


DURATION_PATTERN: Final = r"^\s*[+]?[0-9][0-9_]*(\.[0-9]+)?\s*(ns|us|µs|ms|s)\s*$"


class Duration(Shape):
    description = "a duration with a unit (10ms, 150us, 2s)"

    def check(self, node: Node) -> None:
        if not isinstance(node, Scalar):
            self.expected(node)
        try:
            parse_duration(node.value)
        except DurationError as exc:
            node.fail(str(exc))

    def json(self) -> dict[str, Any]:
        return {"type": "string", "pattern": DURATION_PATTERN, "description": self.description}


class Choice(Shape):
    """One of a fixed set of words."""

    def __init__(self, words: Sequence[str], description: str = "") -> None:
        self.words = tuple(words)
        self.description = description or "one of " + ", ".join(self.words)

    def check(self, node: Node) -> None:
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            self.expected(node)
        if node.value not in self.words:
            hint = did_you_mean(node.value, self.words)
            choices = ", ".join(self.words)
            node.fail(f"{node.value!r} is not {self.description}{hint} (choices: {choices})")

    def json(self) -> dict[str, Any]:
        return {"enum": list(self.words), "description": self.description}


class ListOf(Shape):
    def __init__(self, item: Shape, *, low: int = 0, high: int | None = None) -> None:
        self.item = item
        self.low = low
        self.high = high
        self.description = f"a list of {item.description}"

    def check(self, node: Node) -> None:
        if not isinstance(node, Seq):
            self.expected(node)
        if len(node) < self.low:
            node.fail(f"expected at least {self.low} item(s), found {len(node)}")
        if self.high is not None and len(node) > self.high:
            node.fail(f"expected at most {self.high} item(s), found {len(node)}")
        errors: list[ScenarioError] = []
        for item in node:
            _collect(errors, self.item.check, item)
        gather(errors)

    def json(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "array", "items": self.item.json(), "minItems": self.low}
        if self.high is not None:
            schema["maxItems"] = self.high
        return schema


class Either(Shape):
    """The first alternative whose quick test accepts the node decides."""

    def __init__(self, *options: tuple[Callable[[Node], bool], Shape], description: str) -> None:
        self.options = options
        self.description = description

    def check(self, node: Node) -> None:
        for accepts, shape in self.options:
            if accepts(node):
                shape.check(node)
                return
        self.expected(node)

    def json(self) -> dict[str, Any]:
        return {"anyOf": [shape.json() for _, shape in self.options]}


def is_map(node: Node) -> bool:
    return isinstance(node, Map)


def is_seq(node: Node) -> bool:
    return isinstance(node, Seq)


def is_scalar(node: Node) -> bool:
    return isinstance(node, Scalar)


def is_text(node: Node) -> bool:
    return isinstance(node, Scalar) and isinstance(node.value, str)


class Record(Shape):
    """A mapping with known keys; ``required`` ones must be present."""

    def __init__(
        self,
        fields: dict[str, Shape],
        *,
        required: Sequence[str] = (),
        description: str = "a mapping",
        what: str = "key",
    ) -> None:
        self.fields = fields
        self.required = tuple(required)
        self.description = description
        self.what = what

    def check(self, node: Node) -> None:
        if not isinstance(node, Map):
            self.expected(node)
        errors: list[ScenarioError] = []
        for name in node.keys:
            if name not in self.fields:
                key = node.key_node(name)
                known = ", ".join(self.fields)
                hint = did_you_mean(name, tuple(self.fields))
                message = f"unknown {self.what} {name!r}{hint}; expected one of: {known}"
                errors.append(key.error(message))
        unknown = [name for name in node.keys if name not in self.fields]
        for name in self.required:
            # a misspelt key (nme) is one mistake, reported as unknown with its did-you-mean
            if name not in node and not any(did_you_mean(k, (name,)) for k in unknown):
                errors.append(node.error(f"missing required key {name!r} in {self.description}"))
        for name, child in node.items():
            if name in self.fields:
                _collect(errors, self.fields[name].check, child)
        gather(errors)

    def json(self) -> dict[str, Any]:
        return {
            "type": "object",
            "description": self.description,
            "properties": {name: shape.json() for name, shape in self.fields.items()},
            "required": list(self.required),
            "additionalProperties": False,
        }


class MapOf(Shape):
    """A mapping from names the user chooses (thread names, object names) to one shape."""

    def __init__(
        self,
        value: Shape,
        *,
        description: str,
        key: str = "name",
        pattern: str = NAME_PATTERN,
        rule: str = "letters, digits, _ . - ; starting with a letter or _",
    ) -> None:
        self.value = value
        self.description = description
        self.key = key
        self.pattern = pattern  # what a key may be (a service name takes what Windows allows)
        self.rule = rule
        self._names = _NAME if pattern == NAME_PATTERN else re.compile(pattern)

    def check(self, node: Node) -> None:
        if not isinstance(node, Map):
            self.expected(node)
        errors: list[ScenarioError] = []
        for name, child in node.items():
            if not self._names.fullmatch(name):
                message = f"{name!r} is not a valid {self.key} ({self.rule})"
                errors.append(node.key_node(name).error(message))
                continue
            _collect(errors, self.value.check, child)
        gather(errors)

    def json(self) -> dict[str, Any]:
        return {
            "type": "object",
            "description": self.description,
            "propertyNames": {"pattern": f"^{self.pattern}$"},
            "additionalProperties": self.value.json(),
        }
