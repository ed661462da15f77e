"""Conditions: one comparison as data, compared as C compares; the account of a failure."""

from __future__ import annotations

from typing import Any

import pytest

from emu.scenario.conditions import Condition, compile_condition
from emu.scenario.frame import Frame
from emu.scenario.nodes import Node
from emu.scenario.values import Binding, Scope
from emu.scenario.yamlsafe import load_nodes


def condition(text: str, **names: Any) -> tuple[Condition, Frame]:
    node: Node = load_nodes(text.encode(), "t.yaml")
    scope = Scope("thread main", {name: Binding("variable", True) for name in names})
    frame = Frame(None, dict(names), "thread main")
    return compile_condition(node, scope), frame


@pytest.mark.parametrize(
    ("text", "names", "holds"),
    [
        ("{that: $x, equals: 3}", {"x": 3}, True),
        ("{that: $x, equals: 3}", {"x": 4}, False),
        ("{that: $x, not_equals: 3}", {"x": 4}, True),
        ("{that: $x, at_least: 3}", {"x": 3}, True),
        ("{that: $x, at_most: 2}", {"x": 3}, False),
        ("{that: $x, less_than: 4}", {"x": 3}, True),
        ("{that: $x, greater_than: 3}", {"x": 3}, False),
        ("{that: $x, in: [1, 3]}", {"x": 3}, True),
        ("{that: $x, not_in: [1, 3]}", {"x": 3}, False),
        # NULL is 0 next to a number, on either side.
        ("{that: $x, equals: 0}", {"x": None}, True),
        ("{that: $x, equals: NULL}", {"x": 0}, True),
        # A buffer compares its bytes with the text's UTF-8 bytes.
        ('{that: $x, equals: "data"}', {"x": bytearray(b"data")}, True),
        # TRUE is 1: a flag stored as a bool compares with it.
        ("{that: $x, equals: TRUE}", {"x": True}, True),
        # Operands that do not compare (text against a number) make it false, never an error.
        ("{that: $x, less_than: 3}", {"x": "text"}, False),
    ],
)
def test_holds_failure_and_evaluate_agree(text: str, names: dict[str, Any], holds: bool) -> None:
    cond, frame = condition(text, **names)
    assert cond.holds(frame) is holds
    assert cond.evaluate(frame)[0] is holds
    failure = cond.failure(frame)
    assert (failure is None) is holds
    if failure is not None:
        assert failure == cond.evaluate(frame)[1]


def test_the_account_names_the_condition_and_the_values_read() -> None:
    cond, frame = condition("{that: $x, in: [1, 2]}", x=None)
    assert cond.failure(frame) == "$x in [1, 2]: NULL in [1, 2]"
    cond, frame = condition("{that: $x, equals: 2}", x="two")
    assert cond.failure(frame) == "$x equals 2: 'two' == 2"


def test_each_side_is_read_once_per_check() -> None:
    reads: list[str] = []

    def counted(frame: Frame) -> int:
        reads.append("x")
        return 1

    cond, frame = condition("{that: $x, equals: 2}", x=1)
    cond.left = counted
    assert cond.failure(frame) == "$x equals 2: 1 == 2"
    assert reads == ["x"]
    assert cond.holds(frame) is False
    assert reads == ["x", "x"]
