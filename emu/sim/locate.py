"""The program position of a scenario's steps, for the reports of the run's limits.

When a run ends by its step limit or a budget, the kernel names the thread and where it is
(``emu.kernel.position``). For a Python program, the innermost frame outside emu is the
position. A program written as steps runs inside emu's own modules, so the kernel alone can
only name the thread: ``locate_step`` finds the step instead. A compiled call step keeps its
position, ``file:line:column``, as ``where`` and the function it calls as ``name`` in its
closure (``emu.scenario.steps``); an ``until:`` or ``repeat:`` loop keeps its own ``where``
(``emu.scenario.keywords``), so a loop whose rounds make no call is named too. The kernel tries
each frame, innermost first, so the step a thread is at wins over the steps that called it (an
APC handler's over its thread's). The file is named as positions in a run name it, by its name
only, so the message is the same from any directory. tests/sim/test_limits.py and
tests/kernel/test_limits.py pin the positions this reads (a call, an until: and a repeat: loop).
"""

from __future__ import annotations

from types import FrameType
from typing import Final

STEP_MODULES: Final = ("emu.scenario.steps", "emu.scenario.keywords")


def locate_step(frame: FrameType) -> tuple[str, str] | None:
    """``(function called, file:line:column)`` if ``frame`` runs a compiled step, else None."""
    if frame.f_globals.get("__name__") not in STEP_MODULES:
        return None
    names = frame.f_locals
    where = names.get("where")
    if not isinstance(where, str):
        return None
    called = names.get("name")
    return (called if isinstance(called, str) else ""), where
