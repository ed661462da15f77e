"""Properties of completion ports, I/O requests, work queues and DPCs over random programs.

- a port never loses or duplicates a packet: every posted packet is dequeued exactly once,
  dropped by rundown, or reported still queued at the end, also when APCs that run inside an
  alertable dequeue dequeue or wait themselves;
- threads blocked in a dequeue are released LIFO;
- an I/O request completes exactly once, or is reported still pending at the end;
- the callbacks of one work queue never overlap;
- a DPC never blocks (a wait with a timeout in a DPC is a recorded violation, performed as a
  poll).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Generator
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from emu.codes import INFINITE, INVALID_HANDLE_VALUE, STATUS_SUCCESS
from emu.kernel.chooser import RandomChooser
from emu.win32 import DWORD, OVERLAPPED, OVERLAPPED_ENTRY, PVOID, ULONG, ULONG_PTR, Api
from emu.win32.ntos_types import KDPC, KEVENT, LARGE_INTEGER, WORK_QUEUE_ITEM
from emu.win32.ntoskrnl.base import DelayedWorkQueue, NotificationEvent
from tests.support import build, run, run_driver
from tests.win32.kernel32.pipes import pipe_pair

port_op = st.one_of(
    st.tuples(st.just("post"), st.integers(0, 9)),
    st.tuples(st.just("get"), st.sampled_from([0, 1, 5, INFINITE])),
    st.tuples(st.just("getex"), st.integers(1, 3), st.sampled_from([0, 2]), st.booleans()),
    st.tuples(st.just("sleep"), st.sampled_from([0, 1, 2])),
    st.tuples(st.just("apc"), st.integers(0, 3), st.sampled_from(["plain", "get", "sleep"])),
)


@given(
    plans=st.lists(st.lists(port_op, max_size=8), min_size=1, max_size=4),
    close_at=st.one_of(st.none(), st.integers(0, 6)),
    seed=st.integers(0, 2**32),
)
def test_a_port_never_loses_or_duplicates_a_packet(
    plans: list[list[tuple[Any, ...]]], close_at: int | None, seed: int
) -> None:
    box: dict[str, Any] = {}
    names = [f"t{i}" for i in range(len(plans))]

    def apc_routine(api: Api, port: int, kind: str) -> Any:
        # An APC that runs inside an alertable dequeue may itself dequeue or wait alertably.
        def routine(data: Any) -> Generator[Any, None, None]:
            if kind == "get":
                yield from api.GetQueuedCompletionStatus(port, DWORD(), ULONG_PTR(), PVOID(), 1)
            elif kind == "sleep":
                yield from api.SleepEx(1, True)

        return routine

    def program(plan: list[tuple[Any, ...]]) -> Any:
        def body(api: Api) -> Generator[Any, None, None]:
            if "port" not in box:
                box["port"] = yield from api.CreateIoCompletionPort(INVALID_HANDLE_VALUE, 0, 0, 2)
            port = box["port"]
            for step in plan:
                if step[0] == "post":
                    yield from api.PostQueuedCompletionStatus(port, 0, step[1], None)
                elif step[0] == "get":
                    yield from api.GetQueuedCompletionStatus(
                        port, DWORD(), ULONG_PTR(), PVOID(), step[1]
                    )
                elif step[0] == "getex":
                    got = [OVERLAPPED_ENTRY() for _ in range(step[1])]
                    yield from api.GetQueuedCompletionStatusEx(
                        port, got, step[1], ULONG(), step[2], step[3]
                    )
                elif step[0] == "sleep":
                    yield from api.SleepEx(step[1], True)
                else:
                    target = sim.threads[names[step[1] % len(names)]].tid
                    handle = yield from api.OpenThread(0x10, False, target)
                    yield from api.QueueUserAPC(apc_routine(api, port, step[2]), handle, 0)

        return body

    def closer(api: Api) -> Generator[Any, None, None]:
        yield from api.SleepEx(close_at or 0, False)
        if "port" in box:
            yield from api.CloseHandle(box["port"])

    programs = {name: program(plan) for name, plan in zip(names, plans, strict=True)}
    if close_at is not None:
        programs["closer"] = closer
    sim = build(programs, processors=2, chooser=RandomChooser(seed))
    sim.k.run(200_000)
    posted = [e[4][0] for e in sim.k.trace.events if e[2] == "iocp.post"]
    fates = Counter(
        e[4][0] for e in sim.k.trace.events if e[2] in ("iocp.dequeue", "iocp.drop", "iocp.pending")
    )
    assert sorted(fates.elements()) == sorted(posted)


@given(waiters=st.integers(2, 5), posts=st.integers(1, 5), seed=st.integers(0, 2**32))
def test_threads_blocked_in_a_dequeue_are_released_lifo(
    waiters: int, posts: int, seed: int
) -> None:
    got: dict[int, int] = {}
    box: dict[str, int] = {}

    def waiter(index: int) -> Any:
        def body(api: Api) -> Generator[Any, None, None]:
            yield from api.SleepEx(index + 1, False)
            key = ULONG_PTR()
            rc = yield from api.GetQueuedCompletionStatus(box["port"], DWORD(), key, PVOID(), 100)
            if rc:
                got[index] = key.value

        return body

    def main(api: Api) -> Generator[Any, None, None]:
        box["port"] = yield from api.CreateIoCompletionPort(INVALID_HANDLE_VALUE, 0, 0, waiters)
        yield from api.SleepEx(20, False)
        for key in range(posts):
            yield from api.PostQueuedCompletionStatus(box["port"], 0, key, None)

    programs: dict[str, Any] = {"main": main}
    programs.update({f"w{i}": waiter(i) for i in range(waiters)})
    run(programs, processors=waiters + 1, chooser=RandomChooser(seed))
    # F5.5, F5.19: the k-th packet (FIFO) goes to the k-th most recent waiter (LIFO).
    expected = {waiters - 1 - key: key for key in range(min(posts, waiters))}
    assert got == expected


pipe_op = st.one_of(
    st.tuples(st.just("read"), st.booleans(), st.integers(1, 4)),
    st.tuples(st.just("write"), st.booleans(), st.integers(1, 4)),
    st.tuples(st.just("cancel"), st.booleans()),
    st.tuples(st.just("cancelex"), st.booleans()),
    st.tuples(st.just("sleep"), st.integers(0, 2)),
    st.tuples(st.just("close"), st.booleans()),
)


@given(
    plans=st.lists(st.lists(pipe_op, max_size=8), min_size=1, max_size=3),
    seed=st.integers(0, 2**32),
)
def test_an_io_request_completes_exactly_once(
    plans: list[list[tuple[Any, ...]]], seed: int
) -> None:
    box: dict[str, Any] = {}

    def program(plan: list[tuple[Any, ...]], first: bool) -> Any:
        def body(api: Api) -> Generator[Any, None, None]:
            ready = yield from api.CreateEventW(None, True, False, "ready")
            if first:
                box["server"], box["client"] = yield from pipe_pair(api)
                box["port"] = yield from api.CreateIoCompletionPort(box["server"], None, 1, 0)
                yield from api.SetEvent(ready)
            else:
                yield from api.WaitForSingleObject(ready, INFINITE)
            for step in plan:
                end = box["server"] if step[1] else box["client"]
                if step[0] == "read":
                    yield from api.ReadFile(end, bytearray(4), step[2], None, OVERLAPPED())
                elif step[0] == "write":
                    yield from api.WriteFile(end, b"data", step[2], None, OVERLAPPED())
                elif step[0] == "cancel":
                    yield from api.CancelIo(end)
                elif step[0] == "cancelex":
                    yield from api.CancelIoEx(end, None)
                elif step[0] == "sleep":
                    yield from api.SleepEx(step[1], False)
                else:
                    yield from api.CloseHandle(end)

        return body

    programs = {f"t{i}": program(plan, i == 0) for i, plan in enumerate(plans)}
    sim = run(programs, processors=2, chooser=RandomChooser(seed))
    started = [e[4][0] for e in sim.k.trace.events if e[2] == "io.start"]
    completed = Counter(e[4][0] for e in sim.k.trace.events if e[2] == "io.complete")
    pending = {e[4][0] for e in sim.k.trace.events if e[2] == "io.pending"}
    for irp in started:
        assert completed[irp] + (irp in pending) == 1, irp
    assert set(completed) <= set(started)


@given(
    items=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 20)), min_size=1, max_size=6),
    seed=st.integers(0, 2**32),
)
def test_the_callbacks_of_one_work_queue_never_overlap(
    items: list[tuple[int, int]], seed: int
) -> None:
    def driver(kapi: Any) -> Any:
        def routine(ms: int) -> Any:
            def work(Parameter: Any) -> Generator[Any, None, None]:
                if ms:
                    ev = KEVENT()
                    yield from kapi.KeInitializeEvent(ev, NotificationEvent, False)
                    timeout = LARGE_INTEGER(QuadPart=-ms * 10_000)
                    yield from kapi.KeWaitForSingleObject(ev, 0, 0, False, timeout)

            return work

        def queue_from_dpc(Dpc: Any, Context: Any, a1: Any, a2: Any) -> Generator[Any, None, None]:
            yield from kapi.ExQueueWorkItem(Context, DelayedWorkQueue)

        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            for delay, ms in items:
                item = WORK_QUEUE_ITEM()
                yield from kapi.ExInitializeWorkItem(item, routine(ms), None)
                if delay:
                    dpc = KDPC()
                    yield from kapi.KeInitializeDpc(dpc, queue_from_dpc, item)
                    yield from kapi.KeInsertQueueDpc(dpc, None, None)
                else:
                    yield from kapi.ExQueueWorkItem(item, DelayedWorkQueue)
            return STATUS_SUCCESS

        return DriverEntry

    sim = run_driver(driver, processors=2, chooser=RandomChooser(seed))
    running: dict[int, int] = defaultdict(int)
    for event in sim.k.trace.events:
        if event[2] == "work.run":
            running[event[3][0]] += 1
            assert running[event[3][0]] == 1, "two callbacks of one queue overlap"
        elif event[2] == "work.return":
            running[event[3][0]] -= 1
    assert len([e for e in sim.k.trace.events if e[2] == "work.return"]) == len(items)


@given(
    timeouts=st.lists(st.sampled_from([None, 0, -10, -5000]), min_size=1, max_size=5),
    seed=st.integers(0, 2**32),
)
def test_a_dpc_never_blocks(timeouts: list[int | None], seed: int) -> None:
    def driver(kapi: Any) -> Any:
        ev = KEVENT()

        def routine(Dpc: Any, Context: Any, a1: Any, a2: Any) -> Generator[Any, None, None]:
            timeout = None if Context is None else LARGE_INTEGER(QuadPart=Context)
            yield from kapi.KeWaitForSingleObject(ev, 0, 0, False, timeout)

        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            yield from kapi.KeInitializeEvent(ev, NotificationEvent, False)
            for timeout in timeouts:
                dpc = KDPC()
                yield from kapi.KeInitializeDpc(dpc, routine, timeout)
                yield from kapi.KeInsertQueueDpc(dpc, None, None)
            return STATUS_SUCCESS

        return DriverEntry

    sim = run_driver(driver, processors=2, chooser=RandomChooser(seed))
    processors = {
        e[3][0] for e in sim.k.trace.events if e[2] == "obj.create" and e[4][0] == "Processor"
    }
    assert not [e for e in sim.k.trace.events if e[2] == "thread.wait" and e[1] in processors]
    violations = [e for e in sim.k.trace.events if e[2] == "violation"]
    assert len(violations) == sum(1 for t in timeouts if t != 0)
