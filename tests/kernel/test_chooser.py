"""The chooser: strategies, recording, replay and its divergence report, latency options."""

from __future__ import annotations

import pytest

from emu.errors import ReplayDivergence
from emu.kernel import Kernel
from emu.kernel.chooser import (
    CanonicalChooser,
    ChoicePoint,
    Chooser,
    RandomChooser,
    ReplayChooser,
    freeze_key,
    latency_options,
)

POINT = ChoicePoint(
    "sched", "preempt@SetEvent", (("thread", "a"), ("thread", "b"), ("thread", "c"))
)


def test_canonical_always_answers_zero_and_records_it() -> None:
    chooser = CanonicalChooser()
    assert [chooser.choose(POINT) for _ in range(3)] == [0, 0, 0]
    assert chooser.schedule == [(0, ("thread", "a"))] * 3


def test_points_with_one_option_are_not_recorded() -> None:
    chooser = RandomChooser(1)
    assert chooser.choose(ChoicePoint("sched", "x", (("thread", "a"),))) == 0
    assert chooser.schedule == []


def test_random_is_deterministic_for_a_seed() -> None:
    first = RandomChooser(42)
    second = RandomChooser(42)
    a = [first.choose(POINT) for _ in range(50)]
    b = [second.choose(POINT) for _ in range(50)]
    assert a == b
    assert set(a) == {0, 1, 2}


def test_random_picks_by_count_exactly_as_it_picks_from_a_whole_point() -> None:
    # pick_index(n) is the draw pick() makes for a point without weights (randrange(n)):
    # the same seed gives the same answers, and the random stream stays in step.
    by_count = RandomChooser(5)
    by_point = RandomChooser(5)
    for n in [2, 3, 7, 8, 9, 16, 17, 100] * 40:
        point = ChoicePoint("sched", "x", tuple(range(n)))
        assert by_count.pick_index(n) == by_point.pick(point)
    assert by_count._rng.random() == by_point._rng.random()


def test_random_respects_weights() -> None:
    chooser = RandomChooser(3)
    point = ChoicePoint("fault", "crash", ("none", "crash"), None, (1.0, 0.0))
    assert {chooser.choose(point) for _ in range(100)} == {0}


def test_replay_plays_the_schedule_back() -> None:
    recorded = RandomChooser(9)
    answers = [recorded.choose(POINT) for _ in range(10)]
    replay = ReplayChooser(recorded.schedule)
    assert [replay.choose(POINT) for _ in range(10)] == answers
    replay.finish()


def test_replay_reports_where_it_diverged_what_was_expected_and_available() -> None:
    replay = ReplayChooser([(0, ("thread", "a")), (1, ("thread", "gone"))])
    replay.choose(POINT)
    with pytest.raises(ReplayDivergence) as info:
        replay.choose(POINT)
    err = info.value
    assert err.step == 1
    assert err.expected == (1, ("thread", "gone"))
    assert err.available == POINT.options
    assert "step 1" in str(err) and "preempt@SetEvent" in str(err)


def test_strict_replay_fails_when_the_schedule_runs_out_or_is_left_over() -> None:
    short = ReplayChooser([(0, ("thread", "a"))])
    short.choose(POINT)
    with pytest.raises(ReplayDivergence, match="only 1 steps"):
        short.choose(POINT)
    long = ReplayChooser([(0, ("thread", "a")), (0, ("thread", "a"))])
    long.choose(POINT)
    with pytest.raises(ReplayDivergence, match="ended after 1 of 2"):
        long.finish()


def test_lenient_replay_follows_the_key_then_the_index_then_zero() -> None:
    replay = ReplayChooser(
        [(0, ("thread", "c")), (2, ("thread", "gone")), (7, ("thread", "gone"))], strict=False
    )
    assert replay.choose(POINT) == 2  # the key, found elsewhere
    assert replay.choose(POINT) == 2  # the recorded index
    assert replay.choose(POINT) == 0  # neither
    assert replay.choose(POINT) == 0  # past the end


