"""Durations with units convert exactly to 100-ns ticks or are refused with a reason."""

from __future__ import annotations

import pytest

from emu.scenario.durations import DurationError, parse_duration, parse_milliseconds


@pytest.mark.parametrize(
    ("text", "ticks"),
    [
        ("150us", 1_500),
        ("10ms", 100_000),
        ("2s", 20_000_000),
        ("1.5ms", 15_000),
        ("500ns", 5),
        ("100ns", 1),
        ("0ms", 0),
        ("3µs", 30),
        ("1_000ms", 10_000_000),
    ],
)
def test_durations_convert_exactly(text: str, ticks: int) -> None:
    assert parse_duration(text) == ticks


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10, "the duration 10 has no unit: write 10ms, 10us or 10s"),
        ("10", "'10' is not a duration (examples: 10ms, 150us, 2s, 1.5ms)"),
        ("-5ms", "the duration '-5ms' is negative"),
        ("50ns", "'50ns' is not a whole number of 100-ns ticks (the emulator's time unit)"),
        ("10min", "unknown unit 'min' in '10min' (units: ns, us, ms, s)"),
        ("9e99s", "'9e99s' is not a duration (examples: 10ms, 150us, 2s, 1.5ms)"),
        ("99999999999999999999s", "the duration '99999999999999999999s' is too large"),
        (None, "expected a duration such as 10ms, 150us or 2s, not None"),
        (True, "expected a duration such as 10ms, 150us or 2s, not True"),
    ],
)
def test_bad_durations_are_refused_with_a_reason(value: object, message: str) -> None:
    with pytest.raises(DurationError) as info:
        parse_duration(value)
    assert str(info.value).startswith(message)


def test_milliseconds_take_c_integers_or_whole_millisecond_durations() -> None:
    assert parse_milliseconds(25) == 25
    assert parse_milliseconds("2s") == 2000
    with pytest.raises(DurationError, match="not a whole number of milliseconds"):
        parse_milliseconds("1500us")
