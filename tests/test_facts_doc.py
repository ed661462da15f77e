"""docs/facts.md names tests that exist, for every fact F5.1 to F5.29."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_fact_is_pinned_by_tests_that_exist() -> None:
    doc = (ROOT / "docs" / "facts.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (F5\.\d+) \|[^|]*\| (.*) \|$", doc, re.M))
    assert sorted(rows, key=lambda f: int(f.split(".")[1])) == [f"F5.{n}" for n in range(1, 30)]
    for fact, cell in rows.items():
        refs = re.findall(r"`([^`]+)::(\w+)`", cell)
        assert refs, f"{fact} names no test"
        for path, name in refs:
            source = (ROOT / path).read_text(encoding="utf-8")
            assert f"def {name}(" in source, f"{fact}: {path}::{name} does not exist"
