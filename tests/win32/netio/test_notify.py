"""NotifyIpInterfaceChange in both modes: its codes, the NULL handle after every failure, the
injected faults, the literal-codes profile, and the initial notification's ordering.

Codes (emu/win32/netio/surface.py; docs/netio.md's table): a driver gets NTSTATUS values, an
application Win32 codes. "This error is returned if the Family parameter was not either
AF_INET, AF_INET6, or AF_UNSPEC"; a NULL Callback or NotificationHandle is the same code (an
assumption). "If an error occurs, NULL is returned" in *NotificationHandle.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Final

import pytest

from emu.codes import (
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER,
    ERROR_NOT_ENOUGH_MEMORY,
    NO_ERROR,
    STATUS_INVALID_HANDLE,
    STATUS_INVALID_PARAMETER,
    STATUS_NO_MEMORY,
    STATUS_SUCCESS,
)
from emu.codes.netio import KERNEL_LITERAL_CODES, STATUS_NOT_ENOUGH_MEMORY
from emu.codes.ntstatus import nt_success
from emu.codes.winsock import AF_INET, AF_INET6, AF_UNSPEC
from emu.devices.nic import netio_of
from emu.devices.nic.callbacks import NotifyWorker
from emu.kernel.chooser import ReplayChooser
from emu.win32.types import DWORD, HANDLE
from tests.win32.netio.helpers import (
    MODES,
    PickAt,
    codes_of,
    payloads,
    results,
    sim_in,
    sleep,
    user_sim,
)

SENTINEL: Final = 0x5EED
"""What the NotificationHandle variable holds before the call: a failure overwrites it."""


def ignore(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
    return None


Arg = Callable[[], Any]
CELL: Final[Arg] = lambda: HANDLE(value=SENTINEL)  # noqa: E731

BAD_CALLS: Final = [
    # (overrides of a valid call's arguments, whether win32.bad_argument is recorded)
    pytest.param({"Family": lambda: 1}, False, id="Family-1"),
    pytest.param({"Family": lambda: 5}, False, id="Family-5"),
    pytest.param({"Family": lambda: -1}, False, id="Family-minus-1"),
    pytest.param({"Family": lambda: "AF_INET"}, False, id="Family-string"),
    pytest.param({"Family": lambda: None}, False, id="Family-None"),
    pytest.param({"Family": lambda: 2.0}, False, id="Family-float"),
    pytest.param({"Family": lambda: True}, False, id="Family-bool"),
    pytest.param({"Family": lambda: 0x10000 | AF_INET}, False, id="Family-too-wide"),
    pytest.param({"Callback": lambda: None}, False, id="Callback-None"),
    pytest.param({"Callback": lambda: 0x401000}, False, id="Callback-int"),
    pytest.param({"Callback": lambda: "on_change"}, False, id="Callback-string"),
    pytest.param({"NotificationHandle": lambda: None}, False, id="Handle-None"),
    pytest.param({"NotificationHandle": lambda: 0x1234}, True, id="Handle-int"),
    pytest.param({"NotificationHandle": DWORD}, True, id="Handle-DWORD"),
    pytest.param({"NotificationHandle": lambda: "handle"}, True, id="Handle-string"),
    pytest.param(
        {"Family": lambda: 7, "Callback": lambda: None, "NotificationHandle": lambda: None},
        False,
        id="all-bad",
    ),
]


def notify_call(api: Any, overrides: dict[str, Arg], log: list[Any]) -> Generator[Any, None, Any]:
    """NotifyIpInterfaceChange with valid arguments but ``overrides``; logs the result and the
    handle variable (when it is a HANDLE)."""
    args: dict[str, Any] = {
        "Family": AF_UNSPEC,
        "Callback": ignore,
        "CallerContext": None,
        "InitialNotification": False,
        "NotificationHandle": CELL(),
    }
    for name, make in overrides.items():
        args[name] = make()
    result = yield from api.NotifyIpInterfaceChange(**args)
    cell = args["NotificationHandle"]
    log.append((result, cell.peek("value") if isinstance(cell, HANDLE) else None))
    return cell


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("overrides", "misuse"), BAD_CALLS)
def test_bad_arguments_give_invalid_parameter_and_a_null_handle(
    mode: str, overrides: dict[str, Arg], misuse: bool
) -> None:
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        yield from notify_call(api, overrides, log)

    sim = sim_in(mode, body)
    expected = STATUS_INVALID_PARAMETER if mode == "kernel" else ERROR_INVALID_PARAMETER
    assert codes_of(mode).invalid_parameter == expected
    result, handle = log[0]
    assert result == expected
    if "NotificationHandle" not in overrides:
        assert handle == 0  # "If an error occurs, NULL is returned."
    assert sim.events("netio.register") == []
    assert not any(isinstance(a, NotifyWorker) for a in sim.k.actors)
    assert sim.violations() == (["win32.bad_argument"] if misuse else [])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("family", [AF_UNSPEC, AF_INET, AF_INET6])
def test_each_documented_family_registers_and_writes_the_handle(mode: str, family: int) -> None:
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        cell = yield from notify_call(api, {"Family": lambda: family}, log)
        log.append((yield from api.CancelMibChangeNotify2(cell.value)))

    sim = sim_in(mode, body)
    (result, handle), cancelled = log
    assert result == cancelled == codes_of(mode).success == 0
    assert handle not in (0, SENTINEL)
    register = payloads(sim, "netio.register")
    assert [(p["handle"], p["mode"], p["initial"]) for p in register] == [(handle, mode, 0)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("value", "initial"),
    [
        (True, 1),
        (1, 1),
        (2, 1),
        (-1, 1),
        (0xFF, 1),
        ("yes", 1),
        (0, 0),
        (False, 0),
        (None, 0),
        (0x100, 0),
    ],
)
def test_initial_notification_is_any_nonzero_boolean(mode: str, value: Any, initial: int) -> None:
    # A BOOLEAN is TRUE when it is not zero; the callback runs once more with the initial one.
    # It is a UCHAR: 0x100 converts to FALSE, as C passes it.
    seen: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
            seen.append(NotificationType)

        cell = HANDLE()
        result = yield from api.NotifyIpInterfaceChange(AF_INET, on_change, None, value, cell)
        assert result == 0
        yield from api.CancelMibChangeNotify2(cell.value)

    sim = sim_in(mode, body)
    assert [p["initial"] for p in payloads(sim, "netio.register")] == [initial]
    assert len(seen) == initial


FAULTS: Final = [
    ("no_memory", "kernel", STATUS_NO_MEMORY),
    ("no_memory", "user", ERROR_NOT_ENOUGH_MEMORY),
    ("invalid_handle", "kernel", STATUS_INVALID_HANDLE),
    ("invalid_handle", "user", ERROR_INVALID_HANDLE),
]


@pytest.mark.parametrize(("fault", "mode", "code"), FAULTS)
def test_an_injected_fault_fails_the_next_registration_only(
    fault: str, mode: str, code: int
) -> None:
    # "STATUS_NOT_ENOUGH_MEMORY: There was insufficient memory"; "ERROR_INVALID_HANDLE: An
    # internal error occurred where an invalid handle was encountered."
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        netio_of(api.k).faults.append(fault)
        yield from notify_call(api, {"InitialNotification": lambda: True}, log)
        yield from notify_call(api, {}, log)

    sim = sim_in(mode, body)
    assert log[0] == (code, 0)
    assert log[1][0] == 0 and log[1][1] not in (0, SENTINEL)
    assert len(sim.events("netio.register")) == 1
    assert sim.events("netio.callback") == []  # the failed one's initial notification never ran
    assert netio_of(sim.k).faults == type(netio_of(sim.k).faults)()


def test_the_pages_memory_name_is_an_alias_of_status_no_memory() -> None:
    assert STATUS_NOT_ENOUGH_MEMORY == STATUS_NO_MEMORY == 0xC0000017
    assert STATUS_INVALID_HANDLE == 0xC0000008 and STATUS_INVALID_PARAMETER == 0xC000000D


@pytest.mark.parametrize(
    ("profile", "code", "passes_nt_success"),
    [("default", STATUS_INVALID_HANDLE, False), ("netio-literal-codes", 6, True)],
)
def test_literal_codes_profile_returns_the_pages_error_invalid_handle_as_6(
    profile: str, code: int, passes_nt_success: bool
) -> None:
    # The page lists ERROR_INVALID_HANDLE among NTSTATUS values; as written it is 6, which
    # NT_SUCCESS accepts: a driver testing NT_SUCCESS takes the failure for a success.
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        netio_of(api.k).faults.append("invalid_handle")
        yield from notify_call(api, {}, log)
        log.append((yield from api.CancelMibChangeNotify2(0x1C0A50 + 0x60 * 9)))

    sim_in("kernel", body, profile=profile)
    assert log[0] == (code, 0)
    assert log[1] == code  # the stale handle's code is the same invalid-handle value
    assert nt_success(code) is passes_nt_success
    assert KERNEL_LITERAL_CODES.invalid_handle == ERROR_INVALID_HANDLE == 6


def test_literal_codes_profile_changes_nothing_in_user_mode() -> None:
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        netio_of(api.k).faults.append("no_memory")
        yield from notify_call(api, {}, log)
        yield from notify_call(api, {"Family": lambda: 9}, log)

    sim_in("user", body, profile="netio-literal-codes")
    assert log == [(ERROR_NOT_ENOUGH_MEMORY, 0), (ERROR_INVALID_PARAMETER, 0)]


# -- the initial notification ------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_notify_returns_only_after_the_initial_callback_returned(mode: str) -> None:
    # Wine's test_NotifyUnicastIpAddressChange checks the callback was called when the
    # registration returns; here the callback even waits 5 ms first.
    log: list[str] = []

    def body(api: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> Any:
            log.append("callback starts")
            yield from sleep(api, 5)
            log.append("callback returns")

        cell = HANDLE()
        yield from api.NotifyIpInterfaceChange(AF_UNSPEC, on_change, None, True, cell)
        log.append("notify returned")
        yield from api.CancelMibChangeNotify2(cell.value)

    sim = sim_in(mode, body)
    assert log == ["callback starts", "callback returns", "notify returned"]
    kinds = [
        e.kind if e.kind != "api" else e.payload["name"]
        for e in sim.events()
        if e.kind in ("netio.callback", "netio.return")
        or (e.kind == "api" and e.payload["name"] == "NotifyIpInterfaceChange")
    ]
    assert kinds == ["netio.callback", "netio.return", "NotifyIpInterfaceChange"]
    assert sim.events("netio.return")[0].payload["ticks"] == 5 * 10_000


def handle_writes(sim: Any, cell_oid: int) -> list[int]:
    """Seq numbers of the system's writes of the NotificationHandle variable."""
    return [
        e.seq
        for e in sim.events("mem.write")
        if e.object_ids == (cell_oid,) and e.payload["by"] == "system"
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("option", "seen_in_callback"), [(0, "handle"), (1, 0)])
def test_the_initial_callback_may_run_before_the_handle_is_written(
    mode: str, option: int, seen_in_callback: Any
) -> None:
    # No source says whether *NotificationHandle is written before the initial callback runs:
    # the choice point netio-initial@<handle> decides (option 0 writes it first).
    seen: list[Any] = []
    cells: list[HANDLE] = []

    def body(api: Any) -> Generator[Any, None, None]:
        cell = HANDLE()
        cells.append(cell)

        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
            seen.append(CallerContext.value)

        result = yield from api.NotifyIpInterfaceChange(AF_INET, on_change, cell, True, cell)
        seen.append((result, cell.value))
        yield from api.CancelMibChangeNotify2(cell.value)

    sim = sim_in(mode, body, chooser=PickAt("netio-initial@", option))
    handle = payloads(sim, "netio.register")[0]["handle"]
    assert seen == [handle if seen_in_callback == "handle" else 0, (0, handle)]
    labels = [p["label"] for p in payloads(sim, "choice") if p["label"].startswith("netio")]
    assert labels == [f"netio-initial@0x{handle:X}"]
    (write,) = handle_writes(sim, cells[0].oid)
    callback = sim.events("netio.callback")[0].seq
    returned = sim.events("netio.return")[0].seq
    assert (write < callback) if option == 0 else (write > returned)


