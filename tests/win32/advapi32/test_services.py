"""What services do through the advapi32 functions: states, pending times, controls, crashes,
deletion, process ids, and the RPC every SCM call is (its latency, its alertable wait)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from emu.codes.access import THREAD_SET_CONTEXT
from emu.codes.services import (
    SC_MANAGER_ALL_ACCESS,
    SERVICE_ACCEPT_PAUSE_CONTINUE,
    SERVICE_ACCEPT_STOP,
    SERVICE_ALL_ACCESS,
    SERVICE_CONTROL_CONTINUE,
    SERVICE_CONTROL_INTERROGATE,
    SERVICE_CONTROL_PAUSE,
    SERVICE_CONTROL_STOP,
    SERVICE_DISABLED,
    SERVICE_FILE_SYSTEM_DRIVER,
    SERVICE_KERNEL_DRIVER,
    SERVICE_RUNNING,
    SERVICE_STOPPED,
    SERVICE_WIN32_OWN_PROCESS,
    SERVICE_WIN32_SHARE_PROCESS,
)
from emu.codes.winerror import ERROR_INVALID_HANDLE
from emu.devices.scm import (
    DEFAULT_TIMEOUT,
    ScmConfig,
    ServiceConfig,
    ServiceControlManager,
    scm_of,
)
from emu.kernel import Kernel
from emu.kernel.chooser import ChoicePoint, Chooser, RandomChooser
from emu.win32 import Api, Process
from emu.win32.advapi32.scbase import AT_RPC
from emu.win32.types import DWORD
from emu.win32.winsvc import SERVICE_NOTIFY, SERVICE_STATUS, SERVICE_STATUS_PROCESS
from tests.support import Sim

MS = 10_000  # ticks
STOP_PAUSE = SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_PAUSE_CONTINUE


def go(
    program: Callable[[Api], Any],
    services: dict[str, ServiceConfig],
    *,
    chooser: Chooser | None = None,
    timeout: int = DEFAULT_TIMEOUT,
    rpc: tuple[int, int] | None = None,
) -> Sim:
    """Run ``program`` on one thread against an SCM with ``services``."""
    k = Kernel(chooser=chooser)
    if rpc is not None:
        k.latency["rpc"] = rpc
    config = ScmConfig(services=services, timeout=timeout)
    k.device("scm", lambda: ServiceControlManager(k, config))
    process = Process(k)
    sim = Sim(k, process.api, {"main": process.start("main", program)})
    sim.reason = k.run()
    assert sim.violations() == []
    return sim


def open_all(api: Api, *names: str) -> Generator[Any, Any, list[int]]:
    scm = yield from api.OpenSCManagerW(None, None, SC_MANAGER_ALL_ACCESS)
    handles = []
    for name in names:
        handle = yield from api.OpenServiceW(scm, name, SERVICE_ALL_ACCESS)
        assert handle, name
        handles.append(handle)
    return handles


def query(api: Api, handle: int) -> Generator[Any, Any, tuple[int, ...]]:
    """(dwCurrentState, dwWin32ExitCode, dwProcessId, dwControlsAccepted, dwWaitHint)."""
    s = SERVICE_STATUS_PROCESS()
    assert (yield from api.QueryServiceStatusEx(handle, 0, s, 36, DWORD())) == 1
    return (s.dwCurrentState, s.dwWin32ExitCode, s.dwProcessId, s.dwControlsAccepted, s.dwWaitHint)


def states(sim: Sim, service: str) -> list[tuple[int, str]]:
    """(time, state) of every scm.service event of ``service``."""
    return [
        (e.time, str(e.payload["state"]).removeprefix("SERVICE_"))
        for e in sim.events("scm.service")
        if e.objects and e.objects[0].startswith(service)
    ]


def test_start_is_pending_then_running_after_the_start_pending_time() -> None:
    log: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        (svc,) = yield from open_all(api, "Spooler")
        assert (yield from api.StartServiceW(svc, 0, None)) == 1
        log.append((yield from query(api, svc)))
        yield from api.Sleep(50)
        log.append((yield from query(api, svc)))

    sim = go(main, {"Spooler": ServiceConfig(start_pending=30 * MS)})
    pending, running = log
    assert pending[0] == 2 and pending[2] != 0 and pending[3] == 0 and pending[4] == 30
    assert running[0] == 4 and running[2] == pending[2] and running[3] == SERVICE_ACCEPT_STOP
    (t0, a), (t1, b) = states(sim, "Spooler")
    assert (a, b) == ("START_PENDING", "RUNNING") and t1 - t0 == 30 * MS


def test_stop_is_pending_then_stopped_and_the_process_goes() -> None:
    log: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        (svc,) = yield from open_all(api, "Spooler")
        status = SERVICE_STATUS()
        assert (yield from api.ControlService(svc, SERVICE_CONTROL_STOP, status)) == 1
        log.append(status.dwCurrentState)
        yield from api.Sleep(30)
        log.append((yield from query(api, svc)))

    sim = go(main, {"Spooler": ServiceConfig(state=SERVICE_RUNNING, stop_pending=20 * MS)})
    assert log[0] == 3  # SERVICE_STOP_PENDING, in the status ControlService returned
    assert log[1][:3] == (1, 0, 0)  # STOPPED, exit code 0, no process
    (_, a), (t0, b), (t1, c) = states(sim, "Spooler")
    assert (a, b, c) == ("RUNNING", "STOP_PENDING", "STOPPED") and t1 - t0 == 20 * MS


Call = Callable[[Api, int, SERVICE_STATUS], Generator[Any, Any, int]]


def outcome(services: dict[str, ServiceConfig], call: Call, **kw: Any) -> tuple[int, ...]:
    """(result, last error, the status's dwCurrentState, ticks taken) of ``call(api, svc,
    status)`` on a fresh handle to service S."""
    out: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        (svc,) = yield from open_all(api, "S")
        status = SERVICE_STATUS(dwCurrentState=0xBAD)
        before = api.k.now
        out.append((yield from call(api, svc, status)))
        out.append(api.k.now - before)
        out.append((yield from api.GetLastError()))
        out.append(status.dwCurrentState)

    go(main, services, **kw)
    return out[0], out[2], out[3], out[1]


def ctl(code: int) -> Call:
    return lambda api, svc, status: api.ControlService(svc, code, status)


def start(api: Api, svc: int, _status: SERVICE_STATUS) -> Generator[Any, Any, int]:
    return (yield from api.StartServiceW(svc, 0, None))


def test_stopping_a_stopped_service_is_not_active_with_the_status_filled() -> None:
    # F1.19: ERROR_SERVICE_NOT_ACTIVE and dwCurrentState == SERVICE_STOPPED
    assert outcome({"S": ServiceConfig()}, ctl(SERVICE_CONTROL_STOP))[:3] == (0, 1062, 1)


def test_a_control_the_service_does_not_accept_is_an_invalid_control() -> None:
    running = ServiceConfig(state=SERVICE_RUNNING, accepts=SERVICE_ACCEPT_STOP)
    assert outcome({"S": running}, ctl(SERVICE_CONTROL_PAUSE))[:3] == (0, 1052, 4)
    no_stop = ServiceConfig(state=SERVICE_RUNNING, accepts=SERVICE_ACCEPT_PAUSE_CONTINUE)
    assert outcome({"S": no_stop}, ctl(SERVICE_CONTROL_STOP))[:3] == (0, 1052, 4)


def test_a_pending_service_cannot_accept_a_control() -> None:
    def start_then_stop(api: Api, svc: int, status: SERVICE_STATUS) -> Generator[Any, Any, int]:
        assert (yield from api.StartServiceW(svc, 0, None)) == 1
        return (yield from api.ControlService(svc, SERVICE_CONTROL_STOP, status))

    slow = ServiceConfig(start_pending=1000 * MS)
    assert outcome({"S": slow}, start_then_stop)[:3] == (0, 1061, 2)  # START_PENDING


def test_stopping_a_service_running_services_depend_on_fails() -> None:
    services = {
        "S": ServiceConfig(state=SERVICE_RUNNING),
        "Top": ServiceConfig(state=SERVICE_RUNNING, depends_on=("s",)),
    }
    assert outcome(services, ctl(SERVICE_CONTROL_STOP))[:2] == (0, 1051)
    services["Top"] = ServiceConfig(depends_on=("S",))  # stopped: no longer in the way
    assert outcome(services, ctl(SERVICE_CONTROL_STOP))[:3] == (1, 0, 1)  # no stop_pending


def test_an_unresponsive_service_times_out_after_the_scm_timeout() -> None:
    hung = {"S": ServiceConfig(state=SERVICE_RUNNING, unresponsive=True)}
    for code in (SERVICE_CONTROL_STOP, SERVICE_CONTROL_INTERROGATE):
        result, error, _state, took = outcome(hung, ctl(code), timeout=2_000 * MS)
        assert (result, error) == (0, 1053)
        assert 2_000 * MS <= took <= 2_000 * MS + 5_000  # the timeout and the RPC


def test_starting_an_unresponsive_service_times_out_and_leaves_it_stopped() -> None:
    def start_then_query(api: Api, svc: int, status: SERVICE_STATUS) -> Generator[Any, Any, int]:
        result = yield from api.StartServiceW(svc, 0, None)
        assert (yield from api.QueryServiceStatus(svc, status)) == 1
        assert (status.dwWin32ExitCode, status.dwControlsAccepted) == (1053, 0)
        return result

    result, error, state, took = outcome({"S": ServiceConfig(unresponsive=True)}, start_then_query)
    assert (result, error, state) == (0, 1053, 1)  # SERVICE_STOPPED
    assert 30 * 1000 * MS <= took <= 30 * 1000 * MS + 10_000  # the default timeout: 30 s


def test_start_service_disabled_and_already_running() -> None:
    disabled = ServiceConfig(start_type=SERVICE_DISABLED)
    assert outcome({"S": disabled}, start)[:2] == (0, 1058)
    assert outcome({"S": ServiceConfig(state=SERVICE_RUNNING)}, start)[:2] == (0, 1056)

    def twice(api: Api, svc: int, status: SERVICE_STATUS) -> Generator[Any, Any, int]:
        assert (yield from api.StartServiceW(svc, 0, None)) == 1
        return (yield from api.StartServiceW(svc, 0, None))

    slow = ServiceConfig(start_pending=10 * MS)
    assert outcome({"S": slow}, twice)[:2] == (0, 1056)  # START_PENDING counts as started


def test_a_crash_stops_the_service_with_process_aborted() -> None:
    log: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        (svc,) = yield from open_all(api, "S")
        log.append((yield from query(api, svc))[:2])
        scm = scm_of(api.k)
        assert scm.crash(scm.services["s"])
        assert not scm.crash(scm.services["s"])  # a stopped service cannot crash
        log.append((yield from query(api, svc))[:3])
        assert (yield from api.StartServiceW(svc, 0, None)) == 1  # it can be started again
        log.append((yield from query(api, svc))[:2])

    go(main, {"S": ServiceConfig(state=SERVICE_RUNNING)})
    assert log == [(4, 0), (1, 1067, 0), (4, 0)]  # a new start clears dwWin32ExitCode


def test_pause_and_continue_go_through_their_pending_states() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        (svc,) = yield from open_all(api, "S")
        status = SERVICE_STATUS()
        for code in (SERVICE_CONTROL_PAUSE, SERVICE_CONTROL_CONTINUE):
            assert (yield from api.ControlService(svc, code, status)) == 1
            log.append(status.dwCurrentState)
            yield from api.Sleep(20)
            log.append((yield from query(api, svc))[0])

    config = ServiceConfig(
        state=SERVICE_RUNNING, accepts=STOP_PAUSE, pause_pending=10 * MS, continue_pending=5 * MS
    )
    sim = go(main, {"S": config})
    assert log == [6, 7, 5, 4]  # PAUSE_PENDING, PAUSED, CONTINUE_PENDING, RUNNING
    times = [t for t, _s in states(sim, "S")][1:]
    assert [times[1] - times[0], times[3] - times[2]] == [10 * MS, 5 * MS]


def test_process_ids_shared_processes_share_one_and_drivers_have_none() -> None:
    pids: dict[str, int] = {}

    def main(api: Api) -> Generator[Any, None, None]:
        handles = yield from open_all(api, *names)
        for name, svc in zip(names, handles, strict=True):
            assert (yield from api.StartServiceW(svc, 0, None)) == 1
            pids[name] = (yield from query(api, svc))[2]

    share, own = SERVICE_WIN32_SHARE_PROCESS, SERVICE_WIN32_OWN_PROCESS
    services = {
        "Share1": ServiceConfig(service_type=share),
        "Share2": ServiceConfig(service_type=share),
        "Own1": ServiceConfig(service_type=own),
        "Own2": ServiceConfig(service_type=own),
        "Kernel": ServiceConfig(service_type=SERVICE_KERNEL_DRIVER),
        "Fs": ServiceConfig(service_type=SERVICE_FILE_SYSTEM_DRIVER),
    }
    names = list(services)
    go(main, services)
    assert pids["Share1"] == pids["Share2"] != 0
    assert len({pids["Share1"], pids["Own1"], pids["Own2"]}) == 3 and pids["Own1"] != 0
    assert pids["Kernel"] == pids["Fs"] == 0


def test_a_service_is_deleted_only_when_its_last_handle_closes() -> None:
    log: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        scm = yield from api.OpenSCManagerW(None, None, SC_MANAGER_ALL_ACCESS)
        a = yield from api.OpenServiceW(scm, "Old", SERVICE_ALL_ACCESS)
        b = yield from api.OpenServiceW(scm, "Old", SERVICE_ALL_ACCESS)
        assert (yield from api.DeleteService(a)) == 1
        assert (yield from api.CloseServiceHandle(a)) == 1
        log.append(int(scm_of(api.k).find("Old") is None))
        c = yield from api.OpenServiceW(scm, "Old", SERVICE_ALL_ACCESS)  # marked: still opens
        assert c
        # F1.18: marked for delete while handles remain; CreateService of the name fails.
        args = (scm, "Old", None, SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS, 3, 1, "x.exe")
        log.append((yield from api.CreateServiceW(*args)))
        log.append((yield from api.GetLastError()))
        assert (yield from api.CloseServiceHandle(b)) == 1
        log.append(int(scm_of(api.k).find("Old") is None))
        assert (yield from api.CloseServiceHandle(c)) == 1
        log.append(int(scm_of(api.k).find("Old") is None))
        log.append((yield from api.OpenServiceW(scm, "Old", SERVICE_ALL_ACCESS)))
        log.append((yield from api.GetLastError()))
        log.append(bool((yield from api.CreateServiceW(*args))))

    sim = go(main, {"Old": ServiceConfig()})
    assert log == [0, 0, 1072, 0, 1, 0, 1060, True]
    assert sim.events("scm.delete")[0].payload["service"] == "Old"


def test_a_running_service_marked_for_delete_goes_when_it_stops() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        (svc,) = yield from open_all(api, "S")
        assert (yield from api.DeleteService(svc)) == 1
        assert (yield from api.ControlService(svc, SERVICE_CONTROL_STOP, SERVICE_STATUS())) == 1
        assert (yield from api.CloseServiceHandle(svc)) == 1
        log.append(int(scm_of(api.k).find("S") is None))  # closed, but still STOP_PENDING
        yield from api.Sleep(20)
        log.append(int(scm_of(api.k).find("S") is None))

    sim = go(main, {"S": ServiceConfig(state=SERVICE_RUNNING, stop_pending=10 * MS)})
    assert log == [0, 1] and len(sim.events("scm.delete")) == 1


class Last(Chooser):
    """Always the last option at points whose label starts with ``prefix``; else option 0."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def pick(self, point: ChoicePoint) -> int:
        return len(point.options) - 1 if point.label.startswith(self.prefix) else 0


