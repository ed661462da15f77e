"""The per-run context a program receives as ``api.context``.

A Python program is one function that every schedule of a campaign calls again, in the same
process. Anything it keeps at module level (a list of notifications seen, a flag, a counter)
survives from one schedule into the next, so schedule 12 no longer starts where schedule 0
did: a hit may not replay, and a correct program can look broken (a "lost wake-up" that is the
previous schedule's flag). State that belongs to a run lives here instead, fresh for every run:

- ``api.context.state``: a dict for the program's own values, shared by all the threads of the
  process (the monitor's list of notifications, the server's counters);
- ``api.context.names``: what the scenario declares, by name, as a step's ``$name`` sees it:
  the handles of the objects under ``devices:``, the ``shared:`` structures, the handlers.

Campaigns check that a run leaves the program's modules as it found them
(``emu.explore.carried``); a program that keeps module-level state is told so.
"""

from __future__ import annotations

from typing import Any


class RunContext:
    """What one run gives its programs: fresh ``state``, the scenario's ``names``."""

    __slots__ = ("names", "state")

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}
        self.names: dict[str, Any] = {}

    def __repr__(self) -> str:
        return f"RunContext(state keys {sorted(self.state)}, names {sorted(self.names)})"
