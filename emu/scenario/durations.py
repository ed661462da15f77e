"""Durations with units, converted exactly to virtual-time ticks (100 ns, the FILETIME unit).

A duration is written with its unit: ``150us``, ``10ms``, ``2s``, ``1.5ms``, ``500ns`` (also
``µs``). It converts to an exact integer number of ticks or is rejected: a bare number (which
unit?), a negative duration, a fraction of a tick (``50ns``), or a value beyond 2**62 ticks
(about 14,600 years) each get their own message.

Win32 parameters that C code passes in milliseconds (``dwMilliseconds``) take a plain integer
as in C, ``INFINITE``, or a duration that is a whole number of milliseconds.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Final

from emu.kernel.time import TICKS_PER_MS

UNITS: Final = {
    "ns": Fraction(1, 100),
    "us": Fraction(10),
    "µs": Fraction(10),
    "ms": Fraction(TICKS_PER_MS),
    "s": Fraction(1000 * TICKS_PER_MS),
}
MAX_TICKS: Final = 1 << 62

_DURATION: Final = re.compile(r"\s*([-+]?)([0-9][0-9_]*(?:\.[0-9]+)?)\s*([a-zµ]+)\s*\Z")


class DurationError(ValueError):
    """A value that is not a valid duration; the message says why, in one line."""


def parse_duration(value: object) -> int:
    """Ticks of a duration written with a unit; DurationError if it is not one."""
    if isinstance(value, bool) or value is None:
        raise DurationError(f"expected a duration such as 10ms, 150us or 2s, not {value!r}")
    if isinstance(value, (int, float)):
        raise DurationError(
            f"the duration {value} has no unit: write {value}ms, {value}us or {value}s"
        )
    if not isinstance(value, str):
        raise DurationError(f"expected a duration such as 10ms, not {type(value).__name__}")
    match = _DURATION.match(value)
    if match is None:
        raise DurationError(f"{value!r} is not a duration (examples: 10ms, 150us, 2s, 1.5ms)")
    sign, number, unit = match.groups()
    if unit not in UNITS:
        known = ", ".join(u for u in UNITS if u != "µs")
        raise DurationError(f"unknown unit {unit!r} in {value!r} (units: {known})")
    if sign == "-":
        raise DurationError(f"the duration {value!r} is negative")
    ticks = Fraction(number.replace("_", "")) * UNITS[unit]
    if ticks.denominator != 1:
        raise DurationError(
            f"{value!r} is not a whole number of 100-ns ticks (the emulator's time unit)"
        )
    if ticks > MAX_TICKS:
        raise DurationError(f"the duration {value!r} is too large (at most 2**62 ticks)")
    return int(ticks)


def parse_milliseconds(value: object) -> int:
    """A DWORD millisecond count: an integer as in C, or a whole-millisecond duration."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    ticks = parse_duration(value)
    if ticks % TICKS_PER_MS:
        raise DurationError(f"{value!r} is not a whole number of milliseconds")
    return ticks // TICKS_PER_MS
