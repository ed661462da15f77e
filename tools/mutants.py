"""Mutants of a Python module: small, plausible bugs, one at a time, found through its AST.

Each ``Mutant`` replaces one span of the source (line and column range of an AST node, or
of a whole statement) with new text; everything else in the file stays byte for byte. The
operators are the bugs a reviewer would miss:

- ``compare``: ``<`` <-> ``<=``, ``>`` <-> ``>=``, ``==`` <-> ``!=``, ``in`` <-> ``not in``,
  ``is`` <-> ``is not``;
- ``constant``: an integer ``n`` becomes ``n + 1`` (off by one), ``True`` <-> ``False``;
- ``negate``: the condition of an ``if``, ``elif``, ``while`` or conditional expression is
  negated;
- ``boolean``: ``and`` <-> ``or``;
- ``arith``: ``+`` <-> ``-`` (also in ``+=`` and ``-=``);
- ``drop``: a one-line statement that calls, raises, or assigns to an attribute or an item
  becomes ``pass`` (not a local variable's assignment: that only crashes);
- ``order``: a FIFO pop becomes LIFO and back (``.popleft()`` <-> ``.pop()``, ``.pop(0)``
  <-> ``.pop()``), ``[0]`` <-> ``[-1]``;
- ``return``: a function returning nothing returns at once (after its docstring).

Docstrings, other strings, annotations, ``__slots__``, ``if TYPE_CHECKING:`` blocks and
lines marked ``# pragma: no mutate`` are never mutated. Enumeration order is the source
order (line, column, operator), so a seeded sample is the same on every machine.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Final

COMPARE_SWAP: Final[dict[type[ast.cmpop], type[ast.cmpop]]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
NO_MUTATE: Final = "pragma: no mutate"


@dataclass(frozen=True, slots=True)
class Mutant:
    """One change to one file: the text in ``[start, end)`` (offsets) becomes ``new``."""

    path: str
    line: int
    column: int
    operator: str
    start: int
    end: int
    old: str
    new: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}:{self.column + 1}"

    @property
    def describe(self) -> str:
        old = " ".join(self.old.split())
        new = " ".join(self.new.split())
        return f"{self.operator}: {_clip(old)} -> {_clip(new)}"

    def apply(self, source: str) -> str:
        assert source[self.start : self.end] == self.old, f"{self.where}: the source changed"
        return source[: self.start] + self.new + source[self.end :]


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


class _Offsets:
    """(line, column) of the AST -> offsets into the source text."""

    def __init__(self, source: str) -> None:
        self.starts = [0]
        for line in source.splitlines(keepends=True):
            self.starts.append(self.starts[-1] + len(line))
        self.lines = source.splitlines()
        self.source = source

    def of(self, line: int, column: int) -> int:
        # ast columns are UTF-8 byte offsets; convert on the line.
        text = self.lines[line - 1].encode("utf-8")[:column].decode("utf-8")
        return self.starts[line - 1] + len(text)

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (
            self.of(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            self.of(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
        )

    def marked(self, line: int) -> bool:
        return NO_MUTATE in self.lines[line - 1]


class _Finder(ast.NodeVisitor):
    def __init__(self, path: str, source: str) -> None:
        self.path = path
        self.text = _Offsets(source)
        self.found: list[Mutant] = []
        self.skip: set[int] = set()  # ids of nodes not to mutate (docstrings, annotations)

    # -- recording ----------------------------------------------------------------------------

    def add(self, node: ast.AST, operator: str, new: str) -> None:
        line = node.lineno  # type: ignore[attr-defined]
        if self.text.marked(line):
            return
        start, end = self.text.span(node)
        old = self.text.source[start:end]
        if old == new:
            return
        column = node.col_offset  # type: ignore[attr-defined]
        self.found.append(Mutant(self.path, line, column, operator, start, end, old, new))

    def replaced(self, node: ast.AST, new_node: ast.AST) -> str:
        return ast.unparse(ast.fix_missing_locations(new_node))

    # -- what is never mutated ----------------------------------------------------------------

    def visit(self, node: ast.AST) -> None:
        if id(node) not in self.skip:
            super().visit(node)

    def _skip_docstring(self, body: list[ast.stmt]) -> None:
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            self.skip.add(id(body[0]))

    def visit_Module(self, node: ast.Module) -> None:
        self._skip_docstring(node.body)
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._skip_docstring(node.body)
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__slots__" for t in stmt.targets
            ):
                self.skip.add(id(stmt))
            if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
                self.skip.add(id(stmt))
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._skip_docstring(node.body)
        if node.returns is not None:
            self.skip.add(id(node.returns))
        for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
            if arg.annotation is not None:
                self.skip.add(id(arg.annotation))
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.skip.add(id(default))
        self._early_return(node)
        for stmt in node.body:
            self.visit(stmt)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.skip.add(id(node.annotation))
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
            return
        self._negate(test)
        self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        return  # an assertion is a check of emu's own invariants, not behaviour

    # -- operators ----------------------------------------------------------------------------

    def visit_While(self, node: ast.While) -> None:
        self._negate(node.test)
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self._negate(node.test)
        self.generic_visit(node)

    def _negate(self, test: ast.expr) -> None:
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            self.add(test, "negate", ast.unparse(test.operand))
        else:
            self.add(test, "negate", f"not ({ast.unparse(test)})")

    def visit_Compare(self, node: ast.Compare) -> None:
        for index, op in enumerate(node.ops):
            swap = COMPARE_SWAP.get(type(op))
            if swap is None:
                continue
            ops = list(node.ops)
            ops[index] = swap()
            new = ast.Compare(left=node.left, ops=ops, comparators=node.comparators)
            self.add(node, "compare", self.replaced(node, new))
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        self.add(node, "boolean", self.replaced(node, ast.BoolOp(op=other, values=node.values)))
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        swap = {ast.Add: ast.Sub, ast.Sub: ast.Add}.get(type(node.op))
        if swap is not None and not _is_text(node):
            new = ast.BinOp(left=node.left, op=swap(), right=node.right)
            self.add(node, "arith", self.replaced(node, new))
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        swap = {ast.Add: ast.Sub, ast.Sub: ast.Add}.get(type(node.op))
        if swap is not None and node.lineno == node.end_lineno:
            new = ast.AugAssign(target=node.target, op=swap(), value=node.value)
            self.add(node, "arith", self.replaced(node, new))
        self._drop(node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool):
            self.add(node, "constant", repr(not value))
        elif isinstance(value, int):
            self.add(node, "constant", repr(value + 1))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and not node.keywords:
            args = node.args
            if func.attr == "popleft" and not args:
                self.add(node, "order", f"{ast.unparse(func.value)}.pop()")
            elif func.attr == "pop" and not args:
                self.add(node, "order", f"{ast.unparse(func.value)}.pop(0)")
            elif func.attr == "pop" and _is_int(args, 0):
                self.add(node, "order", f"{ast.unparse(func.value)}.pop()")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        index = node.slice
        if (
            isinstance(index, ast.Constant)
            and index.value == 0
            and not isinstance(index.value, bool)
        ):
            self.add(node, "order", f"{ast.unparse(node.value)}[-1]")
        elif (
            isinstance(index, ast.UnaryOp)
            and isinstance(index.op, ast.USub)
            and isinstance(index.operand, ast.Constant)
            and index.operand.value == 1
        ):
            self.add(node, "order", f"{ast.unparse(node.value)}[0]")
            return  # not also "-2"
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Call | ast.Yield | ast.YieldFrom):
            self._drop(node)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(isinstance(t, ast.Attribute | ast.Subscript) for t in node.targets):
            self._drop(node)  # state; dropping a local's assignment would only crash
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        self._drop(node)
        self.generic_visit(node)

    def _drop(self, node: ast.stmt) -> None:
        if node.lineno == node.end_lineno:
            self.add(node, "drop", "pass")

    def _early_return(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """A function annotated ``-> None`` (or a generator of None) returns at once."""
        returns = node.returns
        text = ast.unparse(returns) if returns is not None else ""
        if text not in ("None", "Generator[Park, None, None]", "Generator[Any, None, None]"):
            return
        body = node.body
        first = body[1] if id(body[0]) in self.skip and len(body) > 1 else body[0]
        if id(first) in self.skip or self.text.marked(first.lineno):
            return
        if isinstance(first, ast.Return | ast.Raise):
            return  # it already ends at once: an equivalent mutant
        start = self.text.of(first.lineno, 0)
        indent = self.text.lines[first.lineno - 1][: first.col_offset]
        new = f"{indent}return\n"
        if text.startswith("Generator"):
            new = f"{indent}return\n{indent}yield  # still a generator\n"
        self.found.append(
            Mutant(self.path, first.lineno, first.col_offset, "return", start, start, "", new)
        )


def _is_int(args: list[ast.expr], value: int) -> bool:
    return (
        len(args) == 1
        and isinstance(args[0], ast.Constant)
        and args[0].value == value
        and not isinstance(args[0].value, bool)
    )


def _is_text(node: ast.BinOp) -> bool:
    """A string concatenation: not arithmetic."""
    return any(
        isinstance(side, ast.JoinedStr)
        or (isinstance(side, ast.Constant) and isinstance(side.value, str))
        for side in (node.left, node.right)
    )


def mutants_of(path: str, source: str) -> list[Mutant]:
    """Every mutant of one module, in source order."""
    finder = _Finder(path, source)
    finder.visit(ast.parse(source))
    found = sorted(finder.found, key=lambda m: (m.start, m.end, m.operator, m.new))
    return [m for m in found if _compiles(m.apply(source))]


def _compiles(source: str) -> bool:
    try:
        compile(source, "<mutant>", "exec")
    except SyntaxError:
        return False
    return True