def test_without_initial_notification_there_is_no_choice_and_the_handle_comes_first() -> None:
    def body(api: Any) -> Generator[Any, None, None]:
        cell = HANDLE()
        yield from api.NotifyIpInterfaceChange(AF_INET, ignore, None, False, cell)
        yield from api.CancelMibChangeNotify2(cell.value)

    sim = sim_in("user", body, chooser=PickAt("netio-initial@", 1))
    assert [p for p in payloads(sim, "choice") if p["label"].startswith("netio")] == []
    assert results(sim, "NotifyIpInterfaceChange") == [NO_ERROR]


def test_a_cancel_while_the_registrant_awaits_its_initial_notification_releases_it() -> None:
    # Another thread cancels (with the handle written first, option 0) before the worker ran
    # the initial notification: it is dropped, and NotifyIpInterfaceChange still returns. Fails
    # if the drop leaves the registering thread waiting forever.
    cells: list[HANDLE] = []
    log: list[Any] = []

    def registrant(api: Any) -> Generator[Any, None, None]:
        cell = HANDLE()
        cells.append(cell)
        log.append((yield from api.NotifyIpInterfaceChange(AF_UNSPEC, ignore, None, True, cell)))

    def canceller(api: Any) -> Generator[Any, None, None]:
        while not cells or not cells[0].value:
            yield from api.Sleep(0)
        log.append((yield from api.CancelMibChangeNotify2(cells[0].value)))

    sim = user_sim({"registrant": registrant, "canceller": canceller})
    assert sim.reason == "all threads done"
    assert sorted(log) == [NO_ERROR, NO_ERROR]
    assert [p["reason"] for p in payloads(sim, "netio.drop")] == ["cancelled"]
    assert sim.events("netio.callback") == []
    assert sim.events("actor.blocked") == []


@pytest.mark.parametrize("mode", MODES)
def test_the_registering_context_gets_status_success_by_name(mode: str) -> None:
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        cell = yield from notify_call(api, {}, log)
        yield from api.CancelMibChangeNotify2(cell.value)

    sim_in(mode, body)
    assert log[0][0] == (STATUS_SUCCESS if mode == "kernel" else NO_ERROR)


def test_a_recorded_handle_last_schedule_replays_to_the_same_trace() -> None:
    # The choice is a recorded schedule step like any other: a ReplayChooser reproduces it.
    def body(api: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
            assert CallerContext.value == 0  # the handle is written after this callback

        cell = HANDLE()
        yield from api.NotifyIpInterfaceChange(AF_UNSPEC, on_change, cell, True, cell)
        yield from api.CancelMibChangeNotify2(cell.value)

    first = sim_in("user", body, chooser=PickAt("netio-initial@", 1))
    recorded = list(first.k.chooser.schedule)
    assert (1, "callback first") in recorded
    again = sim_in("user", body, chooser=ReplayChooser(recorded))
    assert again.k.trace.to_jsonl() == first.k.trace.to_jsonl()
