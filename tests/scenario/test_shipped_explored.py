"""Every shipped correct scenario holds in every schedule exploration tries, not only the
canonical one: 1,000 random and 1,000 PCT schedules each (``slow``: about four minutes in all).
A scenario is correct when it does not demonstrate a bug (no ``expect: violated:``).

The NETIO interface monitors' 1,000 random schedules are run once, by
tests/scenario/test_nic_scenarios.py, which assesses each run as a campaign does (verdict and
expectation) and also compares the monitor's table with the device; here they get their PCT
schedules only.

A correct program must not fail under exploration because of emu (a false positive blamed
Windows for a client's own bug once), and the windows exploration opens must be real ones: the
bug demonstration that needs an APC to run inside an SCM call's RPC is found, and only by
exploring.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emu.explore.campaign import Campaign
from emu.properties.verdict import VIOLATED, verdict
from emu.scenario import load_scenario
from emu.scenario.model import ExploreBudget
from emu.sim.simulation import run_scenario
from tests.scenario.test_nic_scenarios import MONITORS, SLOW_SCHEDULES

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios").rglob("*.yaml"))
CORRECT = [p for p in SHIPPED if not load_scenario(p).expect.violated]
IDS = [str(p.relative_to(ROOT / "scenarios")) for p in CORRECT]
SCHEDULES = 1000
SEED = 20_260_301
RANDOM_ELSEWHERE = frozenset(f"nic/{name}.yaml" for name in MONITORS)
"""Correct scenarios whose 1,000 random schedules another test assesses (see the docstring)."""
CASES = [
    pytest.param(path, strategy, id=f"{name}-{strategy}")
    for path, name in zip(CORRECT, IDS, strict=True)
    for strategy in ("random", "pct")
    if not (strategy == "random" and name in RANDOM_ELSEWHERE)
]


def test_the_correct_scenarios_are_most_of_the_shipped_ones() -> None:
    assert len(CORRECT) >= 30
    assert any(p.name == "two-services-one-thread.yaml" for p in CORRECT)


def test_the_scenarios_explored_elsewhere_are_the_monitors_run_1000_times() -> None:
    assert SLOW_SCHEDULES >= SCHEDULES
    assert set(IDS) >= RANDOM_ELSEWHERE
    assert len(CASES) == 2 * len(CORRECT) - len(RANDOM_ELSEWHERE)


@pytest.mark.slow
@pytest.mark.parametrize(("path", "strategy"), CASES)
def test_a_correct_scenario_holds_in_every_explored_schedule(path: Path, strategy: str) -> None:
    scenario = load_scenario(path)
    result = Campaign(scenario, ExploreBudget(strategy, schedules=SCHEDULES, seed=SEED)).run()
    assert result.schedules_run == SCHEDULES
    broken = result.found
    failures = [] if broken is None else [f.message for f in broken.failures]
    assert failures == [], f"schedule {result.hit_at} (seed {result.hit_seed}) broke it"
    assert result.missing_sometimes == []


def test_an_apc_inside_an_scm_calls_rpc_is_a_window_exploration_opens() -> None:
    # The client that registers again only for the callbacks it saw in its wait: the canonical
    # schedule never runs a callback inside an RPC, so it looks correct; exploration finds the
    # schedule where the RPC's wait is alertable and a change is missed.
    scenario = load_scenario(ROOT / "scenarios" / "scm" / "bug-missed-reregister.yaml")
    canonical = verdict(run_scenario(scenario).k.trace.events)
    found = canonical.status("scm.reregister_after_callback")
    assert found is not None
    assert found.state != VIOLATED
    campaign = Campaign(scenario, ExploreBudget("random", schedules=500, seed=11)).run()
    assert campaign.found is not None
    shown = campaign.found.result.k.trace.events
    assert [e for e in shown if e[2] == "scm.rpc_apc"]  # the callback ran inside an RPC
    assert "scm.reregister_after_callback" in {
        s.property.id for s in campaign.found.verdict.violated
    }
