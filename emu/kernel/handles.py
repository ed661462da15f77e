"""Handle tables: per-simulation allocation, deterministic reuse, separate namespaces.

NT hands out kernel handles as multiples of 4 from a per-process table and reuses freed slots,
so a stale handle value can name a new object: closing a handle and creating an object may give
the same value back, and a program that keeps using the old value now touches the new object.
emu reproduces that: a freed slot goes on a free list and the most recently freed slot is
reused first (LIFO, as NT's handle-table free list pops its head). This is an assumption about
order (documented in the catalogue); any fixed order would keep runs deterministic.

Windows has handle kinds that are not kernel handles: SC_HANDLEs (RPC context handles), PeerDist
session handles and NETIO notification handles are user-mode pointers, and CloseHandle on them
fails. Each lives in its own ``HandleTable`` whose values start far from the kernel's, so a
handle from one namespace is never valid in another.

Kernel handle lookups ignore the two low-order tag bits, as NT's do ("the bottom two bits of
kernel HANDLEs are always zero"; Wine's kernel32 sync tests wait successfully on ``h | 1`` ...
``h | 3``).

Lookups never raise: a bad value (wrong type, closed, never opened, not an int) gives ``None``
and the API layer returns the documented code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.objects import KernelObject
    from emu.kernel.registry import Registry

HANDLE_MASK: Final = 0xFFFFFFFFFFFFFFFF
NT_CURRENT_PROCESS: Final = HANDLE_MASK  # (HANDLE)-1, also INVALID_HANDLE_VALUE
NT_CURRENT_THREAD: Final = HANDLE_MASK - 1  # (HANDLE)-2

HANDLE_OPEN = trace_kind(
    "handle.open",
    ("namespace", "handle", "access"),
    text="open handle 0x{handle:X} to {o0} ({namespace})",
    doc="A handle to objects[0] was inserted in a handle table.",
)
HANDLE_CLOSE = trace_kind(
    "handle.close",
    ("namespace", "handle"),
    text="close handle 0x{handle:X} to {o0} ({namespace})",
    doc="A handle to objects[0] was removed from its handle table.",
)


class HandleEntry:
    """What a handle names: an object and the access granted when it was opened."""

    __slots__ = ("access", "obj")

    def __init__(self, obj: KernelObject, access: int) -> None:
        self.obj = obj
        self.access = access


class HandleTable:
    """One handle namespace: values ``base + step * slot``, freed slots reused LIFO (unless
    ``reuse`` is False: then a closed handle's value never names another object)."""

    __slots__ = (
        "_entries",
        "_free",
        "base",
        "k",
        "live",
        "namespace",
        "reuse",
        "step",
        "untag",
    )

    def __init__(
        self,
        k: Registry,
        namespace: str,
        base: int,
        step: int,
        *,
        tag_bits: int = 0,
        reuse: bool = True,
    ) -> None:
        self.k = k
        self.namespace = namespace
        self.base = base
        self.step = step
        self.untag = HANDLE_MASK & ~tag_bits
        self.reuse = reuse
        self._entries: list[HandleEntry | None] = []
        self._free: list[int] = []
        self.live: dict[int, HandleEntry] = {}
        """Each open handle by its exact (untagged) value: the one-probe lookup of the common
        case. Never iterated (``handles`` walks the slots)."""

    def insert(self, obj: KernelObject, access: int) -> int:
        entry = HandleEntry(obj, access)
        if self._free:
            slot = self._free.pop()
            self._entries[slot] = entry
        else:
            slot = len(self._entries)
            self._entries.append(entry)
        obj.handle_count += 1
        handle = self.base + self.step * slot
        self.live[handle] = entry
        k = self.k
        k.emit(k.actor_id(), HANDLE_OPEN, (obj.oid,), (self.namespace, handle, access))
        return handle

    def _slot(self, handle: Any) -> int:
        if type(handle) is not int:
            if isinstance(handle, bool) or not isinstance(handle, int):
                return -1
            handle = int(handle)
        offset = (handle & self.untag) - self.base
        if offset < 0 or offset % self.step:
            return -1
        slot = offset // self.step
        return slot if slot < len(self._entries) else -1

    def get(self, handle: Any) -> HandleEntry | None:
        """The entry a handle value names, or ``None`` (bad type, closed, never opened)."""
        if type(handle) is int:  # the common case: an exact value, one probe
            entry = self.live.get(handle)
            if entry is not None:
                return entry
        slot = self._slot(handle)
        return self._entries[slot] if slot >= 0 else None

    def remove(self, handle: Any) -> HandleEntry | None:
        """Close a handle: free its slot and drop the object's handle count."""
        slot = self._slot(handle)
        if slot < 0:
            return None
        entry = self._entries[slot]
        if entry is None:
            return None
        self._entries[slot] = None
        if self.reuse:
            self._free.append(slot)
        handle = self.base + self.step * slot
        del self.live[handle]
        obj = entry.obj
        obj.handle_count -= 1
        k = self.k
        k.emit(k.actor_id(), HANDLE_CLOSE, (obj.oid,), (self.namespace, handle))
        if obj.handle_count == 0:
            obj.on_last_handle_closed()
        obj.maybe_destroy()
        return entry

    def handles(self) -> list[tuple[int, HandleEntry]]:
        """The open handles in slot order."""
        return [
            (self.base + self.step * slot, entry)
            for slot, entry in enumerate(self._entries)
            if entry is not None
        ]

    def statistics(self) -> dict[str, int]:
        open_count = sum(1 for e in self._entries if e is not None)
        return {"open": open_count, "slots": len(self._entries), "free": len(self._free)}
