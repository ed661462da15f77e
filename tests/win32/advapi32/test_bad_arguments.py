"""Bad arguments of every SCM function give the documented code, with its real value.

Each case runs on a fresh simulation: a program opens the handles the case needs (``ctx``), sets
the last error to a sentinel, makes the call and reads the last error back. A BOOL or SC_HANDLE
function must fail (0) and set the expected code; NotifyServiceStatusChange returns its code and
leaves the last error alone. The codes are written as numbers on purpose: they are the values
real Windows gives (winerror.h), not whatever the constants say.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest

from emu.codes.access import DELETE
from emu.codes.services import (
    SC_MANAGER_ALL_ACCESS,
    SC_MANAGER_CONNECT,
    SC_MANAGER_CREATE_SERVICE,
    SERVICE_ALL_ACCESS,
    SERVICE_AUTO_START,
    SERVICE_BOOT_START,
    SERVICE_CONTROL_INTERROGATE,
    SERVICE_CONTROL_PAUSE,
    SERVICE_CONTROL_STOP,
    SERVICE_DEMAND_START,
    SERVICE_DISABLED,
    SERVICE_FILE_SYSTEM_DRIVER,
    SERVICE_INTERACTIVE_PROCESS,
    SERVICE_INTERROGATE,
    SERVICE_KERNEL_DRIVER,
    SERVICE_NOTIFY_CREATED,
    SERVICE_NOTIFY_RUNNING,
    SERVICE_NOTIFY_STATUS_CHANGE_1,
    SERVICE_NOTIFY_STOPPED,
    SERVICE_PAUSE_CONTINUE,
    SERVICE_QUERY_STATUS,
    SERVICE_RUNNING,
    SERVICE_START,
    SERVICE_STOP,
    SERVICE_SYSTEM_START,
    SERVICE_WIN32_OWN_PROCESS,
    SERVICE_WIN32_SHARE_PROCESS,
)
from emu.devices.scm import ScmConfig, ServiceConfig, ServiceControlManager
from emu.kernel import Kernel
from emu.win32 import Api, Process
from emu.win32.types import DWORD
from emu.win32.winsvc import SERVICE_NOTIFY, SERVICE_STATUS, SERVICE_STATUS_PROCESS
from tests.support import Sim

SENTINEL = 0xDEADBEEF
Ctx = dict[str, Any]


def services() -> dict[str, ServiceConfig]:
    return {
        "Spooler": ServiceConfig(display_name="Print Spooler"),
        "Running": ServiceConfig(state=SERVICE_RUNNING),
        "Beep": ServiceConfig(service_type=SERVICE_KERNEL_DRIVER),
        "Doomed": ServiceConfig(),
    }


def scm_sim(programs: dict[str, Callable[[Api], Any]], *, impersonating: bool = False) -> Sim:
    k = Kernel()
    process = Process(k)
    sim = Sim(k, process.api)
    k.device("scm", lambda: ServiceControlManager(k, ScmConfig(services=services())))
    for name, program in programs.items():
        sim.threads[name] = process.start(name, program, impersonating=impersonating)
    return sim


def callback(_notify: Any) -> None:
    pass


def notify(version: int = 2, pfn: Any = callback) -> SERVICE_NOTIFY:
    return SERVICE_NOTIFY(dwVersion=version, pfnNotifyCallback=pfn)


ALL = SERVICE_ALL_ACCESS
OPENS = [  # (ctx key, service, access): a service handle each case may need
    ("svc", "Spooler", ALL),
    ("running", "Running", ALL),
    *((f"svc-{r}", "Spooler", ALL & ~r) for r in (SERVICE_QUERY_STATUS, SERVICE_START, DELETE)),
    *((f"running-{r}", "Running", ALL & ~r) for r in (SERVICE_STOP, SERVICE_PAUSE_CONTINUE)),
    ("running-interrogate", "Running", ALL & ~SERVICE_INTERROGATE),
    ("driver", "Beep", ALL),
    ("marked", "Doomed", ALL),
]


def setup(api: Api) -> Generator[Any, Any, Ctx]:
    """Every handle a case may need; the closed ones last, so their slots stay free."""
    c: Ctx = {}
    c["scm"] = yield from api.OpenSCManagerW(None, None, SC_MANAGER_ALL_ACCESS)
    c["scm_connect"] = yield from api.OpenSCManagerW(None, None, SC_MANAGER_CONNECT)
    for key, service, access in OPENS:
        c[key] = yield from api.OpenServiceW(c["scm"], service, access)
    assert (yield from api.DeleteService(c["marked"])) == 1
    c["event"] = yield from api.CreateEventW(None, True, False, None)
    c["closed_scm"] = yield from api.OpenSCManagerW(None, None, SC_MANAGER_ALL_ACCESS)
    c["closed_svc"] = yield from api.OpenServiceW(c["scm"], "Spooler", ALL)
    assert (yield from api.CloseServiceHandle(c["closed_scm"])) == 1
    assert (yield from api.CloseServiceHandle(c["closed_svc"])) == 1
    assert all(v for v in c.values()), c
    return c


def attempt(
    api_name: str, make_args: Callable[[Ctx], tuple[Any, ...]], *, impersonating: bool = False
) -> tuple[Any, int]:
    """Run the call on a fresh simulation: (its result, the last error after it)."""
    out: dict[str, Any] = {}

    def main(api: Api) -> Generator[Any, None, None]:
        ctx = yield from setup(api)
        args = make_args(ctx)
        yield from api.SetLastError(SENTINEL)
        out["result"] = yield from getattr(api, api_name)(*args)
        out["error"] = yield from api.GetLastError()

    sim = scm_sim({"main": main}, impersonating=impersonating)
    sim.k.run()
    assert sim.violations() == []
    return out["result"], int(out["error"])


Args = Callable[[Ctx], tuple[Any, ...]]
Case = tuple[str, str, Args, int]  # (id, function, arguments, the last error it must fail with)


def bad_handles(api: str, rest: Args, wrong: str) -> list[Case]:
    """NULL, garbage, a string, a kernel handle, the other SC_HANDLE kind, a closed one: 6."""
    values: dict[str, Callable[[Ctx], Any]] = {
        "null": lambda c: None,
        "zero": lambda c: 0,
        "garbage": lambda c: 0xDEAD,
        "string": lambda c: "Spooler",
        "kernel-handle": lambda c: c["event"],
        "other-kind": lambda c: c[wrong],
        "closed": lambda c: c["closed_svc" if wrong == "scm" else "closed_scm"],
    }

    def with_handle(h: Callable[[Ctx], Any]) -> Args:
        return lambda c: (h(c), *rest(c))

    return [(f"{api}-{k}", api, with_handle(h), 6) for k, h in values.items()]


def st() -> SERVICE_STATUS:
    return SERVICE_STATUS()


def ssp() -> SERVICE_STATUS_PROCESS:
    return SERVICE_STATUS_PROCESS()


OWN = SERVICE_WIN32_OWN_PROCESS
QS = SERVICE_QUERY_STATUS


def create(name: Any = "NewSvc", **kw: Any) -> Args:
    """CreateServiceW's arguments with some replaced; the SCM handle is ``kw['h']`` (a key)."""

    def build(c: Ctx) -> tuple[Any, ...]:
        return (
            *(c[kw.get("h", "scm")], name, kw.get("display"), kw.get("access", ALL)),
            *(kw.get("kind", OWN), kw.get("start", SERVICE_DEMAND_START), kw.get("ctl", 1)),
            *(kw.get("path", "C:\\svc.exe"), None, None, kw.get("deps")),
        )

    return build


