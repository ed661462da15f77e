"""IRQL and spin locks for drivers (wdm.h): KeGetCurrentIrql, KeRaiseIrql, KeLowerIrql,
KeInitializeSpinLock, KeAcquireSpinLock, KeReleaseSpinLock and their AtDpcLevel forms.

- KeAcquireSpinLock raises to DISPATCH_LEVEL (IRQL <= DISPATCH_LEVEL on entry) and returns the
  old IRQL; KeReleaseSpinLock restores it; the AtDpcLevel forms require DISPATCH_LEVEL.
- KeRaiseIrql / KeLowerIrql: raising to a lower level or lowering to a higher one is a bug
  check (recorded); so is lowering below DISPATCH_LEVEL in a DPC or while holding a spin lock
  (``kernel.irql_below_base``, emu.kernel.irql). KeGetCurrentIrql returns the current level.
- KeReleaseSpinLock's NewIrql goes through the same rules as KeLowerIrql.
"""

from __future__ import annotations

from typing import Any

from emu.kernel.irql import DISPATCH_LEVEL, HIGH_LEVEL, check_irql, lower_irql, set_irql
from emu.kernel.spinlock import SpinLock as KSpinLock
from emu.win32.base import DWORD_VALUE, VOID, ApiCall, export
from emu.win32.ntos_types import KIRQL, KSPIN_LOCK
from emu.win32.ntoskrnl.base import NtosBase


def _is_kirql(value: Any) -> bool:
    return type(value) is int and 0 <= value <= HIGH_LEVEL


