"""``verdict``: what a run says about every property of the catalogue.

One pass over the trace: each event goes to the checkers that declared its kind (an index by
kind, so a checker never sees events it does not need), the ``violation`` events the kernel
recorded inline are collected by rule id, and the APIs called and kinds seen are noted to tell
whether an inline rule's situation arose. Then, per property: **violated** (with its
findings, each naming the trace event where it showed), **held** (its situation arose and
nothing broke), or **not exercised** (nothing in the run could have broken it: a pass that
proves nothing, and the verdict says so).

Properties that depend on a behaviour profile apply only under that profile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Final

from emu.kernel.trace import KIND, TraceTuple
from emu.properties.catalogue import (
    CATALOGUE,
    CLIENT_RULE,
    Property,
    generation,
    lookup,
    properties,
)
from emu.properties.checker import Checker, Context, Finding, Fold

HELD: Final = "held"
VIOLATED: Final = "violated"
NOT_EXERCISED: Final = "not exercised"


@dataclass(frozen=True, slots=True)
class Status:
    """One property's outcome in one run."""

    property: Property
    state: str
    findings: tuple[Finding, ...] = ()

    def __repr__(self) -> str:
        found = f", {len(self.findings)} finding(s)" if self.findings else ""
        return f"<Status {self.property.id} {self.state}{found}>"


@dataclass(slots=True)
class Verdict:
    """Every property's status, in catalogue (id) order."""

    statuses: list[Status] = field(default_factory=list)
    profile: str = "default"

    def by_state(self, state: str) -> list[Status]:
        return [s for s in self.statuses if s.state == state]

    @property
    def violated(self) -> list[Status]:
        return self.by_state(VIOLATED)

    @property
    def held(self) -> list[Status]:
        return self.by_state(HELD)

    @property
    def not_exercised(self) -> list[Status]:
        return self.by_state(NOT_EXERCISED)

    def status(self, property_id: str) -> Status | None:
        for status in self.statuses:
            if status.property.id == property_id:
                return status
        return None

    def __repr__(self) -> str:
        counts = self.counts()
        violated = ", ".join(s.property.id for s in self.violated)
        return (
            f"<Verdict ({self.profile}): {counts[HELD]} held, {counts[VIOLATED]} violated"
            f"{f' ({violated})' if violated else ''}, {counts[NOT_EXERCISED]} not exercised>"
        )

    def counts(self) -> dict[str, int]:
        return {
            HELD: len(self.held),
            VIOLATED: len(self.violated),
            NOT_EXERCISED: len(self.not_exercised),
        }


def applies(entry: Property, profile: str) -> bool:
    return not entry.profiles or profile in entry.profiles


class Plan:
    """What a verdict needs that does not depend on the run's details: the entries that apply
    under a profile, which checkers to build for a run whose trace holds a given set of event
    kinds (those with one of their ``TRIGGERS`` present), which kinds feed which of them, and
    the outcome, known in advance, of every entry that cannot be exercised or violated by
    such a run. Built once per (catalogue generation, profile, kinds present) and shared by
    every run of a campaign (``plan_for``)."""

    __slots__ = ("by_kind", "checkers", "entries", "folds", "idle", "inline", "kinds", "plain")

    def __init__(
        self, catalogue: list[Property], kinds: frozenset[str], *, every_checker: bool = False
    ) -> None:
        self.entries = tuple(catalogue)
        self.kinds = kinds
        self.checkers: list[tuple[int, type[Checker]]] = []  # (entry position, class) to build
        self.folds: list[type[Fold]] = []  # the folds the built checkers share
        self.idle: dict[int, Status] = {}  # entry position -> its status, whatever the run did
        self.inline: list[tuple[int, Property, bool]] = []  # (position, entry, kinds exercise)
        for position, entry in enumerate(self.entries):
            cls = entry.checker
            if cls is None:
                self.inline.append((position, entry, any(k in kinds for k in entry.exercised_by)))
            elif every_checker or triggered(cls.TRIGGERS or cls.KINDS, kinds):
                self.checkers.append((position, cls))
                if cls.FOLD is not None and cls.FOLD not in self.folds:
                    self.folds.append(cls.FOLD)
            else:
                self.idle[position] = Status(entry, NOT_EXERCISED)  # never fed: nothing to judge
        # kind -> positions in the run's list of feeders: the folds, then the checkers
        by_kind: dict[str, list[int]] = {}
        feeders = [fold.KINDS for fold in self.folds] + [cls.KINDS for _p, cls in self.checkers]
        for slot, fed in enumerate(feeders):
            for kind in fed:
                if kind in kinds:
                    by_kind.setdefault(kind, []).append(slot)
        self.by_kind = {kind: tuple(slots) for kind, slots in by_kind.items()}
        # the statuses without findings, shared by every run (a Status is immutable)
        self.plain = [
            {state: Status(entry, state) for state in (HELD, NOT_EXERCISED)}
            for entry in self.entries
        ]

    def status(self, position: int, state: str, findings: tuple[Finding, ...]) -> Status:
        if findings:
            return Status(self.entries[position], state, findings)
        return self.plain[position][state]

    def feeds(self, events: list[TraceTuple]) -> int:
        """How many ``feed`` calls a verdict of ``events`` under this plan makes (the cost a
        checker adds to a run, counted rather than timed)."""
        by_kind = self.by_kind
        return sum(len(by_kind.get(event[2], ())) for event in events)


