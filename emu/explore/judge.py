"""One run of a campaign, judged: build, run under a chooser, assess; and what counts as a hit."""

from __future__ import annotations

from emu.kernel.chooser import Chooser
from emu.properties.expectation import Assessment, assess
from emu.scenario.model import Scenario
from emu.sim.simulation import Simulation


def run_once(scenario: Scenario, chooser: Chooser) -> Assessment:
    """Run ``scenario`` once under ``chooser`` and judge the run."""
    result = Simulation(scenario, chooser=chooser).run()
    chooser.finish()
    return assess(result)


def is_hit(assessment: Assessment) -> bool:
    """What a campaign looks for: for a scenario that demonstrates a bug (``violated:``), a
    run violating every property it names; for any other, a run whose expectation fails."""
    expect = assessment.result.scenario.expect
    if expect.violated:
        violated = {s.property.id for s in assessment.verdict.violated}
        return all(pid in violated for pid in expect.violated)
    return not assessment.ok
