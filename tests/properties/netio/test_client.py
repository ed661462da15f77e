"""The client rules of NotifyIpInterfaceChange (emu/properties/netio/client.py): for each, a
buggy monitor that breaks it and is reported, and a correct one that does not."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from emu.codes.netio import MibDeleteInstance, MibInitialNotification
from emu.codes.ntstatus import nt_success
from emu.codes.winsock import AF_INET, AF_UNSPEC
from emu.devices.nic import MIB_IPINTERFACE_ROW
from emu.properties.verdict import HELD, NOT_EXERCISED, VIOLATED
from emu.win32.types import HANDLE
from tests.properties.netio.helpers import (
    PickAt,
    driver,
    events,
    leave,
    messages,
    status,
    user,
)

Callback = Callable[[Any, Any, Any, int], Generator[Any, None, None]]
LEAVE = ((5, leave("eth0")),)


def app(on_change: Callback, initial: bool = False, family: int = AF_UNSPEC) -> Any:
    """An application whose callback is ``on_change(api, state, row, type)``; ``state`` is a
    dict the program reads after the callbacks (at 20 ms) and then it cancels."""

    def program(api: Any) -> Generator[Any, None, None]:
        state: dict[str, Any] = {"rows": []}

        def callback(context: Any, row: Any, kind: int) -> Generator[Any, None, None]:
            yield from on_change(api, state, row, kind)

        handle = HANDLE()
        state["handle"] = handle
        assert (
            yield from api.NotifyIpInterfaceChange(family, callback, None, initial, handle)
        ) == 0
        yield from api.Sleep(20)
        for row in state["rows"]:
            state["index"] = row.InterfaceIndex
        assert (yield from api.CancelMibChangeNotify2(handle.value)) == 0

    return program


def reread(api: Any, row: Any) -> Generator[Any, None, tuple[int, MIB_IPINTERFACE_ROW]]:
    """The right way: a new row with the identity members of ``row``, and GetIpInterfaceEntry."""
    mine = MIB_IPINTERFACE_ROW()
    yield from api.InitializeIpInterfaceEntry(mine)
    mine.Family = row.Family
    mine.InterfaceLuid = row.InterfaceLuid
    mine.InterfaceIndex = row.InterfaceIndex
    got = yield from api.GetIpInterfaceEntry(mine)
    return got, mine


# -- netio.row_after_callback -----------------------------------------------------------------


def test_a_row_kept_past_its_callback_is_reported() -> None:
    def keep(api: Any, state: Any, row: Any, kind: int) -> Generator[Any, None, None]:
        state["rows"].append(row)  # the bug: the pointer outlives the callback
        yield from ()

    sim = user(app(keep), changes=LEAVE)
    found = status(sim, "netio.row_after_callback")
    assert found.state == VIOLATED
    assert len(found.findings) == 2  # one per family's row
    assert messages(found)[0].startswith(
        "main read MIB_IPINTERFACE_ROW#7.InterfaceIndex, the row of registration 0x1C0A50 "
        "(AF_UNSPEC, user mode)'s callback for notification #1 (MibDeleteInstance for "
        "eth0/IPv4), after that callback returned (at #"
    )


def test_a_row_used_only_inside_its_callback_holds() -> None:
    def copy(api: Any, state: Any, row: Any, kind: int) -> Generator[Any, None, None]:
        state["index"] = row.InterfaceIndex
        yield from ()

    sim = user(app(copy), changes=LEAVE)
    assert status(sim, "netio.row_after_callback").state == HELD


# -- netio.partial_row ------------------------------------------------------------------------


def test_reading_the_rest_of_a_callback_row_is_reported() -> None:
    def trust(api: Any, state: Any, row: Any, kind: int) -> Generator[Any, None, None]:
        state["mtu"] = row.NlMtu  # the bug: the row carries only the interface's identity
        state["mtu"] = row.NlMtu  # the same member again: one finding per row and member
        yield from ()

    sim = user(app(trust), changes=LEAVE)
    found = status(sim, "netio.partial_row")
    assert found.state == VIOLATED
    assert messages(found) == [
        f"netio 0x1C0A50 worker 1 reads MIB_IPINTERFACE_ROW#{oid}.NlMtu = 0 from the row of a "
        f"callback (MibDeleteInstance for eth0/{family}): that row holds only Family, "
        "InterfaceLuid and InterfaceIndex; GetIpInterfaceEntry gives the rest"
        for oid, family in ((7, "IPv4"), (8, "IPv6"))
    ]


def test_reading_the_identity_and_rereading_the_entry_holds() -> None:
    def correct(api: Any, state: Any, row: Any, kind: int) -> Generator[Any, None, None]:
        if row is None:
            return  # MibInitialNotification
        got, mine = yield from reread(api, row)
        if got == 0:
            state["mtu"] = mine.NlMtu

    sim = user(app(correct, initial=True, family=AF_INET), changes=((5, leave("wlan")),))
    assert status(sim, "netio.partial_row").state == NOT_EXERCISED  # no row was lent
    sim = user(app(correct), changes=LEAVE)
    assert status(sim, "netio.partial_row").state == HELD


# -- netio.entry_unchecked --------------------------------------------------------------------


def test_reading_an_entry_that_was_not_found_is_reported() -> None:
    def careless(api: Any, state: Any, row: Any, kind: int) -> Generator[Any, None, None]:
        _got, mine = yield from reread(api, row)  # the interface is gone: it fails
        state["mtu"] = mine.NlMtu  # the bug: the status was not looked at

    sim = user(app(careless, family=AF_INET), changes=LEAVE)
    found = status(sim, "netio.entry_unchecked")
    assert found.state == VIOLATED
    assert messages(found) == [
        "netio 0x1C0A50 worker 1 reads MIB_IPINTERFACE_ROW#8.NlMtu = 0 after "
        "GetIpInterfaceEntry failed on it (returned 1168): the call filled nothing"
    ]


def test_an_entry_read_after_checking_or_writing_holds() -> None:
    def careful(api: Any, state: Any, row: Any, kind: int) -> Generator[Any, None, None]:
        got, mine = yield from reread(api, row)
        if got == 0:
            state["mtu"] = mine.NlMtu
        elif kind == MibDeleteInstance:
            mine.NlMtu = 0  # the program's own value: it may read it back
            state["mtu"] = mine.NlMtu

    sim = user(app(careful, family=AF_INET), changes=LEAVE)
    found = status(sim, "netio.entry_unchecked")
    assert found.state == HELD, messages(found)


def test_entry_unchecked_is_judged_without_any_registration() -> None:
    # TRIGGERS: GetIpInterfaceEntry alone is enough (no netio.* event in the run)
    def program(api: Any) -> Generator[Any, None, None]:
        row = MIB_IPINTERFACE_ROW(Family=AF_INET, InterfaceIndex=99)
        assert (yield from api.GetIpInterfaceEntry(row)) != 0
        assert row.Metric == 0

    found = status(user(program), "netio.entry_unchecked")
    assert found.state == VIOLATED
    assert "Metric" in messages(found)[0]


# -- netio.handle_in_initial_callback ---------------------------------------------------------


def uses_handle(api: Any, state: Any, row: Any, kind: int) -> Generator[Any, None, None]:
    if kind == MibInitialNotification:
        state["mine"] = state["handle"].value  # the bug: may run before the handle is written
    yield from ()


def test_a_handle_read_before_it_is_written_is_reported() -> None:
    sim = user(app(uses_handle, initial=True), chooser=PickAt("netio-initial", 1))
    found = status(sim, "netio.handle_in_initial_callback")
    assert found.state == VIOLATED
    assert messages(found) == [
        "the callback of registration 0x1C0A50 (AF_UNSPEC, user mode) "
        "(MibInitialNotification) reads HANDLE#3.value = 0 before NotifyIpInterfaceChange "
        "wrote the handle 0x1C0A50 to it"
    ]


def test_a_handle_written_before_the_initial_callback_holds() -> None:
    sim = user(app(uses_handle, initial=True))  # option 0: the handle first
    found = status(sim, "netio.handle_in_initial_callback")
    assert found.state == HELD


# -- netio.registration_at_unload -------------------------------------------------------------


def kernel_monitor(cancel: bool) -> Any:
    def entry(kapi: Any, unload: list[Any]) -> Generator[Any, None, None]:
        handle = HANDLE()

        def on_change(context: Any, row: Any, kind: int) -> None:
            return None

        assert (yield from kapi.NotifyIpInterfaceChange(AF_UNSPEC, on_change, None, 1, handle)) == 0

        def DriverUnload() -> Generator[Any, None, None]:
            if cancel:
                assert (yield from kapi.CancelMibChangeNotify2(handle.value)) == 0

        unload.append(DriverUnload)

    return entry


def test_a_registration_left_at_unload_is_reported() -> None:
    sim = driver(kernel_monitor(cancel=False), changes=LEAVE, unload=True)
    found = status(sim, "netio.registration_at_unload")
    assert found.state == VIOLATED
    assert messages(found) == [
        "DriverUnload of monitor returned with registration 0x1C0A50 (AF_UNSPEC, kernel mode) "
        "still registered (callback on_change): CancelMibChangeNotify2 was never called for it"
    ]


def test_a_registration_cancelled_at_unload_holds() -> None:
    sim = driver(kernel_monitor(cancel=True), changes=LEAVE, unload=True)
    assert status(sim, "netio.registration_at_unload").state == HELD


def test_an_applications_registration_live_at_a_drivers_unload_is_not_the_drivers() -> None:
    # A driver that cancels its own registration holds, whatever an application left registered
    # (the application's is deregistered at its termination, F3.13).
    from emu.kernel.thread import Thread
    from emu.win32 import Process
    from emu.win32.driver import System
    from tests.properties.netio.helpers import ETH0, WLAN, machine
    from tests.support import Sim

    k = machine((ETH0, WLAN), "default", None, LEAVE)

    def application(api: Any) -> Generator[Any, None, None]:
        handle = HANDLE()
        assert (
            yield from api.NotifyIpInterfaceChange(AF_INET, lambda *a: None, None, 0, handle)
        ) == 0

    Process(k).start("app", application)
    entry = kernel_monitor(cancel=True)

    def program(kapi: Any) -> Any:
        steps: list[Any] = []

        def DriverUnload(DriverObject: Any) -> Generator[Any, None, None]:
            for step in steps:
                yield from step()

        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            DriverObject.DriverUnload = DriverUnload
            yield from entry(kapi, steps)
            return 0

        return DriverEntry

    system = System(k)
    system.load("monitor", program)
    k.run(None, finish=False)
    assert isinstance(system.unload("monitor"), Thread)
    sim = Sim(k, None)  # type: ignore[arg-type]
    sim.reason = k.run(None)
    modes = [e[4][2] for e in events(sim) if e[2] == "netio.register"]
    assert sorted(modes) == ["kernel", "user"]
    assert status(sim, "netio.registration_at_unload").state == HELD


def test_an_application_registration_is_not_judged_at_unload() -> None:
    sim = user(app(uses_handle))
    assert status(sim, "netio.registration_at_unload").state == NOT_EXERCISED


# -- netio.failed_handle_used -----------------------------------------------------------------


def nt_success_monitor(api: Any, unload: list[Any]) -> Generator[Any, None, None]:
    """A driver that tests NT_SUCCESS on NotifyIpInterfaceChange's status."""
    handle = HANDLE()
    status_ = yield from api.NotifyIpInterfaceChange(AF_INET, lambda *a: None, None, 0, handle)
    registered = nt_success(status_)

    def DriverUnload() -> Generator[Any, None, None]:
        if registered:
            yield from api.CancelMibChangeNotify2(handle.value)

    unload.append(DriverUnload)


