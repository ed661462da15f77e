"""docs/sources.md: every citation resolves to a public source the repository names.

A verdict prints each property's source; docstrings and documents cite facts (F1.12, F5.20),
Microsoft pages and conformance tests. Each must be listed in docs/sources.md, and nothing may
point at a file outside the repository.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emu.properties.catalogue import properties

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
FACT = re.compile(r"\bF(\d+)\.(\d+)\b")
OUTSIDE = re.compile(r"DESIGN\.md|shared/spec|\.\./shared|\bseed\s+(?:page\s+)?0\d\d\b")


def _first_cells(heading: str) -> list[str]:
    """The first column of the table under ``heading`` (its rows' citation keys)."""
    section = SOURCES.split(heading, 1)[1].split("\n## ", 1)[0]
    cells = re.findall(r"^\| ([^|]+?) \|", section, re.M)
    return [c for c in cells if c not in ("cited as", "fact", "---")]


FACTS = set(_first_cells("### F1") + _first_cells("### F2") + _first_cells("### F5"))
KEYS = [
    key.strip()
    for cell in _first_cells("## Microsoft pages")
    + _first_cells("## Conformance tests")
    + _first_cells("## emu's own rules")
    for key in cell.split(", ")
]


def _texts() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "ARCHITECTURE.md"]
    folders = (("emu", "*.py"), ("docs", "*.md"), ("scenarios", "*"), ("tests", "*.py"))
    for folder, pattern in folders:
        files.extend(p for p in (ROOT / folder).rglob(pattern) if p.is_file())
    kept = (".py", ".md", ".yaml")
    return [p for p in files if p.suffix in kept and "__pycache__" not in p.parts]


def test_every_fact_cited_anywhere_is_listed() -> None:
    missing = []
    for path in _texts():
        if path.name == "test_sources_doc.py":
            continue
        for match in FACT.finditer(path.read_text(encoding="utf-8")):
            if match.group(0) not in FACTS:
                missing.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert not missing, missing


def test_nothing_cites_a_file_outside_the_repository() -> None:
    found = []
    for path in _texts():
        if path.name == "test_sources_doc.py":
            continue
        text = path.read_text(encoding="utf-8")
        for match in OUTSIDE.finditer(text):
            number = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{number}: {match.group(0)}")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("entry", properties(), ids=lambda p: p.id)
def test_every_catalogue_source_resolves(entry: object) -> None:
    source = entry.source  # type: ignore[attr-defined]
    for fact in FACT.findall(source):
        assert f"F{fact[0]}.{fact[1]}" in FACTS, f"{source}: F{fact[0]}.{fact[1]} is not listed"
    for part in source.split(";"):
        segment = part.strip()
        if FACT.match(segment):
            continue  # facts, checked above (and their parenthesised test names)
        if segment.startswith("docs/") and (ROOT / segment.split()[0]).is_file():
            continue
        assert any(segment.startswith(key) for key in KEYS), (
            f"{entry.id}: {segment!r} names no source listed in docs/sources.md"  # type: ignore[attr-defined]
        )