def timed_calls(chooser: Chooser | None, rpc: tuple[int, int]) -> dict[str, int]:
    """How long each SCM call of a typical session took."""
    took: dict[str, int] = {}

    def timed(api: Api, name: str, *args: Any) -> Generator[Any, Any, Any]:
        before = api.k.now
        result = yield from getattr(api, name)(*args)
        took[name] = api.k.now - before
        return result

    def main(api: Api) -> Generator[Any, None, None]:
        scm = yield from timed(api, "OpenSCManagerW", None, None, SC_MANAGER_ALL_ACCESS)
        svc = yield from timed(api, "OpenServiceW", scm, "S", SERVICE_ALL_ACCESS)
        assert (yield from timed(api, "StartServiceW", svc, 0, None)) == 1
        assert (yield from timed(api, "QueryServiceStatus", svc, SERVICE_STATUS())) == 1
        ssp = SERVICE_STATUS_PROCESS()
        assert (yield from timed(api, "QueryServiceStatusEx", svc, 0, ssp, 36, DWORD())) == 1
        assert (yield from timed(api, "ControlService", svc, 1, SERVICE_STATUS())) == 1
        buffer = SERVICE_NOTIFY(dwVersion=2, pfnNotifyCallback=lambda n: None)
        assert (yield from timed(api, "NotifyServiceStatusChangeW", svc, 0x8, buffer)) == 0
        assert (yield from timed(api, "DeleteService", svc)) == 1
        assert (yield from timed(api, "CloseServiceHandle", svc)) == 1

    go(main, {"S": ServiceConfig()}, chooser=chooser, rpc=rpc)
    assert len(took) == 9  # every SCM function
    return took


