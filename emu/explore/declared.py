"""A scenario's declared verdict: what ``emu run``, the pytest plugin and ``emu.testing`` check.

``declared_verdict(scenario)`` runs the scenario once (its canonical schedule, or its
``seed:``/``schedule:``, or the seed or chooser given) and assesses the run. A scenario that
demonstrates a bug the canonical schedule does not show (``expect: violated:`` missing from
the run) and that carries an ``explore:`` budget is then explored within that budget: the
declared verdict holds when a schedule shows the bug, and the outcome is that schedule's run,
shrunk, with the campaign that found it. A scenario run under an explicit seed, schedule or
chooser is judged on that one run only.

``open_target(path)`` loads what the command line or the plugin is given: a scenario file
(YAML, or JSON, which YAML reads), or a replay file naming one (``*.replay.json``, or any
``*.json`` file holding a JSON object whose format is ``emu.replay``); either way property ids
are checked against the catalogue. Whatever the file holds, the only exception is a one-line
``ScenarioError``: a replay's scenario that cannot be read is reported at the replay's
``scenario.file``, an error inside that scenario at its own line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emu.errors import printable
from emu.explore.campaign import CampaignResult, explore
from emu.explore.judge import run_once
from emu.explore.replay import (
    Replay,
    first_difference,
    is_replay_file,
    load_replay,
    read_file,
    scenario_sha256,
)
from emu.kernel.chooser import Chooser, ReplayChooser
from emu.properties.expectation import Assessment, check_refs
from emu.scenario.loader import load_bytes
from emu.scenario.model import Scenario
from emu.sim.simulation import make_chooser


@dataclass(frozen=True, slots=True)
class Outcome:
    """The run a verdict is about, and the campaign that found it (if one ran)."""

    assessment: Assessment
    campaign: CampaignResult | None = None
    replay_problem: str | None = None  # a replay whose trace differs from the recorded one

    @property
    def ok(self) -> bool:
        return self.assessment.ok and self.replay_problem is None


@dataclass(frozen=True, slots=True)
class Target:
    scenario: Scenario
    replay: Replay | None = None
    changed: bool = False  # the scenario file changed since the replay was recorded


def open_target(path: str | Path, *, allow_python: bool = False) -> Target:
    """Load a scenario file, or the scenario of a replay file; ScenarioError if invalid.

    A replay is a ``*.replay.json`` file, or a ``*.json`` file holding a JSON object whose
    format is ``emu.replay`` (``is_replay_file``); any other file is a scenario (YAML, so a
    scenario written as JSON too)."""
    if is_replay_file(path):
        return _replay_target(load_replay(path), allow_python)
    data = read_file(path)
    if is_replay_file(path, data):
        return _replay_target(load_replay(path), allow_python)
    scenario = load_bytes(data, str(path), allow_python=allow_python)
    check_refs(scenario)
    return Target(scenario)


def _replay_target(replay: Replay, allow_python: bool) -> Target:
    """The scenario a replay names; one it cannot read is an error at its ``scenario.file``."""
    line, column = replay.scenario_position
    data = read_file(
        replay.scenario_file,
        file=replay.path,
        what=f"the scenario {printable(replay.scenario_file)}",
        line=line,
        column=column,
        at="scenario.file",
    )
    scenario = load_bytes(data, replay.scenario_file, allow_python=allow_python)
    check_refs(scenario)
    sha = replay.scenario_sha256
    return Target(scenario, replay, sha is not None and scenario_sha256(data) != sha)


def needs_search(scenario: Scenario, assessment: Assessment) -> bool:
    if scenario.explore is None or not scenario.expect.violated:
        return False
    shown = {s.property.id for s in assessment.verdict.violated}
    return not all(pid in shown for pid in scenario.expect.violated)


def declared_verdict(
    target: Target | Scenario, *, seed: int | None = None, chooser: Chooser | None = None
) -> Outcome:
    """Run (and if declared, explore) to the scenario's declared verdict."""
    if isinstance(target, Scenario):
        target = Target(target)
    scenario, replay = target.scenario, target.replay
    if replay is not None:
        assessment = run_once(scenario, ReplayChooser(replay.schedule))
        problem = first_difference(replay.checkpoints, assessment.result.k.trace.events)
        return Outcome(assessment, replay_problem=problem)
    explicit = seed is not None or chooser is not None
    picked = chooser if chooser is not None else make_chooser(scenario, seed)
    assessment = run_once(scenario, picked)
    fixed = explicit or scenario.seed is not None or scenario.schedule is not None
    if fixed or not needs_search(scenario, assessment):
        return Outcome(assessment)
    campaign = explore(scenario)
    if campaign.found is None:
        return Outcome(assessment, campaign)
    return Outcome(campaign.found, campaign)
