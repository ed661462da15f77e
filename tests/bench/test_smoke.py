"""A smoke run of the benchmark with tiny sizes (figures live in bench/README.md, not here)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "kernel_vs_simpy.py"


def load_script(name: str, module_name: str | None = None, *, shared: bool = False) -> Any:
    """A bench script loaded as a module (``bench/<name>.py``); ``shared`` puts it in
    ``sys.modules`` too (other scripts import the kernel workloads by name)."""
    path = BENCH.parent / f"{name}.py"
    spec = importlib.util.spec_from_file_location(module_name or name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    if shared:
        sys.modules[module_name or name] = module
    spec.loader.exec_module(module)
    return module


def load_bench() -> Any:
    return load_script("kernel_vs_simpy", shared=True)


def test_benchmark_quick_json_reports_every_workload(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_bench()
    assert bench.main(["--quick", "--json", "--rounds", "50"]) == 0  # type: ignore[attr-defined]
    report = json.loads(capsys.readouterr().out)
    assert set(report["workloads"]) == {"pingpong", "apc", "iocp", "workqueue"}
    for row in report["workloads"].values():
        assert row["rounds"] == 50
        assert row["ratio_trace_off"] > 0 and row["ratio_trace_on"] > 0
        assert row["api_calls"] > 0 and row["trace_events"] > 0
    assert report["meta"]["targets"]["ratio_trace_off"] == 0.5


def test_the_emu_workloads_do_the_work_they_claim() -> None:
    bench = load_bench()
    k = bench.emu_pingpong(10, True)  # type: ignore[attr-defined]
    sets = [e for e in k.trace.view() if e.kind == "api" and e.payload["name"] == "SetEvent"]
    assert len(sets) == 21  # one opening set, then one per round per player
    k = bench.emu_apc(10, True)  # type: ignore[attr-defined]
    assert len([e for e in k.trace.events if e[2] == "apc.deliver"]) == 10


def test_the_text_report_prints(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_bench()
    assert bench.main(["--quick", "--rounds", "20"]) == 0  # type: ignore[attr-defined]
    out = capsys.readouterr().out
    assert "pingpong" in out and "apc" in out and "ratio" in out


def test_the_iocp_and_workqueue_workloads_do_the_work_they_claim() -> None:
    bench = load_bench()
    k = bench.emu_iocp(10, True)  # type: ignore[attr-defined]
    dequeues = [e for e in k.trace.events if e[2] == "iocp.dequeue"]
    assert len(dequeues) == 10 + bench.CONSUMERS  # type: ignore[attr-defined]
    k = bench.emu_workqueue(10, True)  # type: ignore[attr-defined]
    assert len([e for e in k.trace.events if e[2] == "work.return"]) == 10


def test_the_scenario_rate_benchmark_runs_every_shipped_scenario(
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = load_script("scenario_rate")
    assert module.main(["--json", "--runs", "3"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "kernel/apc-report.yaml" in report["scenarios"]
    for name, row in report["scenarios"].items():
        assert row["runs"] == 3 and row["events_per_run"] > 0
        if "/bug-" not in name:  # a bug demonstration fails the runs that do not show it
            assert row["failing_runs"] == 0


def test_the_explore_rate_benchmark_runs_every_shipped_scenario(
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = load_script("explore_rate")
    assert module.main(["--json", "--schedules", "4"]) == 0
    report = json.loads(capsys.readouterr().out)
    names = {row["scenario"] for row in report["rows"]}
    assert "kernel/bug-apc-counter-race.yaml" in names
    for row in report["rows"]:
        assert row["schedules"] == 4 and row["schedules_per_s"] > 0
        if "/bug-" not in row["scenario"]:
            assert row["hits"] == 0  # a correct scenario holds in every schedule


def test_the_decisions_benchmark_reports_every_chooser_with_the_trace_on_and_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = load_script("decisions")
    assert module.main(["--quick", "--json", "--threads", "4", "--calls", "5"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["runs"]) == {
        "random_trace_on",
        "random_trace_off",
        "canonical_trace_on",
        "canonical_trace_off",
    }
    for row in report["runs"].values():
        assert row["threads"] == 4 and row["api_calls"] == 4 * 6  # CreateEvent + 5 SetEvent
        assert row["decisions"] > 0 and row["decisions_per_s"] > 0
    # Canonical: the caller goes on, so while others are ready a thread's dispatch, each of
    # its six calls and its exit are choices; the last thread's are no choice.
    assert report["runs"]["canonical_trace_on"]["decisions"] == (1 + 6 + 1) * (4 - 1)
    assert report["meta"]["target_decisions_per_s_trace_on"] == 200_000
    assert module.main(["--quick", "--threads", "2", "--calls", "3"]) == 0
    assert "decisions/s" in capsys.readouterr().out


def test_trace_cost_quick_json_reports_every_workload(capsys: pytest.CaptureFixture[str]) -> None:
    load_bench()  # trace_cost imports the workloads from kernel_vs_simpy
    module = load_script("trace_cost")
    assert module.main(["--json", "--rounds", "20", "--repeat", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["workloads"]) == {"pingpong", "apc", "iocp", "workqueue"}
    for row in report["workloads"].values():
        assert row["as_recorded"]["bytes_per_event"] > row["compacted"]["bytes_per_event"] > 0
        assert row["on_over_off"] > 0


def test_the_replay_benchmark_writes_replays_and_verifies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = load_script("replay", "replay_bench")
    assert module.main(["--quick", "--json", "--choices", "2000", "--cli"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert 1_900 <= report["choices"] <= 2_002 and report["events"] > 2 * 1_900
    assert set(report["write_s"]) == {"write", "digest", "encode"}
    assert set(report["replay_s"]) == {"replay", "load", "run", "verdict", "verify"}
    assert report["emu_run_s"] > 0 and report["file_bytes"] > 0


def test_schedule_cost_quick_json_splits_a_schedule(capsys: pytest.CaptureFixture[str]) -> None:
    module = load_script("schedule_cost")
    args = ["--json", "--schedules", "5", "--repeat", "1", "--match", "kernel/fault-window"]
    assert module.main(args) == 0
    report = json.loads(capsys.readouterr().out)
    row = report["scenarios"]["kernel/fault-window.yaml"]
    assert row["run_us"] > 0 and row["assess_us"] > 0 and row["verdict_alone_us"] > 0
    assert 0 < row["checkers_built"] <= row["feeds"]