def test_every_scm_call_takes_virtual_time_within_the_rpc_latency() -> None:
    lo, hi = 2_000, 9_000
    assert set(timed_calls(None, (lo, hi)).values()) == {lo}  # canonical: the minimum
    assert set(timed_calls(Last("rpc@"), (lo, hi)).values()) == {hi}  # the maximum
    assert set(timed_calls(None, (700, 700)).values()) == {700}
    for seed in range(5):
        assert all(lo <= t <= hi for t in timed_calls(RandomChooser(seed), (lo, hi)).values())


def test_a_queued_apc_may_run_inside_the_rpc_of_an_scm_call() -> None:
    for alertable in (False, True):
        log: list[str] = []

        def apc(data: Any, log: list[str] = log) -> None:
            log.append(f"apc {data}")

        def main(api: Api, log: list[str] = log) -> Generator[Any, None, None]:
            (svc,) = yield from open_all(api, "S")
            me = yield from api.GetCurrentThread()
            assert (yield from api.QueueUserAPC(apc, me, 7)) == 1
            log.append("call")
            assert (yield from api.QueryServiceStatus(svc, SERVICE_STATUS())) == 1
            log.append("returned")
            log.append(f"SleepEx {(yield from api.SleepEx(0, True))}")

        chooser = Last("rpc-alertable") if alertable else None
        sim = go(main, {"S": ServiceConfig()}, chooser=chooser)
        events = sim.events("scm.rpc_apc")
        if alertable:
            assert log == ["call", "apc 7", "returned", "SleepEx 0"]
            assert [e.payload["api"] for e in events] == ["QueryServiceStatus"]
            assert events[0].payload["pending"] == 1
        else:
            assert log == ["call", "returned", "apc 7", "SleepEx 192"]  # WAIT_IO_COMPLETION
            assert events == []


