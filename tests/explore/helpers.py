"""A small recorded replay for the replay-file tests: two threads race on a shared counter, so
the schedule has scheduling choices, and the scenario sits beside the replay."""

from __future__ import annotations

from pathlib import Path

from emu.explore.judge import run_once
from emu.explore.replay import write_replay
from emu.kernel.chooser import RandomChooser
from emu.properties.report import scenario_digest
from emu.scenario import load_scenario

RACING = """\
version: 1
name: racing
shared:
  n: {type: LONG}
threads:
  a:
    steps:
      - repeat: 3
        steps:
          - increment: $n
  b:
    steps:
      - repeat: 3
        steps:
          - increment: $n
expect:
  violated: [kernel.lost_update]
"""


def record(folder: Path, *, seed: int = 3) -> Path:
    """Write ``racing.yaml`` and a replay of one random schedule of it into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    scenario_file = folder / "racing.yaml"
    scenario_file.write_text(RACING, encoding="utf-8")
    assessment = run_once(load_scenario(scenario_file), RandomChooser(seed))
    result = assessment.result
    assert result.schedule and assessment.ok, "this schedule shows the race"
    return write_replay(
        folder / "racing.replay.json",
        scenario_file=str(scenario_file),
        scenario_sha256=scenario_digest(str(scenario_file)),
        schedule=result.schedule,
        events=result.k.trace.events,
        properties=[s.property.id for s in assessment.verdict.violated],
        found_by={"strategy": "random", "seed": seed},
    )
