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

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import CLIENT_RULE, Property, lookup, properties
from emu.properties.checker import Checker, Context, Finding

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


def verdict(
    events: list[TraceTuple],
    *,
    blocks_forever: Iterable[str] = (),
    profile: str = "default",
) -> Verdict:
    """The verdict of a finished run's trace."""
    catalogue = [p for p in properties() if applies(p, profile)]
    context = Context(blocks_forever=frozenset(blocks_forever), events=events)
    checkers: dict[str, Checker] = {}
    by_kind: dict[str, list[Checker]] = {}
    for entry in catalogue:
        if entry.checker is not None:
            checker = entry.checker(context)
            checkers[entry.id] = checker
            for kind in checker.KINDS:
                by_kind.setdefault(kind, []).append(checker)
    inline: dict[str, list[Finding]] = {}
    seen: set[str] = set()  # API names called, event kinds that occurred, checks that ran
    names, types = context.names, context.types
    for event in events:
        kind = event[3]
        seen.add(kind)
        if kind == "obj.create":
            names[event[4][0]] = str(event[5][1])
            types[event[4][0]] = str(event[5][0])
        elif kind in ("api", "scenario.check"):  # the function called; the check that ran
            seen.add(event[5][0])
        elif kind == "violation":
            rule, message = event[5][0], event[5][1]
            inline.setdefault(str(rule), []).append(Finding(event[0], str(message)))
        for checker in by_kind.get(kind, ()):
            checker.feed(event)
    result = Verdict(profile=profile)
    for entry in catalogue:
        judge = checkers.get(entry.id)
        if judge is not None:
            judge.finish()
            findings = tuple(judge.findings)
            exercised = judge.exercised or bool(findings)
        else:
            findings = tuple(inline.pop(entry.id, ()))
            exercised = bool(findings) or any(name in seen for name in entry.exercised_by)
        state = VIOLATED if findings else HELD if exercised else NOT_EXERCISED
        result.statuses.append(Status(entry, state, findings))
    for rule in sorted(inline):  # recorded by code the catalogue does not know: never drop it
        stray = lookup(rule) or Property(
            rule, CLIENT_RULE, (), "(not in the catalogue)", "", exercised_by=("run.end",)
        )
        result.statuses.append(Status(stray, VIOLATED, tuple(inline[rule])))
    return result
