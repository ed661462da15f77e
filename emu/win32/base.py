"""What every Win32 export shares: the caller, argument checks, handle lookup, last error, trace.

Each exported function is a generator method named exactly as Windows names it; a program calls
it with ``yield from api.Name(...)`` and gets back what the C function returns. The rules:

- **Codes, never exceptions.** A bad handle, a bad flag, a NULL where one is not allowed: the
  function returns its documented failure value and sets the calling thread's last error
  (through ``fail`` or, from an NTSTATUS, through the one RtlNtStatusToDosError table). An
  argument of a type no C compiler would have accepted (a string for a DWORD) is treated the
  same way: ERROR_INVALID_PARAMETER where the function can fail, and a ``win32.bad_argument``
  violation where it cannot (SleepEx, EnterCriticalSection).
- **Last error only where documented.** Success leaves it untouched unless the page says
  otherwise (CreateEvent sets it to 0 or ERROR_ALREADY_EXISTS).
- **Every call is traced** as one ``api`` event at its return (name, arguments, result, and the
  last error when the call failed), after the kernel events it caused.
- **A call is a scheduling point only when another actor is enabled**; the footprint it offers
  the chooser is the objects it is about to touch.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeAlias, TypeVar

from emu.codes.ntmap import win32_from_ntstatus
from emu.codes.ntstatus import (
    STATUS_ACCESS_DENIED,
    STATUS_INVALID_HANDLE,
    STATUS_OBJECT_TYPE_MISMATCH,
)
from emu.errors import ProgramError
from emu.kernel.actor import Actor, Park
from emu.kernel.handles import HANDLE_MASK, NT_CURRENT_PROCESS, NT_CURRENT_THREAD
from emu.kernel.thread import Thread
from emu.kernel.trace import payload_value, trace_kind

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel
    from emu.kernel.objects import KernelObject
    from emu.kernel.thread import KProcess

T = TypeVar("T")
R = TypeVar("R")
ApiCall: TypeAlias = Generator[Park, None, T]
"""What an exported function returns: a generator the program drives with ``yield from``."""

API_CALL = trace_kind(
    "api",
    ("name", "args", "result", "error"),
    text="{name}{args} -> {result}",
    doc="A Win32 call returned: its arguments (handles as values, structures by name), its "
    "result, and the last error it set (null when it left the last error untouched).",
)

# Return conventions, for the renderers (a result prints by name according to them).
BOOL: Final = "BOOL"
HANDLE: Final = "HANDLE"
DWORD_WAIT: Final = "WAIT"
WIN32_ERROR: Final = "WIN32_ERROR"
DWORD_VALUE: Final = "DWORD"
SLEEP_RESULT: Final = "SLEEPEX"  # 0, or WAIT_IO_COMPLETION when APCs ran
LONG_VALUE: Final = "LONG"
VOID: Final = "VOID"


@dataclass(frozen=True, slots=True)
class ApiSpec:
    """Metadata of one export: its DLL, how its return value reads, its parameter names."""

    name: str
    dll: str
    returns: str
    params: tuple[str, ...]


API_SPECS: dict[str, ApiSpec] = {}
"""Every export emu models, by Windows name; filled at import by the DLL modules."""

F = TypeVar("F", bound=Callable[..., Any])


def export(dll: str, returns: str, *aliases: str) -> Callable[[F], F]:
    """Register a method as a Win32 export (metadata only: the function is returned as is)."""

    def register(fn: F) -> F:
        params = tuple(inspect.signature(fn).parameters)[1:]  # without self
        for name in (fn.__name__, *aliases):
            API_SPECS[name] = ApiSpec(name, dll, returns, params)
        return fn

    return register


def api_family(name: str) -> str:
    """The name a function is known by whatever its character set: ``CreateEvent`` for
    ``CreateEvent``, ``CreateEventA`` and ``CreateEventW`` when emu models the plain (macro)
    name or the other form; any other name is its own family."""
    if name[-1:] in ("A", "W"):
        base = name[:-1]
        if base in API_SPECS or f"{base}{'W' if name[-1] == 'A' else 'A'}" in API_SPECS:
            return base
    return name


def dword(value: Any) -> int | None:
    """A DWORD argument as C would see it (two's complement wrap), or None if not an integer."""
    if isinstance(value, int):
        return int(value) & 0xFFFFFFFF
    return None


def handle_value(value: Any) -> int | None:
    """A HANDLE argument as a 64-bit value (``-2`` and ``0xFFFFFFFFFFFFFFFE`` are the same)."""
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value) & HANDLE_MASK
    return None


