"""Choices: scheduling points cost only what the strategy reads, and record the same."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes import INFINITE
from emu.kernel import Kernel
from emu.kernel.chooser import ChoicePoint, Chooser, RandomChooser
from emu.kernel.time import TICKS_PER_MS
from emu.win32 import Api
from tests.support import run


class WholePointRandom(Chooser):
    """The random strategy's draws, made from whole points (keys and footprints built)."""

    strategy = "whole-point random"

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.random = RandomChooser(seed)
        self.points: list[ChoicePoint] = []

    def pick(self, point: ChoicePoint) -> int:
        self.points.append(point)
        return self.random.pick(point)


def every_kind_of_sched_point(api: Api, name: str) -> Any:
    """A program that meets each kind of scheduling point: a preemption before a call, a
    Sleep(0), a dispatch among threads woken together, the release of an auto-reset event
    with several waiters, a processor handed to one of several queued threads."""

    def program(api: Api) -> Generator[Any, None, None]:
        gate = yield from api.CreateEventW(None, False, False, "gate")
        mine = yield from api.CreateEventW(None, True, False, None)
        for _ in range(3):
            yield from api.SetEvent(mine)
            yield from api.SleepEx(0, False)
        if name == "a":
            yield from api.SleepEx(2, False)
            for _ in range(3):
                yield from api.SetEvent(gate)
        else:
            yield from api.WaitForSingleObject(gate, INFINITE)
        yield from api.SleepEx(3, False)
        yield from api.work(TICKS_PER_MS)

    return program(api)


def run_every_kind(chooser: Chooser) -> Kernel:
    programs = {n: (lambda api, n=n: every_kind_of_sched_point(api, n)) for n in "abcd"}
    return run(programs, chooser=chooser, processors=1).k


@pytest.mark.parametrize("seed", range(6))
def test_a_strategy_that_reads_only_the_count_records_what_whole_points_would(
    seed: int,
) -> None:
    # The random strategy reads only the number of options of a scheduling point
    # (reads_keys False: no options built); its schedule and trace are those of the same
    # draws made from whole points.
    whole = WholePointRandom(seed)
    reference = run_every_kind(whole)
    labels = {p.label.split("@")[0] for p in whole.points}
    assert {"SetEvent", "SleepEx(0)", "dispatch", "release", "processor"} <= labels
    fast = RandomChooser(seed)
    k = run_every_kind(fast)
    assert fast.schedule == whole.schedule
    assert k.trace.events == reference.trace.events


def test_count_only_strategies_are_never_asked_about_a_whole_sched_point() -> None:
    class CountOnly(RandomChooser):
        reads_keys = False  # declared: overriding pick alone would make it read keys
        reads_footprints = False

        def pick(self, point: ChoicePoint) -> int:
            raise AssertionError(f"asked about the whole point {point}")

    chooser = CountOnly(3)
    run_every_kind(chooser)
    assert len(chooser.schedule) > 10


def test_footprints_are_built_only_for_a_strategy_that_reads_them() -> None:
    class KeysOnly(WholePointRandom):
        reads_footprints = False

    keys_only = KeysOnly(1)
    run_every_kind(keys_only)
    assert keys_only.points and all(p.footprints is None for p in keys_only.points)
    whole = WholePointRandom(1)
    run_every_kind(whole)
    assert all(p.footprints is not None for p in whole.points)
    assert all(len(p.footprints or ()) == len(p.options) for p in whole.points)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_latency_points_read_by_count_record_what_whole_points_would(seed: int) -> None:
    # choose_latency: a count-only strategy is asked pick_index and only the chosen latency is
    # recorded; the schedule and trace are those of the same draws from whole points (in this
    # scenario some RPC and notify latencies cross a pending timer, so the options vary).
    from pathlib import Path

    from emu.scenario import load_scenario
    from emu.sim.simulation import Simulation

    path = (
        Path(__file__).resolve().parents[2] / "scenarios" / "scm" / "two-services-one-thread.yaml"
    )
    scenario = load_scenario(path)
    whole = WholePointRandom(seed)
    reference = Simulation(scenario, chooser=whole).run()
    latencies = [p for p in whole.points if p.kind == "latency"]
    assert len(latencies) > 5 and max(len(p.options) for p in latencies) > 2
    fast = RandomChooser(seed)
    result = Simulation(scenario, chooser=fast).run()
    assert fast.schedule == whole.schedule
    assert result.k.trace.events == reference.k.trace.events