def control(handle: str, code: Any = SERVICE_CONTROL_STOP) -> Args:
    return lambda c: (c[handle], code, st())


def qex(handle: str | None, level: Any, buffer: Any, size: Any, needed: Any) -> Args:
    return lambda c: (c[handle] if handle else None, level, buffer, size, needed)


CASES: list[Case] = [
    # -- OpenSCManagerW ---------------------------------------------------------------------
    ("scm-remote", "OpenSCManagerW", lambda c: ("\\\\FARAWAY", None, 1), 1722),
    ("scm-remote-bare", "OpenSCManagerW", lambda c: ("DOESNOTEXIST", None, 1), 1722),
    ("scm-machine-int", "OpenSCManagerW", lambda c: (5, None, 1), 1722),
    ("scm-bad-db", "OpenSCManagerW", lambda c: (None, "DoesNotExist", 1), 123),
    ("scm-db-int", "OpenSCManagerW", lambda c: (None, 7, 1), 123),
    ("scm-failed-db", "OpenSCManagerW", lambda c: (None, "ServicesFailed", 1), 1065),
    ("scm-access-str", "OpenSCManagerW", lambda c: (None, None, "all"), 87),
    ("scm-a-remote", "OpenSCManagerA", lambda c: ("\\\\FARAWAY", None, 1), 1722),
    # -- OpenServiceW -----------------------------------------------------------------------
    *bad_handles("OpenServiceW", lambda c: ("Spooler", ALL), "svc"),
    ("open-null-name", "OpenServiceW", lambda c: (c["scm"], None, 1), 487),
    ("open-empty-name", "OpenServiceW", lambda c: (c["scm"], "", 1), 123),
    ("open-slash", "OpenServiceW", lambda c: (c["scm"], "Spo/oler", 1), 123),
    ("open-backslash", "OpenServiceW", lambda c: (c["scm"], "Spo\\oler", 1), 123),
    ("open-too-long", "OpenServiceW", lambda c: (c["scm"], "s" * 257, 1), 123),
    ("open-name-int", "OpenServiceW", lambda c: (c["scm"], 42, 1), 123),
    ("open-access-str", "OpenServiceW", lambda c: (c["scm"], "Spooler", "x"), 87),
    ("open-unknown", "OpenServiceW", lambda c: (c["scm"], "NoSuch", 1), 1060),
    ("open-max-len", "OpenServiceW", lambda c: (c["scm"], "s" * 256, 1), 1060),
    ("open-display-name", "OpenServiceW", lambda c: (c["scm"], "Print Spooler", 1), 1060),
    ("open-a-null-name", "OpenServiceA", lambda c: (c["scm"], None, 1), 487),
    # -- CreateServiceW ---------------------------------------------------------------------
    *bad_handles("CreateServiceW", lambda c: create()(c)[1:], "svc"),
    ("create-null-name", "CreateServiceW", create(None), 487),
    ("create-null-path", "CreateServiceW", create(path=None), 487),
    ("create-connect-only", "CreateServiceW", create(h="scm_connect"), 5),
    ("create-empty-no-right", "CreateServiceW", create("", h="scm_connect"), 5),
    ("create-empty-name", "CreateServiceW", create(""), 123),
    ("create-slash", "CreateServiceW", create("a/b"), 123),
    ("create-backslash", "CreateServiceW", create("a\\b"), 123),
    ("create-too-long", "CreateServiceW", create("n" * 257), 123),
    ("create-empty-path", "CreateServiceW", create(path=""), 87),
    ("create-empty-both", "CreateServiceW", create("", path=""), 123),
    ("create-access-str", "CreateServiceW", create(access="all"), 87),
    ("create-type-str", "CreateServiceW", create(kind="own"), 87),
    ("create-start-str", "CreateServiceW", create(start="auto"), 87),
    ("create-own-share", "CreateServiceW", create(kind=OWN | SERVICE_WIN32_SHARE_PROCESS), 87),
    (
        "create-driver-interactive",
        "CreateServiceW",
        create(kind=SERVICE_FILE_SYSTEM_DRIVER | SERVICE_INTERACTIVE_PROCESS),
        87,
    ),
    ("create-win32-boot", "CreateServiceW", create(start=SERVICE_BOOT_START), 87),
    ("create-win32-system", "CreateServiceW", create(start=SERVICE_SYSTEM_START), 87),
    ("create-auto-or-disabled", "CreateServiceW", create(start=SERVICE_AUTO_START | 4), 87),
    (
        "create-kernel-and-fs",
        "CreateServiceW",
        create(kind=SERVICE_KERNEL_DRIVER | SERVICE_FILE_SYSTEM_DRIVER, start=SERVICE_BOOT_START),
        87,
    ),
    ("create-type-zero", "CreateServiceW", create(kind=0), 87),
    ("create-error-control", "CreateServiceW", create(ctl=4), 87),
    ("create-display-int", "CreateServiceW", create(display=5), 87),
    ("create-deps-int", "CreateServiceW", create(deps=5), 87),
    ("create-exists", "CreateServiceW", create("Spooler"), 1073),
    ("create-exists-case", "CreateServiceW", create("SPOOLER"), 1073),
    ("create-display-is-a-name", "CreateServiceW", create(display="spooler"), 1078),
    ("create-display-taken", "CreateServiceW", create(display="Print Spooler"), 1078),
    ("create-marked", "CreateServiceW", create("Doomed"), 1072),
    ("create-a-exists", "CreateServiceA", create("Spooler"), 1073),
    # -- DeleteService ----------------------------------------------------------------------
    *bad_handles("DeleteService", lambda c: (), "scm"),
    ("delete-no-right", "DeleteService", lambda c: (c[f"svc-{DELETE}"],), 5),
    ("delete-twice", "DeleteService", lambda c: (c["marked"],), 1072),
    # -- StartServiceW ----------------------------------------------------------------------
    *bad_handles("StartServiceW", lambda c: (0, None), "scm"),
    ("start-count-str", "StartServiceW", lambda c: (c["svc"], "0", None), 87),
    ("start-no-right", "StartServiceW", lambda c: (c[f"svc-{SERVICE_START}"], 0, None), 5),
    ("start-marked", "StartServiceW", lambda c: (c["marked"], 0, None), 1072),
    ("start-running", "StartServiceW", lambda c: (c["running"], 0, None), 1056),
    ("start-a-null", "StartServiceA", lambda c: (None, 0, None), 6),
    # -- ControlService ---------------------------------------------------------------------
    *bad_handles("ControlService", lambda c: (SERVICE_CONTROL_STOP, st()), "scm"),
    ("control-code-str", "ControlService", control("svc", "stop"), 87),
    ("control-code-zero", "ControlService", control("svc", 0), 87),
    ("control-code-11", "ControlService", control("svc", 11), 87),
    ("control-code-first", "ControlService", lambda c: (None, 0, st()), 87),
    ("control-null-status", "ControlService", lambda c: (c["running"], 1, None), 487),
    ("control-wrong-struct", "ControlService", lambda c: (c["running"], 1, DWORD()), 87),
    ("control-stop-no-right", "ControlService", control(f"running-{SERVICE_STOP}"), 5),
    (
        "control-pause-no-right",
        "ControlService",
        control(f"running-{SERVICE_PAUSE_CONTINUE}", SERVICE_CONTROL_PAUSE),
        5,
    ),
    (
        "control-interrogate-no-right",
        "ControlService",
        control("running-interrogate", SERVICE_CONTROL_INTERROGATE),
        5,
    ),
    ("control-stopped", "ControlService", control("svc"), 1062),
    # -- QueryServiceStatus -----------------------------------------------------------------
    *bad_handles("QueryServiceStatus", lambda c: (st(),), "scm"),
    ("query-null-status", "QueryServiceStatus", lambda c: (c["svc"], None), 487),
    ("query-wrong-struct", "QueryServiceStatus", lambda c: (c["svc"], DWORD()), 87),
    ("query-no-right", "QueryServiceStatus", lambda c: (c[f"svc-{QS}"], st()), 5),
    # -- QueryServiceStatusEx: level, then size, then handle, then access --------------------
    *bad_handles("QueryServiceStatusEx", lambda c: (0, ssp(), 36, DWORD()), "scm"),
    ("qex-level-first", "QueryServiceStatusEx", qex(None, 1, None, 0, None), 124),
    ("qex-size-second", "QueryServiceStatusEx", qex(None, 0, None, 0, DWORD()), 122),
    ("qex-small-buffer", "QueryServiceStatusEx", qex("svc", 0, ssp(), 35, DWORD()), 122),
    ("qex-small-no-needed", "QueryServiceStatusEx", qex("svc", 0, ssp(), 0, None), 487),
    ("qex-null-needed", "QueryServiceStatusEx", qex("svc", 0, ssp(), 36, None), 487),
    ("qex-null-buffer", "QueryServiceStatusEx", qex("svc", 0, None, 36, DWORD()), 487),
    ("qex-wrong-struct", "QueryServiceStatusEx", qex("svc", 0, st(), 36, DWORD()), 87),
    ("qex-needed-wrong-type", "QueryServiceStatusEx", qex("svc", 0, ssp(), 36, st()), 87),
    ("qex-level-str", "QueryServiceStatusEx", qex("svc", "0", ssp(), 36, DWORD()), 87),
    ("qex-no-right", "QueryServiceStatusEx", qex(f"svc-{QS}", 0, ssp(), 36, DWORD()), 5),
    # -- CloseServiceHandle, and CloseHandle on an SC_HANDLE --------------------------------
    ("close-null", "CloseServiceHandle", lambda c: (None,), 6),
    ("close-zero", "CloseServiceHandle", lambda c: (0,), 6),
    ("close-garbage", "CloseServiceHandle", lambda c: (0xDEAD,), 6),
    ("close-kernel-handle", "CloseServiceHandle", lambda c: (c["event"],), 6),
    ("close-twice-svc", "CloseServiceHandle", lambda c: (c["closed_svc"],), 6),
    ("close-twice-scm", "CloseServiceHandle", lambda c: (c["closed_scm"],), 6),
    ("closehandle-on-scm", "CloseHandle", lambda c: (c["scm"],), 6),
    ("closehandle-on-svc", "CloseHandle", lambda c: (c["svc"],), 6),
]

