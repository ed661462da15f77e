"""IRQL: the interrupt request level of each execution context, and the rules that depend on it.

Every actor has an IRQL: threads run at PASSIVE_LEVEL unless they raise it (KeRaiseIrql,
KeAcquireSpinLock), DPCs run at DISPATCH_LEVEL on their processor. The rules are enforced inline
as violation events, because on Windows they are bug checks or verifier failures that can only
be seen while the code runs:

- ``kernel.irql_too_high``: an API called above the IRQL its documentation allows (for example
  "Callers of KeWaitForSingleObject must be running at IRQL <= DISPATCH_LEVEL").
- ``kernel.wait_at_dispatch``: a wait with a non-zero timeout at DISPATCH_LEVEL ("if Timeout =
  NULL or *Timeout != 0, the caller must be running at IRQL <= APC_LEVEL"; a DPC never waits).
  A zero-timeout poll is legal. The violating wait is performed as a poll, so the run goes on.
- ``kernel.irql_raise_lower`` / ``kernel.irql_lower_raise``: KeRaiseIrql to a lower level or
  KeLowerIrql to a higher one (IRQL_NOT_GREATER_OR_EQUAL / IRQL_NOT_LESS_OR_EQUAL bug checks).
- ``kernel.irql_below_base``: lowering the IRQL below the level the context must keep: a DPC
  below DISPATCH_LEVEL, or anyone holding a spin lock (KeAcquireSpinLock "sets the IRQL on the
  current processor to DISPATCH_LEVEL until a corresponding call to KeReleaseSpinLock ...
  restores the previous IRQL"; "dispatching is disabled while the spin lock is held"). The
  level stays at that floor, so the run goes on without a second report.
- ``kernel.irql_leak``: a DPC or work item returns at another IRQL than it was called at, or a
  thread exits above PASSIVE_LEVEL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.actor import Actor
    from emu.kernel.dispatcher import Kernel

PASSIVE_LEVEL: Final = 0
APC_LEVEL: Final = 1
DISPATCH_LEVEL: Final = 2
HIGH_LEVEL: Final = 15

IRQL_NAMES: Final = {
    PASSIVE_LEVEL: "PASSIVE_LEVEL",
    APC_LEVEL: "APC_LEVEL",
    DISPATCH_LEVEL: "DISPATCH_LEVEL",
    HIGH_LEVEL: "HIGH_LEVEL",
}

IRQL_CHANGE = trace_kind(
    "irql.change",
    ("irql", "previous"),
    state=("irql",),
    text="{o0} IRQL {previous} -> {irql}",
    doc="An execution context raised or lowered its IRQL.",
)


def irql_name(irql: int) -> str:
    return IRQL_NAMES.get(irql, str(irql))


def set_irql(k: Kernel, actor: Actor, irql: int) -> int:
    """Change ``actor``'s IRQL; returns the previous level."""
    previous = actor.irql
    if irql != previous:
        actor.irql = irql
        k.emit(k.actor_id(), IRQL_CHANGE, (actor.oid,), (irql, previous))
    return previous


def check_irql(k: Kernel, actor: Actor, api: str, maximum: int) -> bool:
    """False (and a ``kernel.irql_too_high`` violation) when ``actor`` runs above ``maximum``."""
    if actor.irql <= maximum:
        return True
    k.violation(
        "kernel.irql_too_high",
        f"{api} called at {irql_name(actor.irql)}; its documentation allows at most "
        f"{irql_name(maximum)}",
        (actor.oid,),
    )
    return False


def irql_floor(actor: Actor) -> int:
    """The lowest IRQL ``actor`` may run at now: its base, DISPATCH_LEVEL with a spin lock."""
    return DISPATCH_LEVEL if actor.spinlocks else actor.BASE_IRQL


def lower_irql(k: Kernel, actor: Actor, irql: int, api: str) -> None:
    """KeLowerIrql and the IRQL restore of KeReleaseSpinLock, with their bug-check rules."""
    if irql > actor.irql:
        k.violation(
            "kernel.irql_lower_raise",
            f"{api} to {irql} above the current IRQL {actor.irql} (IRQL_NOT_LESS_OR_EQUAL)",
            (actor.oid,),
        )
    floor = irql_floor(actor)
    if irql < floor:
        held = "holds a spin lock" if actor.spinlocks else f"runs at {irql_name(floor)}"
        k.violation(
            "kernel.irql_below_base",
            f"{api} to {irql_name(irql)} while {actor.name} {held}; the level stays at "
            f"{irql_name(floor)}",
            (actor.oid,),
        )
        irql = floor
    set_irql(k, actor, irql)
