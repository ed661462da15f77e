"""Structures a program allocates and passes to the API, named as the headers name them.

They are ``Struct``s: once passed to the emulated system their field reads and writes, by the
program and by the system, are traced, and so is any access after their lifetime ended.

``DWORD``, ``ULONG``, ``ULONG_PTR``, ``PVOID`` and ``LONG`` are one-field boxes (``value``)
standing for a pointer out-parameter or an Interlocked target, as ``ctypes.c_ulong`` would.
``CRITICAL_SECTION`` and ``SRWLOCK`` are opaque: programs never read their members; the
emulator keeps the lock object behind them.
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


class ULONG(Struct):
    """A ULONG a function writes through a pointer (``ulNumEntriesRemoved``)."""

    __slots__ = ()

    value: int


class ULONG_PTR(Struct):
    """A ULONG_PTR a function writes through a pointer (``lpCompletionKey``)."""

    __slots__ = ()

    value: Any


class PVOID(Struct):
    """A pointer a function writes through a pointer: ``LPOVERLAPPED *lpOverlapped`` receives
    the OVERLAPPED of a dequeued packet (or NULL) in ``value``."""

    __slots__ = ()

    value: Any


class OVERLAPPED(Struct):
    """OVERLAPPED: ``Internal`` is the NTSTATUS of the request (STATUS_PENDING while it runs),
    ``InternalHigh`` the bytes transferred; ``hEvent`` an event handle, or NULL."""

    __slots__ = ()

    Internal: int
    InternalHigh: int
    Offset: int
    OffsetHigh: int
    hEvent: int


class OVERLAPPED_ENTRY(Struct):
    """One entry GetQueuedCompletionStatusEx fills."""

    __slots__ = ()

    lpCompletionKey: Any
    lpOverlapped: Any
    Internal: int
    dwNumberOfBytesTransferred: int


class HANDLE(Struct):
    """A HANDLE a function writes through a pointer (``HANDLE *NotificationHandle``)."""

    __slots__ = ()

    value: int
