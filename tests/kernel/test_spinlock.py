"""Spin locks in the kernel (emu/kernel/spinlock.py): the lock is handed to a spinner on
release, and then belongs to it — including for the orphan check when its holder ends. The
routines' IRQL rules are tested through ntoskrnl (tests/win32/ntoskrnl/test_irql.py)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.kernel import Kernel
from emu.kernel.spinlock import SpinLock
from emu.kernel.thread import Thread
from emu.kernel.waits import wait


def test_a_lock_handed_to_a_spinner_is_orphaned_when_the_spinner_exits_holding_it() -> None:
    # "A thread that exits ... while holding a spin lock leaves it held for good
    # (kernel.lock_orphaned)": also when it got the lock by spinning, handed over on release.
    k = Kernel(processors=2)
    lock = SpinLock(k, "guard")

    def first() -> Generator[Any, None, None]:
        yield from lock.acquire(a)
        yield from wait(k, a, (), False, 10, False)  # holds it while the other spins
        lock.release(a)

    def second() -> Generator[Any, None, None]:
        yield from wait(k, b, (), False, 5, False)
        yield from lock.acquire(b)  # spins until first releases, then owns it
        # ...and exits without releasing it.

    a, b = Thread(k, "first", first()), Thread(k, "second", second())
    k.spawn(a)
    k.spawn(b)
    k.run()
    ops = [(e[4][0], e[3][1]) for e in k.trace.events if e[2] == "spinlock.state"]
    assert ops == [("acquire", a.oid), ("spin", b.oid), ("release", a.oid), ("acquire", b.oid)]
    assert lock.owner is b
    orphaned = [e[4] for e in k.trace.events if e[2] == "violation"]
    assert [v[0] for v in orphaned] == ["kernel.lock_orphaned"]
    assert "second exited holding guard" in orphaned[0][1]