def test_the_names_block_of_a_created_notification_is_freed_with_local_free_once() -> None:
    log: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        scm = yield from api.OpenSCManagerW(None, None, SC_MANAGER_ALL_ACCESS)
        note = SERVICE_NOTIFY(dwVersion=2, pfnNotifyCallback=lambda n: log.append("callback"))
        assert (yield from api.NotifyServiceStatusChangeW(scm, 0x80, note)) == 0  # CREATED
        args = (scm, "New", None, SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS, 3, 1, "x.exe")
        assert (yield from api.CreateServiceW(*args))
        log.append((yield from api.SleepEx(100, True)))
        block = note.pszServiceNames
        log.append((note.dwNotificationStatus, note.dwNotificationTriggered, block.names()))
        log.append((yield from api.LocalFree(block)))
        log.append((yield from api.LocalFree(block)) is block)  # twice: fails, returns it
        log.append((yield from api.GetLastError()))
        mine = SERVICE_STATUS()  # the program's own structure is no LocalAlloc block
        log.append((yield from api.LocalFree(mine)) is mine)
        log.append((yield from api.GetLastError()))
        log.append((yield from api.LocalFree(None)))

    sim = go(main, {})
    assert log == ["callback", 192, (0, 0x80, ["/New"]), 0, True, 6, True, 6, 0]  # NULL: success
    assert [e.payload["reason"] for e in sim.events("mem.end")] == ["freed with LocalFree"]


