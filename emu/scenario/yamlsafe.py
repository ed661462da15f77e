"""Safe loading of a scenario file into positioned nodes.

A scenario file is data. It is parsed with PyYAML's safe scanner and composer only (nothing is
ever constructed, so no tag can execute anything), and turned into ``emu.scenario.nodes``:

- **no tags**: any explicit tag (``!!python/object``, ``!!str``, ``!custom``) is refused;
- **no duplicate keys**: the second occurrence is an error pointing at both;
- **bounded**: a file over 1 MiB, nesting deeper than 64 levels, or more than 50,000 nodes once
  aliases are expanded (an alias bomb) is refused with a message saying which limit;
- **text only**: a NUL byte, bytes that are not UTF-8, a non-printable character, a tab used
  for indentation, an empty file, or a stream of several documents each give one error line;
- **JSON too**: YAML reads JSON, and in a ``.json`` file a double-quoted string is read as the
  same word written plainly (JSON has no other way to write ``INFINITE`` or ``$ev``).

Every error is a ``ScenarioError`` whose text is one line, ``file:line:column: message``.
"""

from __future__ import annotations

from typing import Any, Final

import yaml

from emu.errors import ScenarioError
from emu.scenario.nodes import Map, Node, Scalar, Seq, child_path

MAX_BYTES: Final = 1 << 20
MAX_DEPTH: Final = 64
MAX_NODES: Final = 50_000

_IMPLICIT: Final = "tag:emu,2026:implicit"


class _Loader(yaml.SafeLoader):
    """Scanner, parser and composer of the safe loader; every implicit tag is a marker, so an
    explicit one stands out."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        return _IMPLICIT


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of byte ``offset``."""
    before = data[:offset]
    line = before.count(b"\n") + 1
    column = offset - (before.rfind(b"\n") + 1) + 1
    return line, column


