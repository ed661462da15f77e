"""ntoskrnl.exe: the kernel-mode surface for driver programs (wdm.h), with the IRQL rules of
each page enforced inline. One module per group of routines; ``Ntoskrnl`` composes them.
"""

from emu.win32.ntoskrnl.deferred import IoWorkItem, KeDeferred
from emu.win32.ntoskrnl.events import KeEvents
from emu.win32.ntoskrnl.irql import KeIrql


class Ntoskrnl(KeEvents, KeIrql, KeDeferred):
    """ntoskrnl.exe exports for driver programs."""

    __slots__ = ()


__all__ = ["IoWorkItem", "Ntoskrnl"]