def two_threads(
    main: Callable[[Api], Any],
    other: Callable[[Api], Any],
    services: dict[str, ServiceConfig],
    *,
    chooser: Chooser | None = None,
    rpc: tuple[int, int] = (MS, MS),
) -> Sim:
    """Run ``main`` and ``other`` against an SCM with ``services``."""
    k = Kernel(chooser=chooser)
    k.latency["rpc"] = rpc
    k.device("scm", lambda: ServiceControlManager(k, ScmConfig(services=services)))
    process = Process(k)
    threads = {"main": process.start("main", main), "other": process.start("other", other)}
    sim = Sim(k, process.api, threads)
    sim.reason = k.run()
    return sim


def apc_during_the_call(
    call: str, services: dict[str, ServiceConfig], chooser: Chooser | None
) -> tuple[list[str], Sim]:
    """main makes an SCM call (its rpc latency is 3 ms); 1 ms into it, other queues an APC to
    main."""
    log: list[str] = []
    handles: list[int] = []

    def apc(data: Any) -> None:
        log.append(f"apc {data} at {api_now[0]()}")

    api_now: list[Callable[[], int]] = []

    def main(api: Api) -> Generator[Any, None, None]:
        api_now.append(lambda: api.k.now)
        (svc,) = yield from open_all(api, "S")
        me = yield from api.GetCurrentThreadId()
        handles.append((yield from api.OpenThread(THREAD_SET_CONTEXT, False, me)))
        start = api.k.now
        log.append("call")
        if call == "QueryServiceStatus":
            assert (yield from api.QueryServiceStatus(svc, SERVICE_STATUS())) == 1
        else:
            assert (yield from api.StartServiceW(svc, 0, None)) == 0  # unresponsive: times out
        log.append(f"returned after {api.k.now - start}")
        log.append(f"SleepEx {(yield from api.SleepEx(0, True))}")

    def other(api: Api) -> Generator[Any, None, None]:
        while not handles:  # main opens its handles: two calls of 3 ms each
            yield from api.Sleep(1)
        yield from api.Sleep(1)  # main is 1 ms into its 3-ms call by now
        assert (yield from api.QueueUserAPC(apc, handles[0], 7)) == 1

    sim = two_threads(main, other, services, chooser=chooser, rpc=(3 * MS, 3 * MS))
    return log, sim


