"""State a program carries from one schedule of a campaign into the next.

Every schedule of a campaign runs the scenario's programs again in the same process. A Python
program that keeps values at module level (``SEEN = []`` appended by its callback, a global
flag) starts schedule ``i + 1`` where schedule ``i`` left it, not where a fresh process (a
replay, a test, a colleague's machine) would: hits stop replaying, and a correct program can
fail for the previous schedule's leftovers. Per-run state belongs in ``api.context.state``
(``emu.win32.context``).

Two checks find carried state, both reported by the campaign as a failure in its own words:

- ``StateWatch`` fingerprints the module-level values of the scenario's program modules (not
  emu's own) before the campaign and after every schedule; a value that changed is named with
  the schedule that changed it. Functions, classes and modules are not values; state hidden in
  a function's default arguments or a class attribute is not seen by this check, but it is by
  the next one when it changes what a run does;
- ``rerun_differs``: the canonical schedule is run again at the end of the campaign, in the
  same process, and its trace must be byte-identical to the first run's.
"""

from __future__ import annotations

from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any, Final

from emu.explore.judge import run_once
from emu.kernel.chooser import CanonicalChooser
from emu.scenario.model import Scenario
from emu.scenario.pyrefs import program_modules

_NOT_STATE: Final = (ModuleType, FunctionType, BuiltinFunctionType, MethodType, type)


def _fingerprint(value: Any) -> str:
    """A text that changes when the value does (its type and full repr)."""
    try:
        text = repr(value)
    except Exception as exc:  # a program's own __repr__ failing is its business
        text = f"<repr failed: {type(exc).__name__}>"
    return f"{type(value).__name__}:{text}"


def _describe(value: Any) -> str:
    kind = type(value).__name__
    size = len(value) if isinstance(value, (list, dict, set, tuple, str, bytes)) else None
    return f"a {kind} of {size} item{'s' if size != 1 else ''}" if size is not None else f"a {kind}"


class StateWatch:
    """The module-level values of a scenario's Python programs, compared run after run."""

    def __init__(self, scenario: Scenario) -> None:
        self.modules = program_modules(scenario.file, scenario.python)
        self.before = self.snapshot()

    def snapshot(self) -> dict[tuple[str, str], str]:
        values: dict[tuple[str, str], str] = {}
        for module in self.modules:
            label = getattr(module, "__file__", None) or module.__name__
            for name, value in sorted(vars(module).items()):
                if name.startswith("__") or isinstance(value, _NOT_STATE):
                    continue
                values[(str(label), name)] = _fingerprint(value)
        return values

    def changes(self, schedule: int) -> list[str]:
        """What schedule ``schedule`` changed at module level (empty when nothing)."""
        if not self.modules:
            return []
        after = self.snapshot()
        out: list[str] = []
        for key in sorted(set(self.before) | set(after)):
            if self.before.get(key) != after.get(key):
                label, name = key
                module = next(
                    (
                        m
                        for m in self.modules
                        if (getattr(m, "__file__", None) or m.__name__) == label
                    ),
                    None,
                )
                now = _describe(getattr(module, name, None)) if module is not None else "gone"
                file = label.replace("\\", "/").rsplit("/", 1)[-1]
                out.append(
                    f"schedule {schedule} changed the module-level {name!r} of {file} (now "
                    f"{now}): a program that keeps state at module level carries it into the "
                    "next schedule, so runs depend on each other and hits may not replay; keep "
                    "per-run state in api.context.state"
                )
        self.before = after
        return out


def rerun_differs(scenario: Scenario, first_trace: str) -> str | None:
    """Run the canonical schedule again; a message if its trace differs from ``first_trace``."""
    again = run_once(scenario, CanonicalChooser()).result.k.trace.to_jsonl()
    if again == first_trace:
        return None
    return (
        "the canonical schedule gave a different trace when run again in the same process: "
        "the scenario's programs carry state from one run to the next (module-level values, "
        "default arguments, class attributes); keep per-run state in api.context.state"
    )
