"""The clock: integer ticks on one simpy Environment, cancellable timers."""

from __future__ import annotations

import pytest

from emu.kernel.clock import Clock


def test_timers_fire_in_time_order_and_only_enable() -> None:
    clock = Clock()
    fired: list[tuple[str, int]] = []
    clock.call_later(30, lambda arg: fired.append((arg, clock.now)), "late")
    clock.call_later(10, lambda arg: fired.append((arg, clock.now)), "early")
    while clock.timers:
        clock.fire_due()
    assert fired == [("early", 10), ("late", 30)]


def test_a_cancelled_timer_never_fires_and_is_no_longer_pending() -> None:
    clock = Clock()
    fired: list[str] = []
    timer = clock.call_later(10, fired.append, "x")
    clock.call_later(20, fired.append, "y")
    timer.cancel()
    assert clock.pending_times() == [20]
    while clock.timers:
        clock.fire_due()
    assert fired == ["y"]


def test_all_events_of_one_instant_are_processed_together() -> None:
    clock = Clock()
    fired: list[str] = []
    for name in ("a", "b", "c"):
        clock.call_later(5, fired.append, name)
    clock.fire_due()
    assert fired == ["a", "b", "c"] and clock.now == 5


def test_advance_to_moves_the_clock() -> None:
    clock = Clock()
    clock.advance_to(1234)
    assert clock.now == 1234 and isinstance(clock.now, int)


def test_a_timer_cannot_be_due_in_the_past() -> None:
    clock = Clock()
    with pytest.raises(ValueError, match=r"a timer cannot be due in the past \(delay -1\)"):
        clock.call_later(-1, print, None)
    assert clock.timers == {}


def test_a_timer_is_the_event_simpy_schedules_once() -> None:
    # One heap entry per timer, and simpy hands it back to the clock when it is due.
    clock = Clock()
    fired: list[int] = []
    timer = clock.call_later(7, fired.append, 1)
    assert [entry[3] for entry in clock.env._queue] == [timer]
    clock.fire_due()
    assert fired == [1] and timer.callbacks is None and clock.timers == {}


def test_pending_offsets_are_the_live_timers_due_times_from_now() -> None:
    clock = Clock()
    clock.call_later(30, lambda _a: None, None)
    cancelled = clock.call_later(10, lambda _a: None, None)
    clock.call_later(20, lambda _a: None, None)
    cancelled.cancel()
    assert clock.pending_offsets() == [30, 20]
    assert clock.pending_times() == [20, 30]