class Win32Base:
    """The shared machinery of the DLL mixins; ``Api`` composes them."""

    __slots__ = ()

    k: Kernel
    process: KProcess

    # -- the caller ---------------------------------------------------------------------------

    def _caller(self) -> Thread:
        cur = self.k.current
        if not isinstance(cur, Thread):
            raise ProgramError(
                "a Win32 API was called outside a virtual thread (programs call the API from "
                "the generator the simulation runs)",
                time=self.k.now,
            )
        return cur

    # -- results ------------------------------------------------------------------------------

    def _done(
        self, t: Actor, name: str, args: tuple[Any, ...], result: R, error: int | None = None
    ) -> R:
        """Record the call (and the last error it set, if any) and return ``result``.

        Counts the call for the step limit; the API event is built only when tracing.
        """
        k = self.k
        t.call_error = error
        k.calls += 1
        k.instant_calls += 1
        if k.instant_calls > k.step_limit:
            k.step_limit_reached()
        if k.tracing:
            kind = type(result)
            if kind is int or kind is bool or result is None:
                shown: Any = result
            elif isinstance(result, int):  # an IntEnum (a WaitResult): its plain int
                shown = int(result)
            else:
                shown = payload_value(result)
            k.emit(t.oid, API_CALL, (), (name, _args(args), shown, error))
        return result

    def _fail(self, t: Thread, name: str, args: tuple[Any, ...], result: R, error: int) -> R:
        """Set the last error to ``error``, record the failed call, return ``result``."""
        t.last_error = error
        return self._done(t, name, args, result, error)

    def _done_setting(
        self, t: Thread, name: str, args: tuple[Any, ...], result: R, error: int
    ) -> R:
        """A success that sets the last error as documented (CreateEvent: 0 or
        ERROR_ALREADY_EXISTS)."""
        return self._fail(t, name, args, result, error)

    def _fail_nt(self, t: Thread, name: str, args: tuple[Any, ...], result: R, status: int) -> R:
        """Fail with the Win32 error RtlNtStatusToDosError gives for ``status``."""
        return self._fail(t, name, args, result, win32_from_ntstatus(status))

    def _bad_argument(self, t: Thread, name: str, args: tuple[Any, ...], what: str) -> None:
        """Record an argument no C compiler would accept, for a function that cannot fail."""
        self.k.violation("win32.bad_argument", f"{name}: {what}", (t.oid,))

    # -- handles ------------------------------------------------------------------------------

    def _resolve(
        self,
        t: Thread,
        handle: Any,
        kind: type[KernelObject] | tuple[type[KernelObject], ...],
        access: int,
        *,
        pseudo: bool = True,
        any_of: bool = False,
    ) -> tuple[KernelObject | None, int]:
        """The object a handle names, checked for type and access.

        Returns ``(object, 0)`` or ``(None, NTSTATUS)``: STATUS_INVALID_HANDLE for a value that
        names nothing, STATUS_OBJECT_TYPE_MISMATCH for a handle to another kind of object,
        STATUS_ACCESS_DENIED when the handle lacks ``access`` (every bit of it, or one bit of
        it with ``any_of``). The pseudo-handles
        GetCurrentThread() and GetCurrentProcess() name the caller and its process (with all
        access) unless ``pseudo`` is False.
        """
        obj: KernelObject
        granted: int
        if type(handle) is int:  # the common case: an open handle's exact value
            entry = self.k.handles.live.get(handle)
            if entry is not None:
                obj, granted = entry.obj, entry.access
                if not isinstance(obj, kind):
                    return None, STATUS_OBJECT_TYPE_MISMATCH
                if access and (granted & access) != access and not (any_of and granted & access):
                    return None, STATUS_ACCESS_DENIED
                return obj, 0
        value = handle_value(handle)
        if value is None:
            return None, STATUS_INVALID_HANDLE
        if value in (NT_CURRENT_THREAD, NT_CURRENT_PROCESS):
            if not pseudo:
                return None, STATUS_INVALID_HANDLE
            obj = t if value == NT_CURRENT_THREAD else self.process
            granted = 0xFFFFFFFF
        else:
            entry = self.k.handles.get(value)
            if entry is None:
                return None, STATUS_INVALID_HANDLE
            obj, granted = entry.obj, entry.access
        if not isinstance(obj, kind):
            return None, STATUS_OBJECT_TYPE_MISMATCH
        if access:
            held = granted & access
            if (not held) if any_of else held != access:
                return None, STATUS_ACCESS_DENIED
        return obj, 0

    def _footprint(self, handle: Any, mode: str) -> tuple[tuple[int, str], ...]:
        """What a call on ``handle`` touches, for the chooser (empty if it names nothing, or
        if the strategy reads no footprints: then nothing is looked up)."""
        k = self.k
        if not k.chooser.reads_footprints:
            return ()
        entry = k.handles.get(handle)
        return ((entry.obj.oid, mode),) if entry is not None else ()


_PLAIN: Final = frozenset((int, str, bool, type(None)))
"""The argument types a trace payload holds as they are."""


def _args(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The arguments as trace payload: the tuple itself when every one is already plain."""
    if _PLAIN.issuperset(map(type, args)):
        return args
    return tuple(map(payload_value, args))


def sequence_of(value: Any) -> Sequence[Any] | None:
    """A C array argument (list or tuple), or None if it is not one."""
    if isinstance(value, (list, tuple)):
        return value
    return None
