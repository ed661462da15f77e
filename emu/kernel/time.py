"""Virtual time: an integer count of 100-nanosecond ticks, the FILETIME unit.

Every timer, timeout, latency and CPU burst is a whole number of ticks, so two runs of the same
schedule see the same instants exactly. Win32 timeouts in milliseconds convert exactly
(1 ms = 10,000 ticks); INFINITE (0xFFFFFFFF) converts to ``None``, meaning no timer at all.
"""

from __future__ import annotations

from typing import Final

TICK_NS: Final = 100
TICKS_PER_US: Final = 10
TICKS_PER_MS: Final = 10_000
TICKS_PER_SECOND: Final = 10_000_000
INFINITE_MS: Final = 0xFFFFFFFF


def ms_to_ticks(milliseconds: int) -> int | None:
    """A Win32 DWORD timeout in milliseconds as ticks; INFINITE as ``None`` (wait forever)."""
    if milliseconds == INFINITE_MS:
        return None
    return milliseconds * TICKS_PER_MS


def format_ticks(ticks: int) -> str:
    """Ticks as milliseconds with the full 100-ns resolution: ``12.3456ms``; from 10 s on, as
    seconds (``3600s``, ``2147483.647s``), which read better than millions of milliseconds."""
    if ticks >= 10_000 * TICKS_PER_MS:
        seconds, rest = divmod(ticks, 1000 * TICKS_PER_MS)
        return f"{seconds}.{rest:07d}".rstrip("0").rstrip(".") + "s"
    whole, frac = divmod(ticks, TICKS_PER_MS)
    if frac == 0:
        return f"{whole}ms"
    return f"{whole}.{frac:04d}".rstrip("0") + "ms"
