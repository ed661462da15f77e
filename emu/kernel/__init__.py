"""The simulated NT executive: dispatcher, time, chooser, trace, handles, waits, APCs, locks.

It knows nothing of services, sockets or interfaces; devices and the Win32 layer build on it.
"""

from emu.kernel.chooser import (
    CanonicalChooser,
    ChoicePoint,
    Chooser,
    RandomChooser,
    ReplayChooser,
)
from emu.kernel.dispatcher import Kernel
from emu.kernel.memory import Struct
from emu.kernel.thread import Thread
from emu.kernel.time import TICKS_PER_MS, TICKS_PER_SECOND, TICKS_PER_US
from emu.kernel.trace import Trace, TraceEvent

__all__ = [
    "TICKS_PER_MS",
    "TICKS_PER_SECOND",
    "TICKS_PER_US",
    "CanonicalChooser",
    "ChoicePoint",
    "Chooser",
    "Kernel",
    "RandomChooser",
    "ReplayChooser",
    "Struct",
    "Thread",
    "Trace",
    "TraceEvent",
]
