"""Rewrite the table of trace kinds in docs/trace.md from the kinds the code declares.

python docs/update_trace_kinds.py
"""

from __future__ import annotations

from pathlib import Path

import emu.cli
import emu.demo
import emu.timeline  # noqa: F401
from emu.kernel.trace import kinds_markdown

BEGIN = "<!-- kinds:begin (python docs/update_trace_kinds.py) -->\n"
END = "<!-- kinds:end -->\n"


def main() -> None:
    path = Path(__file__).with_name("trace.md")
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(head + BEGIN + kinds_markdown() + END + tail, encoding="utf-8")


if __name__ == "__main__":
    main()
