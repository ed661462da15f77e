"""Per-simulation identities: object ids, thread ids, APC ids, actor names, named objects and
handle namespaces.

Everything that names something in a run is allocated here, from counters that belong to one
simulation, never from ``id()`` or module state: two simulations in one process hand out the same
values independently, and the same run gives the same values in any process.

Handle namespaces: kernel handles live in ``handles`` (4, 8, 12, ...). Windows has handle kinds
that are not kernel handles (SC_HANDLE, PEERDIST and NETIO notification handles); each gets its
own table from ``namespace``, so a value from one is never valid in another and CloseHandle on
it fails, as on Windows.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from typing import TYPE_CHECKING, Any, TypeVar, cast

from emu.kernel.handles import HandleTable
from emu.kernel.trace import KERNEL_ACTOR

if TYPE_CHECKING:
    from emu.kernel.actor import Actor
    from emu.kernel.objects import KernelObject
    from emu.kernel.trace import Emit


T = TypeVar("T")


class Registry:
    """Counters and namespaces of one simulation (the base of ``Kernel``)."""

    current: Actor | None
    emit: Emit

    def __init__(self) -> None:
        self._oids = count(1)
        self._tids = count(1)
        self._apc_ids = count(1)
        self._serials: dict[str, count[int]] = {}
        self.end_reporters: list[KernelObject] = []
        self._devices: dict[str, Any] = {}
        self._actor_names: dict[tuple[str, str], int] = {}
        self._actor_names_used: dict[str, str] = {}  # every actor name given, and its kind
        self._named: dict[str, KernelObject] = {}
        self.handles = HandleTable(self, "kernel", 4, 4, tag_bits=3)
        self.namespaces: dict[str, HandleTable] = {"kernel": self.handles}

    def new_oid(self) -> int:
        return next(self._oids)

    def new_tid(self) -> int:
        """A thread id: a multiple of 4, like the client ids Windows hands out."""
        return 4 * next(self._tids)

    def new_apc_id(self) -> int:
        return next(self._apc_ids)

    def new_id(self, kind: str) -> int:
        """The next number of a per-simulation series (``"packet"``, ``"irp"``, ...), from 1."""
        series = self._serials.get(kind)
        if series is None:
            series = self._serials[kind] = count(1)
        return next(series)

    def actor_id(self) -> int:
        """The id of the acting thread or device, 0 when the kernel itself acts."""
        cur = self.current
        return cur.oid if cur is not None else KERNEL_ACTOR

    def unique_actor_name(self, kind: str, name: str) -> str:
        """``name``, or ``name-2``, ``name-3``... when another actor already has it (of any
        kind: a thread named "world" and the timeline's actor never share a name)."""
        seen = self._actor_names.get((kind, name), 0)
        while True:
            seen += 1
            candidate = name if seen == 1 else f"{name}-{seen}"
            if candidate not in self._actor_names_used:
                break
        self._actor_names[(kind, name)] = seen
        self._actor_names_used[candidate] = kind
        return candidate

    def device(self, name: str, factory: Callable[[], T]) -> T:
        """The simulation's device ``name`` (the named-pipe file system, the SCM, ...),
        created by ``factory`` on first use."""
        device = self._devices.get(name)
        if device is None:
            device = self._devices[name] = factory()
        return cast(T, device)

    def namespace(self, name: str, base: int, step: int, *, reuse: bool = True) -> HandleTable:
        """A separate handle namespace (SC_HANDLE, PEERDIST, NETIO), created on first use;
        without ``reuse`` a closed handle's value is never given out again."""
        table = self.namespaces.get(name)
        if table is None:
            table = HandleTable(self, name, base, step, reuse=reuse)
            self.namespaces[name] = table
        return table

    def find_name(self, name: str) -> KernelObject | None:
        """A live named kernel object (CreateEvent's lpName namespace)."""
        return self._named.get(name)

    def add_name(self, name: str, obj: KernelObject) -> None:
        self._named[name] = obj

    def forget_name(self, obj: KernelObject) -> None:
        if self._named.get(obj.name) is obj:
            del self._named[obj.name]