def _text_position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def decode(data: bytes, file: str) -> str:
    """The file's text, or a ScenarioError if it is too big, binary or not UTF-8."""
    if len(data) > MAX_BYTES:
        raise ScenarioError(
            f"the file is {len(data):,} bytes; a scenario is at most {MAX_BYTES:,} bytes",
            file=file,
            line=1,
            column=1,
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _position(data, nul)
        raise ScenarioError(
            "binary data (a NUL byte): a scenario is YAML text", file=file, line=line, column=column
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        raise ScenarioError(
            f"byte 0x{data[exc.start]:02x} is not UTF-8: a scenario is UTF-8 text",
            file=file,
            line=line,
            column=column,
        ) from None


def _yaml_message(problem: str, context: str = "", where: str = "") -> str:
    """The parser's complaint in words a scenario author acts on. ``context`` is what the
    parser was reading (``while parsing a block mapping``) and ``where`` where that began."""
    if "'\\t'" in problem:
        return "a tab character: YAML indents with spaces only"
    if "expected a single document" in problem or "found another document" in problem:
        return "more than one YAML document: a scenario file holds exactly one"
    if problem.startswith("found undefined alias"):
        return f"{problem} (an alias *name needs an anchor &name before it)"
    if problem.startswith("expected <block end>") and context.startswith("while parsing a block"):
        block = "mapping" if "mapping" in context else "list (each item starts with '- ')"
        return (
            f"this line does not line up with the lines above it: it falls in the {block} "
            f"that starts at {where}; the keys of one mapping and the items of one list start "
            "in the same column"
        )
    if problem == "mapping values are not allowed here":
        return (
            "a 'key:' is not allowed here: this line is indented deeper than the line above "
            "it, or a plain value contains ': ' (put such a value in quotes)"
        )
    if context.startswith("while parsing a flow") and problem.startswith("expected ','"):
        bracket = "[" if "sequence" in context else "{"
        closing = "]" if bracket == "[" else "}"
        return (
            f"the {bracket} opened at {where} is not closed: a ',' or '{closing}' was expected here"
        )
    if context == "while scanning a quoted scalar":
        return f"the quoted text that starts at {where} is never closed"
    return f"YAML syntax error: {problem}"


def compose(text: str, file: str) -> yaml.Node | None:
    """The YAML node graph of ``text`` (None for an empty document)."""
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        start = exc.context_mark
        where = f"line {start.line + 1}, column {start.column + 1}" if start is not None else ""
        message = _yaml_message(problem, exc.context or "", where)
        raise ScenarioError(message, file=file, line=line, column=column) from None
    except yaml.reader.ReaderError as exc:
        line, column = _text_position(text, exc.position)
        raise ScenarioError(
            f"non-printable character U+{exc.character:04X}: a scenario is YAML text",
            file=file,
            line=line,
            column=column,
        ) from None
    except RecursionError:  # the composer recurses per level: far too deep for a scenario
        mark = loader.get_mark() if loader is not None else None
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise ScenarioError(
            f"nesting deeper than {MAX_DEPTH} levels", file=file, line=line, column=column
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML raises the two kinds above
        raise ScenarioError(f"YAML error: {exc}", file=file, line=1, column=1) from None
    finally:
        if loader is not None:
            loader.dispose()


class _Builder:
    """Turns the composed graph into positioned nodes, expanding aliases within the limits."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.count = 0
        # JSON has no plain words: in a scenario written as JSON (a .json file) a string reads
        # as the same word written plainly (INFINITE is the constant, "$ev" the reference)
        self.json = file.endswith(".json")

    def build(self, node: yaml.Node, path: str, depth: int) -> Node:
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        self.count += 1
        if self.count > MAX_NODES:
            raise ScenarioError(
                f"more than {MAX_NODES:,} nodes once aliases are expanded "
                "(an alias bomb?); a scenario is refused beyond that",
                file=self.file,
                line=line,
                column=column,
                path=path,
            )
        if depth > MAX_DEPTH:
            raise ScenarioError(
                f"nesting deeper than {MAX_DEPTH} levels (a recursive alias?)",
                file=self.file,
                line=line,
                column=column,
                path=path,
            )
        if node.tag != _IMPLICIT:
            raise ScenarioError(
                f"YAML tag {node.tag!r} is not allowed: a scenario is plain data "
                "(quote the value if it is a string)",
                file=self.file,
                line=line,
                column=column,
                path=path,
            )
        if isinstance(node, yaml.ScalarNode):
            quoted = node.style in ("'", '"', "|", ">") and not (self.json and node.style == '"')
            return Scalar(self.file, line, column, path, str(node.value), quoted)
        if isinstance(node, yaml.SequenceNode):
            seq = Seq(self.file, line, column, path)
            for index, item in enumerate(node.value):
                seq.items.append(self.build(item, child_path(path, index), depth + 1))
            return seq
        assert isinstance(node, yaml.MappingNode)
        mapping = Map(self.file, line, column, path)
        for key_node, value_node in node.value:
            key = self.build(key_node, path, depth + 1)
            if not isinstance(key, Scalar) or isinstance(key.value, (list, dict)):
                key.fail("a key must be a plain name, not a list or mapping")
            name = str(key.value) if key.value is not None else "null"
            if name in mapping:
                first = mapping.key_node(name)
                key.fail(f"duplicate key {name!r} (first at line {first.line})")
            value = self.build(value_node, child_path(path, name), depth + 1)
            mapping.add(key, value)
        return mapping


def load_nodes(data: bytes, file: str) -> Node:
    """Parse a scenario file's bytes into positioned nodes; ScenarioError on any problem."""
    text = decode(data, file)
    root = compose(text, file)
    if root is None:
        raise ScenarioError(
            "the file is empty: a scenario is a mapping with at least `version`, `name` and "
            "`threads`",
            file=file,
            line=1,
            column=1,
        )
    return _Builder(file).build(root, "", 0)
