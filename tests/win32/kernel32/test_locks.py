"""The lock and Interlocked exports: return values and misuse recorded, never raised."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.win32 import CRITICAL_SECTION, LONG, SRWLOCK, Api
from tests.support import run


def test_initialize_critical_section_and_spin_count_always_succeeds() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        cs = CRITICAL_SECTION()
        log.append((yield from api.InitializeCriticalSectionAndSpinCount(cs, 4000)))
        log.append((yield from api.TryEnterCriticalSection(cs)))

    run(main)
    # "Starting with Windows Vista, the InitializeCriticalSectionAndSpinCount function always
    # succeeds" (nonzero).
    assert log == [1, 1]


def test_deleting_an_owned_critical_section_is_recorded() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        cs = CRITICAL_SECTION()
        yield from api.InitializeCriticalSection(cs)
        yield from api.EnterCriticalSection(cs)
        yield from api.DeleteCriticalSection(cs)
        yield from api.EnterCriticalSection(cs)  # deleted: undefined in C

    assert run(main).violations() == ["kernel.cs_delete_owned", "kernel.cs_uninitialized"]


def test_an_srwlock_needs_no_initialization() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        lock = SRWLOCK()  # SRWLOCK_INIT
        log.append((yield from api.TryAcquireSRWLockShared(lock)))
        log.append((yield from api.TryAcquireSRWLockShared(lock)))
        log.append((yield from api.TryAcquireSRWLockExclusive(lock)))
        yield from api.ReleaseSRWLockShared(lock)
        yield from api.ReleaseSRWLockShared(lock)
        yield from api.InitializeSRWLock(lock)
        log.append((yield from api.TryAcquireSRWLockExclusive(lock)))
        yield from api.ReleaseSRWLockExclusive(lock)

    sim = run(main)
    assert log == [1, 1, 0, 1]
    # The second shared acquire; the failing exclusive Try is the documented outcome.
    assert sim.violations() == ["kernel.srw_recursive_acquire"]


def test_wrong_argument_types_are_recorded_and_the_call_returns() -> None:
    log: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.EnterCriticalSection(SRWLOCK())
        yield from api.AcquireSRWLockExclusive(CRITICAL_SECTION())
        log.append((yield from api.InterlockedIncrement("counter")))
        log.append((yield from api.InterlockedExchange(LONG(), "five")))
        log.append((yield from api.TryEnterCriticalSection(None)))

    sim = run(main)
    assert log == [0, 0, 0]
    assert sim.violations() == ["win32.bad_argument"] * 5
