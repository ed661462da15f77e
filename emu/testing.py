"""``emu.testing``: the Python test API (docs/testing.md).

Build a scenario from a file, from YAML text or from a Python dict (Python programs may be
given as functions); run it; assert its verdict; explore it inside a test. On failure the
assertion error tells the violation as a story and names a replay file that ``emu run``
reproduces exactly::

    from emu import testing

    def test_monitor_survives_every_schedule():
        scenario = testing.scenario({"version": 1, "name": "monitor", "threads": {...}})
        testing.check(scenario)                       # the declared verdict, or AssertionError
        testing.explore(scenario, schedules=2000)     # no schedule breaks it

    def test_the_race_is_reported():
        outcome = testing.check("scenarios/kernel/bug-apc-counter-race.yaml")
        testing.assert_verdict(outcome, violated=["kernel.lost_update"])

Replay files go to ``replay_dir`` (default: the ``EMU_REPLAY_DIR`` environment variable, else
``.emu/replays`` under the current folder). Code given as Python (a dict naming functions)
is trusted: the caller wrote it; a file is loaded under the command line's trust rule unless
``allow_python`` is given.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from emu.explore.campaign import CampaignResult
from emu.explore.campaign import explore as run_campaign
from emu.explore.declared import Outcome, Target, declared_verdict, open_target
from emu.explore.judge import run_once
from emu.explore.replay import write_replay
from emu.kernel.chooser import Chooser
from emu.properties.expectation import Assessment, check_refs
from emu.properties.report import report_text, scenario_digest
from emu.scenario.loader import load_scenario
from emu.scenario.model import ExploreBudget, Scenario
from emu.sim.simulation import make_chooser

__all__ = [
    "ScenarioFailed",
    "assert_verdict",
    "check",
    "explore",
    "load",
    "replay",
    "run",
    "scenario",
]


class ScenarioFailed(AssertionError):
    """A scenario did not give its verdict; the message is the story, with a replay path."""

    def __init__(self, message: str, replay: Path | None = None) -> None:
        super().__init__(message)
        self.replay = replay


def replay_dir(given: str | Path | None = None) -> Path:
    if given is not None:
        return Path(given)
    return Path(os.environ.get("EMU_REPLAY_DIR", ".emu/replays"))


def load(path: str | Path, *, allow_python: bool = False) -> Scenario:
    """A scenario (or a replay file's scenario) from a file."""
    return open_target(path, allow_python=allow_python).scenario


def scenario(
    document: Mapping[str, Any] | str,
    *,
    file: str | Path | None = None,
    allow_python: bool = True,
) -> Scenario:
    """A scenario from a dict (the YAML format's structure; a function where the format takes
    ``python: module:function``) or from YAML text. It is written to ``file`` (default:
    ``.emu/scenarios/<name>-<digest>.yaml`` beside the replay folder) and loaded from there, so
    that messages point into a file you can open and failures can be replayed with ``emu run``.
    Errors are ``ScenarioError``, one line with file:line:column."""
    if isinstance(document, str):
        text = document
        name = "scenario"
    else:
        text = yaml.safe_dump(_references(dict(document)), sort_keys=False)
        name = str(document.get("name", "scenario"))
    if file is None:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        file = replay_dir().parent / "scenarios" / f"{safe}-{digest}.yaml"
    path = Path(file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    built = load_scenario(path, allow_python=allow_python)
    check_refs(built)
    return built


def _references(value: Any) -> Any:
    """Functions replaced by their ``module:function`` reference."""
    if callable(value) and hasattr(value, "__module__") and hasattr(value, "__qualname__"):
        if "." in value.__qualname__:
            raise TypeError(f"{value.__qualname__}: give a module-level function")
        return f"{value.__module__}:{value.__qualname__}"
    if isinstance(value, Mapping):
        return {str(k): _references(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_references(v) for v in value]
    return value


def _scenario_of(target: Scenario | str | Path) -> Scenario:
    return target if isinstance(target, Scenario) else load(target)


def run(
    target: Scenario | str | Path, *, seed: int | None = None, chooser: Chooser | None = None
) -> Assessment:
    """One run, judged, never explored: under ``chooser``, else a random schedule from
    ``seed``, else the scenario's own ``seed:``/``schedule:``, else the canonical schedule."""
    built = _scenario_of(target)
    return run_once(built, chooser if chooser is not None else make_chooser(built, seed))


def check(
    target: Scenario | str | Path,
    *,
    seed: int | None = None,
    replay_to: str | Path | None = None,
) -> Outcome:
    """The scenario's declared verdict, as ``emu run`` gives it (a bug demonstration is
    explored within its budget); ``ScenarioFailed`` with the story and a replay file if not."""
    built = _scenario_of(target)
    outcome = declared_verdict(Target(built), seed=seed)
    if not outcome.ok:
        path = write_failure_replay(outcome.assessment, replay_dir(replay_to), outcome.campaign)
        raise ScenarioFailed(failure_text(outcome.assessment, path), path)
    return outcome


def explore(
    target: Scenario | str | Path,
    *,
    strategy: str = "random",
    schedules: int = 1000,
    seed: int = 0,
    depth: int = 3,
    replay_to: str | Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> CampaignResult:
    """Explore within the budget; ``ScenarioFailed`` (story, replay file) when a schedule
    breaks the expectation, or when a declared bug is never shown, or a ``sometimes:`` note
    is never seen."""
    built = _scenario_of(target)
    budget = ExploreBudget(strategy, schedules, seed, depth)
    campaign = run_campaign(built, budget, on_progress=on_progress)
    if campaign.ok:
        return campaign
    head = (
        f"{built.name}: {campaign.schedules_run} schedules ({strategy}, seed {seed}"
        + (f", depth {depth}" if strategy == "pct" else "")
        + ")"
    )
    if campaign.found is not None and not campaign.demonstrates:
        path = write_failure_replay(campaign.found, replay_dir(replay_to), campaign)
        raise ScenarioFailed(
            f"{head}: schedule {campaign.hit_at} breaks the expectation\n"
            + failure_text(campaign.found, path),
            path,
        )
    if campaign.demonstrates and campaign.found is None:
        wanted = ", ".join(built.expect.violated)
        raise ScenarioFailed(f"{head}: no schedule violated {wanted}")
    missing = ", ".join(repr(t) for t in campaign.missing_sometimes)
    raise ScenarioFailed(f"{head}: the notes {missing} were never seen")


def replay(path: str | Path, *, allow_python: bool = False) -> Outcome:
    """Rerun a replay file exactly (its trace is checked against the recorded digests)."""
    return declared_verdict(open_target(path, allow_python=allow_python))


def assert_verdict(
    judged: Outcome | Assessment,
    *,
    held: Iterable[str] = (),
    violated: Iterable[str] = (),
    not_exercised: Iterable[str] = (),
) -> None:
    """Each named property has that state in the run; ``ScenarioFailed`` (with the story of
    any unexpected violation) otherwise."""
    assessment = judged.assessment if isinstance(judged, Outcome) else judged
    verdict = assessment.verdict
    wrong: list[str] = []
    for state, ids in (("held", held), ("violated", violated), ("not exercised", not_exercised)):
        for property_id in ids:
            status = verdict.status(property_id)
            got = status.state if status is not None else "not in this verdict"
            if got != state:
                wrong.append(f"{property_id}: expected {state}, got {got}")
    if wrong:
        raise ScenarioFailed("\n".join([*wrong, *report_text(assessment)]))


def failure_text(assessment: Assessment, replay: Path | None) -> str:
    result = assessment.result
    lines = [f"scenario {result.scenario.name} ({result.scenario.file}): {result.summary()}"]
    lines.extend(report_text(assessment))
    if replay is not None:
        lines.append(f"replay: emu run {replay}")
    return "\n".join(lines)


def write_failure_replay(
    assessment: Assessment, folder: Path, campaign: CampaignResult | None
) -> Path | None:
    scenario = assessment.result.scenario
    if not Path(scenario.file).is_file():
        return None  # loaded from text: nothing on disk for a replay to name
    strategy = assessment.result.strategy.get("strategy", "run")
    path = folder / f"{scenario.name}-{strategy}.replay.json"
    return write_replay(
        path,
        scenario_file=scenario.file,
        scenario_sha256=scenario_digest(scenario.file),
        schedule=assessment.result.schedule,
        events=assessment.result.k.trace.events,
        properties=[s.property.id for s in assessment.verdict.violated],
        found_by=campaign.describe() if campaign is not None else dict(assessment.result.strategy),
    )
