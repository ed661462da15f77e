"""The running state of one compiled program: its API, its variables, its last call.

A compiled step is a function of a ``Frame``. A thread's frame lives for the thread; a handler
(an APC routine, a callback, a DPC routine written as steps) gets a fresh frame per invocation,
with its parameters as locals, as a C function gets its arguments. Shared variables (declared
structures, device objects, handlers) are one dictionary per simulation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emu.win32.base import ApiSpec


@dataclass(slots=True)
class LastCall:
    """What the latest call step returned, for ``until:`` loops."""

    spec: ApiSpec
    result: Any
    error: int | None


class Frame:
    """Variables and API of a running program."""

    __slots__ = ("api", "checks", "last", "locals", "owner", "shared")

    def __init__(self, api: Any, shared: dict[str, Any], owner: str) -> None:
        self.api = api
        self.shared = shared
        self.owner = owner
        self.locals: dict[str, Any] = {}
        self.last: LastCall | None = None
        self.checks: dict[str, None] | None = None
        """The run's record of the scenario checks already written, once a step needed it
        (``emu.scenario.checked``)."""


class Return(Exception):
    """``return:``: ends the program (or handler) with ``value``."""

    def __init__(self, value: Any) -> None:
        super().__init__(value)
        self.value = value
