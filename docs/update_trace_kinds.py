"""Rewrite the table of trace kinds in docs/trace.md from the kinds the code declares.

python docs/update_trace_kinds.py
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import emu
from emu.kernel.trace import kinds_markdown

BEGIN = "<!-- kinds:begin (python docs/update_trace_kinds.py) -->\n"
END = "<!-- kinds:end -->\n"


def import_all() -> None:
    """Import every module of emu, so that every trace kind is declared."""
    for module in pkgutil.walk_packages(emu.__path__, "emu."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def main() -> None:
    import_all()
    path = Path(__file__).with_name("trace.md")
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(head + BEGIN + kinds_markdown() + END + tail, encoding="utf-8")


if __name__ == "__main__":
    main()
