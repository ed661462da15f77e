"""Program modules (DLLs) whose code a callback lives in, and their unloading.

A callback handed to the system (an APC routine, a notification callback) is code at an address
in some module. If that module is unloaded while the system still holds the address, the later
call runs whatever is there now: "If the calling thread is in a DLL and the DLL is unloaded
before the thread receives the notification or calls CloseServiceHandle, the notification will
cause unpredictable results and might cause the process to stop responding"
(NotifyServiceStatusChange, MS doc).

emu keeps only what that needs: a callback may name its module (``emu_module``, set by a
scenario handler's ``module:``); the main image (``None``) is never unloaded; ``unload``
records a ``module.unload`` event, and a subsystem asks ``is_unloaded`` before it calls back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel

MODULE_UNLOAD = trace_kind(
    "module.unload",
    ("module",),
    text="module {module} unloaded",
    doc="A program module (DLL) was unloaded; callbacks in it must no longer be called.",
)


def routine_module(routine: Callable[..., Any] | None) -> str | None:
    """The module a callback's code is in (``None``: the main image)."""
    module = getattr(routine, "emu_module", None)
    return module if isinstance(module, str) else None


class Modules:
    """The modules unloaded so far in one simulation."""

    __slots__ = ("k", "unloaded")

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self.unloaded: list[str] = []

    def unload(self, name: str) -> bool:
        """Unload ``name``; False if it was already unloaded."""
        if name.lower() in self.unloaded:
            return False
        self.unloaded.append(name.lower())
        k = self.k
        k.emit(k.actor_id(), MODULE_UNLOAD, (), (name,))
        return True

    def is_unloaded(self, name: str) -> bool:
        return name.lower() in self.unloaded


def modules_of(k: Kernel) -> Modules:
    return k.device("modules", lambda: Modules(k))
