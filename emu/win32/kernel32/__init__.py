"""kernel32.dll: threads, APCs, events, waits, sleeps, handles, last error, locks.

One module per header keeps each small; ``Kernel32`` composes them.
"""

from emu.win32.kernel32.events import EventApi
from emu.win32.kernel32.fileapi import FileApi
from emu.win32.kernel32.handleapi import HandleApi
from emu.win32.kernel32.heap import HeapApi
from emu.win32.kernel32.ioapiset import IoApiSet
from emu.win32.kernel32.locks import LockApi
from emu.win32.kernel32.namedpipeapi import NamedPipeApi
from emu.win32.kernel32.processthreadsapi import ProcessThreadsApi
from emu.win32.kernel32.waits import WaitApi


class Kernel32(
    HandleApi,
    ProcessThreadsApi,
    EventApi,
    WaitApi,
    LockApi,
    IoApiSet,
    NamedPipeApi,
    FileApi,
    HeapApi,
):
    """Every kernel32 export emu models, as methods of the per-process ``Api``."""

    __slots__ = ()


__all__ = ["Kernel32"]
