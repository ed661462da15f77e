"""Safe loading: positions on every node, YAML 1.2 core scalars, no tags, bounded input."""

from __future__ import annotations

import pytest

from emu.errors import ScenarioError
from emu.scenario.nodes import Map, Scalar, Seq, resolve_plain
from emu.scenario.yamlsafe import MAX_BYTES, load_nodes


def test_every_node_keeps_its_line_column_and_breadcrumb() -> None:
    root = load_nodes(b"a:\n  b: [1, {c: x}]\n", "f.yaml")
    assert isinstance(root, Map)
    b = root.get("a")
    assert isinstance(b, Map)
    seq = b.get("b")
    assert isinstance(seq, Seq)
    inner = seq.items[1]
    assert isinstance(inner, Map)
    c = inner.get("c")
    assert isinstance(c, Scalar)
    assert (c.line, c.column, c.path) == (2, 14, "a.b[1].c")
    assert str(c.error("bad")) == "f.yaml:2:14: bad [in a.b[1].c]"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("null", None),
        ("~", None),
        ("", None),
        ("true", True),
        ("False", False),
        ("yes", "yes"),  # YAML 1.2 core: no "Norway problem"
        ("off", "off"),
        ("42", 42),
        ("-7", -7),
        ("0x1F", 31),
        ("0o17", 15),
        ("1.5", 1.5),
        ("010", "010"),  # a leading zero is not an octal number: it stays text
        ("10ms", "10ms"),
        ("GENERIC_READ", "GENERIC_READ"),
    ],
)
def test_plain_scalars_follow_the_yaml_1_2_core_rules(text: str, value: object) -> None:
    assert resolve_plain(text) == value


def test_quoted_scalars_are_always_text() -> None:
    root = load_nodes(b"a: '42'\nb: \"true\"\n", "f.yaml")
    assert isinstance(root, Map)
    assert root.plain() == {"a": "42", "b": "true"}


def test_aliases_are_expanded_within_the_limit() -> None:
    root = load_nodes(b"a: &x [1, 2]\nb: *x\n", "f.yaml")
    assert root.plain() == {"a": [1, 2], "b": [1, 2]}


def test_oversized_files_are_refused_before_parsing() -> None:
    with pytest.raises(ScenarioError, match="a scenario is at most 1,048,576 bytes"):
        load_nodes(b"#" * (MAX_BYTES + 1), "big.yaml")


def test_a_key_that_is_a_mapping_is_refused() -> None:
    with pytest.raises(ScenarioError, match="a key must be a plain name"):
        load_nodes(b"? {a: 1}\n: 2\n", "f.yaml")


def test_malformed_numbers_stay_text_for_the_compiler_to_refuse() -> None:
    for text in ("1_", "1__0", "0x_", "0o1_", "1" * 5000, "0x" + "f" * 4000):
        assert resolve_plain(text) == text
    assert resolve_plain("0xffffffffffffffff") == 2**64 - 1  # 64 bits is the limit
    assert resolve_plain("0x1ffffffffffffffff") == "0x1ffffffffffffffff"


def test_nesting_that_would_overflow_the_parser_is_refused_in_one_line() -> None:
    data = b"a: " + b"[" * 500 + b"]" * 500 + b"\n"
    with pytest.raises(ScenarioError, match=r"^f\.yaml:1:[0-9]+: nesting deeper than 64 levels"):
        load_nodes(data, "f.yaml")


def test_a_lone_surrogate_in_text_is_a_one_line_error() -> None:
    from emu.scenario import load_text

    with pytest.raises(ScenarioError, match="is not UTF-8"):
        load_text("version: 1\nname: t\ndescription: \ud800\n", "f.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\nthreads:\n  main:\n    steps:\n      - Sleep: 1\n     - Sleep: 2\n",
            "x.yaml:6:6: this line does not line up with the lines above it: it falls in the "
            "mapping that starts at line 4, column 5; the keys of one mapping and the items of "
            "one list start in the same column",
        ),
        (
            "version: 1\nthreads:\n  main:\n    steps:\n      - Sleep: 1\n      bad: 2\n",
            "x.yaml:6:7: this line does not line up with the lines above it: it falls in the list "
            "(each item starts with '- ') that starts at line 5, column 7; the keys of one "
            "mapping and the items of one list start in the same column",
        ),
        (
            "version: 1\nname: x\n  threads: {}\n",
            "x.yaml:3:10: a 'key:' is not allowed here: this line is indented deeper than the "
            "line above it, or a plain value contains ': ' (put such a value in quotes)",
        ),
        (
            'version: 1\nname: "x\n',
            "x.yaml:3:1: the quoted text that starts at line 2, column 7 is never closed",
        ),
        (
            "threads: {main: {steps: [1, 2}}\n",
            "x.yaml:1:30: the [ opened at line 1, column 25 is not closed: a ',' or ']' was "
            "expected here",
        ),
    ],
)
def test_yaml_syntax_errors_are_explained_in_words(text: str, expected: str) -> None:
    # No parser jargon (`expected <block end>`): what is wrong and where the block began.
    with pytest.raises(ScenarioError) as info:
        load_nodes(text.encode(), "x.yaml")
    assert info.value.one_line() == expected
