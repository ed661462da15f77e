"""User-mode locks: critical sections and slim reader/writer (SRW) locks.

On Windows these live in user memory and block through keyed events; here each lock is a
dispatcher object, so a thread that cannot acquire one blocks through the ordinary (traced,
non-alertable) wait machinery and shows up at quiescence if it never gets the lock. The
structure holds a reference on its lock object (locks have no handles): a critical section is
destroyed by DeleteCriticalSection, an SRW lock lives as long as the run.

Critical sections (MS docs, EnterCriticalSection / LeaveCriticalSection / TryEnterCriticalSection):

- "When a thread owns a critical section, it can make additional calls to EnterCriticalSection
  or TryEnterCriticalSection without blocking its execution"; it "must call LeaveCriticalSection
  once for each time that it entered".
- TryEnterCriticalSection: nonzero "If the critical section is successfully entered or the
  current thread already owns the critical section"; zero "If another thread already owns" it.
- "If a thread calls LeaveCriticalSection when it does not have ownership of the specified
  critical section object, an error occurs that may cause another thread using
  EnterCriticalSection to wait indefinitely." Recorded as ``kernel.cs_leave_not_owner``; the lock
  is left as it was.

SRW locks (MS docs, Slim Reader/Writer (SRW) Locks):

- "Exclusive mode SRW locks cannot be acquired recursively. If a thread tries to acquire a lock
  that it already holds, that attempt will fail (for TryAcquireSRWLockExclusive) or deadlock
  (for AcquireSRWLockExclusive)." The deadlock is real here (the thread blocks for good) and is
  recorded as ``kernel.srw_recursive_acquire``.
- "Shared mode SRW locks should not be acquired recursively as this can lead to deadlocks when
  combined with exclusive acquisition": recorded as ``kernel.srw_recursive_acquire`` too.
- "The SRW lock must be released by the same thread that acquired it": a release by another
  thread is recorded as ``kernel.srw_release_not_owner`` and still takes effect, as Windows does
  not check (Wine kernel32 sync test_srwlock_base); a release of a lock not held in that mode is
  recorded as ``kernel.srw_release_not_owned`` and changes nothing.

Assumptions: a freed lock is handed to one waiter (the chooser picks which when several could
take it; option 0 the longest waiting), and a shared acquirer does not overtake waiting threads.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

from emu.kernel import waits
from emu.kernel.objects import DispatcherObject
from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.actor import Actor, Park
    from emu.kernel.dispatcher import Kernel
    from emu.kernel.thread import Thread

LOCK_STATE = trace_kind(
    "lock.state",
    ("op", "owner", "count"),
    state=("owner", "count"),
    text="{o0} {op} by {o1}: owner #{owner}, count {count}",
    doc="A lock changed hands; `owner` is the exclusive owner's id (0: none); `count` is the "
    "recursion count of a critical section or the number of shared holders of an SRW lock.",
)

EXCLUSIVE = "exclusive"
SHARED = "shared"


class CriticalSection(DispatcherObject):
    """CRITICAL_SECTION: a recursive, exclusive lock."""

    __slots__ = ("deleted", "owner", "recursion")

    TYPE = "CriticalSection"
    RELEASE_ONE = True

    def __init__(self, k: Kernel) -> None:
        super().__init__(k)
        self.owner: Actor | None = None
        self.recursion = 0
        self.deleted = False
        self.reference()  # held by its CRITICAL_SECTION until DeleteCriticalSection

    def is_signaled_for(self, waiter: Actor) -> bool:
        return self.owner is None

    def consume(self, waiter: Actor) -> None:
        self._take(waiter, "enter")

    def _take(self, thread: Actor, op: str) -> None:
        self.owner = thread
        self.recursion = 1
        _owned(thread).append(self)
        self._trace(op, thread)

    def _trace(self, op: str, thread: Actor) -> int:
        k = self.k
        owner = self.owner.oid if self.owner is not None else 0
        return k.emit(k.actor_id(), LOCK_STATE, (self.oid, thread.oid), (op, owner, self.recursion))

    def enter(self, thread: Thread) -> Generator[Park, None, None]:
        if self.owner is None:
            self._take(thread, "enter")
        elif self.owner is thread:
            self.recursion += 1
            self._trace("enter", thread)
        else:
            yield from waits.wait(self.k, thread, (self,), False, None, False)

    def try_enter(self, thread: Thread) -> bool:
        if self.owner is None:
            self._take(thread, "enter")
            return True
        if self.owner is thread:
            self.recursion += 1
            self._trace("enter", thread)
            return True
        return False

    def delete(self) -> None:
        """DeleteCriticalSection: the section is gone, and so is any ownership of it."""
        if self.deleted:
            return
        self.deleted = True
        if self.owner is not None:
            _owned(self.owner).remove(self)
            self.owner = None
        self.dereference()

    def leave(self, thread: Thread) -> None:
        if self.owner is not thread:
            holder = self.owner.name if self.owner is not None else "nobody"
            self.k.violation(
                "kernel.cs_leave_not_owner",
                f"{thread.name} left {self.name}, owned by {holder}",
                (self.oid, thread.oid),
            )
            return
        self.recursion -= 1
        if self.recursion:
            self._trace("leave", thread)
            return
        self.owner = None
        _owned(thread).remove(self)
        seq = self._trace("leave", thread)
        if self.waiters:
            waits.signal(self.k, self, seq)


class SrwLock(DispatcherObject):
    """SRWLOCK: exclusive or shared, not recursive."""

    __slots__ = ("exclusive", "shared")

    TYPE = "SRWLock"
    RELEASE_ONE = True

    def __init__(self, k: Kernel) -> None:
        super().__init__(k)
        self.exclusive: Actor | None = None
        self.shared: list[Actor] = []
        self.reference()  # held by its SRWLOCK, which has no destructor

    def is_signaled_for(self, waiter: Actor) -> bool:
        if waiter not in self.waiters:  # a new acquirer does not overtake queued threads
            return self._free_for(waiter.wait_mode)
        if self.exclusive is not None:
            return False
        return waiter.wait_mode == SHARED or not self.shared

    def consume(self, waiter: Actor) -> None:
        self._grant(waiter, waiter.wait_mode)

    def _grant(self, thread: Actor, mode: str) -> None:
        if mode == EXCLUSIVE:
            self.exclusive = thread
        else:
            self.shared.append(thread)
        _owned(thread).append(self)
        self._trace(f"acquire {mode}", thread)

    def _trace(self, op: str, thread: Actor) -> int:
        k = self.k
        owner = self.exclusive.oid if self.exclusive is not None else 0
        return k.emit(
            k.actor_id(), LOCK_STATE, (self.oid, thread.oid), (op, owner, len(self.shared))
        )

    def _holds(self, thread: Actor) -> bool:
        return self.exclusive is thread or thread in self.shared

    def _free_for(self, mode: str) -> bool:
        if self.exclusive is not None or self.waiters:
            return False
        return mode == SHARED or not self.shared

    def _check_recursion(self, thread: Thread, mode: str) -> None:
        if self._holds(thread):
            self.k.violation(
                "kernel.srw_recursive_acquire",
                f"{thread.name} acquires {self.name} ({mode}) while already holding it",
                (self.oid, thread.oid),
            )

    def acquire(self, thread: Thread, mode: str) -> Generator[Park, None, None]:
        self._check_recursion(thread, mode)
        if self._free_for(mode) and not (mode == EXCLUSIVE and self._holds(thread)):
            self._grant(thread, mode)
            return
        thread.wait_mode = mode
        yield from waits.wait(self.k, thread, (self,), False, None, False)

    def try_acquire(self, thread: Thread, mode: str) -> bool:
        # A Try that fails on a lock the thread holds is the documented outcome; a recursive
        # shared Try that succeeds is the acquisition the documentation warns against.
        if mode == SHARED and thread in self.shared:
            self._check_recursion(thread, mode)
        if self._free_for(mode) and not (mode == EXCLUSIVE and self._holds(thread)):
            self._grant(thread, mode)
            return True
        return False

    def release(self, thread: Thread, mode: str) -> None:
        k = self.k
        if mode == EXCLUSIVE:
            holder = self.exclusive
            if holder is None:
                self._not_owned(thread, mode)
                return
            self.exclusive = None
        else:
            if not self.shared:
                self._not_owned(thread, mode)
                return
            holder = thread if thread in self.shared else self.shared[0]
            self.shared.remove(holder)
        if holder is not thread:
            k.violation(
                "kernel.srw_release_not_owner",
                f"{thread.name} released {self.name} ({mode}) held by {holder.name}",
                (self.oid, thread.oid),
            )
        _owned(holder).remove(self)
        seq = self._trace(f"release {mode}", thread)
        if self.waiters:
            waits.signal(k, self, seq)

    def _not_owned(self, thread: Thread, mode: str) -> None:
        self.k.violation(
            "kernel.srw_release_not_owned",
            f"{thread.name} released {self.name} ({mode}) but it is not held in that mode",
            (self.oid, thread.oid),
        )


def _owned(actor: Actor) -> list[object]:
    owned: list[object] | None = getattr(actor, "owned_locks", None)
    if owned is None:
        raise TypeError(f"{actor.name} is not a thread; only threads own user-mode locks")
    return owned
