"""The built-in demo: three virtual threads, an event, CPU work on two processors, and APCs.

``emu demo`` runs it and prints the timeline. The main thread starts two workers; each works
for a while on one of the two processors, then reports back by queuing an APC to the main
thread, which collects the reports in alertable waits (each returns WAIT_IO_COMPLETION after
running them) and finally waits for both workers with WaitForMultipleObjects. ``--seed`` runs
the same program under a seeded random schedule instead of the canonical one.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import INFINITE, THREAD_SET_CONTEXT, WAIT_OBJECT_0
from emu.kernel import Kernel, RandomChooser
from emu.kernel.chooser import CanonicalChooser, Chooser
from emu.kernel.time import TICKS_PER_MS
from emu.win32 import Api, Process


def demo_program(api: Api) -> Generator[Any, None, int]:
    """The main thread of the demo; exits with 0 when both reports arrived."""
    reports: list[int] = []
    done = yield from api.CreateEventW(None, True, False, "demo-done")
    me = yield from api.GetCurrentThreadId()
    main_thread = yield from api.OpenThread(THREAD_SET_CONTEXT, False, me)

    def on_report(worker_id: int) -> Generator[Any, None, None]:
        reports.append(worker_id)
        if len(reports) == 2:
            yield from api.SetEvent(done)

    def worker(worker_id: int) -> Generator[Any, None, int]:
        yield from api.work((1 + worker_id) * TICKS_PER_MS)
        yield from api.QueueUserAPC(on_report, main_thread, worker_id)
        return worker_id

    workers = []
    for worker_id in (1, 2):
        workers.append((yield from api.CreateThread(None, 0, worker, worker_id, 0, None)))
    while (yield from api.WaitForSingleObjectEx(done, 1, True)) != WAIT_OBJECT_0:
        pass
    rc = yield from api.WaitForMultipleObjects(2, workers, True, INFINITE)
    for handle in (*workers, main_thread, done):
        yield from api.CloseHandle(handle)
    return 0 if rc == WAIT_OBJECT_0 and sorted(reports) == [1, 2] else 1


def run_demo(seed: int | None = None, *, trace: bool = True) -> Kernel:
    """Run the demo on two processors; canonical schedule, or random with ``seed``."""
    chooser: Chooser = RandomChooser(seed) if seed is not None else CanonicalChooser()
    k = Kernel(processors=2, chooser=chooser, trace=trace)
    Process(k).start("main", demo_program)
    k.run()
    return k
