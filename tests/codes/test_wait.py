"""The wait results (emu/codes/wait.py) carry winbase.h's values: docs/sources.md F5.1.

``emu.codes`` re-exports WAIT_TIMEOUT and WAIT_IO_COMPLETION from winerror.py (Windows reports
them as last errors too), so the values the kernel32 waits return are pinned here, from the
module they come from, and the two copies must agree."""

from __future__ import annotations

import emu.codes.wait as w
import emu.codes.winerror as e


def test_F5_1_the_wait_results_and_infinite() -> None:
    # F5.1: WAIT_OBJECT_0=0, WAIT_ABANDONED_0=0x80, WAIT_IO_COMPLETION=0xC0,
    # WAIT_TIMEOUT=0x102, WAIT_FAILED=0xFFFFFFFF, INFINITE=0xFFFFFFFF.
    assert (w.WAIT_OBJECT_0, w.WAIT_ABANDONED_0, w.WAIT_IO_COMPLETION) == (0, 0x80, 0xC0)
    assert (w.WAIT_TIMEOUT, w.WAIT_FAILED, w.INFINITE) == (0x102, 0xFFFFFFFF, 0xFFFFFFFF)
    assert (e.WAIT_TIMEOUT, e.WAIT_IO_COMPLETION) == (w.WAIT_TIMEOUT, w.WAIT_IO_COMPLETION)


def test_F5_1_wait_results_print_by_name() -> None:
    assert w.wait_result_name(0xC0) == "WAIT_IO_COMPLETION"
    assert w.wait_result_name(2) == "WAIT_OBJECT_0+2"
    assert w.wait_result_name(0x81) == "WAIT_ABANDONED_0+1"
