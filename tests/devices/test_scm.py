"""The Service Control Manager device on its own: database, state machine, process ids,
handles in the ``sc`` namespace, deletion."""

from __future__ import annotations

from emu.codes.services import (
    SERVICE_ACCEPT_PAUSE_CONTINUE,
    SERVICE_ACCEPT_STOP,
    SERVICE_DISABLED,
    SERVICE_KERNEL_DRIVER,
    SERVICE_PAUSED,
    SERVICE_QUERY_STATUS,
    SERVICE_RUNNING,
    SERVICE_STOPPED,
    SERVICE_WIN32_SHARE_PROCESS,
)
from emu.devices.scm import (
    SC_HANDLE_BASE,
    SC_HANDLE_STEP,
    ScmConfig,
    ServiceConfig,
    ServiceControlManager,
    scm_of,
)
from emu.devices.scm_handles import ScmHandle, ServiceHandle
from emu.kernel import Kernel
from tests.support import Sim

MS = 10_000
STOP_PAUSE = SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_PAUSE_CONTINUE


def make(**services: ServiceConfig) -> tuple[Kernel, ServiceControlManager, Sim]:
    k = Kernel()
    scm = k.device("scm", lambda: ServiceControlManager(k, ScmConfig(services=services)))
    return k, scm, Sim(k, None)  # type: ignore[arg-type]


def history(sim: Sim, name: str) -> list[tuple[int, str]]:
    return [
        (e.time, str(e.payload["state"]).removeprefix("SERVICE_"))
        for e in sim.events("scm.service")
        if e.objects[0].startswith(name)
    ]


def test_declared_services_start_in_their_state_with_a_process_when_not_stopped() -> None:
    _k, scm, sim = make(
        Idle=ServiceConfig(),
        Web=ServiceConfig(state=SERVICE_RUNNING, accepts=STOP_PAUSE),
        Held=ServiceConfig(state=SERVICE_PAUSED, accepts=STOP_PAUSE),
    )
    idle, web, held = (scm.find(n) for n in ("idle", "WEB", "Held"))
    assert idle is not None and web is not None and held is not None
    # (type, state, accepted, exit code, specific, checkpoint, wait hint, pid, flags)
    assert idle.status() == (0x10, 1, 0, 0, 0, 0, 0, 0, 0)  # a stopped service accepts nothing
    assert web.status()[:7] == (0x10, 4, STOP_PAUSE, 0, 0, 0, 0) and web.pid != 0
    assert held.state == SERVICE_PAUSED and held.pid not in (0, web.pid)  # paused: still a process
    assert [e.payload["service"] for e in sim.events("scm.create")] == ["Idle", "Web", "Held"]
    assert scm.describe() == {
        "Idle": "SERVICE_STOPPED",
        "Web": "SERVICE_RUNNING",
        "Held": "SERVICE_PAUSED",
    }


def test_share_process_services_share_a_pid_and_drivers_have_none() -> None:
    share = SERVICE_WIN32_SHARE_PROCESS
    _k, scm, _sim = make(
        A=ServiceConfig(service_type=share, state=SERVICE_RUNNING),
        B=ServiceConfig(service_type=share, state=SERVICE_RUNNING),
        C=ServiceConfig(state=SERVICE_RUNNING),
        D=ServiceConfig(service_type=SERVICE_KERNEL_DRIVER, state=SERVICE_RUNNING),
    )
    a, b, c, d = (scm.services[n] for n in "abcd")
    assert a.pid == b.pid != 0 and c.pid not in (0, a.pid)
    assert d.pid == 0 and d.is_driver and not a.is_driver
    assert d.status()[7] == 0


def test_a_transition_is_pending_now_and_final_after_the_pending_time() -> None:
    k, scm, sim = make(S=ServiceConfig(start_pending=7 * MS, stop_pending=3 * MS))
    service = scm.services["s"]
    scm.start(service)
    assert service.state == 2 and service.pid != 0
    status = service.status()
    assert status[2] == 0 and status[5] == 1 and status[6] == 7  # no controls, checkpoint, ms
    k.run()
    assert service.state == SERVICE_RUNNING and k.now == 7 * MS
    scm.stop(service)
    k.run()
    assert service.state == SERVICE_STOPPED and service.pid == 0
    assert history(sim, "S") == [
        (0, "START_PENDING"),
        (7 * MS, "RUNNING"),
        (7 * MS, "STOP_PENDING"),
        (10 * MS, "STOPPED"),
    ]


def test_no_pending_time_reports_both_states_at_once() -> None:
    k, scm, sim = make(S=ServiceConfig(state=SERVICE_RUNNING, accepts=STOP_PAUSE))
    service = scm.services["s"]
    scm.pause(service)
    assert service.state == SERVICE_PAUSED
    scm.resume(service)
    assert service.state == SERVICE_RUNNING
    assert [s for _t, s in history(sim, "S")] == [
        "RUNNING",
        "PAUSE_PENDING",
        "PAUSED",
        "CONTINUE_PENDING",
        "RUNNING",
    ]
    assert k.now == 0