STOPPED_RUNNING = SERVICE_NOTIFY_STOPPED | SERVICE_NOTIFY_RUNNING


def nssc(handle: str, mask: Any = STOPPED_RUNNING, **kw: Any) -> Callable[[Ctx], tuple[Any, ...]]:
    def build(c: Ctx) -> tuple[Any, ...]:
        buffer = kw["buffer"] if "buffer" in kw else notify(**kw)
        return (c.get(handle), mask, buffer)

    return build


NOTIFY_CASES: list[tuple[str, Callable[[Ctx], tuple[Any, ...]], int]] = [
    ("null-handle", nssc("none"), 6),
    ("garbage-handle", lambda c: (0xDEAD, STOPPED_RUNNING, notify()), 6),
    ("string-handle", lambda c: ("Spooler", STOPPED_RUNNING, notify()), 6),
    ("kernel-handle", nssc("event"), 6),
    ("closed-svc", nssc("closed_svc"), 6),
    ("closed-scm", nssc("closed_scm", SERVICE_NOTIFY_CREATED), 6),
    ("null-buffer", nssc("svc", buffer=None), 87),
    ("wrong-struct", nssc("svc", buffer=SERVICE_STATUS()), 87),
    ("version-1", nssc("svc", version=SERVICE_NOTIFY_STATUS_CHANGE_1), 87),
    ("version-0", nssc("svc", version=0), 87),
    ("no-callback", nssc("svc", pfn=None), 87),
    ("callback-not-callable", nssc("svc", pfn=1234), 87),
    ("mask-zero", nssc("svc", 0), 87),
    ("mask-str", nssc("svc", "running"), 87),
    ("created-on-service", nssc("svc", SERVICE_NOTIFY_CREATED), 87),
    ("created-and-running-on-service", nssc("svc", SERVICE_NOTIFY_CREATED | 8), 87),
    ("running-on-scm", nssc("scm", SERVICE_NOTIFY_RUNNING), 87),
    ("unknown-bit", nssc("svc", 0x400), 87),
    ("no-query-status", nssc(f"svc-{SERVICE_QUERY_STATUS}"), 5),
    ("no-enumerate", nssc("scm_connect", SERVICE_NOTIFY_CREATED), 5),
    ("driver", nssc("driver"), 50),
    ("marked", nssc("marked"), 1072),
]


