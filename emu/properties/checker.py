"""Post-hoc checkers: a property read off the finished trace in one pass.

A checker declares the event kinds it needs (``KINDS``); the verdict feeds each event of those
kinds, in trace order, as the raw tuple ``(seq, time, actor, kind, objects, payload, cause)``,
then calls ``finish``. It records whether its situation arose at all (``exercised``: a
property never exercised passes vacuously, and the verdict says so) and its findings, each
naming the event where the rule broke. ``Context`` carries what the trace alone does not say:
which threads the scenario declared ``blocks_forever``, and the names of objects.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from emu.kernel.trace import TraceTuple


@dataclass(frozen=True, slots=True)
class Finding:
    """One breach: the event where it shows, what happened, other events involved."""

    seq: int
    message: str
    related: tuple[int, ...] = ()


@dataclass(slots=True)
class Context:
    """What a checker may know beyond the trace."""

    blocks_forever: frozenset[str] = frozenset()
    names: dict[int, str] = field(default_factory=dict)  # object id -> name (obj.create)
    types: dict[int, str] = field(default_factory=dict)  # object id -> type (obj.create)
    events: list[TraceTuple] = field(default_factory=list)  # the whole trace, for look-backs

    def name(self, oid: int) -> str:
        return self.names.get(oid, "kernel" if oid == 0 else f"#{oid}")


class Checker(ABC):
    """Base of the post-hoc checkers."""

    KINDS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, context: Context) -> None:
        self.context = context
        self.exercised = False
        self.findings: list[Finding] = []

    @abstractmethod
    def feed(self, event: TraceTuple) -> None:
        """One event of a kind in ``KINDS``, in trace order."""

    def finish(self) -> None:  # noqa: B027 - optional hook
        """Checks that need the whole trace (what was never delivered, never released)."""

    def found(self, seq: int, message: str, *related: int) -> None:
        self.findings.append(Finding(seq, message, related))
