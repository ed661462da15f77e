"""Every shipped scenario records the same trace and verdict as pinned in tests/golden/.

Speed work (issue 12) must not change what a run records: the canonical schedule, three random
and two PCT schedules of each scenario give the trace and verdict digests of
``tests/golden/traces.json`` (``python -m tools.golden_traces --update`` regenerates it when the
trace schema version moves on purpose).
"""

from __future__ import annotations

import json

from tools.golden_traces import GOLDEN, compute, differences


def test_every_shipped_scenario_records_the_pinned_trace_and_verdict() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert differences(golden, compute()) == []


def test_a_changed_digest_is_reported() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    name = sorted(golden["scenarios"])[0]
    golden["scenarios"][name]["canonical"]["trace"] = "0" * 16
    changed = differences(golden, compute())
    assert changed == [f"{name} canonical: " + changed[0].split(": ", 1)[1]]
    assert "0000000000000000 ->" in changed[0]
