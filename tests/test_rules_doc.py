"""docs/rules.md lists every inline violation id the code can record."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_violation_id_in_the_code_is_documented() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "emu").rglob("*.py"))
    ids = set(re.findall(r'"((?:kernel|win32|scenario)\.[a-z_]+)"', source))
    ids -= set(re.findall(r'trace_kind\(\s*"([a-z_.]+)"', source))  # event kinds, not rules
    assert ids, "the scan found no violation ids"
    doc = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    missing = sorted(i for i in ids if f"`{i}`" not in doc)
    assert missing == []
