"""Rewrite the catalogue section of docs/rules.md from the catalogue the code registers.

python docs/update_catalogue.py
"""

from __future__ import annotations

from pathlib import Path

from emu.properties.listing import catalogue_markdown

BEGIN = "<!-- catalogue:begin (python docs/update_catalogue.py) -->\n"
END = "<!-- catalogue:end -->\n"


def main() -> None:
    path = Path(__file__).with_name("rules.md")
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(head + BEGIN + catalogue_markdown() + END + tail, encoding="utf-8")


if __name__ == "__main__":
    main()
