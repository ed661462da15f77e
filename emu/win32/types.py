"""Structures a program allocates and passes to the API, named as the headers name them.

They are ``Struct``s: once passed to the emulated system their field reads and writes, by the
program and by the system, are traced, and so is any access after their lifetime ended.

``DWORD`` and ``LONG`` are one-field boxes (``value``) standing for a ``DWORD*`` or ``LONG*``
out-parameter or an Interlocked target, as ``ctypes.c_ulong`` would. ``CRITICAL_SECTION`` and
``SRWLOCK`` are opaque: programs never read their members; the emulator keeps the lock object
behind them.
"""

from __future__ import annotations

from typing import Any

from emu.kernel.memory import Struct


class DWORD(Struct):
    """A DWORD a function writes through a pointer (``lpThreadId``, ``lpExitCode``)."""

    __slots__ = ()

    value: int


class LONG(Struct):
    """A LONG in shared memory (the target of the Interlocked functions)."""

    __slots__ = ()

    value: int


class CRITICAL_SECTION(Struct):
    """RTL_CRITICAL_SECTION, opaque: InitializeCriticalSection must run before any use."""

    __slots__ = ("lock",)

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        object.__setattr__(self, "lock", None)


class SRWLOCK(Struct):
    """RTL_SRWLOCK, opaque. A new one is SRWLOCK_INIT (usable without InitializeSRWLock)."""

    __slots__ = ("lock",)

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        object.__setattr__(self, "lock", None)
