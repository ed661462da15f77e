"""Small helpers for scenario tests: a scenario from a few YAML lines, run, inspected."""

from __future__ import annotations

import textwrap
from typing import Any

from emu.properties.expectation import assess
from emu.scenario import load_text
from emu.sim import Result, run_scenario


def scenario_text(body: str, *, name: str = "t") -> str:
    return f"version: 1\nname: {name}\n" + textwrap.dedent(body)


def run_yaml(body: str, *, seed: int | None = None) -> Result:
    """Load ``body`` (sections after version and name) and run it."""
    return run_scenario(load_text(scenario_text(body), "t.yaml"), seed=seed)


def rules(result: Result) -> list[str]:
    return [str(e.payload["rule"]) for e in result.violations]


def messages(result: Result) -> list[str]:
    return [str(e.payload["message"]) for e in result.violations]


def exit_code(result: Result, thread: str = "main") -> Any:
    return next(t.exit_code for t in result.threads if t.name == thread)


def failures(result: Result) -> list[str]:
    """How the run differs from its scenario's expect: (the properties layer's assessment)."""
    return [failure.message for failure in assess(result).failures]
