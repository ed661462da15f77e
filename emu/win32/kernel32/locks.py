"""Critical sections, SRW locks and the Interlocked functions (synchapi.h, winnt.h).

The lock semantics and the sentences they follow are in ``emu.kernel.locks``. These functions
return void (or BOOLEAN for the Try forms), so misuse cannot be reported as a code: it is
recorded as a violation, and the call behaves as Windows would (a deadlock stays a deadlock).

- Using a CRITICAL_SECTION that InitializeCriticalSection never initialised, or one that
  DeleteCriticalSection deleted, is undefined in C; here it records ``kernel.cs_uninitialized``
  and the call does nothing.
- An SRWLOCK needs no initialisation: a new one is SRWLOCK_INIT.
- The Interlocked functions are atomic read-modify-writes of a ``LONG``; a target that is not a
  ``LONG`` (a bad pointer in C) records ``win32.bad_argument`` and returns 0.
"""

from __future__ import annotations

from typing import Any

from emu.kernel.actor import PARK
from emu.kernel.locks import EXCLUSIVE, SHARED, CriticalSection, SrwLock
from emu.kernel.thread import Thread
from emu.win32.base import BOOL, LONG_VALUE, VOID, ApiCall, Win32Base, export
from emu.win32.types import CRITICAL_SECTION, LONG, SRWLOCK


def _footprint(struct: Any) -> tuple[tuple[int, str], ...]:
    """The lock object behind a CRITICAL_SECTION or SRWLOCK, for the chooser (peeked: the
    call validates the structure after the scheduling point, where it may have changed)."""
    lock = (
        getattr(struct, "lock", None) if isinstance(struct, (CRITICAL_SECTION, SRWLOCK)) else None
    )
    return ((lock.oid, "w"),) if isinstance(lock, (CriticalSection, SrwLock)) else ()


