"""docs/facts.md read as data: each fact's row and the tests and scenarios it names."""

from __future__ import annotations

import re
from typing import Final

ROW: Final = re.compile(r"^\| (F\d+\.\d+) \|([^|]*)\| (.*) \|$", re.M)
TEST_REF: Final = re.compile(r"`([^`]+\.py)::(\w+)`")
SCENARIO_REF: Final = re.compile(r"`(scenarios/[^`]+\.yaml)`")
SHIPPED_TEST: Final = (
    "tests/scenario/test_shipped.py::test_each_shipped_scenario_gives_its_declared_verdict"
)


def fact_rows(doc: str) -> dict[str, str]:
    """Fact id -> the "pinned by" cell of its row."""
    return {fact: cell for fact, _what, cell in ROW.findall(doc)}


def named_tests(cell: str) -> list[tuple[str, str]]:
    """The (path, function) of every test a cell names."""
    return TEST_REF.findall(cell)


def scenarios_of(cell: str) -> list[str]:
    """The shipped scenario files a cell names (relative to the repository)."""
    return SCENARIO_REF.findall(cell)


def pytest_ids(cell: str) -> list[str]:
    """What pytest runs for a row: its tests, and for each scenario the shipped-scenario test
    with that scenario's id."""
    ids = [f"{path}::{name}" for path, name in named_tests(cell)]
    ids += [f"{SHIPPED_TEST}[{s.removeprefix('scenarios/')}]" for s in scenarios_of(cell)]
    return ids


def mentions(text: str, fact: str) -> bool:
    """Whether ``text`` names ``fact`` (F5.2 or F5_2, not F5.20)."""
    area, number = fact[1:].split(".")
    return re.search(rf"F{area}[._]{number}(?![0-9])", text) is not None
