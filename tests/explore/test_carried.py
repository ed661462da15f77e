"""State carried from one schedule of a campaign to the next (emu/explore/carried.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emu.explore import Campaign
from emu.scenario import load_scenario
from emu.scenario.model import ExploreBudget

SCENARIO = """\
version: 1
name: carried
threads:
  main:
    python: programs:{program}
"""

PROGRAMS = """\
SEEN = []                       # module level: survives from one schedule into the next


def module_level(api):
    SEEN.append(1)
    yield from api.Sleep(1)
    return 0


def per_run(api):
    seen = api.context.state.setdefault("seen", [])
    seen.append(1)
    yield from api.Sleep(len(seen))
    return 0


def default_argument(api, seen=[]):  # noqa: B006 - the hidden state under test
    seen.append(1)
    yield from api.Sleep(len(seen))  # the trace shows how many runs came before
    return 0
"""


def _campaign(tmp_path: Path, program: str) -> list[str]:
    (tmp_path / "programs.py").write_text(PROGRAMS, encoding="utf-8")
    path = tmp_path / f"{program}.yaml"
    path.write_text(SCENARIO.format(program=program), encoding="utf-8")
    scenario = load_scenario(path, allow_python=True)
    result = Campaign(scenario, ExploreBudget(schedules=4)).run()
    assert result.schedules_run == 4
    assert result.ok == (not result.carried)
    return result.carried


def test_module_level_state_is_named_with_the_schedule_that_changed_it(tmp_path: Path) -> None:
    (message,) = _campaign(tmp_path, "module_level")
    assert message.startswith(
        "schedule 0 changed the module-level 'SEEN' of programs.py (now a list of 1 item)"
    )
    assert "api.context.state" in message


def test_per_run_state_in_the_context_is_fresh_every_run(tmp_path: Path) -> None:
    assert _campaign(tmp_path, "per_run") == []


def test_hidden_state_shows_when_the_canonical_schedule_is_rerun(tmp_path: Path) -> None:
    (message,) = _campaign(tmp_path, "default_argument")
    assert message.startswith("the canonical schedule gave a different trace when run again")


@pytest.mark.parametrize("name", ["scm/monitor-python", "kernel/pipe-echo"])
def test_the_shipped_python_programs_carry_nothing(name: str) -> None:
    root = Path(__file__).resolve().parents[2]
    scenario = load_scenario(root / "scenarios" / f"{name}.yaml")
    assert Campaign(scenario, ExploreBudget(schedules=20)).run().carried == []