def test_an_apc_queued_during_the_rpc_runs_inside_the_call_if_its_wait_is_alertable() -> None:
    # "these functions might perform an alertable wait operation" (NotifyServiceStatusChange,
    # MS doc, Remarks): an APC queued while the call waits wakes it if the chooser makes the
    # wait alertable; the APC runs inside the call, which still takes its whole latency.
    log, sim = apc_during_the_call("QueryServiceStatus", {"S": ServiceConfig()}, None)
    assert log[0] == "call"
    assert log[1].startswith("returned after 30000")
    assert log[2].startswith("apc 7")  # option 0: not alertable; the next alertable wait runs it
    assert log[3] == "SleepEx 192"
    assert sim.events("scm.rpc_apc") == []
    log, sim = apc_during_the_call(
        "QueryServiceStatus", {"S": ServiceConfig()}, Last("rpc-alertable")
    )
    assert [entry.split(" at ")[0] for entry in log] == [
        "call",
        "apc 7",
        "returned after 30000",
        "SleepEx 0",
    ]
    (rpc_apc,) = sim.events("scm.rpc_apc")
    assert rpc_apc.payload["api"] == "QueryServiceStatus"
    (deliver,) = sim.events("apc.deliver")
    assert deliver.payload["at"] == AT_RPC
    assert deliver.seq > rpc_apc.seq


