"""The scenario document as a tree of positioned nodes.

The YAML loader (``emu.scenario.yamlsafe``) turns a file into ``Map``, ``Seq`` and ``Scalar``
nodes. Every node keeps where it came from (1-based line and column) and its breadcrumb from
the root (``threads.monitor.steps[2]``), so every later error, of shape or of meaning, points
at the exact spot: ``scenario.yaml:12:9: message [in threads.monitor.steps[2]]``.

Plain scalars are resolved here, with the YAML 1.2 core rules and nothing more: ``null`` /
``~`` / empty, ``true`` / ``false``, decimal, ``0x`` hex and ``0o`` octal integers (64 bits at
most: a longer or malformed number stays text, refused where a number is expected), floats.
``yes``, ``no``, ``on`` and ``off`` stay strings (no "Norway problem"), and a quoted scalar is
always a string.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, Final, NoReturn

from emu.errors import ScenarioError

_INT: Final = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)\Z")
_HEX: Final = re.compile(r"0x[0-9a-fA-F_]+\Z")
_OCT: Final = re.compile(r"0o[0-7_]+\Z")
_FLOAT: Final = re.compile(
    r"[-+]?(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+)\Z"
)
_NUMERIC_LIKE: Final = re.compile(r"[-+]?(?:0[xo][0-9a-fA-F_]*|[0-9][0-9_]*)\Z")
_NULLS: Final = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE: Final = frozenset(("true", "True", "TRUE"))
_FALSE: Final = frozenset(("false", "False", "FALSE"))


MAX_BITS: Final = 64


def _number(text: str) -> int | None:
    """The integer a plain scalar writes, if it writes one that fits in 64 bits (with its sign).

    Anything else (``1_``, ``0x_``, a 5,000-digit number) stays text, which the compiler then
    refuses where a number is expected, with a message saying why.
    """
    try:
        if _INT.match(text):
            if len(text) > 25:  # beyond 64 bits, and short of Python's digit limit
                return None
            value = int(text)
        elif _HEX.match(text):
            value = int(text, 16)
        elif _OCT.match(text):
            value = int(text[2:], 8)
        else:
            return None
    except ValueError:
        return None
    return value if value.bit_length() <= MAX_BITS else None


def number_error(text: str) -> str:
    """Why ``text`` (which looks like a number) is not one emu accepts."""
    shown = text if len(text) <= 24 else f"{text[:20]}... ({len(text)} characters)"
    return (
        f"{shown!r} is not a valid number: integers are decimal, 0x hex or 0o octal, at most "
        "64 bits"
    )


def looks_numeric(text: str) -> bool:
    """Text that was meant as a number but is not a valid 64-bit one (``1_``, ``0x``...)."""
    return bool(_NUMERIC_LIKE.match(text))


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar."""
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    number = _number(text)
    if number is not None:
        return number
    if _FLOAT.match(text):
        return float(text)
    if text in (".inf", "+.inf", "-.inf", ".nan"):
        return float(text.replace(".", ""))
    return text


class Node(ABC):
    """A positioned node of the document."""

    __slots__ = ("column", "file", "line", "path")

    KIND = "node"

    def __init__(self, file: str, line: int, column: int, path: str) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.path = path

    def error(self, message: str) -> ScenarioError:
        """A one-line ScenarioError pointing at this node."""
        return ScenarioError(
            message, file=self.file, line=self.line, column=self.column, path=self.path
        )

    def fail(self, message: str) -> NoReturn:
        raise self.error(message)

    def where(self) -> str:
        return f"line {self.line}"

    @abstractmethod
    def plain(self) -> Any:
        """The node as plain Python data (dicts, lists, scalars), positions dropped."""


class Scalar(Node):
    """A scalar: ``value`` resolved, ``text`` as written, ``quoted`` if it was quoted."""

    __slots__ = ("quoted", "text", "value")

    KIND = "scalar"

    def __init__(
        self, file: str, line: int, column: int, path: str, text: str, quoted: bool
    ) -> None:
        super().__init__(file, line, column, path)
        self.text = text
        self.quoted = quoted
        self.value: Any = text if quoted else resolve_plain(text)

    def plain(self) -> Any:
        return self.value

    def __repr__(self) -> str:
        return f"Scalar({self.value!r} @{self.line}:{self.column})"


class Seq(Node):
    """A sequence of nodes."""

    __slots__ = ("items",)

    KIND = "list"

    def __init__(self, file: str, line: int, column: int, path: str) -> None:
        super().__init__(file, line, column, path)
        self.items: list[Node] = []

    def __iter__(self) -> Iterator[Node]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def plain(self) -> Any:
        return [item.plain() for item in self.items]


class Map(Node):
    """A mapping with string keys, in document order; duplicate keys were refused on load."""

    __slots__ = ("entries", "keys")

    KIND = "mapping"

    def __init__(self, file: str, line: int, column: int, path: str) -> None:
        super().__init__(file, line, column, path)
        self.entries: dict[str, tuple[Scalar, Node]] = {}
        self.keys: list[str] = []

    def add(self, key: Scalar, value: Node) -> None:
        name = str(key.value) if key.value is not None else "null"
        self.entries[name] = (key, value)
        self.keys.append(name)

    def get(self, name: str) -> Node | None:
        entry = self.entries.get(name)
        return entry[1] if entry is not None else None

    def key_node(self, name: str) -> Scalar:
        return self.entries[name][0]

    def items(self) -> Iterator[tuple[str, Node]]:
        for name in self.keys:
            yield name, self.entries[name][1]

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __len__(self) -> int:
        return len(self.keys)

    def plain(self) -> Any:
        return {name: node.plain() for name, node in self.items()}


def child_path(parent: str, key: str | int) -> str:
    """The breadcrumb of a child: ``a.b`` for a key, ``a[3]`` for an index."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if not parent:
        return key
    return f"{parent}.{key}"