def triggered(triggers: tuple[str, ...], kinds: frozenset[str]) -> bool:
    """Whether a run whose trace holds ``kinds`` triggers a checker: one of its triggers is
    present (``"scm.*"``: any kind of the SCM device; ``"api:Name"``: the run called Name,
    which ``plan_for`` adds to the kinds)."""
    for trigger in triggers:
        if trigger.endswith(".*"):
            prefix = trigger[:-1]
            if any(kind.startswith(prefix) for kind in kinds):
                return True
        elif trigger in kinds:
            return True
    return False


_TRIGGER_APIS: dict[tuple[int, int], frozenset[str]] = {}


def trigger_apis() -> frozenset[str]:
    """The functions named by an ``"api:Name"`` trigger of some checker (per catalogue
    generation)."""
    current = (generation(), len(CATALOGUE))
    names = _TRIGGER_APIS.get(current)
    if names is None:
        _TRIGGER_APIS.clear()
        names = _TRIGGER_APIS[current] = frozenset(
            trigger[4:]
            for entry in properties()
            if entry.checker is not None
            for trigger in entry.checker.TRIGGERS or ()
            if trigger.startswith("api:")
        )
    return names


_PLANS: dict[tuple[int, int, str, frozenset[str]], Plan] = {}
_PLANS_KEPT: Final = 256


def plan_for(events: list[TraceTuple], profile: str) -> Plan:
    """The plan for a trace: looked up by the catalogue's generation, the profile and the set of
    event kinds in the trace, with the calls that trigger a checker (a campaign's runs share a
    handful of them)."""
    kinds = frozenset(map(itemgetter(KIND), events))
    apis = trigger_apis()
    if apis:  # the calls some checker is triggered by, as pseudo-kinds "api:Name"
        kinds |= {f"api:{e[4][0]}" for e in events if e[2] == "api" and e[4][0] in apis}
    key = (generation(), len(CATALOGUE), profile, kinds)
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _PLANS_KEPT:
            _PLANS.clear()
        catalogue = [p for p in properties() if applies(p, profile)]
        plan = _PLANS[key] = Plan(catalogue, kinds)
    return plan


def verdict(
    events: list[TraceTuple],
    *,
    blocks_forever: Iterable[str] = (),
    profile: str = "default",
    every_checker: bool = False,
) -> Verdict:
    """The verdict of a finished run's trace.

    ``every_checker`` builds and feeds every checker that applies, triggered or not (the
    reference the plan's shortcut is tested against); the statuses are the same either way.
    """
    plan = plan_for(events, profile)
    if every_checker:
        catalogue = [p for p in properties() if applies(p, profile)]
        plan = Plan(catalogue, plan.kinds, every_checker=True)
    context = Context(blocks_forever=frozenset(blocks_forever), events=events)
    feeds: list[Callable[[int, TraceTuple], object]] = [
        context.fold(fold).feed_once for fold in plan.folds
    ]
    built = [(position, cls(context)) for position, cls in plan.checkers]
    feeds += [checker.feed for _position, checker in built]
    by_kind = {kind: tuple(feeds[i] for i in slots) for kind, slots in plan.by_kind.items()}
    get = by_kind.get
    for seq, event in enumerate(events):
        fed = get(event[2])
        if fed is not None:
            for feed in fed:
                feed(seq, event)
    statuses: list[Status | None] = [None] * len(plan.entries)
    for position, status in plan.idle.items():
        statuses[position] = status
    for position, checker in built:
        checker.finish()
        findings = tuple(checker.findings)
        exercised = checker.exercised or bool(findings)
        state = VIOLATED if findings else HELD if exercised else NOT_EXERCISED
        statuses[position] = plan.status(position, state, findings)
    inline: dict[str, list[Finding]] = {}
    if "violation" in plan.kinds:
        for seq, event in enumerate(events):
            if event[2] == "violation":
                rule, message = event[4][0], event[4][1]
                inline.setdefault(str(rule), []).append(Finding(seq, str(message)))
    called: set[str] | None = None  # the APIs called and the scenario checks that ran
    for position, entry, by_kinds in plan.inline:
        findings = tuple(inline.pop(entry.id, ()))
        exercised = by_kinds or bool(findings)
        if not exercised:
            if called is None:
                called = {
                    str(event[4][0])
                    for event in events
                    if event[2] == "api" or event[2] == "scenario.check"
                }
            exercised = not called.isdisjoint(entry.exercised_by)
        state = VIOLATED if findings else HELD if exercised else NOT_EXERCISED
        statuses[position] = plan.status(position, state, findings)
    result = Verdict([s for s in statuses if s is not None], profile)
    for rule in sorted(inline):  # recorded by code the catalogue does not know: never drop it
        stray = lookup(rule) or Property(
            rule, CLIENT_RULE, (), "(not in the catalogue)", "", exercised_by=("run.end",)
        )
        result.statuses.append(Status(stray, VIOLATED, tuple(inline[rule])))
    return result