def test_a_crash_stops_at_once_and_cancels_the_pending_transition() -> None:
    k, scm, sim = make(S=ServiceConfig(start_pending=5 * MS))
    service = scm.services["s"]
    assert not scm.crash(service)  # a stopped service cannot crash
    scm.start(service)
    assert scm.crash(service)
    assert (service.state, service.exit_code, service.pid) == (1, 1067, 0)
    k.run()
    assert service.state == SERVICE_STOPPED  # the RUNNING that was due never came
    assert [s for _t, s in history(sim, "S")] == ["START_PENDING", "STOPPED"]
    scm.start(service)
    assert service.exit_code == 0  # a new start clears dwWin32ExitCode


def test_a_start_that_timed_out_is_stopped_with_request_timeout() -> None:
    k, scm, _sim = make(S=ServiceConfig(start_pending=5 * MS))
    service = scm.services["s"]
    scm.start(service)
    scm.start_timed_out(service)
    k.run()
    assert (service.state, service.exit_code, service.pid) == (1, 1053, 0)


def test_set_state_replaces_the_pending_transition() -> None:
    k, scm, _sim = make(S=ServiceConfig(start_pending=5 * MS))
    service = scm.services["s"]
    scm.start(service)
    scm.set_state(service, SERVICE_PAUSED)
    k.run()
    assert service.state == SERVICE_PAUSED and service.pid != 0


def test_handles_live_in_the_sc_namespace() -> None:
    _k, scm, _sim = make(S=ServiceConfig())
    first = scm.open_scm(0xF003F)
    svc = scm.open_service(scm.services["s"], SERVICE_QUERY_STATUS)
    assert (first, svc) == (SC_HANDLE_BASE, SC_HANDLE_BASE + SC_HANDLE_STEP)
    scm_entry, svc_entry = scm.handles.get(first), scm.handles.get(svc)
    assert scm_entry is not None and isinstance(scm_entry.obj, ScmHandle)
    assert svc_entry is not None and isinstance(svc_entry.obj, ServiceHandle)
    assert svc_entry.access == SERVICE_QUERY_STATUS and svc_entry.obj.service.name == "S"
    assert scm.scm_handles == [scm_entry.obj] and scm.services["s"].handles == [svc_entry.obj]
    assert scm.handles.get(4) is None  # a kernel handle value names nothing here
    scm.handles.remove(first)
    assert scm.scm_handles == []
    assert scm.open_scm(1) == first  # the freed slot is reused


def test_a_marked_service_goes_when_its_last_handle_closes_and_it_is_stopped() -> None:
    k, scm, sim = make(S=ServiceConfig(state=SERVICE_RUNNING, stop_pending=2 * MS))
    service = scm.services["s"]
    h1 = scm.open_service(service, 0)
    h2 = scm.open_service(service, 0)
    scm.mark_for_delete(service)
    marks = [e.payload["marked"] for e in sim.events("scm.service")]
    assert marks[-1] == ", marked for delete"
    scm.handles.remove(h1)
    scm.handles.remove(h2)
    assert scm.find("s") is service and sim.events("scm.delete") == []  # still running
    scm.stop(service)
    assert scm.find("s") is service  # STOP_PENDING
    k.run()
    assert scm.find("s") is None
    assert [(e.time, e.payload["service"]) for e in sim.events("scm.delete")] == [(2 * MS, "S")]
    scm.create("S", ServiceConfig())  # the name is free again
    assert scm.find("s") is not service


def test_a_stopped_service_nobody_holds_goes_at_once() -> None:
    _k, scm, sim = make(S=ServiceConfig())
    scm.mark_for_delete(scm.services["s"])
    assert scm.find("S") is None and len(sim.events("scm.delete")) == 1


def test_dependents_and_disabled() -> None:
    _k, scm, _sim = make(
        Base=ServiceConfig(state=SERVICE_RUNNING),
        Up=ServiceConfig(state=SERVICE_RUNNING, depends_on=("BASE",)),
        Down=ServiceConfig(depends_on=("Base",)),
        Off=ServiceConfig(start_type=SERVICE_DISABLED),
    )
    base = scm.services["base"]
    assert [s.name for s in scm.running_dependents(base)] == ["Up"]
    scm.crash(scm.services["up"])
    assert scm.running_dependents(base) == []
    assert scm.is_disabled(scm.services["off"]) and not scm.is_disabled(base)


def test_scm_of_gives_the_simulation_its_one_scm() -> None:
    k = Kernel()
    scm = scm_of(k)
    assert scm_of(k) is scm and scm.services == {} and scm.config.timeout == 30 * 1000 * MS
