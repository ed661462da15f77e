"""Every shipped scenario records the same trace and verdict as pinned in tests/golden/.

Speed work (issue 12) must not change what a run records: the canonical schedule, three random
and two PCT schedules of each scenario give the trace and verdict digests of
``tests/golden/traces.json`` (``python -m tools.golden_traces --update`` regenerates it when the
trace schema version moves on purpose).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tools.golden_traces import GOLDEN, compute, differences


@pytest.fixture(scope="module")
def now() -> dict[str, Any]:
    return compute()


def test_every_shipped_scenario_records_the_pinned_trace_and_verdict(now: dict[str, Any]) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert differences(golden, now) == []


def test_a_changed_digest_is_reported(now: dict[str, Any]) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    name = sorted(golden["scenarios"])[0]
    right = golden["scenarios"][name]["canonical"]["trace"]
    golden["scenarios"][name]["canonical"]["trace"] = "0" * 16
    golden["scenarios"][name]["pct-1"].pop("verdict")
    assert differences(golden, now) == [
        f"{name} canonical trace: {'0' * 16} -> {right}",
        f"{name} pct-1 verdict: None -> {now['scenarios'][name]['pct-1']['verdict']}",
    ]
