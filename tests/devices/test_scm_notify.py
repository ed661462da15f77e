"""NotifyServiceStatusChange inside the SCM (emu/devices/scm_notify.py), driven through advapi32:
the orders and races its docstring claims, each with the exact notifications and ``scm.*``
events of every request.

- F1.8, Wine's test_servicenotify order: notified of STOPPED, StartService, re-register.
- "After CloseServiceHandle succeeds, no more notification APCs will be queued": a request
  that fired but whose APC was not queued yet (the ``notify`` latency) is cancelled (F1.13).
- F1.9 under win8plus: a replaced request ends once, replaced, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest

from emu.codes import (
    ERROR_ACCESS_DENIED,
    ERROR_INVALID_PARAMETER,
    ERROR_SUCCESS,
    SC_MANAGER_CONNECT,
    SC_MANAGER_ENUMERATE_SERVICE,
    SERVICE_NOTIFY_CREATED,
    SERVICE_NOTIFY_RUNNING,
    SERVICE_NOTIFY_STATUS_CHANGE,
    SERVICE_NOTIFY_STOPPED,
    SERVICE_QUERY_STATUS,
    SERVICE_RUNNING,
    SERVICE_START,
    SERVICE_STOP,
    SERVICE_STOPPED,
    WAIT_IO_COMPLETION,
)
from emu.codes.services import ServiceState
from emu.devices.scm import ScmConfig, ServiceConfig, ServiceControlManager
from emu.devices.scm_notify import system_writes
from emu.kernel import Kernel
from emu.win32 import Api, Process
from emu.win32.winsvc import SERVICE_NOTIFY, SERVICE_STATUS, SERVICE_STATUS_PROCESS
from tests.support import Sim

MS = 10_000  # ticks
BOTH = SERVICE_NOTIFY_STOPPED | SERVICE_NOTIFY_RUNNING
ACCESS = SERVICE_QUERY_STATUS | SERVICE_START | SERVICE_STOP
ENDINGS = ("scm.cancel", "scm.replace", "scm.drop", "scm.outstanding")
"""The scm.* events that end a request without its callback running (scm_notify.py)."""


def go(
    program: Callable[[Api], Any],
    services: dict[str, ServiceConfig],
    *,
    profile: str = "default",
    notify: tuple[int, int] | None = None,
) -> Sim:
    """Run ``program`` on one thread against an SCM with ``services``; RPCs take no time."""
    k = Kernel()
    k.profile = profile
    k.latency["rpc"] = (0, 0)
    if notify is not None:
        k.latency["notify"] = notify
    k.device("scm", lambda: ServiceControlManager(k, ScmConfig(services=services)))
    process = Process(k)
    sim = Sim(k, process.api, {"main": process.start("main", program)})
    sim.reason = k.run()
    return sim


def open_service(api: Api, name: str) -> Generator[Any, Any, int]:
    scm = yield from api.OpenSCManagerW(None, None, SC_MANAGER_CONNECT)
    svc: int = yield from api.OpenServiceW(scm, name, ACCESS)
    assert svc, name
    return svc


def notify_buffer(seen: list[tuple[Any, ...]], label: str) -> SERVICE_NOTIFY:
    """A SERVICE_NOTIFY whose callback records what Wine's notify_cb checks (F1.7)."""

    def callback(note: SERVICE_NOTIFY) -> None:
        seen.append(
            (
                label,
                note.dwNotificationStatus,
                note.ServiceStatus.dwCurrentState,
                note.dwNotificationTriggered,
            )
        )

    return SERVICE_NOTIFY(dwVersion=SERVICE_NOTIFY_STATUS_CHANGE, pfnNotifyCallback=callback)


def life(sim: Sim, request: int) -> list[tuple[Any, ...]]:
    """Every scm.* event of one request: (kind, what matters of its payload)."""
    shown: list[tuple[Any, ...]] = []
    for event in sim.events():
        if not event.kind.startswith("scm.") or event.payload.get("request") != request:
            continue
        p = event.payload
        if event.kind == "scm.register":
            shown.append((event.kind, p["bits"], p["state"]))
        elif event.kind == "scm.fire":
            shown.append((event.kind, p["code"], p["bits"], p["state"], p["immediate"]))
        elif event.kind == "scm.cancel":
            shown.append((event.kind, p["reason"]))
        elif event.kind == "scm.replace":
            shown.append((event.kind, p["by"]))
        else:
            shown.append((event.kind,))
    return shown


