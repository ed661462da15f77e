"""Conditions for ``assert:``, ``if:`` and ``until:``: one comparison, written as data.

    {that: $n.value, equals: 4}
    {that: $rc, in: [WAIT_OBJECT_0, WAIT_IO_COMPLETION]}
    {that: $counter.value, at_least: 2}

Operators: ``equals``, ``not_equals``, ``in``, ``not_in``, ``at_least``, ``at_most``,
``less_than``, ``greater_than``. Both sides are values (``emu.scenario.values``). Nothing else:
logic that needs more than one comparison belongs in a Python program.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from emu.kernel.trace import value_text
from emu.scenario.nodes import Map, Node, Seq
from emu.scenario.shape import did_you_mean
from emu.scenario.values import Scope, compile_value

if TYPE_CHECKING:
    from emu.scenario.frame import Frame

OPERATORS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "equals": operator.eq,
    "not_equals": operator.ne,
    "in": lambda a, b: a in b,
    "not_in": lambda a, b: a not in b,
    "at_least": operator.ge,
    "at_most": operator.le,
    "less_than": operator.lt,
    "greater_than": operator.gt,
}

WORDS: Final = {
    "equals": "==",
    "not_equals": "!=",
    "in": "in",
    "not_in": "not in",
    "at_least": ">=",
    "at_most": "<=",
    "less_than": "<",
    "greater_than": ">",
}


class Condition:
    """A compiled comparison; ``evaluate`` returns (holds, a readable account)."""

    __slots__ = ("left", "op", "op_name", "right", "text")

    def __init__(
        self,
        left: Callable[[Frame], Any],
        op_name: str,
        right: Callable[[Frame], Any],
        text: str,
    ) -> None:
        self.left = left
        self.op_name = op_name
        self.op = OPERATORS[op_name]
        self.right = right
        self.text = text

    def evaluate(self, frame: Frame) -> tuple[bool, str]:
        left = self.left(frame)
        right = self.right(frame)
        return compares(self.op, left, right), self.account(left, right)

    def holds(self, frame: Frame) -> bool:
        """Whether it holds (``if:``, ``until:``): no account is built."""
        return compares(self.op, self.left(frame), self.right(frame))

    def failure(self, frame: Frame) -> str | None:
        """None if it holds, else the account of why not (``assert:``): both sides are read
        once, as by ``evaluate``, and the text is built only for a failure."""
        left = self.left(frame)
        right = self.right(frame)
        if compares(self.op, left, right):
            return None
        return self.account(left, right)

    def account(self, left: Any, right: Any) -> str:
        """The comparison as a message shows it, with the values read."""
        shown = f"{value_text(left)} {WORDS[self.op_name]} {_values_text(right)}"
        return f"{self.text}: {shown}"


def compares(op: Callable[[Any, Any], bool], left: Any, right: Any) -> bool:
    """``op`` applied as C compares (``as_c_compares``); operands that do not compare (text
    against a number) make it False."""
    if type(left) is int and type(right) is int:  # the common case: two plain numbers
        return bool(op(left, right))
    try:
        return bool(op(*as_c_compares(left, right)))
    except TypeError:
        return False


def as_c_compares(left: Any, right: Any) -> tuple[Any, Any]:
    """The operands as C compares them: NULL is 0 next to a number (``ov == 0`` is ``ov ==
    NULL``), and a buffer next to text compares its bytes with the text's UTF-8 bytes."""
    if left is None and isinstance(right, int):
        return 0, right
    if right is None and isinstance(left, int):
        return left, 0
    if isinstance(left, (bytes, bytearray)) and isinstance(right, str):
        return bytes(left), right.encode("utf-8")
    if isinstance(right, (bytes, bytearray)) and isinstance(left, str):
        return left.encode("utf-8"), bytes(right)
    return left, right


def _values_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return value_text(value)


def compile_condition(node: Node, scope: Scope) -> Condition:
    """Compile ``{that: A, <operator>: B}``."""
    if not isinstance(node, Map):
        node.fail(f"expected a condition such as {{that: $x, equals: 1}}; operators: {_ops()}")
    that = node.get("that")
    if that is None:
        node.fail("missing required key 'that' in a condition")
    ops = [key for key in node.keys if key != "that"]
    for key in ops:
        if key not in OPERATORS:
            node.key_node(key).fail(
                f"unknown operator {key!r}{did_you_mean(key, tuple(OPERATORS))}; "
                f"operators: {_ops()}"
            )
    if len(ops) != 1:
        node.fail(f"a condition has exactly one operator ({_ops()}), found {len(ops)}")
    op_name = ops[0]
    right_node = node.get(op_name)
    assert right_node is not None
    if op_name in ("in", "not_in") and not isinstance(right_node, Seq):
        right_node.fail(f"'{op_name}' takes a list of values")
    left = compile_value(that, scope)
    right: Callable[[Frame], Any]
    if isinstance(right_node, Seq):
        items = [compile_value(item, scope) for item in right_node]

        def right_list(frame: Frame) -> Any:
            return [item(frame) for item in items]

        right = right_list

    else:
        right = compile_value(right_node, scope)
    text = f"{_source(that)} {op_name} {_source(right_node)}"
    return Condition(left, op_name, right, text)


def _ops() -> str:
    return ", ".join(OPERATORS)


def _source(node: Node) -> str:
    plain = node.plain()
    return str(plain) if not isinstance(plain, str) else plain
