"""The report of one scenario's run: as text for a terminal, as a JSON object for tools.

The JSON object (``emu run --json``, ``emu explore --json``; one object per line, one line per
scenario) is documented in docs/report.md and stable: fields are added, never renamed or
removed, within one ``version``. It carries the scenario, the seed, the profile, the strategy
and the schedule the run followed (replayable), the verdict (per property), the violations
with the property's id, kind, source and sentence, the trace events where each showed and the
story that led to it, the properties not exercised, an exploration section when the run came
from ``emu explore``, and summary counts.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Final

from emu.codes.winerror import win32_error_name
from emu.errors import printable
from emu.kernel.time import format_ticks
from emu.properties.expectation import Assessment
from emu.properties.verdict import Status
from emu.timeline.render import describe, render_timeline
from emu.timeline.story import Story, story

REPORT_SCHEMA: Final = "emu.report"
REPORT_VERSION: Final = 1


def scenario_digest(file: str) -> str | None:
    """The sha256 of the scenario file's bytes (None when it is not a file on disk)."""
    try:
        return hashlib.sha256(Path(file).read_bytes()).hexdigest()
    except OSError:
        return None


def status_story(assessment: Assessment, status: Status) -> Story:
    """The story of a violated property's first finding."""
    if not status.findings:
        return Story((), 0)
    first = status.findings[0]
    trace = assessment.result.k.trace
    return story(trace.events, trace.names(), (first.seq, *first.related))


def report_object(
    assessment: Assessment, exploration: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON report of one run (docs/report.md)."""
    result = assessment.result
    scenario = result.scenario
    verdict = assessment.verdict
    expected = set(scenario.expect.violated)
    intended = set(scenario.expect.intended)
    stats = result.k.statistics()
    violations = []
    for status in verdict.violated:
        entry = status.property
        told = status_story(assessment, status)
        violations.append(
            {
                "property": entry.id,
                "kind": entry.kind,
                "source": entry.source,
                "sentence": entry.sentence,
                "expected": entry.id in expected,
                "intended": entry.id in intended,
                "findings": [
                    {"event": f.seq, "message": f.message, "related": list(f.related)}
                    for f in status.findings
                ],
                "story": [
                    {
                        "event": line.seq,
                        "time": line.time,
                        "actor": line.actor,
                        "text": line.text,
                        "named": line.named,
                    }
                    for line in told.lines
                ],
                "story_elided": told.elided,
            }
        )
    counts = verdict.counts()
    return {
        "schema": REPORT_SCHEMA,
        "version": REPORT_VERSION,
        "scenario": {
            "name": scenario.name,
            "file": scenario.file,
            "sha256": scenario_digest(scenario.file),
        },
        "seed": result.strategy.get("seed"),
        "profile": verdict.profile,
        "strategy": result.strategy,
        "schedule": [[index, key] for index, key in result.schedule],
        "exploration": exploration,
        "end": {
            "reason": result.end_reason,
            "time": result.end_time,
            "time_text": format_ticks(result.end_time),
        },
        "threads": [
            {
                "name": t.name,
                "state": t.state,
                "exit_code": t.exit_code,
                "last_error": t.last_error,
                "last_error_name": win32_error_name(t.last_error),
                "blocks_forever": t.blocks_forever,
            }
            for t in result.threads
        ],
        "ok": assessment.ok,
        "failures": [f.message for f in assessment.failures],
        "verdict": {
            "held": [s.property.id for s in verdict.held],
            "violated": [s.property.id for s in verdict.violated],
            "not_exercised": [s.property.id for s in verdict.not_exercised],
        },
        "violations": violations,
        "not_exercised": [s.property.id for s in verdict.not_exercised],
        "notes_seen": list(assessment.notes_seen),
        "summary": {
            "held": counts["held"],
            "violated": counts["violated"],
            "not_exercised": counts["not exercised"],
            "failures": len(assessment.failures),
            "trace_events": stats["trace_events"],
            "api_calls": stats["api_calls"],
            "choices": stats["choices"],
        },
    }


TIMELINE_LINES: Final = 2_000
"""The most timeline lines ``emu run`` prints: a longer run shows its start and its end, and
``emu trace`` prints everything."""


def strategy_words(description: dict[str, Any]) -> str:
    """A chooser's description (``Chooser.describe()``) in words: ``canonical``, ``random seed
    7``, ``pct seed 3 depth 3``, ``replay of 15 steps`` (``, lenient`` when a step that no
    longer fits is bent rather than refused)."""
    rest = dict(description)
    name = str(rest.pop("strategy", "unknown"))
    if name == "replay":
        steps = rest.pop("steps", 0)
        strict = rest.pop("strict", True)
        text = f"replay of {steps:,} step{'' if steps == 1 else 's'}" + (
            "" if strict else ", lenient"
        )
    else:
        text = name
    for key, value in rest.items():
        if value is not None:
            text += f" {key} {value}"
    return text


def outcome_lines(
    assessment: Assessment,
    *,
    timeline: bool = False,
    verbose: bool = False,
    exploration: str | None = None,
    replay_problem: str | None = None,
) -> list[str]:
    """A judged run as ``emu run`` prints it: the header, the exploration that found it, the
    timeline (with ``timeline``), the end, each thread, what was left undone, the verdict with
    its stories, and PASS or FAIL."""
    result = assessment.result
    scenario = result.scenario
    where = printable(scenario.file)
    lines = [f"== {scenario.name} ({where}), strategy {strategy_words(result.strategy)}"]
    if exploration is not None:
        lines.append(f"-- {exploration}")
    if timeline:
        lines.append(render_timeline(result.k.trace, verbose=verbose, limit=TIMELINE_LINES))
    lines.append(f"-- {result.summary()}")
    lines.extend(f"   {line}" for line in result.thread_lines())
    lines.extend(
        f"   left undone (event #{event.seq}): {describe(event)}" for event in result.undone
    )
    lines.extend(report_text(assessment))
    if replay_problem is not None:
        lines.append(f"   FAIL: {replay_problem}")
    ok = assessment.ok and replay_problem is None
    lines.append(f"-- {'PASS' if ok else 'FAIL'}: {scenario.name}")
    return lines


def report_text(assessment: Assessment) -> list[str]:
    """The verdict as lines for a terminal: each violation with its sentence and story, what
    was not exercised, the failures, PASS or FAIL."""
    result = assessment.result
    verdict = assessment.verdict
    expected = set(result.scenario.expect.violated)
    intended = set(result.scenario.expect.intended)
    lines: list[str] = []
    for status in verdict.violated:
        entry = status.property
        tag = (
            "expected"
            if entry.id in expected
            else f"{entry.kind}, intended"
            if entry.id in intended
            else entry.kind
        )
        lines.append(f"   VIOLATED {entry.id} ({tag}) -- {entry.source}")
        if entry.sentence:
            lines.append(f'     "{entry.sentence}"')
        for finding in status.findings:
            lines.append(f"     at event #{finding.seq}: {finding.message}")
        told = status_story(assessment, status)
        if told.lines:
            lines.append("     story:")
            lines.append(told.render("     "))
    counts = verdict.counts()
    on_purpose = len(assessment.intended_violations)
    of_which = f" ({on_purpose} intended)" if on_purpose else ""
    lines.append(
        f"   verdict: {counts['held']} held, {counts['violated']} violated{of_which}, "
        f"{counts['not exercised']} not exercised (passed vacuously: nothing in the run could "
        "break them)"
    )
    for failure in assessment.failures:
        lines.append(f"   FAIL: {failure.message}")
    return lines