def routines(sim: Sim, kind: str) -> list[str]:
    return [str(e.payload["routine"]) for e in sim.events(kind)]


@pytest.mark.parametrize("start_pending", [0, 30 * MS])
def test_F1_8_notified_of_stopped_then_start_then_reregister_gets_running(
    start_pending: int,
) -> None:
    """F1.8 (Wine test_servicenotify): registered STOPPED|RUNNING on a stopped service, the
    handle is notified of STOPPED at once (F1.6); StartService; re-registering on the same
    handle succeeds and "the RUNNING notification arrives within SleepEx(100, TRUE)". The
    state changed after the handle was notified, so its flag of F1.12 no longer holds the
    request back: at once when the service is already RUNNING (no pending time), at RUNNING
    otherwise."""
    seen: list[tuple[Any, ...]] = []
    results: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        svc = yield from open_service(api, "Spooler")
        note = notify_buffer(seen, "cb")
        results.append((yield from api.NotifyServiceStatusChangeW(svc, BOTH, note)))
        results.append((yield from api.SleepEx(100, True)))
        results.append((yield from api.StartServiceW(svc, 0, None)))
        results.append((yield from api.NotifyServiceStatusChangeW(svc, BOTH, note)))
        results.append((yield from api.SleepEx(100, True)))
        results.append((yield from api.CloseServiceHandle(svc)))

    sim = go(main, {"Spooler": ServiceConfig(start_pending=start_pending)})
    assert results == [ERROR_SUCCESS, WAIT_IO_COMPLETION, 1, ERROR_SUCCESS, WAIT_IO_COMPLETION, 1]
    # notify_cb (F1.7): ERROR_SUCCESS, the current state, the single bit of that state.
    assert seen == [
        ("cb", ERROR_SUCCESS, SERVICE_STOPPED, SERVICE_NOTIFY_STOPPED),
        ("cb", ERROR_SUCCESS, SERVICE_RUNNING, SERVICE_NOTIFY_RUNNING),
    ]
    bits = "SERVICE_NOTIFY_STOPPED|SERVICE_NOTIFY_RUNNING"
    assert life(sim, 1) == [
        ("scm.register", bits, "SERVICE_STOPPED"),
        ("scm.fire", "ERROR_SUCCESS", "SERVICE_NOTIFY_STOPPED", "SERVICE_STOPPED", True),
        ("scm.deliver",),
    ]
    immediate = start_pending == 0
    registered_in = "SERVICE_RUNNING" if immediate else "SERVICE_START_PENDING"
    assert life(sim, 2) == [
        ("scm.register", bits, registered_in),
        ("scm.fire", "ERROR_SUCCESS", "SERVICE_NOTIFY_RUNNING", "SERVICE_RUNNING", immediate),
        ("scm.deliver",),
    ]
    fired = [e.time for e in sim.events("scm.fire")]
    assert fired == [0, start_pending]  # RPCs take no time here
    assert routines(sim, "apc.return") == ["callback", "callback"]


def test_a_request_that_fired_is_cancelled_by_a_close_before_its_apc_is_queued() -> None:
    """Seed 002: "After CloseServiceHandle succeeds, no more notification APCs will be
    queued." The request fires at once (the service is stopped), its result is on its way
    for the ``notify`` latency (10 ms), and the handle is closed meanwhile. No APC is ever queued,
    SleepEx sees nothing, the buffer is untouched, and the trace says the request was
    cancelled after it fired; nothing else ends it (F1.13; F1.14's aborted result reaches no
    program)."""
    seen: list[tuple[Any, ...]] = []
    results: list[Any] = []
    box: list[SERVICE_NOTIFY] = []

    def main(api: Api) -> Generator[Any, None, None]:
        svc = yield from open_service(api, "Spooler")
        note = notify_buffer(seen, "cb")
        box.append(note)
        results.append((yield from api.NotifyServiceStatusChangeW(svc, BOTH, note)))
        results.append((yield from api.CloseServiceHandle(svc)))  # at 0, before 10 ms
        results.append((yield from api.SleepEx(100, True)))

    sim = go(main, {"Spooler": ServiceConfig()}, notify=(10 * MS, 10 * MS))
    assert results == [ERROR_SUCCESS, 1, 0]
    assert seen == []
    assert box[0].peek("dwNotificationTriggered") == 0  # the result was never copied
    assert life(sim, 1) == [
        ("scm.register", "SERVICE_NOTIFY_STOPPED|SERVICE_NOTIFY_RUNNING", "SERVICE_STOPPED"),
        ("scm.fire", "ERROR_SUCCESS", "SERVICE_NOTIFY_STOPPED", "SERVICE_STOPPED", True),
        ("scm.cancel", "CloseServiceHandle after the SCM fired, before the APC was queued"),
    ]
    assert [e.time for e in sim.events("scm.cancel")] == [0]
    assert sim.events("apc.queue") == []
    assert sim.events("scm.deliver") == []