def test_the_rpc_wait_decides_only_when_an_apc_comes() -> None:
    # No APC queued before or during a call: no rpc-alertable choice at all (the decision is
    # made the first time it matters, so schedules without APCs are unchanged).
    def main(api: Api) -> Generator[Any, None, None]:
        (svc,) = yield from open_all(api, "S")
        assert (yield from api.QueryServiceStatus(svc, SERVICE_STATUS())) == 1

    sim = go(main, {"S": ServiceConfig()}, chooser=Last("rpc-alertable"))
    labels = [e.payload["label"] for e in sim.events("choice")]
    assert not any(str(label).startswith("rpc-alertable") for label in labels)


def test_an_unresponsive_services_timeout_is_part_of_the_same_rpc_wait() -> None:
    # StartService on a service that never reports waits the SCM's timeout inside the call:
    # an APC queued then runs inside it when the call's wait is alertable.
    services = {"S": ServiceConfig(unresponsive=True)}
    log, _sim = apc_during_the_call("StartServiceW", services, Last("rpc-alertable"))
    assert [entry.split(" at ")[0] for entry in log][:2] == ["call", "apc 7"]
    assert log[2] == f"returned after {3 * MS + DEFAULT_TIMEOUT}"


class SlowCalls(Chooser):
    """Every SCM call's RPC takes the longest latency, but CloseServiceHandle's the shortest."""

    def pick(self, point: ChoicePoint) -> int:
        if point.label.startswith("rpc@") and point.label != "rpc@CloseServiceHandle":
            return len(point.options) - 1
        return 0


def test_a_handle_closed_by_another_thread_during_the_rpc_fails_the_call() -> None:
    # Each call looks its SC_HANDLE up again when its RPC returns: a handle another thread
    # closed meanwhile names nothing any more (ERROR_INVALID_HANDLE, returned by
    # NotifyServiceStatusChange, the last error of the others), and nothing is registered,
    # deleted or opened. (StartService and ControlService: the next test.)
    log: list[Any] = []
    shared: dict[str, int] = {}

    def main(api: Api) -> Generator[Any, None, None]:
        scm = yield from api.OpenSCManagerW(None, None, SC_MANAGER_ALL_ACCESS)
        for index in range(4):
            handle = scm if index == 3 else (yield from api.OpenServiceW(scm, "S", 0xF01FF))
            shared["handle"] = handle
            while "started" not in shared:  # other's call on the handle has begun
                yield from api.Sleep(1)
            del shared["started"]
            closed = yield from api.CloseServiceHandle(handle)  # 1 ms, inside other's 10 ms
            log.append(("main", closed, (yield from api.GetLastError())))

    def callback(note: Any) -> None:
        log.append("callback")

    def other(api: Api) -> Generator[Any, None, None]:
        note = SERVICE_NOTIFY(dwVersion=2, pfnNotifyCallback=callback)
        calls: list[Callable[[int], Any]] = [
            lambda h: api.NotifyServiceStatusChangeW(h, 0x1, note),
            api.DeleteService,
            api.CloseServiceHandle,
            lambda h: api.OpenServiceW(h, "S", SERVICE_ALL_ACCESS),
        ]
        for make in calls:
            while "handle" not in shared:
                yield from api.Sleep(1)
            handle = shared.pop("handle")
            shared["started"] = 1
            result = yield from make(handle)
            log.append((result, (yield from api.GetLastError())))

    sim = two_threads(main, other, {"S": ServiceConfig()}, chooser=SlowCalls(), rpc=(MS, 10 * MS))
    assert log == [
        ("main", 1, 0),
        (ERROR_INVALID_HANDLE, 0),  # NotifyServiceStatusChange returns the code
        ("main", 1, 0),
        (0, ERROR_INVALID_HANDLE),  # DeleteService sets it as the last error
        # Two closes of one handle, other's first (both RPCs take 1 ms): main's fails.
        (1, ERROR_INVALID_HANDLE),  # (the last error DeleteService left)
        ("main", 0, ERROR_INVALID_HANDLE),
        ("main", 1, ERROR_INVALID_HANDLE),
        (0, ERROR_INVALID_HANDLE),  # OpenService on an SCM handle closed meanwhile
    ]
    assert sim.events("scm.register") == []
    assert sim.events("scm.service") == []
    assert len(sim.events("handle.open")) == 4  # the SCM handle and three service handles


