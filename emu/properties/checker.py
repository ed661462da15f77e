"""Post-hoc checkers: a property read off the finished trace in one pass.

A checker declares the event kinds it needs (``KINDS``); the verdict feeds each event of those
kinds, in trace order, as its sequence number and the raw tuple
``(time, actor, kind, objects, payload, cause)``,
then calls ``finish``. It records whether its situation arose at all (``exercised``: a
property never exercised passes vacuously, and the verdict says so) and its findings, each
naming the event where the rule broke. ``Context`` carries what the trace alone does not say:
which threads the scenario declared ``blocks_forever``, and the names of objects; and what a
checker of the run's end asks: whether every program finished.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Final, TypeVar

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


class Fold(ABC):
    """What several checkers of one family read (every request of a run, later every socket):
    one instance per run (``Context.fold``), fed each event of its ``KINDS`` before any
    checker that declares it as its ``FOLD`` sees that event. ``feed_once`` is what the
    verdict calls; a checker calls it too for an event of the fold's kinds it is fed, and gets
    the same answer without the records being updated twice. A checker fed by hand (outside
    ``verdict``) needs its fold fed every event of the fold's kinds first, as the verdict
    does: it is fed only the kinds its own rule reads."""

    KINDS: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._last: tuple[int, object] = (-1, None)

    @abstractmethod
    def feed(self, seq: int, event: TraceTuple) -> object:
        """Update the records with one event of ``KINDS``; return what it concerns."""

    def feed_once(self, seq: int, event: TraceTuple) -> object:
        last, answer = self._last
        if seq == last:
            return answer
        answer = self.feed(seq, event)
        self._last = (seq, answer)
        return answer


F = TypeVar("F", bound=Fold)


class Context:
    """What a checker may know beyond the events it is fed.

    ``names`` and ``types`` (object id -> name and type, from the ``obj.create`` events) are
    read off the whole trace the first time a checker asks (object ids are never reused, so
    an object's name is the same wherever the trace is read), unless the caller gives them.
    """

    __slots__ = ("_finished", "_names", "_types", "blocks_forever", "events", "folds")

    def __init__(
        self,
        blocks_forever: frozenset[str] = frozenset(),
        names: dict[int, str] | None = None,
        types: dict[int, str] | None = None,
        events: list[TraceTuple] | None = None,
    ) -> None:
        self.blocks_forever = blocks_forever
        self.events: list[TraceTuple] = events if events is not None else []
        self._names = names
        self._types = types
        self._finished: bool | None = None
        self.folds: dict[str, Fold] = {}  # class name -> the run's fold of that class

    @property
    def names(self) -> dict[int, str]:
        """Object id -> name (``obj.create``)."""
        if self._names is None:
            self._read_objects()
        assert self._names is not None
        return self._names

    @property
    def types(self) -> dict[int, str]:
        """Object id -> type (``obj.create``)."""
        if self._types is None:
            self._read_objects()
        assert self._types is not None
        return self._types

    def _read_objects(self) -> None:
        names: dict[int, str] = {}
        types: dict[int, str] = {}
        for event in self.events:
            if event[2] == "obj.create":
                names[event[3][0]] = str(event[4][1])
                types[event[3][0]] = str(event[4][0])
        if self._names is None:
            self._names = names
        if self._types is None:
            self._types = types

    def fold(self, cls: type[F]) -> F:
        """The run's one instance of a fold class (built on first use)."""
        key = f"{cls.__module__}.{cls.__qualname__}"
        found = self.folds.get(key)
        if not isinstance(found, cls):
            found = self.folds[key] = cls()
        return found

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
                kind = event[2]
                if kind == "run.end":
                    reason = str(event[4][0])
                elif kind == "actor.blocked":
                    blocked = True
                elif kind == "actor.exit":
                    exited.add(self.names.get(event[3][0], ""))
            self._finished = (
                reason in FINISHED_ENDS
                and not blocked
                and all(name in exited for name in self.blocks_forever)
            )
        return self._finished


class Checker(ABC):
    """Base of the post-hoc checkers.

    ``KINDS`` are the event kinds the checker is fed. ``TRIGGERS`` (by default ``KINDS``) are
    the kinds without which it has nothing to judge (``"scm.*"`` stands for every kind of the
    SCM device, ``"api:Name"`` for a call of Name): a run whose trace holds none of them
    cannot make it exercised or give it a finding, so the verdict does not build it at all
    (a subsystem's checkers declare the subsystem's own kinds, and cost nothing in a run
    without its device). ``tests/properties/test_verdict.py`` checks the claim for every
    registered checker on every shipped scenario. ``FOLD`` names the records the checker
    shares with its family (a ``Fold``): the verdict feeds them first, once per event.
    """

    KINDS: ClassVar[tuple[str, ...]] = ()
    TRIGGERS: ClassVar[tuple[str, ...] | None] = None
    FOLD: ClassVar[type[Fold] | None] = None

    def __init__(self, context: Context) -> None:
        self.context = context
        self.exercised = False
        self.findings: list[Finding] = []

    @abstractmethod
    def feed(self, seq: int, event: TraceTuple) -> None:
        """One event of a kind in ``KINDS``, in trace order."""

    def finish(self) -> None:  # noqa: B027 - optional hook
        """Checks that need the whole trace (what was never delivered, never released)."""

    def found(self, seq: int, message: str, *related: int) -> None:
        self.findings.append(Finding(seq, message, related))


class FoldChecker(Checker):
    """A checker of a family whose records are one ``Fold`` (a subsystem's registrations): it
    is fed only the kinds its rule looks at (``SEES``, which become its ``KINDS``), and
    ``see`` gets, for an event of the fold's kinds, the record it concerns (the fold's answer
    when it is a ``RECORD``; else None). ``records`` is the run's one fold, which the verdict
    feeds first; ``record_of`` feeds it once more for a checker fed by hand (a no-op then)."""

    SEES: ClassVar[tuple[str, ...]] = ()
    RECORD: ClassVar[type] = object

    def __init_subclass__(cls, **kwargs: object) -> None:
        cls.KINDS = cls.SEES
        super().__init_subclass__(**kwargs)

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        assert self.FOLD is not None, f"{type(self).__name__} names no FOLD"
        self.records = context.fold(self.FOLD)
        self._folded = frozenset(self.FOLD.KINDS)

    def record_of(self, seq: int, event: TraceTuple) -> Any:
        """The record an event of the fold's kinds concerns, or None."""
        if event[2] not in self._folded:
            return None
        answer = self.records.feed_once(seq, event)
        return answer if isinstance(answer, self.RECORD) else None

    def feed(self, seq: int, event: TraceTuple) -> None:
        self.see(seq, event, self.record_of(seq, event))

    def see(self, seq: int, event: TraceTuple, record: Any) -> None:
        """One event, after the fold's records were updated."""