def test_keys_read_back_from_json_become_tuples() -> None:
    assert freeze_key(["thread", "a"]) == ("thread", "a")
    assert freeze_key([["x", 1], 2]) == (("x", 1), 2)
    assert freeze_key("none") == "none"


def test_latency_representatives_are_the_bounds_and_timer_crossings() -> None:
    # The bounds, plus for each pending timer inside the range: that instant and just after.
    assert latency_options(10, 100, [5, 40, 100, 250]) == (10, 40, 41, 100)
    assert latency_options(10, 10, [10]) == (10,)
    with pytest.raises(ValueError, match="empty"):
        latency_options(5, 1, [])


def test_kernel_latency_choice_uses_pending_timers_and_records_the_choice() -> None:
    k = Kernel(chooser=RandomChooser(0))
    k.call_later(50, lambda _: None, None)
    options = []
    for _ in range(30):
        options.append(k.choose_latency("rpc", 10, 100))
    assert set(options) <= {10, 50, 51, 100}
    assert len(set(options)) > 1
    choices = [e for e in k.trace.events if e[2] == "choice"]
    assert choices and choices[0][4][0] == "latency"


def test_fault_option_zero_is_no_fault() -> None:
    k = Kernel()
    assert k.choose_fault("crash", ("crash",), 0.5) == "none"
    weighted = Kernel(chooser=RandomChooser(1))
    fired = {weighted.choose_fault("crash", ("crash",), 1.0) for _ in range(20)}
    assert fired == {"crash"}


def test_describe_names_the_strategy_and_its_parameters() -> None:
    assert CanonicalChooser().describe() == {"strategy": "canonical"}
    assert RandomChooser(7).describe() == {"strategy": "random", "seed": 7}
    assert ReplayChooser([]).describe() == {"strategy": "replay", "steps": 0, "strict": True}


def test_a_subclass_that_overrides_pick_is_asked_pick_at_every_scheduling_point() -> None:
    # A strategy deriving from the random chooser and overriding pick (say, always the last
    # option) must not be bypassed by the inherited count-only fast path (review finding).
    class Last(RandomChooser):
        def pick(self, point: ChoicePoint) -> int:
            seen.append(point.label)
            return len(point.options) - 1

    from emu.scenario.loader import load_text
    from emu.sim.simulation import Simulation
    from tests.scenario.helpers import scenario_text

    seen: list[str] = []
    assert Last.reads_keys and Last.reads_footprints
    assert not RandomChooser.reads_keys
    body = """
threads:
  a: {steps: [{SetEvent: {hEvent: null}}, {SetEvent: {hEvent: null}}]}
  b: {steps: [{SetEvent: {hEvent: null}}, {SetEvent: {hEvent: null}}]}
"""
    chooser = Last(1)
    Simulation(load_text(scenario_text(body), "t.yaml"), chooser=chooser).run()
    assert seen and len(seen) == len(chooser.schedule)


def test_a_subclass_that_overrides_choose_reads_whole_points_too() -> None:
    class Logged(CanonicalChooser):
        def choose(self, point: ChoicePoint) -> int:
            return super().choose(point)

    class Declared(RandomChooser):
        reads_keys = False

        def choose(self, point: ChoicePoint) -> int:
            return super().choose(point)

    assert Logged.reads_keys and Logged.reads_footprints
    assert not Declared.reads_keys and Declared.reads_footprints
    assert not CanonicalChooser.reads_keys


def test_by_default_a_count_only_strategy_is_asked_pick_about_anonymous_options() -> None:
    class Last(Chooser):
        reads_keys = False

        def pick(self, point: ChoicePoint) -> int:
            asked.append(point.options)
            return len(point.options) - 1

    asked: list[tuple[object, ...]] = []
    assert Last().pick_index(3) == 2
    assert asked == [(0, 1, 2)]