def test_a_close_after_the_apc_was_queued_cancels_nothing_and_the_callback_runs() -> None:
    """The other side of the same race: "no more notification APCs will be queued" concerns
    APCs not queued yet; one already queued (the latency elapsed before the close) still runs
    at the next alertable wait, and the request is not cancelled."""
    seen: list[tuple[Any, ...]] = []
    results: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        svc = yield from open_service(api, "Spooler")
        results.append(
            (yield from api.NotifyServiceStatusChangeW(svc, BOTH, notify_buffer(seen, "cb")))
        )
        results.append((yield from api.Sleep(20)))  # not alertable: the APC waits, queued
        results.append((yield from api.CloseServiceHandle(svc)))
        results.append((yield from api.SleepEx(100, True)))

    sim = go(main, {"Spooler": ServiceConfig()}, notify=(10 * MS, 10 * MS))
    assert results == [ERROR_SUCCESS, None, 1, WAIT_IO_COMPLETION]
    assert seen == [("cb", ERROR_SUCCESS, SERVICE_STOPPED, SERVICE_NOTIFY_STOPPED)]
    assert [kind for kind, *_ in life(sim, 1)] == ["scm.register", "scm.fire", "scm.deliver"]
    assert [e.time for e in sim.events("scm.deliver")] == [10 * MS]


def test_a_replaced_request_ends_exactly_once() -> None:
    """F1.9 (win8plus, the default): a second request on a handle with one outstanding
    replaces it; "the first one's does NOT" fire. The replaced request ends once, with
    scm.replace naming its successor: not again when the service later enters a state it asked
    for, not when the handle closes, not at the end of the run."""
    seen: list[tuple[Any, ...]] = []
    results: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        svc = yield from open_service(api, "Spooler")
        first = notify_buffer(seen, "first")
        second = notify_buffer(seen, "second")
        # Spooler runs: a request for STOPPED stays outstanding.
        results.append(
            (yield from api.NotifyServiceStatusChangeW(svc, SERVICE_NOTIFY_STOPPED, first))
        )
        results.append((yield from api.NotifyServiceStatusChangeW(svc, BOTH, second)))
        results.append((yield from api.SleepEx(100, True)))  # the second fires at once
        # Spooler stops: a state the replaced request asked for.
        results.append((yield from api.ControlService(svc, 1, SERVICE_STATUS())))
        results.append((yield from api.SleepEx(100, True)))
        results.append((yield from api.CloseServiceHandle(svc)))

    sim = go(main, {"Spooler": ServiceConfig(state=SERVICE_RUNNING)})
    assert results == [ERROR_SUCCESS, ERROR_SUCCESS, WAIT_IO_COMPLETION, 1, 0, 1]
    assert seen == [("second", ERROR_SUCCESS, SERVICE_RUNNING, SERVICE_NOTIFY_RUNNING)]
    assert life(sim, 1) == [
        ("scm.register", "SERVICE_NOTIFY_STOPPED", "SERVICE_RUNNING"),
        ("scm.replace", 2),
    ]
    endings = [e.kind for e in sim.events() if e.kind in ENDINGS]
    assert endings == ["scm.replace"]  # the second ended by its callback
    assert [kind for kind, *_ in life(sim, 2)] == ["scm.register", "scm.fire", "scm.deliver"]
    assert routines(sim, "apc.return") == ["callback"]


