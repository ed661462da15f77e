"""The sections that say how a run is judged and driven: ``expect:``, ``explore:``,
``schedule:``.

``expect:`` compiles to an ``Expectation``: the end, exit codes by thread (a thread the file
does not declare is an error), the properties that must ``hold`` (None: all of them), those a
bug demonstration must have ``violated``, those the scenario breaks on purpose (``intended``:
a documented discard, a handle left open), and the ``sometimes:`` note texts. A property
cannot be in two of ``hold``, ``violated`` and ``intended``. Property ids are
kept with their positions (``PropertyRef``): the catalogue lives in a layer above, which checks
them (``emu.properties.expectation.check_refs``). ``explore:`` is the budget of ``emu explore``;
``schedule:`` a recorded list of ``[index, option key]`` choices to replay.
"""

from __future__ import annotations

from typing import Any

from emu.scenario.model import Expectation, ExploreBudget, Position, PropertyRef
from emu.scenario.nodes import Map, Node, Scalar, Seq
from emu.scenario.shape import did_you_mean


def compile_expectation(node: Node | None, threads: list[str]) -> Expectation:
    if not isinstance(node, Map):
        return Expectation()
    codes: dict[str, int] = {}
    exits = node.get("exit_codes")
    if isinstance(exits, Map):
        for name, child in exits.items():
            if name not in threads:
                exits.key_node(name).fail(f"no thread named {name!r}{did_you_mean(name, threads)}")
            codes[name] = int(child.plain())
    refs: list[PropertyRef] = []

    def ids(key: str) -> tuple[str, ...]:
        found = node.get(key)
        if not isinstance(found, Seq):
            return ()
        for item in found:
            where = Position(item.file, item.line, item.column)
            refs.append(PropertyRef(str(item.plain()), where, item.path))
        return tuple(str(item.plain()) for item in found)

    hold = None if isinstance(node.get("hold"), (Scalar, type(None))) else ids("hold")
    violated = ids("violated")
    intended = ids("intended")
    clash = [pid for pid in violated if hold is not None and pid in hold]
    if clash:
        node.fail(f"{clash[0]} cannot both hold and be violated")
    for pid in intended:
        if pid in violated or (hold is not None and pid in hold):
            other = "be violated" if pid in violated else "hold"
            node.fail(f"{pid} cannot both be intended and {other}")
    end = node.get("end")
    sometimes = node.get("sometimes")
    return Expectation(
        end=str(end.value) if isinstance(end, Scalar) else None,
        exit_codes=codes,
        hold=hold,
        violated=violated,
        sometimes=tuple(str(v) for v in sometimes.plain()) if sometimes is not None else (),
        refs=tuple(refs),
        intended=intended,
    )


def compile_explore(node: Node | None) -> ExploreBudget | None:
    if not isinstance(node, Map):
        return None
    plain = node.plain()
    default = ExploreBudget()
    return ExploreBudget(
        strategy=str(plain.get("strategy", default.strategy)),
        schedules=int(plain.get("schedules", default.schedules)),
        seed=int(plain.get("seed", default.seed)),
        depth=int(plain.get("depth", default.depth)),
    )


def compile_schedule(node: Node | None) -> tuple[tuple[int, Any], ...] | None:
    if not isinstance(node, Seq):
        return None
    steps: list[tuple[int, Any]] = []
    for item in node:
        assert isinstance(item, Seq)
        index, key = item.items
        if not isinstance(index, Scalar) or type(index.value) is not int or index.value < 0:
            index.fail("a recorded choice is [index, option key] with an index from 0")
        steps.append((int(index.value), key.plain()))
    return tuple(steps)
