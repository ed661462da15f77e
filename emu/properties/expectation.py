"""Whether a run gives what its scenario's ``expect:`` declares.

``assess(result)`` computes the verdict (every catalogue property: held, violated, not
exercised) and compares it, and the run's end, with the expectation:

- ``end`` and ``exit_codes``: how the run ended and each thread's exit code;
- ``hold: all`` (the default) or ``hold: [ids]``: the properties that must not be violated. A
  guarantee must hold whatever the list says (its violation means emu is wrong); a client rule
  left out of an explicit list is reported, not failed;
- ``violated: [ids]``: a scenario that demonstrates a bug names the property the bug breaks;
  the run must violate it (and ``emu explore`` searches for a schedule that does);
- ``intended: [ids]``: client rules, liveness rules or hazards the scenario breaks on purpose
  (it shows the documented discard of an APC at thread exit, it leaves a handle open to keep a
  service from being deleted): their violations are reported as intended and never fail the
  run; they need not happen (a guarantee or a scenario check cannot be intended);
- ``sometimes: [texts]``: ``note:`` steps that must be seen at least once (in this run; under
  ``emu explore``, in at least one schedule of the campaign).

``check_refs(scenario)`` refuses an expectation naming a property the catalogue does not have,
or declaring a guarantee or a scenario check intended, as a one-line ``file:line:column``
error, like any other invalid scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from emu.errors import ScenarioError
from emu.properties.catalogue import GUARANTEE, SCENARIO_CHECK, lookup, properties
from emu.properties.verdict import VIOLATED, Status, Verdict, verdict
from emu.scenario.format import END_REASONS
from emu.scenario.model import Scenario
from emu.scenario.shape import did_you_mean
from emu.sim.result import Result
from emu.timeline.render import render_timeline

NOTE_KIND: Final = "scenario.note"


@dataclass(frozen=True, slots=True)
class Failure:
    """One way the run differs from its expectation."""

    message: str
    property_id: str = ""
    status: Status | None = None  # the property's status, for a violation or a missing one


@dataclass(slots=True)
class Assessment:
    """A run's verdict and how it compares with the scenario's expectation."""

    result: Result
    verdict: Verdict
    failures: list[Failure] = field(default_factory=list)
    tolerated: list[Status] = field(default_factory=list)  # violated, expected or not required
    notes_seen: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures

    def timeline(self, *, verbose: bool = False) -> str:
        """The run's readable timeline (``emu run`` prints it above the verdict)."""
        return render_timeline(self.result.k.trace, verbose=verbose)

    def __str__(self) -> str:
        """The run as ``emu run --quiet`` prints it: the end, each thread, what was left
        undone, every violation with its sentence and story, the verdict, PASS or FAIL."""
        from emu.properties.report import outcome_lines  # noqa: PLC0415 - it imports this

        return "\n".join(outcome_lines(self))

    def __repr__(self) -> str:
        counts = self.verdict.counts()
        violated = ", ".join(s.property.id for s in self.verdict.violated)
        return (
            f"<Assessment {self.result.scenario.name}: {'PASS' if self.ok else 'FAIL'}, "
            f"{counts['held']} held, {counts['violated']} violated"
            f"{f' ({violated})' if violated else ''}, {counts['not exercised']} not exercised>"
        )

    @property
    def expected_violations(self) -> list[Status]:
        wanted = self.result.scenario.expect.violated
        return [s for s in self.verdict.violated if s.property.id in wanted]

    @property
    def intended_violations(self) -> list[Status]:
        """The violations the scenario declares ``intended``."""
        wanted = self.result.scenario.expect.intended
        return [s for s in self.verdict.violated if s.property.id in wanted]


def check_refs(scenario: Scenario) -> None:
    """Every property id the expectation names exists in the catalogue; what is declared
    ``intended`` is a client rule, a liveness rule or a hazard."""
    known = [p.id for p in properties()]
    intended = set(scenario.expect.intended)
    for ref in scenario.expect.refs:
        entry = lookup(ref.id)
        problem = ""
        if entry is None:
            problem = (
                f"no property named {ref.id!r}{did_you_mean(ref.id, known)} (emu properties "
                "lists the catalogue)"
            )
        elif ref.id in intended and entry.kind in (GUARANTEE, SCENARIO_CHECK):
            problem = (
                f"{ref.id} is a {entry.kind} and cannot be intended (only client rules, "
                "liveness rules and hazards can)"
            )
        if problem:
            raise ScenarioError(
                problem,
                file=scenario.file,  # positions carry only the file's name
                line=ref.position.line,
                column=ref.position.column,
                path=ref.path,
            )


def notes_of(result: Result) -> tuple[str, ...]:
    """The texts of the ``note:`` steps the run wrote, in order, each once."""
    seen: dict[str, None] = {}
    for event in result.k.trace.events:
        if event[2] == NOTE_KIND:
            seen.setdefault(str(event[4][0]), None)
    return tuple(seen)


def run_verdict(result: Result) -> Verdict:
    return verdict(
        result.k.trace.events,
        blocks_forever=result.blocks_forever,
        profile=result.scenario.machine.profile,
    )


def assess(result: Result, run: Verdict | None = None) -> Assessment:
    """The run's verdict compared with ``result.scenario.expect``."""
    expect = result.scenario.expect
    judged = run if run is not None else run_verdict(result)
    out = Assessment(result, judged, notes_seen=notes_of(result))
    failures = out.failures
    if expect.end is not None and END_REASONS[expect.end] != result.end_reason:
        failures.append(
            Failure(f"the run ended '{result.end_reason}', expected '{END_REASONS[expect.end]}'")
        )
    by_name = {t.name: t for t in result.threads}
    for name, code in expect.exit_codes.items():
        got = by_name[name].exit_code
        if got != code:
            shown = "no exit (still running or blocked)" if got is None else str(got)
            failures.append(Failure(f"thread {name} exited with {shown}, expected {code}"))
    for status in judged.violated:
        entry = status.property
        if entry.id in expect.violated or (entry.id in expect.intended and entry.kind != GUARANTEE):
            out.tolerated.append(status)
        elif expect.hold is None or entry.id in expect.hold or entry.kind == GUARANTEE:
            first = status.findings[0]
            more = f" (and {len(status.findings) - 1} more)" if len(status.findings) > 1 else ""
            failures.append(
                Failure(
                    f"{entry.id} violated at event #{first.seq}: {first.message}{more}",
                    entry.id,
                    status,
                )
            )
        else:
            out.tolerated.append(status)
    for property_id in expect.violated:
        found = judged.status(property_id)
        if found is None or found.state != VIOLATED:
            state = found.state if found is not None else "not applicable under this profile"
            failures.append(
                Failure(
                    f"{property_id} was expected to be violated, but it {_said(state)}",
                    property_id,
                    found,
                )
            )
    for text in expect.sometimes:
        if text not in out.notes_seen:
            failures.append(Failure(f"the note {text!r} was expected at least once; not seen"))
    return out


def _said(state: str) -> str:
    return {"held": "held", "not exercised": "was not exercised"}.get(state, f"is {state}")