def test_a_request_replaced_under_a_notify_latency_ends_once_and_its_successor_is_cancelled() -> (
    None
):
    """The replaced request and the close race together: the first request (outstanding) is
    replaced by the second, which fires at once; its result is on its way when the handle
    closes. The first ends once (replaced), the second once (cancelled after it fired), and
    no APC is queued for either."""
    seen: list[tuple[Any, ...]] = []
    results: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        svc = yield from open_service(api, "Spooler")
        first = notify_buffer(seen, "first")
        second = notify_buffer(seen, "second")
        results.append(
            (yield from api.NotifyServiceStatusChangeW(svc, SERVICE_NOTIFY_STOPPED, first))
        )
        results.append((yield from api.NotifyServiceStatusChangeW(svc, BOTH, second)))
        results.append((yield from api.CloseServiceHandle(svc)))
        results.append((yield from api.SleepEx(100, True)))

    sim = go(main, {"Spooler": ServiceConfig(state=SERVICE_RUNNING)}, notify=(10 * MS, 10 * MS))
    assert results == [ERROR_SUCCESS, ERROR_SUCCESS, 1, 0]
    assert seen == []
    assert life(sim, 1) == [
        ("scm.register", "SERVICE_NOTIFY_STOPPED", "SERVICE_RUNNING"),
        ("scm.replace", 2),
    ]
    assert [kind for kind, *_ in life(sim, 2)] == ["scm.register", "scm.fire", "scm.cancel"]
    assert [e.kind for e in sim.events() if e.kind in ENDINGS] == ["scm.replace", "scm.cancel"]
    assert sim.events("apc.queue") == []


def test_a_request_that_fired_is_not_replaced_by_the_next_request_on_its_handle() -> None:
    """Only an outstanding request is replaced (F1.9): one that fired is on its way to its
    callback, which still runs; the next request on the handle is a new one, held back by
    the handle's flag (F1.12) until Spooler enters RUNNING. Each ends once, by its callback."""
    seen: list[tuple[Any, ...]] = []
    results: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        svc = yield from open_service(api, "Spooler")
        first = notify_buffer(seen, "first")
        second = notify_buffer(seen, "second")
        results.append((yield from api.NotifyServiceStatusChangeW(svc, BOTH, first)))  # fires
        results.append((yield from api.NotifyServiceStatusChangeW(svc, BOTH, second)))
        results.append((yield from api.SleepEx(100, True)))
        results.append((yield from api.StartServiceW(svc, 0, None)))
        results.append((yield from api.SleepEx(100, True)))
        results.append((yield from api.CloseServiceHandle(svc)))

    sim = go(main, {"Spooler": ServiceConfig()}, notify=(10 * MS, 10 * MS))
    assert results == [ERROR_SUCCESS, ERROR_SUCCESS, WAIT_IO_COMPLETION, 1, WAIT_IO_COMPLETION, 1]
    assert seen == [
        ("first", ERROR_SUCCESS, SERVICE_STOPPED, SERVICE_NOTIFY_STOPPED),
        ("second", ERROR_SUCCESS, SERVICE_RUNNING, SERVICE_NOTIFY_RUNNING),
    ]
    assert [kind for kind, *_ in life(sim, 1)] == ["scm.register", "scm.fire", "scm.deliver"]
    assert life(sim, 2)[1] == (
        "scm.fire",
        "ERROR_SUCCESS",
        "SERVICE_NOTIFY_RUNNING",
        "SERVICE_RUNNING",
        False,
    )
    assert [e.kind for e in sim.events() if e.kind in ENDINGS] == []
    assert routines(sim, "apc.return") == ["callback", "callback"]


def test_a_queued_callback_its_thread_never_ran_is_reported_once_by_the_kernel() -> None:
    """A request delivered as an APC to a thread that exits without an alertable wait: the
    kernel discards the APC and says so (apc.discard); the SCM does not report the request
    again as outstanding at the end — one ending per request."""
    seen: list[tuple[Any, ...]] = []

    def main(api: Api) -> Generator[Any, None, None]:
        svc = yield from open_service(api, "Spooler")
        assert (
            yield from api.NotifyServiceStatusChangeW(svc, BOTH, notify_buffer(seen, "cb"))
        ) == 0
        yield from api.Sleep(20)  # never alertable
        assert (yield from api.CloseServiceHandle(svc)) == 1

    sim = go(main, {"Spooler": ServiceConfig()})
    assert seen == []
    assert [kind for kind, *_ in life(sim, 1)] == ["scm.register", "scm.fire", "scm.deliver"]
    assert [e.kind for e in sim.events() if e.kind in ENDINGS] == []
    assert routines(sim, "apc.discard") == ["callback"]


