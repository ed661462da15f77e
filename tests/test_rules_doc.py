"""docs/rules.md lists every rule: every violation id the code can record is in the catalogue
and on the page, and the page's catalogue section is the one the code registers."""

from __future__ import annotations

import re
from pathlib import Path

from emu.properties.catalogue import lookup
from emu.properties.listing import catalogue_markdown

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "rules.md"
BEGIN = "<!-- catalogue:begin (python docs/update_catalogue.py) -->\n"
END = "<!-- catalogue:end -->\n"


def recorded_ids() -> set[str]:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "emu").rglob("*.py"))
    ids = set(re.findall(r'"((?:kernel|win32|scenario|scm)\.[a-z_]+)"', source))
    ids -= set(re.findall(r'trace_kind\(\s*"([a-z_.]+)"', source))  # event kinds, not rules
    ids -= set(re.findall(r'\bat="([a-z_.]+)"', source))  # JSON paths in replay errors
    return ids


def test_every_violation_id_in_the_code_is_in_the_catalogue_and_documented() -> None:
    ids = recorded_ids()
    assert ids, "the scan found no violation ids"
    assert sorted(i for i in ids if lookup(i) is None) == []
    doc = DOC.read_text(encoding="utf-8")
    assert sorted(i for i in ids if f"`{i}`" not in doc) == []


def test_the_catalogue_section_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert section == catalogue_markdown(), "run: python docs/update_catalogue.py"
