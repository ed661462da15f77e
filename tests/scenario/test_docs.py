"""docs/scenarios.md: every YAML example is a complete scenario that loads, runs and passes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emu.properties.expectation import check_refs
from emu.scenario import load_text
from emu.sim import run_scenario
from tests.scenario.helpers import failures

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"
TEXT = DOC.read_text(encoding="utf-8")
EXAMPLES = [
    (TEXT[: m.start()].count("\n") + 1, m.group(1))
    for m in re.finditer(r"```yaml\n(.*?)```", TEXT, re.S)
]


def test_the_format_page_has_an_example_per_construct() -> None:
    joined = "\n".join(block for _, block in EXAMPLES)
    for construct in (
        "as:",
        "expect:",
        "locals:",
        "shared:",
        "handlers:",
        "params:",
        "repeat:",
        "until:",
        "if:",
        "set:",
        "increment:",
        "decrement:",
        "assert:",
        "return:",
        "note:",
        "work:",
        "devices:",
        "timeline:",
        "faults:",
        "probability:",
        "between:",
        "python:",
        "blocks_forever:",
        "drivers:",
        "routines:",
        "entry:",
        "unload:",
        "run_until:",
        "expect:",
        "seed:",
        "schedule:",
        "machine:",
        "{new:" if False else "count:",
        "kernel.post",
        "kernel.set_event",
        "kernel.reset_event",
        "kernel.queue_apc",
        "kernel.close",
        "kernel.unload_driver",
    ):
        assert construct in joined, construct


@pytest.mark.parametrize(("line", "block"), EXAMPLES, ids=[str(line) for line, _ in EXAMPLES])
def test_each_example_loads_runs_and_passes(line: int, block: str) -> None:
    # Padded so that positions in messages are the page's own line numbers.
    scenario = load_text("\n" * line + block, str(DOC))
    check_refs(scenario)
    result = run_scenario(scenario)
    assert failures(result) == []
