"""Client-visible memory: structures whose reads, writes and lifetime are traced.

In C, a SERVICE_NOTIFY, an OVERLAPPED or a MIB_IPINTERFACE_ROW is memory the program and the
system share. The bugs users hunt live there: a buffer reused before the system finished with
it, a row read after its callback returned, a counter updated by a callback and the main loop
without a lock. ``Struct`` makes that memory observable:

- A structure is declared like a C struct, one annotated field per member; the field names are
  the header's (``dwNotificationTriggered``). Fields are the only attributes.
- Once a structure has been passed to the emulated system it is *bound* to the simulation (it
  gets an object id, an ``obj.create`` event and a ``mem.init`` event with its initial fields).
  A structure belongs to one simulation: reusing one in another run is a ``ProgramError``
  (programs create their memory inside the program, so every run starts fresh). From then
  on every program read and write of a field is a ``mem.read`` / ``mem.write`` event by the
  acting thread, and every system access (``sys_get`` / ``sys_set``, used by the kernel and
  devices to fill out-parameters) is one by the system actor. Accesses before binding are the
  program initialising its own memory, summed up by ``mem.init``.
- ``end_lifetime`` marks the memory dead (a row after its callback returned, a buffer the
  program freed). A later access still happens, as a dangling pointer's would, and records a
  ``mem.stale`` event naming the field, the access and the actor.
- Interlocked operations are atomic read-modify-writes (``mem.rmw``), distinguishable from a
  plain read followed by a write when races are analysed.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, ClassVar, Final

from emu.errors import ProgramError
from emu.kernel.trace import KERNEL_ACTOR, OBJ_CREATE, payload_value, trace_kind

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel

MEM_INIT = trace_kind(
    "mem.init",
    ("values",),
    text="{o0} holds {values}",
    doc="A structure was first passed to the system: its fields as the program initialised "
    "them, as (field, value) pairs.",
)
MEM_READ = trace_kind(
    "mem.read",
    ("field", "value", "by"),
    text="{by} reads {o0}.{field} = {value}",
    doc="A field of a client-visible structure was read (`by`: program or system).",
)
MEM_WRITE = trace_kind(
    "mem.write",
    ("field", "value", "by"),
    text="{by} writes {o0}.{field} = {value}",
    doc="A field of a client-visible structure was written (`by`: program or system).",
)
MEM_RMW = trace_kind(
    "mem.rmw",
    ("field", "op", "old", "new"),
    text="{op} {o0}.{field}: {old} -> {new}",
    doc="An interlocked (atomic) read-modify-write of a field.",
)
MEM_END = trace_kind(
    "mem.end",
    ("reason",),
    state=("reason",),
    text="{o0} lifetime ends: {reason}",
    doc="The structure's memory is no longer valid (freed, or the callback it was lent to "
    "returned).",
)
MEM_STALE = trace_kind(
    "mem.stale",
    ("field", "access", "ended"),
    text="{o0}.{field} {access} after its lifetime ended ({ended})",
    doc="A field was accessed after the structure's lifetime ended (a use after free).",
)

PROGRAM = "program"
SYSTEM = "system"
_PLAIN: Final = frozenset((int, str, bool, type(None)))
"""Value types a trace payload holds as they are (``payload_value`` returns them unchanged)."""


def as_long(value: int) -> int:
    """An integer as a 32-bit signed LONG (two's complement wrap)."""
    return (int(value) + 0x80000000) % 0x100000000 - 0x80000000


class Struct:
    """A C structure shared between a program and the emulated system."""

    __slots__ = ("_ended", "_k", "_name", "_oid", "_values")

    _values: dict[str, Any]
    _k: Kernel | None
    _oid: int
    _name: str
    _ended: str
    _fields_: ClassVar[tuple[str, ...]] = ()
    _defaults_: ClassVar[dict[str, Any]] = {}
    _initial_: ClassVar[dict[str, Any]] = {}
    """Every field with its starting value (``_defaults_``, else 0): built with the class."""
    _unbound_name_: ClassVar[str] = "Struct#0"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: list[str] = list(cls._fields_)
        for name, annotation in inspect.get_annotations(cls).items():
            # Annotations are strings here (postponed evaluation): match ClassVar by name.
            is_classvar = str(annotation).startswith(("ClassVar", "typing.ClassVar"))
            if name.startswith("_") or is_classvar or name in fields:
                continue
            fields.append(name)
        cls._fields_ = tuple(fields)
        cls._initial_ = {name: cls._defaults_.get(name, 0) for name in cls._fields_}
        cls._unbound_name_ = f"{cls.__name__}#0"

    def __init__(self, **values: Any) -> None:
        initial = self._initial_.copy()
        if values:
            unknown = [name for name in values if name not in initial]
            if unknown:
                raise TypeError(
                    f"{type(self).__name__} has no field {unknown[0]!r}; fields: "
                    f"{', '.join(self._fields_)}"
                )
            initial.update(values)
        setter = object.__setattr__
        setter(self, "_values", initial)
        setter(self, "_k", None)
        setter(self, "_oid", 0)
        setter(self, "_name", self._unbound_name_)
        setter(self, "_ended", "")

    # -- program access (traced once bound) --------------------------------------------------
    # The four accessors below record their event inline (no helper call, the payload value
    # converted only when it is not already plain): they are the hottest path of a program
    # that shares memory with the system (issue 12).

    def __getattr__(self, name: str) -> Any:
        values: dict[str, Any] = object.__getattribute__(self, "_values")
        if name not in values:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        value = values[name]
        k = self._k
        if k is not None:
            cur = k.current
            actor = cur.oid if cur is not None else KERNEL_ACTOR
            shown = value if type(value) in _PLAIN else payload_value(value)
            k.emit(actor, MEM_READ, (self._oid,), (name, shown, PROGRAM))
            if self._ended:
                k.emit(actor, MEM_STALE, (self._oid,), (name, "read", self._ended))
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        values = self._values
        if name not in values:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        values[name] = value
        k = self._k
        if k is not None:
            cur = k.current
            actor = cur.oid if cur is not None else KERNEL_ACTOR
            shown = value if type(value) in _PLAIN else payload_value(value)
            k.emit(actor, MEM_WRITE, (self._oid,), (name, shown, PROGRAM))
            if self._ended:
                k.emit(actor, MEM_STALE, (self._oid,), (name, "written", self._ended))

    # -- system access ------------------------------------------------------------------------

    def sys_get(self, name: str) -> Any:
        """A read by the kernel or a device (an in-parameter consumed by the system)."""
        value = self._values[name]
        k = self._k
        if k is not None:
            cur = k.current
            actor = cur.oid if cur is not None else KERNEL_ACTOR
            shown = value if type(value) in _PLAIN else payload_value(value)
            k.emit(actor, MEM_READ, (self._oid,), (name, shown, SYSTEM))
            if self._ended:
                k.emit(actor, MEM_STALE, (self._oid,), (name, "read", self._ended))
        return value

    def sys_set(self, name: str, value: Any) -> None:
        """A write by the kernel or a device (an out-parameter filled by the system)."""
        self._values[name] = value
        k = self._k
        if k is not None:
            cur = k.current
            actor = cur.oid if cur is not None else KERNEL_ACTOR
            shown = value if type(value) in _PLAIN else payload_value(value)
            k.emit(actor, MEM_WRITE, (self._oid,), (name, shown, SYSTEM))
            if self._ended:
                k.emit(actor, MEM_STALE, (self._oid,), (name, "written", self._ended))

    def peek(self, name: str) -> Any:
        """The field's value without an access event (for renderers and checkers)."""
        return self._values[name]

    # -- lifetime -----------------------------------------------------------------------------

    def bind(self, k: Kernel, name: str | None = None) -> int:
        """Attach to a simulation on first use by the system; returns the object id.

        ``name`` is how the trace shows it (a scenario's variable name); the default is
        ``TYPE#id``.
        """
        if self._k is k:  # the common case: bound already, to this simulation
            return self._oid
        if self._k is not None:
            raise ProgramError(
                f"{self.trace_name} was first used by another simulation: a program creates its "
                "structures inside the program, so that every run starts from fresh memory",
                time=k.now,
            )
        object.__setattr__(self, "_k", k)
        object.__setattr__(self, "_oid", k.new_oid())
        object.__setattr__(self, "_name", name or f"{type(self).__name__}#{self._oid}")
        actor = k.actor_id()
        oid = self._oid
        k.emit(actor, OBJ_CREATE, (oid,), (type(self).__name__, self._name))
        initial = tuple(
            [(n, v if type(v) in _PLAIN else payload_value(v)) for n, v in self._values.items()]
        )
        k.emit(actor, MEM_INIT, (oid,), (initial,))
        return oid

    @property
    def oid(self) -> int:
        return self._oid

    @property
    def trace_name(self) -> str:
        return self._name

    @property
    def alive(self) -> bool:
        return not self._ended

    def end_lifetime(self, reason: str) -> None:
        """The memory is no longer valid; later accesses are recorded as ``mem.stale``."""
        if self._ended:
            return
        object.__setattr__(self, "_ended", reason)
        k = self._k
        if k is not None:
            k.emit(k.actor_id(), MEM_END, (self._oid,), (reason,))

    def interlocked(self, name: str, op: str, operand: int, comparand: int = 0) -> int:
        """An atomic 32-bit read-modify-write of ``name``; returns the value before it."""
        values = self._values
        old = as_long(values[name])
        operand = as_long(operand)
        if op == "add":
            new = as_long(old + operand)
        elif op == "exchange":
            new = operand
        elif op == "compare_exchange":
            new = operand if old == as_long(comparand) else old
        else:
            raise ValueError(f"unknown interlocked operation {op!r}")
        values[name] = new
        k = self._k
        if k is not None:
            actor = k.actor_id()
            k.emit(actor, MEM_RMW, (self._oid,), (name, op, old, new))
            if self._ended:
                k.emit(actor, MEM_STALE, (self._oid,), (name, op, self._ended))
        return old

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={self._values[n]!r}" for n in self._fields_)
        return f"{type(self).__name__}({fields})"