def test_start_and_control_on_a_handle_closed_during_the_rpc_fail_and_change_nothing() -> None:
    # StartService and ControlService look their handle up again when the RPC returns, as the
    # other SCM calls do: a handle another thread closed meanwhile is ERROR_INVALID_HANDLE (the
    # last error), the stopped service is not started, the running one not stopped, and
    # lpServiceStatus is not written.
    log: list[Any] = []
    shared: dict[str, int] = {}
    status = SERVICE_STATUS()

    def main(api: Api) -> Generator[Any, None, None]:
        scm = yield from api.OpenSCManagerW(None, None, SC_MANAGER_ALL_ACCESS)
        for name in ("Stopped", "Running"):
            handle = yield from api.OpenServiceW(scm, name, SERVICE_ALL_ACCESS)
            shared["handle"] = handle
            while "started" not in shared:  # other's call on the handle has begun
                yield from api.Sleep(1)
            del shared["started"]
            log.append(("main", (yield from api.CloseServiceHandle(handle))))  # inside it
        log.append(("states", (yield from states(api, scm))))

    def states(api: Api, scm: int) -> Generator[Any, Any, list[int]]:
        found = []
        for name in ("Stopped", "Running"):
            handle = yield from api.OpenServiceW(scm, name, SERVICE_ALL_ACCESS)
            found.append((yield from query(api, handle))[0])
        return found

    def other(api: Api) -> Generator[Any, None, None]:
        calls: list[Callable[[int], Any]] = [
            lambda h: api.StartServiceW(h, 0, None),
            lambda h: api.ControlService(h, SERVICE_CONTROL_STOP, status),
        ]
        for make in calls:
            while "handle" not in shared:
                yield from api.Sleep(1)
            handle = shared.pop("handle")
            shared["started"] = 1
            result = yield from make(handle)
            log.append((result, (yield from api.GetLastError())))

    services = {
        "Stopped": ServiceConfig(),
        "Running": ServiceConfig(state=SERVICE_RUNNING),
    }
    sim = two_threads(main, other, services, chooser=SlowCalls(), rpc=(MS, 10 * MS))
    assert log == [
        ("main", 1),
        (0, ERROR_INVALID_HANDLE),  # StartService
        ("main", 1),
        (0, ERROR_INVALID_HANDLE),  # ControlService
        ("states", [SERVICE_STOPPED, SERVICE_RUNNING]),
    ]
    assert [e.payload["state"] for e in sim.events("scm.service")] == ["SERVICE_RUNNING"]
    assert status.peek("dwCurrentState") == 0  # never written
    calls = [e.payload for e in sim.events("api") if e.payload["name"] != "Sleep"]
    failed = [c["name"] for c in calls if c["error"] == ERROR_INVALID_HANDLE]
    assert failed == ["StartServiceW", "ControlService"]


def test_a_service_notify_is_bound_once_and_a_fresh_service_status_in_it_is_bound_then() -> None:
    # Each NotifyServiceStatusChange binds its buffer: bound already, binding records nothing;
    # a SERVICE_STATUS_PROCESS the program put into it since is bound then, under the
    # buffer's name, so the system's writes to it are traced.
    k = Kernel()
    note = SERVICE_NOTIFY(dwVersion=2)
    oid = note.bind(k, "note")
    start = len(k.trace.events)
    assert note.bind(k) == oid
    assert len(k.trace.events) == start
    fresh = SERVICE_STATUS_PROCESS()
    note.ServiceStatus = fresh
    assert note.bind(k) == oid
    created = [e[4] for e in k.trace.events[start:] if e[2] == "obj.create"]
    assert created == [("SERVICE_STATUS_PROCESS", "note.ServiceStatus")]
    assert fresh.oid != 0
