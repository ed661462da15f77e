"""An emulated user-mode process: the kernel it runs on, its ``Api`` and its first threads.

The scenario layer builds one per simulation; tests and the demo use it directly::

    k = Kernel(processors=2)
    proc = Process(k)
    proc.start("main", program)      # program(api) -> generator
    k.run()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emu.kernel.dispatcher import Kernel
from emu.kernel.thread import KProcess, Thread
from emu.win32.api import Api
from emu.win32.kernel32.processthreadsapi import thread_body

Program = Callable[[Api], Any]


class Process:
    """One process: a process object, an ``Api`` bound to it, and the threads it starts."""

    __slots__ = ("api", "k", "obj")

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self.obj = KProcess(k, "Process")
        self.obj.reference()
        self.api = Api(k, self.obj)

    def start(self, name: str, program: Program, *, impersonating: bool = False) -> Thread:
        """Start a thread named ``name`` running ``program(api)``; it is enabled at once."""
        thread = Thread(self.k, name, thread_body(program, self.api), impersonating=impersonating)
        self.k.spawn(thread)
        return thread
