"""Virtual time units."""

from emu.codes import INFINITE
from emu.kernel.time import (
    TICK_NS,
    TICKS_PER_MS,
    TICKS_PER_SECOND,
    TICKS_PER_US,
    format_ticks,
    ms_to_ticks,
)


def test_units() -> None:
    # docs/trace.md: "virtual time in 100-ns ticks (the FILETIME unit; 10,000 ticks = 1 ms)".
    assert TICK_NS == 100 and TICKS_PER_US == 10
    assert TICKS_PER_MS == 10_000 and TICKS_PER_SECOND == 10_000_000
    assert TICK_NS * TICKS_PER_SECOND == 1_000_000_000


def test_milliseconds_convert_exactly_and_infinite_is_none() -> None:
    assert ms_to_ticks(150) == 1_500_000
    assert ms_to_ticks(INFINITE) is None


def test_format_ticks() -> None:
    assert format_ticks(0) == "0ms"
    assert format_ticks(30_000) == "3ms"
    assert format_ticks(12_345) == "1.2345ms"
    assert format_ticks(5) == "0.0005ms"


def test_long_times_read_in_seconds() -> None:
    assert format_ticks(99_999_999) == "9999.9999ms"
    assert format_ticks(100_000_000) == "10s"
    assert format_ticks(3600 * 10_000_000) == "3600s"
    assert format_ticks(2_147_483_647 * 10_000) == "2147483.647s"
    assert format_ticks(100_000_001) == "10.0000001s"
