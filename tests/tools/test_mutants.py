"""The mutation tool (tools/mutants.py, tools/mutate.py): which bugs it plants, where, and that
a draw is the same everywhere. Running mutants is the periodic check of docs/mutation.md."""

from __future__ import annotations

import textwrap

from tools.mutants import mutants_of
from tools.mutate import choose, module_files, suite_of

SOURCE = textwrap.dedent(
    '''\
    """A module docstring: 1 < 2 is not code."""
    from typing import TYPE_CHECKING
    from collections import deque

    if TYPE_CHECKING:
        LIMIT = 3


    class Queue:
        """Docstring."""

        __slots__ = ("items", "count")

        def __init__(self) -> None:
            self.items: deque[int] = deque()
            self.count = 0

        def take(self, n: int = 1) -> int:
            assert n >= 0
            if self.items and n < 2:
                self.count += 1
                return self.items.popleft()
            return self.items[0] + 0  # pragma: no mutate
    '''
)


def by_operator(source: str) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for m in mutants_of("m.py", source):
        found.setdefault(m.operator, []).append((" ".join(m.old.split()), m.new.strip()))
    return found


def test_each_operator_plants_its_bug_and_nothing_in_docs_annotations_or_asserts() -> None:
    found = by_operator(SOURCE)
    assert found["compare"] == [("n < 2", "n <= 2")]
    assert found["negate"] == [("self.items and n < 2", "not (self.items and n < 2)")]
    assert found["boolean"] == [("self.items and n < 2", "self.items or n < 2")]
    assert found["constant"] == [("0", "1"), ("2", "3"), ("1", "2")]
    assert found["arith"] == [("self.count += 1", "self.count -= 1")]
    assert found["order"] == [("self.items.popleft()", "self.items.pop()")]
    assert found["drop"] == [("self.count = 0", "pass"), ("self.count += 1", "pass")]
    assert found["return"] == [("", "return")]  # __init__ returns None; take does not
    assert set(found) == {"compare", "negate", "boolean", "constant", "arith", "order"} | {
        "drop",
        "return",
    }


def test_a_mutant_changes_only_its_span_and_compiles() -> None:
    for m in mutants_of("m.py", SOURCE):
        changed = m.apply(SOURCE)
        assert changed[: m.start] == SOURCE[: m.start]
        assert changed[m.start + len(m.new) :] == SOURCE[m.end :]
        compile(changed, "m.py", "exec")


def test_a_generator_that_returns_at_once_stays_a_generator() -> None:
    source = "def g() -> Generator[Park, None, None]:\n    yield 1\n"
    (early,) = [m for m in mutants_of("g.py", source) if m.operator == "return"]
    namespace: dict[str, object] = {"Generator": list, "Park": int}
    exec(compile(early.apply(source), "g.py", "exec"), namespace)
    assert list(namespace["g"]()) == []  # type: ignore[operator]


def test_the_draw_is_seeded_and_in_source_order() -> None:
    files = module_files(["emu/kernel/event.py", "emu/kernel/iocp.py"])
    assert files == ["emu/kernel/event.py", "emu/kernel/iocp.py"]
    first, again, other = choose(files, 10, 1), choose(files, 10, 1), choose(files, 10, 2)
    assert first == again and first != other
    assert [(m.path, m.start) for m in first] == sorted((m.path, m.start) for m in first)


def test_a_module_runs_its_mirror_first_then_its_suites() -> None:
    tests = suite_of("emu/kernel/iocp.py")
    assert tests[0] == "tests/kernel/test_iocp.py"
    assert "tests/win32/kernel32" in tests and "tests/scenario/test_shipped.py" in tests
    scm = suite_of("emu/devices/scm_notify.py")
    assert scm[:2] == ["tests/devices/test_scm_notify.py", "tests/devices/test_scm.py"]
    assert suite_of("emu/properties/verdict.py")[0] == "tests/properties/test_verdict.py"


def test_match_draws_only_from_the_mutants_it_names() -> None:
    # --match REGEX: only mutants whose "where  describe" line matches (to rerun survivors).
    files = module_files(["emu/kernel/event.py", "emu/kernel/iocp.py"])
    every = choose(files, 10_000, 1)
    pattern = r"event\.py:\d+:\d+  drop: "
    chosen = choose(files, 10_000, 1, [pattern])
    assert chosen and all(m.path == "emu/kernel/event.py" and m.operator == "drop" for m in chosen)
    assert chosen == [m for m in every if m.path.endswith("event.py") and m.operator == "drop"]
    # Several patterns: any of them; a limit still draws among the matching ones only.
    both = choose(files, 10_000, 1, [pattern, r"iocp\.py:.*  order: "])
    assert {m.operator for m in both} == {"drop", "order"}
    assert set(choose(files, 2, 7, [pattern])) <= set(chosen)