def test_a_literal_error_taken_for_success_is_reported() -> None:
    # netio-literal-codes: the page's ERROR_INVALID_HANDLE is 6, which NT_SUCCESS accepts
    sim = driver(
        nt_success_monitor, profile="netio-literal-codes", faults=("invalid_handle",), unload=True
    )
    found = status(sim, "netio.failed_handle_used")
    assert found.state == VIOLATED
    (message,) = messages(found)
    assert message.startswith("CancelMibChangeNotify2(NULL): the NotifyIpInterfaceChange at #")
    assert message.endswith(
        "failed (returned 6, a value NT_SUCCESS accepts) and returned NULL in "
        "*NotificationHandle; the program took it for a registration"
    )


def test_an_applications_failed_registration_says_nothing_of_nt_success() -> None:
    # Only a driver tests NT_SUCCESS: an application's 6 (ERROR_INVALID_HANDLE) is a Win32 code.
    def application(api: Any) -> Generator[Any, None, None]:
        from emu.devices.nic import netio_of

        netio_of(api.k).faults.append("invalid_handle")
        handle = HANDLE()
        yield from api.NotifyIpInterfaceChange(AF_INET, lambda *a: None, None, 0, handle)
        yield from api.CancelMibChangeNotify2(handle.value)

    sim = user(application)
    refused = [e[4] for e in events(sim) if e[2] == "netio.refuse"]
    assert refused == [("user", 6, "injected fault invalid_handle")]
    (message,) = messages(status(sim, "netio.failed_handle_used"))
    assert "failed (returned 6) and returned NULL" in message


def test_the_real_status_fails_nt_success_and_nothing_is_cancelled() -> None:
    sim = driver(nt_success_monitor, faults=("invalid_handle",), unload=True)
    assert status(sim, "netio.failed_handle_used").state == NOT_EXERCISED  # nothing cancelled
    sim = driver(nt_success_monitor, unload=True)  # no fault: the handle is cancelled
    assert status(sim, "netio.failed_handle_used").state == HELD


def test_cancelling_null_without_any_registration_is_reported() -> None:
    def program(api: Any) -> Generator[Any, None, None]:
        assert (yield from api.CancelMibChangeNotify2(None)) == 87  # ERROR_INVALID_PARAMETER

    found = status(user(program), "netio.failed_handle_used")
    assert messages(found) == ["CancelMibChangeNotify2(NULL): no registration has a NULL handle"]
