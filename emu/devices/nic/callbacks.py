"""The threads NETIO callbacks run on, and one callback's run.

"The invocation of the callback function that is specified in the Callback parameter is
serialized" (seed page, Remarks). Callbacks run on system worker threads, never on the
registering thread (F3.9: "IP Helper invokes every callback ... on arbitrary OS threads"). Each
registration has its own worker here: its callbacks run one at a time, in the order they were
queued, the two families of an AF_UNSPEC registration together; another registration's
callbacks run beside them. Profile ``netio-overlap`` gives each registration two workers, so
two of its callbacks can run at once, as the field report F3.8 observed ("calls to the
NotifyIpInterfaceChange() callback are serialized, but that's not accurate").

One callback: ``netio.callback`` names the registration and the row, then
``Callback(CallerContext, Row, NotificationType)`` runs; the row's lifetime ends when it returns
(the row "is managed by the operating system", F3.10; that it is valid only during the callback
is an assumption, docs/rules.md), then ``netio.return`` says how long it held the worker. No
Microsoft page states the callback's IRQL: by default it runs at PASSIVE_LEVEL (a
wait is legal, but one that holds the worker longer than ``STALL_TICKS`` delays every
notification queued behind it: ``netio.callback_stall``); under ``netio-dispatch`` a kernel-mode
callback runs at DISPATCH_LEVEL, where a wait or a call documented for PASSIVE_LEVEL is a bug
check (the kernel's IRQL rules report it). A callback that returns at another IRQL than it was
called at is ``kernel.irql_leak``.
"""

from __future__ import annotations

from collections.abc import Generator
from types import GeneratorType
from typing import TYPE_CHECKING, Final

from emu.codes.netio import MibInitialNotification, notification_type_name
from emu.devices.nic.row import MIB_IPINTERFACE_ROW
from emu.kernel.actor import PARK, ActorState, Park
from emu.kernel.apc import routine_label
from emu.kernel.irql import DISPATCH_LEVEL, PASSIVE_LEVEL, irql_name, set_irql
from emu.kernel.spinlock import orphan_spinlocks
from emu.kernel.thread import Thread
from emu.kernel.time import TICKS_PER_MS
from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.devices.nic.registrations import Notification, Registration

STALL_TICKS: Final = 100 * TICKS_PER_MS
"""How long a callback may hold its worker before ``netio.callback_stall`` (virtual time)."""

NETIO_CALLBACK = trace_kind(
    "netio.callback",
    ("handle", "type", "interface", "item"),
    text="call back 0x{handle:X}: {type} for {interface} (notification #{item})",
    doc="A worker thread started a registration's (objects[0]) callback for notification "
    "#`item`; objects[1] is the row it passes (absent for MibInitialNotification's NULL row); "
    "`cause` is the notification's netio.queue event.",
)
NETIO_RETURN = trace_kind(
    "netio.return",
    ("handle", "item", "ticks"),
    text="callback of 0x{handle:X} for notification #{item} returns after {ticks} ticks",
    doc="The callback returned; `ticks` is how long it held its worker.",
)


class NotifyWorker(Thread):
    """A system thread that runs one registration's callbacks."""

    __slots__ = ("current", "idle", "reg")

    SYSTEM = True

    def __init__(self, reg: Registration, number: int) -> None:
        self.reg = reg
        self.idle = False
        self.current: Notification | None = None
        super().__init__(reg.k, f"netio 0x{reg.handle:X} worker {number}", self._serve())

    @property
    def settled(self) -> bool:
        return self.idle or self.state is ActorState.TERMINATED

    def wake(self) -> None:
        if self.idle:
            self.idle = False
            self.k.set_state(self, ActorState.READY)
            self.k.make_ready(self)

    def _serve(self) -> Generator[Park, None, int]:
        reg = self.reg
        k = self.k
        while True:
            while not reg.pending:
                if reg.cancelled:
                    reg.dereference()
                    return 0
                self.idle = True
                k.set_state(self, ActorState.WAITING)
                yield PARK
            note = reg.pending.popleft()
            self.current = note
            reg.running += 1
            returned = yield from run_callback(self, note)
            self.current = None
            reg.running -= 1
            reg.callback_returned(note.type, returned)
            if reg.pending and k.ready:
                yield from k.preempt("netio", ())


def run_callback(worker: NotifyWorker, note: Notification) -> Generator[Park, None, int]:
    """Call the registration's callback for ``note`` on ``worker``; returns the seq of its
    ``netio.return``."""
    reg = worker.reg
    k = worker.k
    row: MIB_IPINTERFACE_ROW | None = None
    objects: tuple[int, ...] = (reg.oid,)
    if note.type != MibInitialNotification:
        row = MIB_IPINTERFACE_ROW(**note.identity)
        objects = (reg.oid, row.bind(k))
    label = note.interface
    k.emit(
        worker.oid,
        NETIO_CALLBACK,
        objects,
        (reg.handle, notification_type_name(note.type), label, note.number),
        note.seq,
    )
    level = DISPATCH_LEVEL if reg.at_dispatch else PASSIVE_LEVEL
    if level != PASSIVE_LEVEL:
        set_irql(k, worker, level)
    started = k.now
    result = reg.callback(reg.context, row, note.type)
    if isinstance(result, GeneratorType):
        yield from result
    held = k.now - started
    if row is not None:
        row.end_lifetime("its callback returned")
    name = routine_label(reg.callback)
    if worker.irql != level:
        k.violation(
            "kernel.irql_leak",
            f"NETIO callback {name} returned at {irql_name(worker.irql)}, not {irql_name(level)}",
            (worker.oid,),
        )
    if worker.irql != PASSIVE_LEVEL:
        set_irql(k, worker, PASSIVE_LEVEL)
    orphan_spinlocks(k, worker, f"NETIO callback {name} returned")
    returned = k.emit(worker.oid, NETIO_RETURN, (reg.oid,), (reg.handle, note.number, held))
    if held > STALL_TICKS:
        k.violation(
            "netio.callback_stall",
            f"callback {name} of 0x{reg.handle:X} held its worker for {held} ticks (more than "
            f"{STALL_TICKS}); the notifications queued behind it waited",
            (reg.oid, worker.oid),
        )
    return returned
