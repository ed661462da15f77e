"""Critical sections and SRW locks: ownership, recursion, contention, misuse as violations."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.kernel.chooser import RandomChooser
from emu.win32 import CRITICAL_SECTION, SRWLOCK, Api
from tests.kernel.test_dispatcher import Recording
from tests.support import run


def test_critical_section_is_recursive_for_its_owner() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        cs = CRITICAL_SECTION()
        yield from api.InitializeCriticalSection(cs)
        yield from api.EnterCriticalSection(cs)
        # "it can make additional calls to EnterCriticalSection or TryEnterCriticalSection
        # without blocking its execution"
        yield from api.EnterCriticalSection(cs)
        log.append((yield from api.TryEnterCriticalSection(cs)))
        log.append(cs.lock.recursion)
        for _ in range(3):
            yield from api.LeaveCriticalSection(cs)
        log.append(cs.lock.owner is None)

    sim = run(main)
    assert log == [1, 3, True]
    assert sim.violations() == []


def test_critical_section_excludes_other_threads_until_left() -> None:
    order: list[str] = []
    cs = CRITICAL_SECTION()

    def first(api: Api) -> Generator[Any, None, None]:
        yield from api.InitializeCriticalSection(cs)
        yield from api.EnterCriticalSection(cs)
        order.append("first in")
        yield from api.SleepEx(5, False)
        order.append("first out")
        yield from api.LeaveCriticalSection(cs)

    def second(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        # "If another thread already owns the critical section, the return value is zero."
        order.append(f"try={(yield from api.TryEnterCriticalSection(cs))}")
        yield from api.EnterCriticalSection(cs)
        order.append("second in")
        yield from api.LeaveCriticalSection(cs)

    sim = run({"first": first, "second": second})
    assert order == ["first in", "try=0", "first out", "second in"]
    assert sim.k.now == 50_000


def test_leaving_a_critical_section_one_does_not_own_is_a_violation() -> None:
    cs = CRITICAL_SECTION()

    def owner(api: Api) -> Generator[Any, None, None]:
        yield from api.InitializeCriticalSection(cs)
        yield from api.EnterCriticalSection(cs)
        yield from api.SleepEx(2, False)
        yield from api.LeaveCriticalSection(cs)

    def intruder(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        yield from api.LeaveCriticalSection(cs)

    sim = run({"owner": owner, "intruder": intruder})
    assert sim.violations() == ["kernel.cs_leave_not_owner"]


def test_a_thread_exiting_inside_a_critical_section_orphans_it() -> None:
    cs = CRITICAL_SECTION()

    def leaver(api: Api) -> Generator[Any, None, None]:
        yield from api.InitializeCriticalSection(cs)
        yield from api.EnterCriticalSection(cs)

    def waiter(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        yield from api.EnterCriticalSection(cs)

    sim = run({"leaver": leaver, "waiter": waiter})
    assert sim.violations() == ["kernel.lock_orphaned"]
    assert [e.objects[0] for e in sim.events("actor.blocked")] == ["waiter"]


def test_using_an_uninitialized_critical_section_is_a_violation() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.EnterCriticalSection(CRITICAL_SECTION())

    assert run(main).violations() == ["kernel.cs_uninitialized"]


def test_srw_lock_shared_holders_coexist_and_exclude_a_writer() -> None:
    lock = SRWLOCK()
    order: list[str] = []

    def reader(name: str) -> Any:
        def program(api: Api) -> Generator[Any, None, None]:
            yield from api.AcquireSRWLockShared(lock)
            order.append(f"{name} in")
            yield from api.SleepEx(2, False)
            yield from api.ReleaseSRWLockShared(lock)

        return program

    def writer(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        order.append(f"try={(yield from api.TryAcquireSRWLockExclusive(lock))}")
        yield from api.AcquireSRWLockExclusive(lock)
        order.append("writer in")
        yield from api.ReleaseSRWLockExclusive(lock)

    sim = run({"r1": reader("r1"), "r2": reader("r2"), "w": writer})
    assert order == ["r1 in", "r2 in", "try=0", "writer in"]
    assert sim.k.now == 20_000
    assert sim.violations() == []


def test_recursive_exclusive_srw_acquire_deadlocks_and_is_reported() -> None:
    # "If a thread tries to acquire a lock that it already holds, that attempt will fail (for
    # TryAcquireSRWLockExclusive) or deadlock (for AcquireSRWLockExclusive)."
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        lock = SRWLOCK()
        yield from api.AcquireSRWLockExclusive(lock)
        log.append((yield from api.TryAcquireSRWLockExclusive(lock)))
        yield from api.AcquireSRWLockExclusive(lock)
        log.append(99)  # never reached

    sim = run(main)
    assert log == [0]
    assert sim.violations() == ["kernel.srw_recursive_acquire"]
    assert sim.reason == "quiescent"


def test_a_recursive_shared_srw_acquire_is_granted_and_reported() -> None:
    # "Shared mode SRW locks should not be acquired recursively as this can lead to deadlocks
    # when combined with exclusive acquisition": with no writer waiting, the second shared
    # acquire succeeds at once (two shared holds, two releases), and it is recorded.
    log: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        lock = SRWLOCK()
        yield from api.AcquireSRWLockShared(lock)
        yield from api.AcquireSRWLockShared(lock)
        log.append(len(lock.lock.shared))
        yield from api.ReleaseSRWLockShared(lock)
        yield from api.ReleaseSRWLockShared(lock)
        log.append((yield from api.TryAcquireSRWLockExclusive(lock)))
        yield from api.ReleaseSRWLockExclusive(lock)

    sim = run(main)
    assert log == [2, 1]
    assert sim.violations() == ["kernel.srw_recursive_acquire"]
    assert sim.reason == "all threads done"


def test_a_recursive_shared_acquire_behind_a_waiting_writer_deadlocks() -> None:
    # ... "can lead to deadlocks when combined with exclusive acquisition": the reader's second
    # shared acquire queues behind the writer, which waits for the reader's first.
    log: list[str] = []
    lock = SRWLOCK()

    def reader(api: Api) -> Generator[Any, None, None]:
        yield from api.AcquireSRWLockShared(lock)
        yield from api.SleepEx(2, False)
        yield from api.AcquireSRWLockShared(lock)
        log.append("reader again")

    def writer(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        yield from api.AcquireSRWLockExclusive(lock)
        log.append("writer")

    sim = run({"reader": reader, "writer": writer})
    assert log == []
    assert sim.reason == "quiescent"
    assert sim.violations() == ["kernel.srw_recursive_acquire"]
    assert sorted(e.objects[0] for e in sim.events("actor.blocked")) == ["reader", "writer"]


def test_srw_release_by_another_thread_takes_effect_and_is_reported() -> None:
    lock = SRWLOCK()

    def holder(api: Api) -> Generator[Any, None, None]:
        yield from api.AcquireSRWLockExclusive(lock)
        yield from api.SleepEx(5, False)

    def other(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        yield from api.ReleaseSRWLockExclusive(lock)
        yield from api.ReleaseSRWLockExclusive(lock)

    sim = run({"holder": holder, "other": other})
    assert sim.violations() == ["kernel.srw_release_not_owner", "kernel.srw_release_not_owned"]


def first_to_enter_after_release(seed: int) -> str:
    cs = CRITICAL_SECTION()
    first: list[str] = []

    def owner(api: Api) -> Generator[Any, None, None]:
        yield from api.InitializeCriticalSection(cs)
        yield from api.EnterCriticalSection(cs)
        yield from api.SleepEx(2, False)
        yield from api.LeaveCriticalSection(cs)

    def contender(name: str) -> Any:
        def program(api: Api) -> Generator[Any, None, None]:
            yield from api.SleepEx(1, False)
            yield from api.EnterCriticalSection(cs)
            first.append(name)
            yield from api.LeaveCriticalSection(cs)

        return program

    run({"owner": owner, "a": contender("a"), "b": contender("b")}, chooser=RandomChooser(seed))
    return first[0]


def test_which_waiter_gets_a_freed_lock_is_a_choice() -> None:
    assert {first_to_enter_after_release(seed) for seed in range(20)} == {"a", "b"}


def test_lock_state_changes_are_traced() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        cs = CRITICAL_SECTION()
        yield from api.InitializeCriticalSection(cs)
        yield from api.EnterCriticalSection(cs)
        yield from api.LeaveCriticalSection(cs)

    sim = run(main)
    ops = [(e.payload["op"], e.payload["count"]) for e in sim.events("lock.state")]
    assert ops == [("enter", 1), ("leave", 0)]


def test_a_contended_lock_is_not_destroyed_while_in_use() -> None:
    cs = CRITICAL_SECTION()

    def a(api: Api) -> Generator[Any, None, None]:
        yield from api.InitializeCriticalSection(cs)
        yield from api.EnterCriticalSection(cs)
        yield from api.SleepEx(1, False)
        yield from api.LeaveCriticalSection(cs)
        yield from api.SleepEx(5, False)
        yield from api.DeleteCriticalSection(cs)

    def b(api: Api) -> Generator[Any, None, None]:
        yield from api.EnterCriticalSection(cs)
        yield from api.LeaveCriticalSection(cs)

    sim = run({"a": a, "b": b})
    destroyed = [e for e in sim.events("obj.destroy") if e.objects[0].startswith("Critical")]
    last_use = max(e.seq for e in sim.events("lock.state"))
    # The section lives until DeleteCriticalSection, after every use.
    assert len(destroyed) == 1 and destroyed[0].seq > last_use
    deletes = sim.api_calls("DeleteCriticalSection")
    assert destroyed[0].seq < deletes[0].seq


def test_a_new_shared_acquirer_waits_behind_a_waiting_writer() -> None:
    lock = SRWLOCK()
    log: list[str] = []

    def reader(api: Api) -> Generator[Any, None, None]:
        yield from api.AcquireSRWLockShared(lock)
        yield from api.SleepEx(3, False)
        yield from api.ReleaseSRWLockShared(lock)

    def writer(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        yield from api.AcquireSRWLockExclusive(lock)
        log.append("writer")
        yield from api.ReleaseSRWLockExclusive(lock)

    def late_reader(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(2, False)
        log.append(f"try={(yield from api.TryAcquireSRWLockShared(lock))}")
        yield from api.AcquireSRWLockShared(lock)
        log.append("late reader")
        yield from api.ReleaseSRWLockShared(lock)

    run({"reader": reader, "writer": writer, "late": late_reader})
    # Assumption (docs/rules.md): a shared acquirer does not overtake waiting threads.
    assert log == ["try=0", "writer", "late reader"]


def test_a_shared_release_by_another_thread_is_reported() -> None:
    lock = SRWLOCK()

    def holder(api: Api) -> Generator[Any, None, None]:
        yield from api.AcquireSRWLockShared(lock)
        yield from api.SleepEx(5, False)

    def other(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(1, False)
        yield from api.ReleaseSRWLockShared(lock)

    assert run({"holder": holder, "other": other}).violations() == ["kernel.srw_release_not_owner"]


def test_lock_validation_happens_after_the_scheduling_point() -> None:
    # A thread preempted at EnterCriticalSection finds the section deleted when it resumes.
    cs = CRITICAL_SECTION()

    class PreemptAtEnter(Recording):
        def pick(self, point: Any) -> int:
            return 1 if point.label == "EnterCriticalSection" else 0

    def a(api: Api) -> Generator[Any, None, None]:
        yield from api.InitializeCriticalSection(cs)
        yield from api.EnterCriticalSection(cs)

    def b(api: Api) -> Generator[Any, None, None]:
        yield from api.DeleteCriticalSection(cs)

    sim = run({"a": a, "b": b}, chooser=PreemptAtEnter())
    assert sim.violations() == ["kernel.cs_uninitialized"]