class KeIrql(NtosBase):
    __slots__ = ()

    @export("ntoskrnl", DWORD_VALUE)
    def KeGetCurrentIrql(self) -> ApiCall[int]:
        """KIRQL KeGetCurrentIrql(void);"""
        ctx = self._ctx()
        return self._done(ctx, "KeGetCurrentIrql", (), ctx.irql)
        yield  # type: ignore[unreachable]  # every export is a generator

    @export("ntoskrnl", VOID)
    def KeRaiseIrql(self, NewIrql: Any, OldIrql: Any) -> ApiCall[None]:
        """VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql);"""
        ctx = self._ctx()
        k = self.k
        name, args = "KeRaiseIrql", (NewIrql, OldIrql)
        if not _is_kirql(NewIrql):
            return self._bad(ctx, name, args, "NewIrql is a KIRQL", None)
        if not isinstance(OldIrql, KIRQL):
            return self._bad(ctx, name, args, "OldIrql is a KIRQL pointer", None)
        if NewIrql < ctx.irql:
            k.violation(
                "kernel.irql_raise_lower",
                f"KeRaiseIrql to {NewIrql} below the current IRQL {ctx.irql} "
                "(IRQL_NOT_GREATER_OR_EQUAL)",
                (ctx.oid,),
            )
        OldIrql.bind(k)
        OldIrql.sys_set("value", set_irql(k, ctx, NewIrql))
        return self._done(ctx, name, args, None)
        yield  # type: ignore[unreachable]  # every export is a generator

    @export("ntoskrnl", VOID)
    def KeLowerIrql(self, NewIrql: Any) -> ApiCall[None]:
        """VOID KeLowerIrql(KIRQL NewIrql);"""
        ctx = self._ctx()
        k = self.k
        name, args = "KeLowerIrql", (NewIrql,)
        if not _is_kirql(NewIrql):
            return self._bad(ctx, name, args, "NewIrql is a KIRQL", None)
        lower_irql(k, ctx, NewIrql, name)
        return self._done(ctx, name, args, None)
        yield  # type: ignore[unreachable]  # every export is a generator

    def _at_dispatch(self, name: str) -> None:
        """The AtDpcLevel / FromDpcLevel forms: "Callers ... must be running at IRQL =
        DISPATCH_LEVEL"."""
        ctx = self._ctx()
        k = self.k
        if ctx.irql > DISPATCH_LEVEL:
            check_irql(k, ctx, name, DISPATCH_LEVEL)
        elif ctx.irql < DISPATCH_LEVEL:
            k.violation(
                "kernel.irql_too_low",
                f"{name} called at IRQL {ctx.irql}; it requires DISPATCH_LEVEL",
                (ctx.oid,),
            )

    def _spinlock(self, SpinLock_: Any) -> KSpinLock | None:
        if isinstance(SpinLock_, KSPIN_LOCK) and isinstance(SpinLock_.obj, KSpinLock):
            return SpinLock_.obj
        return None

    @export("ntoskrnl", VOID)
    def KeInitializeSpinLock(self, SpinLock: Any) -> ApiCall[None]:
        """VOID KeInitializeSpinLock(PKSPIN_LOCK SpinLock);"""
        ctx = self._ctx()
        name, args = "KeInitializeSpinLock", (SpinLock,)
        if not isinstance(SpinLock, KSPIN_LOCK):
            return self._bad(ctx, name, args, "SpinLock is a KSPIN_LOCK", None)
        SpinLock.bind(self.k)
        object.__setattr__(SpinLock, "obj", KSpinLock(self.k, SpinLock.trace_name))
        return self._done(ctx, name, args, None)
        yield  # type: ignore[unreachable]  # every export is a generator

    def _acquire(self, name: str, lock_struct: Any, old: Any, at_dpc: bool) -> ApiCall[None]:
        ctx = self._ctx()
        k = self.k
        lock = self._spinlock(lock_struct)
        if k.ready:
            yield from k.preempt(name, ((lock.oid, "w"),) if lock is not None else ())
        args = (lock_struct,) if at_dpc else (lock_struct, old)
        if lock is None or (not at_dpc and not isinstance(old, KIRQL)):
            return self._bad(ctx, name, args, "an initialized KSPIN_LOCK (and a KIRQL)", None)
        if at_dpc:
            self._at_dispatch(name)
        else:
            check_irql(k, ctx, name, DISPATCH_LEVEL)
            old.bind(k)
            old.sys_set("value", set_irql(k, ctx, max(ctx.irql, DISPATCH_LEVEL)))
        yield from lock.acquire(ctx)
        return self._done(ctx, name, args, None)

    def _release(self, name: str, lock_struct: Any, new: Any, at_dpc: bool) -> ApiCall[None]:
        ctx = self._ctx()
        k = self.k
        lock = self._spinlock(lock_struct)
        if k.ready:
            yield from k.preempt(name, ((lock.oid, "w"),) if lock is not None else ())
        args = (lock_struct,) if at_dpc else (lock_struct, new)
        if lock is None or (not at_dpc and not _is_kirql(new)):
            return self._bad(ctx, name, args, "an initialized KSPIN_LOCK (and a KIRQL)", None)
        if at_dpc:
            self._at_dispatch(name)
        lock.release(ctx)
        if not at_dpc:
            lower_irql(k, ctx, new, name)
        return self._done(ctx, name, args, None)

    @export("ntoskrnl", VOID)
    def KeAcquireSpinLock(self, SpinLock: Any, OldIrql: Any) -> ApiCall[None]:
        """VOID KeAcquireSpinLock(PKSPIN_LOCK SpinLock, PKIRQL OldIrql);"""
        return (yield from self._acquire("KeAcquireSpinLock", SpinLock, OldIrql, False))

    @export("ntoskrnl", VOID)
    def KeReleaseSpinLock(self, SpinLock: Any, NewIrql: Any) -> ApiCall[None]:
        """VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql);"""
        return (yield from self._release("KeReleaseSpinLock", SpinLock, NewIrql, False))

    @export("ntoskrnl", VOID)
    def KeAcquireSpinLockAtDpcLevel(self, SpinLock: Any) -> ApiCall[None]:
        """VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);"""
        return (yield from self._acquire("KeAcquireSpinLockAtDpcLevel", SpinLock, None, True))

    @export("ntoskrnl", VOID)
    def KeReleaseSpinLockFromDpcLevel(self, SpinLock: Any) -> ApiCall[None]:
        """VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock);"""
        return (yield from self._release("KeReleaseSpinLockFromDpcLevel", SpinLock, None, True))
