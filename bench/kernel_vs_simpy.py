"""emu's kernel against the leanest raw simpy model of the same work, in one process.

Workloads (each a round trip, so both sides do the same amount of scheduling):

- ``pingpong``: two threads alternate through two auto-reset events. emu: SetEvent(other) +
  WaitForSingleObject(mine, INFINITE) per half-round, through the Win32 surface. Raw simpy: the
  same auto-reset semantics with a flag and a waiting simpy event per object.
- ``apc``: a client queues an APC to a server thread that sits in an alertable SleepEx loop;
  the APC sets an acknowledgement event the client waits on. Raw simpy: a plain list as the APC
  queue, a simpy event for the alertable wait, and the same acknowledgement.
- ``iocp``: a producer posts a packet to a completion port that three consumer threads dequeue
  (GetQueuedCompletionStatus, INFINITE); the consumer that gets it sets an acknowledgement event
  the producer waits on. Raw simpy: a deque of packets, a LIFO list of the simpy events of
  blocked consumers, the same acknowledgement.
- ``workqueue``: a driver's system thread queues a work item (ExQueueWorkItem) whose callback,
  on the serialized worker thread, sets the event the system thread waits on (KeSetEvent,
  KeWaitForSingleObject). Raw simpy: a list as the work queue, a worker process, the same
  acknowledgement.

emu runs with the trace on and off. Printed per workload: rounds per second of each, the ratio
emu/raw (targets: trace off >= 0.5, trace on >= 0.3), API calls per second and trace events per
second recorded (targets: 150,000 and 500,000).

    python bench/kernel_vs_simpy.py [--quick] [--json] [--rounds N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import deque
from collections.abc import Callable, Generator
from typing import Any

import simpy

from emu.codes import INFINITE, INVALID_HANDLE_VALUE, THREAD_SET_CONTEXT
from emu.kernel import Kernel
from emu.win32 import DWORD, PVOID, ULONG_PTR, Api, Process
from emu.win32.driver import System
from emu.win32.ntos_types import KEVENT, WORK_QUEUE_ITEM
from emu.win32.ntoskrnl.base import DelayedWorkQueue, SynchronizationEvent

# -- emu ---------------------------------------------------------------------------------------


def emu_pingpong(rounds: int, trace: bool) -> Kernel:
    def player(mine: str, other: str, first: bool) -> Callable[[Api], Any]:
        def program(api: Api) -> Generator[Any, None, None]:
            me = yield from api.CreateEventW(None, False, False, mine)
            them = yield from api.CreateEventW(None, False, False, other)
            if first:
                yield from api.SetEvent(them)
            for _ in range(rounds):
                yield from api.WaitForSingleObject(me, INFINITE)
                yield from api.SetEvent(them)

        return program

    k = Kernel(trace=trace, step_limit=10**9)
    process = Process(k)
    process.start("ping", player("ping", "pong", True))
    process.start("pong", player("pong", "ping", False))
    k.run()
    return k


def emu_apc(rounds: int, trace: bool) -> Kernel:
    def server(api: Api) -> Generator[Any, None, None]:
        for _ in range(rounds):
            yield from api.SleepEx(INFINITE, True)

    def client(api: Api) -> Generator[Any, None, None]:
        ack = yield from api.CreateEventW(None, False, False, None)
        target = yield from api.OpenThread(THREAD_SET_CONTEXT, False, server_thread.tid)

        def on_apc(data: int) -> Generator[Any, None, None]:
            yield from api.SetEvent(ack)

        for i in range(rounds):
            yield from api.QueueUserAPC(on_apc, target, i)
            yield from api.WaitForSingleObject(ack, INFINITE)

    k = Kernel(trace=trace, step_limit=10**9)
    process = Process(k)
    server_thread = process.start("server", server)
    process.start("client", client)
    k.run()
    return k


CONSUMERS = 3


def emu_iocp(rounds: int, trace: bool) -> Kernel:
    box: dict[str, int] = {}

    def consumer(api: Api) -> Generator[Any, None, None]:
        n, key, ov = DWORD(), ULONG_PTR(), PVOID()
        while True:
            yield from api.GetQueuedCompletionStatus(box["port"], n, key, ov, INFINITE)
            if key.value == 0:
                return
            yield from api.SetEvent(box["ack"])

    def main(api: Api) -> Generator[Any, None, None]:
        box["port"] = yield from api.CreateIoCompletionPort(INVALID_HANDLE_VALUE, 0, 0, 0)
        box["ack"] = yield from api.CreateEventW(None, False, False, None)
        for _ in range(CONSUMERS):
            yield from api.CreateThread(None, 0, lambda p: consumer(api), None, 0, None)
        yield from api.SleepEx(1, False)
        for i in range(rounds):
            yield from api.PostQueuedCompletionStatus(box["port"], 0, i + 1, None)
            yield from api.WaitForSingleObject(box["ack"], INFINITE)
        for _ in range(CONSUMERS):
            yield from api.PostQueuedCompletionStatus(box["port"], 0, 0, None)

    k = Kernel(processors=4, trace=trace, step_limit=10**9)
    Process(k).start("main", main)
    k.run()
    return k


def emu_workqueue(rounds: int, trace: bool) -> Kernel:
    def driver(kapi: Any) -> Any:
        done = KEVENT()

        def callback(Parameter: Any) -> Generator[Any, None, None]:
            yield from kapi.KeSetEvent(done, 0, False)

        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            yield from kapi.KeInitializeEvent(done, SynchronizationEvent, False)
            item = WORK_QUEUE_ITEM()
            yield from kapi.ExInitializeWorkItem(item, callback, None)
            for _ in range(rounds):
                yield from kapi.ExQueueWorkItem(item, DelayedWorkQueue)
                yield from kapi.KeWaitForSingleObject(done, 0, 0, False, None)
            return 0

        return DriverEntry

    k = Kernel(trace=trace, step_limit=10**9)
    System(k).load("bench", driver)
    k.run()
    return k


# -- raw simpy ---------------------------------------------------------------------------------


class RawEvent:
    """An auto-reset event: a flag, and the simpy event of the one thread waiting on it."""

    __slots__ = ("signaled", "waiter")

    def __init__(self) -> None:
        self.signaled = False
        self.waiter: simpy.Event | None = None


def raw_set(event: RawEvent) -> None:
    waiter = event.waiter
    if waiter is not None:
        event.waiter = None
        waiter.succeed()
    else:
        event.signaled = True


def raw_wait(env: simpy.Environment, event: RawEvent) -> simpy.Event | None:
    if event.signaled:
        event.signaled = False
        return None
    event.waiter = env.event()
    return event.waiter


def raw_pingpong(rounds: int) -> None:
    env = simpy.Environment()
    ping, pong = RawEvent(), RawEvent()

    def player(mine: RawEvent, other: RawEvent, first: bool) -> Generator[Any, None, None]:
        if first:
            raw_set(other)
        for _ in range(rounds):
            waiter = raw_wait(env, mine)
            if waiter is not None:
                yield waiter
            raw_set(other)

    env.process(player(ping, pong, True))
    env.process(player(pong, ping, False))
    env.run()


def raw_apc(rounds: int) -> None:
    env = simpy.Environment()
    queue: list[Callable[[], None]] = []
    alertable: list[simpy.Event] = []
    ack = RawEvent()

    def server() -> Generator[Any, None, None]:
        for _ in range(rounds):
            if not queue:
                wake = env.event()
                alertable.append(wake)
                yield wake
            while queue:
                queue.pop(0)()

    def client() -> Generator[Any, None, None]:
        for _ in range(rounds):
            queue.append(lambda: raw_set(ack))
            if alertable:
                alertable.pop().succeed()
            waiter = raw_wait(env, ack)
            if waiter is not None:
                yield waiter

    env.process(server())
    env.process(client())
    env.run()


def raw_iocp(rounds: int) -> None:
    env = simpy.Environment()
    packets: deque[int] = deque()
    blocked: list[simpy.Event] = []
    ack = RawEvent()

    def post(key: int) -> None:
        if blocked:
            blocked.pop().succeed(key)  # the most recent waiter
        else:
            packets.append(key)

    def consumer() -> Generator[Any, None, None]:
        while True:
            if packets:
                key = packets.popleft()
            else:
                wake = env.event()
                blocked.append(wake)
                key = yield wake
            if key == 0:
                return
            raw_set(ack)

    def producer() -> Generator[Any, None, None]:
        yield env.timeout(1)
        for i in range(rounds):
            post(i + 1)
            waiter = raw_wait(env, ack)
            if waiter is not None:
                yield waiter
        for _ in range(CONSUMERS):
            post(0)

    for _ in range(CONSUMERS):
        env.process(consumer())
    env.process(producer())
    env.run()


def raw_workqueue(rounds: int) -> None:
    env = simpy.Environment()
    items: list[Callable[[], None]] = []
    idle: list[simpy.Event] = []
    done = RawEvent()

    def worker() -> Generator[Any, None, None]:
        while True:
            if not items:
                wake = env.event()
                idle.append(wake)
                yield wake
            items.pop(0)()

    def system() -> Generator[Any, None, None]:
        for _ in range(rounds):
            items.append(lambda: raw_set(done))
            if idle:
                idle.pop().succeed()
            waiter = raw_wait(env, done)
            if waiter is not None:
                yield waiter

    env.process(worker())
    env.process(system())
    env.run()


# -- measurement -------------------------------------------------------------------------------


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best = float("inf")
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def measure(rounds: int, repeat: int) -> dict[str, Any]:
    workloads = {
        "pingpong": (emu_pingpong, raw_pingpong),
        "apc": (emu_apc, raw_apc),
        "iocp": (emu_iocp, raw_iocp),
        "workqueue": (emu_workqueue, raw_workqueue),
    }
    report: dict[str, Any] = {}
    for name, (emu_fn, raw_fn) in workloads.items():
        raw_s, _ = best_of(repeat, lambda fn=raw_fn: fn(rounds))  # type: ignore[misc]
        off_s, _ = best_of(repeat, lambda fn=emu_fn: fn(rounds, False))  # type: ignore[misc]
        on_s, k = best_of(repeat, lambda fn=emu_fn: fn(rounds, True))  # type: ignore[misc]
        report[name] = {
            "rounds": rounds,
            "raw_rounds_per_s": rounds / raw_s,
            "emu_trace_off_rounds_per_s": rounds / off_s,
            "emu_trace_on_rounds_per_s": rounds / on_s,
            "ratio_trace_off": raw_s / off_s,
            "ratio_trace_on": raw_s / on_s,
            "api_calls": k.calls,
            "api_calls_per_s_trace_on": k.calls / on_s,
            "api_calls_per_s_trace_off": k.calls / off_s,
            "trace_events": len(k.trace),
            "trace_events_per_s": len(k.trace) / on_s,
        }
    return report


TARGETS = {
    "ratio_trace_off": 0.5,
    "ratio_trace_on": 0.3,
    "api_calls_per_s_trace_on": 150_000,
    "trace_events_per_s": 500_000,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    args = parser.parse_args(argv)
    rounds = args.rounds or (200 if args.quick else 20_000)
    repeat = args.repeat or (1 if args.quick else 5)
    report = measure(rounds, repeat)
    meta = {
        "python": platform.python_version(),
        "simpy": simpy.__version__,
        "machine": platform.machine(),
        "rounds": rounds,
        "repeat": repeat,
        "targets": TARGETS,
    }
    if args.json:
        print(json.dumps({"meta": meta, "workloads": report}, indent=2, sort_keys=True))
        return 0
    print(f"kernel_vs_simpy: {rounds} rounds, best of {repeat}, Python {meta['python']}")
    for name, row in report.items():
        print(
            f"  {name:9} raw {row['raw_rounds_per_s']:>10,.0f} rounds/s | "
            f"emu off {row['emu_trace_off_rounds_per_s']:>10,.0f} "
            f"(ratio {row['ratio_trace_off']:.2f}) | "
            f"emu on {row['emu_trace_on_rounds_per_s']:>10,.0f} "
            f"(ratio {row['ratio_trace_on']:.2f})"
        )
        print(
            f"  {'':9} {row['api_calls_per_s_trace_on']:>10,.0f} API calls/s (trace on), "
            f"{row['api_calls_per_s_trace_off']:>10,.0f} (trace off), "
            f"{row['trace_events_per_s']:>10,.0f} trace events/s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