@pytest.mark.parametrize(
    ("api", "args", "error"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_argument_fails_with_the_documented_last_error(
    api: str, args: Args, error: int
) -> None:
    assert attempt(api, args) == (0, error)


@pytest.mark.parametrize(
    ("make_args", "code"), [(a, c) for _i, a, c in NOTIFY_CASES], ids=[i for i, *_ in NOTIFY_CASES]
)
def test_notify_bad_argument_returns_the_code_and_keeps_the_last_error(
    make_args: Callable[[Ctx], tuple[Any, ...]], code: int
) -> None:
    for name in ("NotifyServiceStatusChangeW", "NotifyServiceStatusChangeA"):
        assert attempt(name, make_args) == (code, SENTINEL)


def test_notify_from_an_impersonating_thread_is_access_denied() -> None:
    assert attempt("NotifyServiceStatusChangeW", nssc("svc"), impersonating=True) == (5, SENTINEL)
    # The same call from an ordinary thread succeeds: the refusal is the thread's doing.
    assert attempt("NotifyServiceStatusChangeW", nssc("svc")) == (0, SENTINEL)


def test_query_status_ex_reports_the_size_needed_even_with_a_null_handle() -> None:
    needed: list[DWORD] = []

    def args(c: Ctx) -> tuple[Any, ...]:
        box = DWORD(value=0)
        needed.append(box)
        return (None, 0, None, 0, box)

    assert attempt("QueryServiceStatusEx", args) == (0, 122)
    assert needed[0].value == 36  # sizeof(SERVICE_STATUS_PROCESS)


GOOD: list[Case] = [  # (id, function, arguments, 0): each bad case's baseline succeeds
    ("scm-empty-machine", "OpenSCManagerW", lambda c: ("", "ServicesActive", 1), 0),
    ("scm-localhost", "OpenSCManagerW", lambda c: ("\\\\localhost", None, 0), 0),
    ("open-case-insensitive", "OpenServiceW", lambda c: (c["scm_connect"], "spooler", 1), 0),
    ("open-marked", "OpenServiceW", lambda c: (c["scm"], "Doomed", 1), 0),
    ("create", "CreateServiceW", create(), 0),
    ("create-no-access-asked", "CreateServiceW", create(access=0), 0),
    ("create-disabled", "CreateServiceW", create(start=SERVICE_DISABLED), 0),
    ("create-display-own-name", "CreateServiceW", create(display="NewSvc"), 0),
    ("create-interactive", "CreateServiceW", create(kind=OWN | SERVICE_INTERACTIVE_PROCESS), 0),
    ("create-boot-driver", "CreateServiceW", create(kind=1, start=SERVICE_BOOT_START), 0),
    ("create-deps", "CreateServiceW", create(deps="Spooler\0Beep\0\0"), 0),
    ("delete", "DeleteService", lambda c: (c["svc"],), 0),
    ("start", "StartServiceW", lambda c: (c["svc"], 0, None), 0),
    ("control", "ControlService", control("running"), 0),
    ("query", "QueryServiceStatus", lambda c: (c["svc"], st()), 0),
    ("qex", "QueryServiceStatusEx", qex("svc", 0, ssp(), 36, DWORD()), 0),
    ("qex-big-buffer", "QueryServiceStatusEx", qex("svc", 0, ssp(), 4096, DWORD()), 0),
    ("close", "CloseServiceHandle", lambda c: (c["svc"],), 0),
]


@pytest.mark.parametrize(("api", "args"), [c[1:3] for c in GOOD], ids=[c[0] for c in GOOD])
def test_the_good_baseline_succeeds_and_keeps_the_last_error(api: str, args: Args) -> None:
    result, error = attempt(api, args)
    assert result != 0 and error == SENTINEL


def test_query_status_ex_with_a_big_enough_buffer_and_a_null_handle_is_invalid_handle() -> None:
    assert attempt("QueryServiceStatusEx", qex(None, 0, ssp(), 36, DWORD())) == (0, 6)


def test_the_create_service_right_alone_is_enough_to_create_but_not_to_enumerate() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        scm = yield from api.OpenSCManagerW(None, None, SC_MANAGER_CREATE_SERVICE)
        log.append((yield from api.CreateServiceW(*create()({"scm": scm}))))
        mask = SERVICE_NOTIFY_CREATED
        log.append((yield from api.NotifyServiceStatusChangeW(scm, mask, notify())))
        log.append((yield from api.NotifyServiceStatusChangeW(scm, "x", notify())))

    scm_sim({"main": main}).k.run()
    assert log[0] != 0
    assert log[1:] == [5, 87]  # the mask is checked before the access