class LockApi(Win32Base):
    __slots__ = ()

    # -- critical sections --------------------------------------------------------------------

    def _cs(self, t: Thread, name: str, cs: Any) -> CriticalSection | None:
        if not isinstance(cs, CRITICAL_SECTION):
            self._bad_argument(t, name, (cs,), "lpCriticalSection is not a CRITICAL_SECTION")
            return None
        lock = cs.lock
        if not isinstance(lock, CriticalSection) or lock.deleted:
            self.k.violation(
                "kernel.cs_uninitialized",
                f"{name} on a critical section that is not initialized",
                (t.oid,),
            )
            return None
        return lock

    def _initialize(self, name: str, cs: Any) -> None:
        t = self._caller()
        if not isinstance(cs, CRITICAL_SECTION):
            self._bad_argument(t, name, (cs,), "lpCriticalSection is not a CRITICAL_SECTION")
        else:
            cs.bind(self.k)
            object.__setattr__(cs, "lock", CriticalSection(self.k))

    @export("kernel32", VOID)
    def InitializeCriticalSection(self, lpCriticalSection: Any) -> ApiCall[None]:
        """void InitializeCriticalSection(LPCRITICAL_SECTION lpCriticalSection);

        "Initializes a critical section object."
        """
        self._initialize("InitializeCriticalSection", lpCriticalSection)
        return self._done(self._caller(), "InitializeCriticalSection", (lpCriticalSection,), None)
        yield  # type: ignore[unreachable]  # every export is a generator

    @export("kernel32", BOOL)
    def InitializeCriticalSectionAndSpinCount(
        self, lpCriticalSection: Any, dwSpinCount: Any
    ) -> ApiCall[int]:
        """BOOL InitializeCriticalSectionAndSpinCount(LPCRITICAL_SECTION lpCriticalSection,
        DWORD dwSpinCount);

        "Windows Server 2003 and Windows XP: ... Starting with Windows Vista, the
        InitializeCriticalSectionAndSpinCount function always succeeds" (nonzero). The spin
        count has no effect: no processor spins in a simulation.
        """
        name = "InitializeCriticalSectionAndSpinCount"
        self._initialize(name, lpCriticalSection)
        return self._done(self._caller(), name, (lpCriticalSection, dwSpinCount), 1)
        yield  # type: ignore[unreachable]  # every export is a generator

    @export("kernel32", VOID)
    def EnterCriticalSection(self, lpCriticalSection: Any) -> ApiCall[None]:
        """void EnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection);

        "Waits for ownership of the specified critical section object. The function returns
        when the calling thread is granted ownership." "After a thread has ownership of a
        critical section, it can make additional calls to EnterCriticalSection or
        TryEnterCriticalSection without blocking its execution."
        """
        t = self._caller()
        k = self.k
        name = "EnterCriticalSection"
        if k.ready and k.preempted(name, _footprint(lpCriticalSection)):
            yield PARK
        lock = self._cs(t, name, lpCriticalSection)
        if lock is None:
            return self._done(t, name, (lpCriticalSection,), None)
        yield from lock.enter(t)
        return self._done(t, name, (lpCriticalSection,), None)

    @export("kernel32", BOOL)
    def TryEnterCriticalSection(self, lpCriticalSection: Any) -> ApiCall[int]:
        """BOOL TryEnterCriticalSection(LPCRITICAL_SECTION lpCriticalSection);

        "If the critical section is successfully entered or the current thread already owns
        the critical section, the return value is nonzero. If another thread already owns the
        critical section, the return value is zero."
        """
        t = self._caller()
        k = self.k
        name = "TryEnterCriticalSection"
        if k.ready and k.preempted(name, _footprint(lpCriticalSection)):
            yield PARK
        lock = self._cs(t, name, lpCriticalSection)
        if lock is None:
            return self._done(t, name, (lpCriticalSection,), 0)
        return self._done(t, name, (lpCriticalSection,), int(lock.try_enter(t)))

    @export("kernel32", VOID)
    def LeaveCriticalSection(self, lpCriticalSection: Any) -> ApiCall[None]:
        """void LeaveCriticalSection(LPCRITICAL_SECTION lpCriticalSection);

        "Releases ownership of the specified critical section object." "If a thread calls
        LeaveCriticalSection when it does not have ownership of the specified critical section
        object, an error occurs that may cause another thread using EnterCriticalSection to
        wait indefinitely." (Recorded as kernel.cs_leave_not_owner.)
        """
        t = self._caller()
        k = self.k
        name = "LeaveCriticalSection"
        if k.ready and k.preempted(name, _footprint(lpCriticalSection)):
            yield PARK
        lock = self._cs(t, name, lpCriticalSection)
        if lock is None:
            return self._done(t, name, (lpCriticalSection,), None)
        lock.leave(t)
        return self._done(t, name, (lpCriticalSection,), None)

    @export("kernel32", VOID)
    def DeleteCriticalSection(self, lpCriticalSection: Any) -> ApiCall[None]:
        """void DeleteCriticalSection(LPCRITICAL_SECTION lpCriticalSection);

        "Releases all resources used by an unowned critical section object." Deleting one that
        a thread owns is recorded as kernel.cs_delete_owned.
        """
        t = self._caller()
        k = self.k
        name = "DeleteCriticalSection"
        if k.ready and k.preempted(name, _footprint(lpCriticalSection)):
            yield PARK
        lock = self._cs(t, name, lpCriticalSection)
        if lock is not None:
            if lock.owner is not None:
                self.k.violation(
                    "kernel.cs_delete_owned",
                    f"{lock.name} deleted while {lock.owner.name} owns it",
                    (lock.oid, t.oid),
                )
            lock.delete()
        return self._done(t, name, (lpCriticalSection,), None)

    # -- SRW locks ----------------------------------------------------------------------------

    def _srw(self, t: Thread, name: str, srw: Any) -> SrwLock | None:
        if not isinstance(srw, SRWLOCK):
            self._bad_argument(t, name, (srw,), "SRWLock is not an SRWLOCK")
            return None
        if srw.lock is None:
            srw.bind(self.k)
            object.__setattr__(srw, "lock", SrwLock(self.k))
        lock = srw.lock
        assert isinstance(lock, SrwLock)
        return lock

    @export("kernel32", VOID)
    def InitializeSRWLock(self, SRWLock: Any) -> ApiCall[None]:
        """void InitializeSRWLock(PSRWLOCK SRWLock);  "Initialize a slim reader/writer (SRW)
        lock." """
        t = self._caller()
        if isinstance(SRWLock, SRWLOCK):
            object.__setattr__(SRWLock, "lock", None)
        self._srw(t, "InitializeSRWLock", SRWLock)
        return self._done(t, "InitializeSRWLock", (SRWLock,), None)
        yield  # type: ignore[unreachable]  # every export is a generator

    def _acquire(self, name: str, srw: Any, mode: str) -> ApiCall[None]:
        t = self._caller()
        k = self.k
        if k.ready and k.preempted(name, _footprint(srw)):
            yield PARK
        lock = self._srw(t, name, srw)
        if lock is None:
            return self._done(t, name, (srw,), None)
        yield from lock.acquire(t, mode)
        return self._done(t, name, (srw,), None)

    def _try_acquire(self, name: str, srw: Any, mode: str) -> ApiCall[int]:
        t = self._caller()
        k = self.k
        if k.ready and k.preempted(name, _footprint(srw)):
            yield PARK
        lock = self._srw(t, name, srw)
        if lock is None:
            return self._done(t, name, (srw,), 0)
        return self._done(t, name, (srw,), int(lock.try_acquire(t, mode)))

    def _release(self, name: str, srw: Any, mode: str) -> ApiCall[None]:
        t = self._caller()
        k = self.k
        if k.ready and k.preempted(name, _footprint(srw)):
            yield PARK
        lock = self._srw(t, name, srw)
        if lock is None:
            return self._done(t, name, (srw,), None)
        lock.release(t, mode)
        return self._done(t, name, (srw,), None)

    @export("kernel32", VOID)
    def AcquireSRWLockExclusive(self, SRWLock: Any) -> ApiCall[None]:
        """void AcquireSRWLockExclusive(PSRWLOCK SRWLock);  "Acquires a slim reader/writer
        (SRW) lock in exclusive mode." """
        return (yield from self._acquire("AcquireSRWLockExclusive", SRWLock, EXCLUSIVE))

    @export("kernel32", VOID)
    def AcquireSRWLockShared(self, SRWLock: Any) -> ApiCall[None]:
        """void AcquireSRWLockShared(PSRWLOCK SRWLock);  "Acquires a slim reader/writer (SRW)
        lock in shared mode." """
        return (yield from self._acquire("AcquireSRWLockShared", SRWLock, SHARED))

    @export("kernel32", BOOL)
    def TryAcquireSRWLockExclusive(self, SRWLock: Any) -> ApiCall[int]:
        """BOOLEAN TryAcquireSRWLockExclusive(PSRWLOCK SRWLock);  "If the lock is
        successfully acquired, the return value is nonzero. If the current thread could not
        acquire the lock, the return value is zero." """
        return (yield from self._try_acquire("TryAcquireSRWLockExclusive", SRWLock, EXCLUSIVE))

    @export("kernel32", BOOL)
    def TryAcquireSRWLockShared(self, SRWLock: Any) -> ApiCall[int]:
        """BOOLEAN TryAcquireSRWLockShared(PSRWLOCK SRWLock);  as the exclusive form."""
        return (yield from self._try_acquire("TryAcquireSRWLockShared", SRWLock, SHARED))

    @export("kernel32", VOID)
    def ReleaseSRWLockExclusive(self, SRWLock: Any) -> ApiCall[None]:
        """void ReleaseSRWLockExclusive(PSRWLOCK SRWLock);  "The SRW lock must be released by
        the same thread that acquired it." """
        return (yield from self._release("ReleaseSRWLockExclusive", SRWLock, EXCLUSIVE))

    @export("kernel32", VOID)
    def ReleaseSRWLockShared(self, SRWLock: Any) -> ApiCall[None]:
        """void ReleaseSRWLockShared(PSRWLOCK SRWLock);  as the exclusive form."""
        return (yield from self._release("ReleaseSRWLockShared", SRWLock, SHARED))

    # -- Interlocked --------------------------------------------------------------------------

    def _interlocked(
        self, name: str, target: Any, op: str, operand: Any, comparand: Any, result: str
    ) -> ApiCall[int]:
        t = self._caller()
        k = self.k
        if op == "compare_exchange":
            args: tuple[Any, ...] = (target, operand, comparand)
        elif name in ("InterlockedIncrement", "InterlockedDecrement"):
            args = (target,)
        else:
            args = (target, operand)
        if (
            not isinstance(target, LONG)
            or not isinstance(operand, int)
            or not isinstance(comparand, int)
            or not isinstance(target.peek("value"), int)
        ):
            self._bad_argument(
                t, name, args, "the target is a LONG holding an integer, the operands integers"
            )
            return self._done(t, name, args, 0)
        oid = target.bind(k)
        if k.ready and k.preempted(name, ((oid, "w"),)):
            yield PARK
        old = target.interlocked("value", op, int(operand), int(comparand))
        value = old if result == "old" else int(target.peek("value"))
        return self._done(t, name, args, value)

    @export("kernel32", LONG_VALUE)
    def InterlockedIncrement(self, Addend: Any) -> ApiCall[int]:
        """LONG InterlockedIncrement(LONG volatile *Addend);  "The function returns the
        resulting incremented value." """
        return (yield from self._interlocked("InterlockedIncrement", Addend, "add", 1, 0, "new"))

    @export("kernel32", LONG_VALUE)
    def InterlockedDecrement(self, Addend: Any) -> ApiCall[int]:
        """LONG InterlockedDecrement(LONG volatile *Addend);  "The function returns the
        resulting decremented value." """
        return (yield from self._interlocked("InterlockedDecrement", Addend, "add", -1, 0, "new"))

    @export("kernel32", LONG_VALUE)
    def InterlockedExchange(self, Target: Any, Value: Any) -> ApiCall[int]:
        """LONG InterlockedExchange(LONG volatile *Target, LONG Value);  "The function returns
        the initial value of the Target parameter." """
        return (
            yield from self._interlocked("InterlockedExchange", Target, "exchange", Value, 0, "old")
        )

    @export("kernel32", LONG_VALUE)
    def InterlockedExchangeAdd(self, Addend: Any, Value: Any) -> ApiCall[int]:
        """LONG InterlockedExchangeAdd(LONG volatile *Addend, LONG Value);  "The function
        returns the initial value of the Addend parameter." """
        return (
            yield from self._interlocked("InterlockedExchangeAdd", Addend, "add", Value, 0, "old")
        )

    @export("kernel32", LONG_VALUE)
    def InterlockedCompareExchange(
        self, Destination: Any, ExChange: Any, Comperand: Any
    ) -> ApiCall[int]:
        """LONG InterlockedCompareExchange(LONG volatile *Destination, LONG ExChange,
        LONG Comperand);  "The function compares the Destination value with the Comperand
        value. If the Destination value is equal to the Comperand value, the ExChange value is
        stored in the address specified by Destination." "The function returns the initial
        value of the Destination parameter." """
        return (
            yield from self._interlocked(
                "InterlockedCompareExchange",
                Destination,
                "compare_exchange",
                ExChange,
                Comperand,
                "old",
            )
        )
