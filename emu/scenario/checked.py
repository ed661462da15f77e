"""The scenario's own checks, as the trace records that they ran.

A call step's ``expect:``, an ``assert:`` step and a bounded ``until:`` loop are checks of the
scenario itself (``scenario.expect``, ``scenario.assert``, ``scenario.loop_bound``). A failed
one is a ``violation`` event; one that holds leaves nothing, so the first time in a run that a
check of each kind runs, ``record_check`` writes one ``scenario.check`` event: the property
was exercised (held unless a violation says otherwise). A run whose programs check nothing
(Python programs, steps without ``expect:``) leaves those properties *not exercised*.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel
    from emu.scenario.frame import Frame

SCENARIO_CHECK: Final = trace_kind(
    "scenario.check",
    ("rule",),
    text="{rule}: the first such check of the run",
    doc="The first time in the run a scenario check of this kind ran (`rule`: scenario.expect "
    "for a call step's expect:, scenario.assert, scenario.loop_bound for a bounded until: "
    "loop); objects: the thread that ran it. A failed check is a `violation` event as well.",
)

_SEEN: Final = "scenario checks run"
"""The per-simulation record of the kinds of check already written (``Kernel.device``)."""


def record_check(k: Kernel, rule: str) -> None:
    """Record, once per run, that a check of ``rule`` ran."""
    seen: dict[str, None] = k.device(_SEEN, dict)
    if rule not in seen:
        _first(k, seen, rule)


def record_frame_check(frame: Frame, k: Kernel, rule: str) -> None:
    """``record_check`` for a step of ``frame``, which keeps the run's record once found."""
    seen = frame.checks
    if seen is None:
        seen = frame.checks = k.device(_SEEN, dict)
    if rule not in seen:
        _first(k, seen, rule)


def _first(k: Kernel, seen: dict[str, None], rule: str) -> None:
    seen[rule] = None
    actor = k.current
    k.emit(k.actor_id(), SCENARIO_CHECK, (actor.oid,) if actor is not None else (), (rule,))