def test_F1_4_the_callback_receives_the_service_notify_itself() -> None:
    """F1.4: the callback's argument is the SERVICE_NOTIFY pointer the program lent, through
    which it reaches pContext; F1.1: dwVersion SERVICE_NOTIFY_STATUS_CHANGE (2)."""
    got: list[Any] = []
    context = object()

    def callback(arg: Any) -> None:
        got.append((arg is note, arg.pContext is context))

    note = SERVICE_NOTIFY(dwVersion=2, pfnNotifyCallback=callback, pContext=context)

    def main(api: Api) -> Generator[Any, None, None]:
        svc = yield from open_service(api, "Spooler")
        assert (yield from api.NotifyServiceStatusChangeW(svc, SERVICE_NOTIFY_STOPPED, note)) == 0
        assert (yield from api.SleepEx(100, True)) == WAIT_IO_COMPLETION
        assert (yield from api.CloseServiceHandle(svc)) == 1

    go(main, {"Spooler": ServiceConfig()})
    assert SERVICE_NOTIFY_STATUS_CHANGE == 2
    assert got == [(True, True)]


@pytest.mark.parametrize("profile", ["win7", "win8plus"])
def test_F1_9_F1_10_a_second_request_on_a_handle_by_release(profile: str) -> None:
    """F1.9: a second registration on the same handle while one is outstanding fails with
    ERROR_ALREADY_REGISTERED on Windows 7 (as Wine's service manager does, F1.10), and then
    SleepEx(100, TRUE) returns 0 and neither callback fires; on Windows 8 and later it
    succeeds, the second callback fires and the first never does."""
    seen: list[tuple[Any, ...]] = []
    results: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        svc = yield from open_service(api, "Spooler")
        first, second = notify_buffer(seen, "first"), notify_buffer(seen, "second")
        results.append((yield from api.NotifyServiceStatusChangeW(svc, BOTH, first)))
        results.append((yield from api.SleepEx(100, True)))  # notified of RUNNING
        results.append((yield from api.NotifyServiceStatusChangeW(svc, BOTH, first)))  # held
        results.append((yield from api.NotifyServiceStatusChangeW(svc, BOTH, second)))
        results.append((yield from api.SleepEx(100, True)))
        results.append((yield from api.CloseServiceHandle(svc)))

    sim = go(main, {"Spooler": ServiceConfig(state=SERVICE_RUNNING)}, profile=profile)
    running = ERROR_SUCCESS, SERVICE_RUNNING, SERVICE_NOTIFY_RUNNING
    if profile == "win7":
        assert results == [0, WAIT_IO_COMPLETION, 0, 1242, 0, 1]  # ERROR_ALREADY_REGISTERED
        assert seen == [("first", *running)]
        assert [kind for kind, *_ in life(sim, 2)] == ["scm.register", "scm.cancel"]
    else:
        assert results == [0, WAIT_IO_COMPLETION, 0, 0, WAIT_IO_COMPLETION, 1]
        assert seen == [("first", *running), ("second", *running)]
        assert life(sim, 2) == [
            ("scm.register", "SERVICE_NOTIFY_STOPPED|SERVICE_NOTIFY_RUNNING", "SERVICE_RUNNING"),
            ("scm.replace", 3),
        ]


def test_F1_16_the_access_a_request_needs() -> None:
    """F1.16: a service handle needs SERVICE_QUERY_STATUS and an SCM handle
    SC_MANAGER_ENUMERATE_SERVICE, else ERROR_ACCESS_DENIED; an SCM handle may ask only for
    CREATED and DELETED (ERROR_INVALID_PARAMETER otherwise)."""
    results: list[Any] = []
    note = SERVICE_NOTIFY(dwVersion=2, pfnNotifyCallback=lambda n: None)

    def main(api: Api) -> Generator[Any, None, None]:
        connect = yield from api.OpenSCManagerW(None, None, SC_MANAGER_CONNECT)
        enumerate_ = yield from api.OpenSCManagerW(None, None, SC_MANAGER_ENUMERATE_SERVICE)
        start_only = yield from api.OpenServiceW(connect, "Spooler", SERVICE_START)
        notify = api.NotifyServiceStatusChangeW
        results.append((yield from notify(start_only, SERVICE_NOTIFY_STOPPED, note)))
        results.append((yield from notify(connect, SERVICE_NOTIFY_CREATED, note)))
        results.append((yield from notify(enumerate_, SERVICE_NOTIFY_STOPPED, note)))
        results.append((yield from notify(enumerate_, SERVICE_NOTIFY_CREATED, note)))
        for handle in (start_only, connect, enumerate_):
            yield from api.CloseServiceHandle(handle)

    go(main, {"Spooler": ServiceConfig()})
    assert results == [ERROR_ACCESS_DENIED, ERROR_ACCESS_DENIED, ERROR_INVALID_PARAMETER, 0]


