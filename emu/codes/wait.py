"""Wait results and timeouts (winbase.h, synchapi.h).

WAIT_OBJECT_0 + n names the n-th handle of a wait; WAIT_IO_COMPLETION (0xC0) means an alertable
wait was ended by user-mode APCs, which ran before the call returned; WAIT_TIMEOUT (0x102) the
interval elapsed; WAIT_FAILED (0xFFFFFFFF) the call failed and GetLastError says why
(docs/sources.md F5.1).
"""

from __future__ import annotations

from typing import Final

from emu.codes._enum import enum_from_constants, member_table

WAIT_OBJECT_0: Final = 0x00000000
WAIT_ABANDONED_0: Final = 0x00000080
WAIT_IO_COMPLETION: Final = 0x000000C0
WAIT_TIMEOUT: Final = 0x00000102
WAIT_FAILED: Final = 0xFFFFFFFF
INFINITE: Final = 0xFFFFFFFF
MAXIMUM_WAIT_OBJECTS: Final = 64
STILL_ACTIVE: Final = 259

WaitResult = enum_from_constants(
    "WaitResult",
    globals(),
    ("WAIT_OBJECT_0", "WAIT_ABANDONED_0", "WAIT_IO_COMPLETION", "WAIT_TIMEOUT", "WAIT_FAILED"),
)
"""The named wait results; WAIT_OBJECT_0 + n for n > 0 prints through ``wait_result_name``."""

WAIT_RESULT_MEMBERS = member_table(WaitResult)


def wait_result_name(value: int) -> str:
    """``WAIT_OBJECT_0``, ``WAIT_OBJECT_0+2``, ``WAIT_ABANDONED_0+1``, ``WAIT_TIMEOUT``, …"""
    member = WAIT_RESULT_MEMBERS.get(value)
    if member is not None:
        return member.name
    if 0 < value < MAXIMUM_WAIT_OBJECTS:
        return f"WAIT_OBJECT_0+{value}"
    if WAIT_ABANDONED_0 < value < WAIT_ABANDONED_0 + MAXIMUM_WAIT_OBJECTS:
        return f"WAIT_ABANDONED_0+{value - WAIT_ABANDONED_0}"
    return f"0x{value:X}"
