"""docs/facts.md's claims are real: every fact of F5 (the kernel) and F1 (the SCM) has a row;
each test a row names exists and says the fact's id; each scenario it names is shipped (so
tests/scenario/test_shipped.py runs it and checks its expect:) and its description says the
id; and each fact has a planted bug (tools/fact_plants.py) still applicable to the source, for
the periodic ``python -m tools.mutate --facts`` that shows the row's tests kill it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from tools.fact_plants import PLANTS
from tools.facts_table import fact_rows, mentions, named_tests, pytest_ids, scenarios_of

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "facts.md").read_text(encoding="utf-8")
ROWS = fact_rows(DOC)
AREAS = {"F5": 29, "F1": 20}
FACTS = [f"{area}.{n}" for area, count in AREAS.items() for n in range(1, count + 1)]


def function_source(path: str, name: str) -> str | None:
    """The text of a test function with its decorators (parametrize comments carry ids)."""
    source = (ROOT / path).read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            lines = source.splitlines()[first - 1 : node.end_lineno]
            return "\n".join(lines)
    return None


def test_every_fact_has_a_row_in_order() -> None:
    assert list(ROWS) == FACTS


@pytest.mark.parametrize("fact", FACTS)
def test_each_named_test_exists_and_says_its_fact(fact: str) -> None:
    cell = ROWS[fact]
    refs = named_tests(cell)
    assert refs or scenarios_of(cell), f"{fact} names no test"
    for path, name in refs:
        source = function_source(path, name)
        assert source is not None, f"{fact}: {path}::{name} does not exist"
        assert mentions(source, fact), f"{fact}: {path}::{name} does not say {fact}"


@pytest.mark.parametrize("fact", [f for f in FACTS if scenarios_of(ROWS[f])])
def test_each_named_scenario_is_shipped_and_says_its_fact(fact: str) -> None:
    for scenario in scenarios_of(ROWS[fact]):
        path = ROOT / scenario
        assert path.is_file(), f"{fact}: {scenario} does not exist"
        description = yaml.safe_load(path.read_text(encoding="utf-8")).get("description", "")
        assert mentions(description, fact), f"{fact}: {scenario}'s description does not say it"


def test_the_ids_a_row_runs_are_pytest_node_ids() -> None:
    cell = "`tests/a.py::test_x`, `scenarios/scm/close-cancels.yaml`, `tests/b/c.py::test_F1_2_y`"
    assert pytest_ids(cell) == [
        "tests/a.py::test_x",
        "tests/b/c.py::test_F1_2_y",
        "tests/scenario/test_shipped.py::test_each_shipped_scenario_gives_its_declared_verdict"
        "[scm/close-cancels.yaml]",
    ]


def test_a_fact_id_is_matched_whole() -> None:
    assert mentions("F5.20: the concurrency value", "F5.20")
    assert mentions("def test_F5_5_F5_19_blocked", "F5.5")
    assert not mentions("F5.20 and F5.21", "F5.2")
    assert not mentions("F1.10", "F1.1")


def test_every_fact_has_a_plant_whose_text_is_in_the_source() -> None:
    assert sorted({p.fact for p in PLANTS}, key=FACTS.index) == FACTS
    for plant in PLANTS:
        source = (ROOT / plant.path).read_text(encoding="utf-8")
        found = source.count(plant.old)
        assert found == 1, f"{plant.fact}: the planted text occurs {found} times in {plant.path}"
        assert plant.new != plant.old


def test_the_differences_section_names_facts_that_have_rows() -> None:
    section = DOC.split("## Deliberate differences", 1)[1]
    for fact in re.findall(r"\*\*(F\d+\.\d+)", section):
        assert fact in ROWS, fact