def test_F1_20_one_request_one_notification_never_coalesced() -> None:
    """F1.20 and F1.8's "a new NotifyServiceStatusChange call is needed for each
    notification": a request for STOPPED|RUNNING fires once, at the first matching state
    (RUNNING), with that state alone; the stop that follows fires nothing until the program
    asks again, and the next request reports STOPPED."""
    seen: list[tuple[Any, ...]] = []
    results: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        svc = yield from open_service(api, "Spooler")
        note = notify_buffer(seen, "cb")
        yield from api.NotifyServiceStatusChangeW(svc, BOTH, note)
        yield from api.SleepEx(100, True)  # STOPPED, at once
        results.append((yield from api.NotifyServiceStatusChangeW(svc, BOTH, note)))
        results.append((yield from api.StartServiceW(svc, 0, None)))  # RUNNING at 5 ms
        results.append((yield from api.Sleep(10)))
        results.append((yield from api.ControlService(svc, 1, SERVICE_STATUS())))  # STOPPED
        results.append((yield from api.SleepEx(100, True)))  # only the RUNNING callback
        results.append((yield from api.SleepEx(100, True)))  # nothing more
        results.append((yield from api.NotifyServiceStatusChangeW(svc, BOTH, note)))
        results.append((yield from api.SleepEx(100, True)))
        results.append((yield from api.CloseServiceHandle(svc)))

    sim = go(main, {"Spooler": ServiceConfig(start_pending=5 * MS)})
    assert results == [0, 1, None, 1, WAIT_IO_COMPLETION, 0, 0, WAIT_IO_COMPLETION, 1]
    assert seen == [
        ("cb", ERROR_SUCCESS, SERVICE_STOPPED, SERVICE_NOTIFY_STOPPED),
        ("cb", ERROR_SUCCESS, SERVICE_RUNNING, SERVICE_NOTIFY_RUNNING),
        ("cb", ERROR_SUCCESS, SERVICE_STOPPED, SERVICE_NOTIFY_STOPPED),
    ]
    fired = [(e.payload["request"], e.payload["bits"]) for e in sim.events("scm.fire")]
    assert fired == [
        (1, "SERVICE_NOTIFY_STOPPED"),
        (2, "SERVICE_NOTIFY_RUNNING"),
        (3, "SERVICE_NOTIFY_STOPPED"),
    ]


# -- the delivery's batched system writes ----------------------------------------------------


def _writes_by_sys_set(struct: Any, fields: list[tuple[str, Any]]) -> None:
    for name, value in fields:
        struct.sys_set(name, value)


@pytest.mark.parametrize("ended", [False, True], ids=["alive", "ended"])
@pytest.mark.parametrize("bound", [True, False], ids=["bound", "unbound"])
def test_system_writes_stores_and_records_what_sys_set_would(bound: bool, ended: bool) -> None:
    # deliver copies ServiceStatus with system_writes: the values stored and the events
    # recorded (mem.write by the system, then mem.stale once the memory's lifetime ended, an
    # IntEnum value as its plain int) must be exactly those of one sys_set per field.
    running = ServiceState(SERVICE_RUNNING)  # an IntEnum member: recorded as its plain int
    fields = [("dwServiceType", 0x10), ("dwCurrentState", running), ("dwProcessId", 7)]
    recorded: list[list[Any]] = []
    stored: list[dict[str, Any]] = []
    for write in (_writes_by_sys_set, system_writes):
        k = Kernel()
        status = SERVICE_STATUS_PROCESS()
        if bound:
            status.bind(k, "note.ServiceStatus")
        if ended:
            status.end_lifetime("freed")
        start = len(k.trace.events)
        write(status, fields)
        recorded.append([e[1:] for e in k.trace.events[start:]])
        stored.append({name: status.peek(name) for name, _ in fields})
    assert recorded[0] == recorded[1]
    assert stored[0] == stored[1] == dict(fields)
    assert len(recorded[0]) == (len(fields) * (2 if ended else 1) if bound else 0)
    shown = [e[3][1] for e in recorded[1] if e[1] == "mem.write" and e[3][0] == "dwCurrentState"]
    assert [type(v) for v in shown] == ([int] if bound else [])
