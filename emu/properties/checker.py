"""Post-hoc checkers: a property read off the finished trace in one pass.

A checker declares the event kinds it needs (``KINDS``); the verdict feeds each event of those
kinds, in trace order, as the raw tuple ``(seq, time, actor, kind, objects, payload, cause)``,
then calls ``finish``. It records whether its situation arose at all (``exercised``: a
property never exercised passes vacuously, and the verdict says so) and its findings, each
naming the event where the rule broke. ``Context`` carries what the trace alone does not say:
which threads the scenario declared ``blocks_forever``, and the names of objects; and what a
checker of the run's end asks: whether every program finished.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Final

from emu.kernel.dispatcher import ENDED_DONE, ENDED_QUIESCENT
from emu.kernel.trace import TraceTuple


@dataclass(frozen=True, slots=True)
class Finding:
    """One breach: the event where it shows, what happened, other events involved."""

    seq: int
    message: str
    related: tuple[int, ...] = ()


FINISHED_ENDS: Final = (ENDED_DONE, ENDED_QUIESCENT)
"""The run-end reasons after which every program may have finished (not a time or step
limit)."""


@dataclass(slots=True)
class Context:
    """What a checker may know beyond the trace."""

    blocks_forever: frozenset[str] = frozenset()
    names: dict[int, str] = field(default_factory=dict)  # object id -> name (obj.create)
    types: dict[int, str] = field(default_factory=dict)  # object id -> type (obj.create)
    events: list[TraceTuple] = field(default_factory=list)  # the whole trace, for look-backs
    _finished: bool | None = None

    def name(self, oid: int) -> str:
        return self.names.get(oid, "kernel" if oid == 0 else f"#{oid}")

    def programs_finished(self) -> bool:
        """Whether the run ended with every program finished: it ended because every thread
        was done or nothing could happen any more (not at a time or step limit), no actor was
        left blocked or suspended (``actor.blocked``), and every thread declared
        ``blocks_forever`` exited too. Only then is what a program left behind (an open
        handle, a packet, a request) left for good, with nobody to see it through."""
        if self._finished is None:
            reason = ""
            blocked = False
            exited: set[str] = set()
            for event in self.events:
                kind = event[3]
                if kind == "run.end":
                    reason = str(event[5][0])
                elif kind == "actor.blocked":
                    blocked = True
                elif kind == "actor.exit":
                    exited.add(self.names.get(event[4][0], ""))
            self._finished = (
                reason in FINISHED_ENDS
                and not blocked
                and all(name in exited for name in self.blocks_forever)
            )
        return self._finished


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
