"""The API object a program receives: every modelled export, plus emu's own primitives.

A program is a factory ``program(api)`` returning a generator; it calls Windows functions as
``yield from api.CreateEventW(None, False, False, None)``. The same ``Api`` serves every thread
of the process: each call acts for the thread the dispatcher is running.

Besides the Windows exports, three primitives name what C code does without an API call:

- ``work(ticks)``: spend CPU time (the only way virtual time passes inside a thread);
- ``rand(n)``: draw a number in ``range(n)`` through the chooser (never ``random``);
- ``free(struct)``: end a structure's lifetime, as ``free()`` or ``LocalFree`` would.

``api.context`` is the run's own context (``emu.win32.context``): ``state``, a dict fresh for
every run for the values a program keeps between its calls and threads (never module globals,
which would carry over from one schedule of a campaign to the next), and ``names``, the
scenario's declared objects and structures by name.

A Windows name emu does not model raises ``UnsupportedApi`` — never a silent success.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emu.errors import UnsupportedApi
from emu.kernel.cpu import work as kernel_work
from emu.kernel.memory import Struct
from emu.win32.advapi32 import Advapi32
from emu.win32.base import API_SPECS, ApiCall
from emu.win32.context import RunContext
from emu.win32.kernel32 import Kernel32
from emu.win32.netio import Iphlpapi
from emu.win32.peerdist import PeerDist
from emu.win32.ws2_32 import Ws2_32

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel
    from emu.kernel.thread import KProcess


class Api(Kernel32, Advapi32, Ws2_32, Iphlpapi, PeerDist):
    """The Win32 surface of one emulated process."""

    __slots__ = ("context", "k", "process")

    def __init__(self, k: Kernel, process: KProcess) -> None:
        self.k = k
        self.process = process
        self.context = RunContext()

    def work(self, ticks: int) -> ApiCall[None]:
        """Consume ``ticks`` of CPU time on one of the machine's processors."""
        t = self._caller()
        if not isinstance(ticks, int) or ticks < 0:
            self._bad_argument(t, "work", (ticks,), "ticks is a non-negative integer")
            return None
        yield from kernel_work(self.k, t, int(ticks))
        return None

    def rand(self, n: int, label: str = "rand") -> ApiCall[int]:
        """A number in ``range(n)`` chosen by the chooser (0 under the canonical strategy)."""
        self._caller()
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"rand({n!r}): n is a positive integer")
        return self.k.choose_data(label, tuple(range(n)))
        yield  # type: ignore[unreachable]  # every call is a generator

    def free(self, struct: Struct) -> ApiCall[None]:
        """End ``struct``'s lifetime: later accesses are recorded as use after free."""
        self._caller()
        if isinstance(struct, Struct):
            struct.bind(self.k)
            struct.end_lifetime("freed by the program")
        return None
        yield  # type: ignore[unreachable]  # every call is a generator

    def __getattr__(self, name: str) -> Any:
        if name[:1].isupper():
            raise UnsupportedApi(
                f"{name}: not modelled by emu (modelled exports: "
                f"{', '.join(sorted(API_SPECS)[:8])}, ...; see `emu.win32.API_SPECS`)"
            )
        raise AttributeError(name)
