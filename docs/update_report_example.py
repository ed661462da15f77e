"""Rewrite the example report of docs/report.md from a real run.

python docs/update_report_example.py

The example is ``emu run --json scenarios/kernel/bug-apc-counter-race.yaml`` (run from the
repository's root), abbreviated for reading: each top-level field on its own line, long lists
cut to their first items and ``…``, long texts cut with ``…``, the file's sha256 to four
characters. ``tests/test_cli_explore.py`` checks that the example is what this prints today.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from emu.cli_scenarios import report_of
from emu.explore.declared import declared_verdict, open_target

BEGIN = "<!-- example:begin (python docs/update_report_example.py) -->\n"
END = "<!-- example:end -->\n"
ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "scenarios/kernel/bug-apc-counter-race.yaml"
ITEMS = 2  # list items kept
TEXT = 90  # characters of a text kept


def _short(value: Any, key: str = "") -> Any:
    if isinstance(value, str):
        if key == "sha256":
            return value[:4] + "…"
        return value if len(value) <= TEXT else value[:TEXT].rstrip() + " …"
    if isinstance(value, list):
        kept = [_short(v) for v in value[:ITEMS]]
        return [*kept, "…"] if len(value) > ITEMS else kept
    if isinstance(value, dict):
        return {k: _short(v, k) for k, v in value.items()}
    return value


def report() -> dict[str, Any]:
    """The report ``emu run --json`` gives for the example scenario, from the root."""
    here = Path.cwd()
    os.chdir(ROOT)
    try:
        return report_of(declared_verdict(open_target(SCENARIO)))
    finally:
        os.chdir(here)


def example() -> str:
    """The abbreviated report as the JSON block of docs/report.md."""
    data = _short(report())
    fields = [
        f"{json.dumps(key, ensure_ascii=False)}: {json.dumps(value, ensure_ascii=False)}"
        for key, value in data.items()
    ]
    body = ",\n ".join(fields).replace('"…"', "…")
    return "```json\n{" + body + "}\n```\n"


def main() -> None:
    path = ROOT / "docs" / "report.md"
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(head + BEGIN + example() + END + tail, encoding="utf-8")


if __name__ == "__main__":
    main()
