"""Kernel-mode structures a driver allocates and passes to ntoskrnl, named as wdm.h names them.

Like the user-mode ones they are ``Struct``s (traced once the system sees them). ``KEVENT``,
``KSPIN_LOCK`` and ``KDPC`` are opaque storage: the Ke*Initialize* routines attach the kernel
object behind them. ``KIRQL`` and ``LARGE_INTEGER`` are value boxes (``value``, ``QuadPart``).
``DRIVER_OBJECT`` carries what a driver sets in DriverEntry (``DriverUnload``).
"""

from __future__ import annotations

from typing import Any

from emu.kernel.memory import Struct


class _Opaque(Struct):
    """Storage the kernel initialises; ``obj`` is the kernel object behind it."""

    __slots__ = ("obj",)

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        object.__setattr__(self, "obj", None)


class KEVENT(_Opaque):
    """KEVENT: initialised by KeInitializeEvent."""

    __slots__ = ()


class KSPIN_LOCK(_Opaque):
    """KSPIN_LOCK: initialised by KeInitializeSpinLock."""

    __slots__ = ()


class KDPC(_Opaque):
    """KDPC: initialised by KeInitializeDpc."""

    __slots__ = ()


class WORK_QUEUE_ITEM(_Opaque):
    """WORK_QUEUE_ITEM: initialised by ExInitializeWorkItem."""

    __slots__ = ()


class KIRQL(Struct):
    """A KIRQL written through a pointer (``OldIrql``)."""

    __slots__ = ()

    value: int


class LARGE_INTEGER(Struct):
    """A timeout: negative is relative (100-ns units), positive absolute, 0 a poll."""

    __slots__ = ()

    QuadPart: int


class DRIVER_OBJECT(Struct):
    """DRIVER_OBJECT, the fields a driver program touches."""

    __slots__ = ()

    DriverName: str
    DriverUnload: Any
    DriverExtension: Any
