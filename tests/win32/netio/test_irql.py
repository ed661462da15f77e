"""The driver pages' IRQL rules (F3.18): NotifyIpInterfaceChange, GetIpInterfaceEntry and
InitializeIpInterfaceEntry "< DISPATCH_LEVEL", CancelMibChangeNotify2 "PASSIVE_LEVEL". A call
above its level is ``kernel.irql_too_high`` (a bug check or verifier failure on Windows); the
call still runs, so the run goes on."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Final

import pytest

from emu.codes.winsock import AF_INET
from emu.devices.nic import MIB_IPINTERFACE_ROW
from emu.kernel.irql import APC_LEVEL, DISPATCH_LEVEL, PASSIVE_LEVEL
from emu.win32.ntos_types import KIRQL
from emu.win32.types import HANDLE
from tests.win32.netio.helpers import kernel_sim, leave, sleep, user_sim


def ignore(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
    return None


def call(kapi: Any, name: str, live: HANDLE) -> Generator[Any, None, Any]:
    if name == "NotifyIpInterfaceChange":
        cell = HANDLE()
        result = yield from kapi.NotifyIpInterfaceChange(AF_INET, ignore, None, False, cell)
        return result, cell
    if name == "CancelMibChangeNotify2":
        return (yield from kapi.CancelMibChangeNotify2(live.value)), None
    row = MIB_IPINTERFACE_ROW(Family=AF_INET, InterfaceIndex=11)
    return (yield from getattr(kapi, name)(row)), None


MAXIMUM: Final = {
    "NotifyIpInterfaceChange": APC_LEVEL,
    "GetIpInterfaceEntry": APC_LEVEL,
    "InitializeIpInterfaceEntry": APC_LEVEL,
    "CancelMibChangeNotify2": PASSIVE_LEVEL,
}


@pytest.mark.parametrize("name", sorted(MAXIMUM))
@pytest.mark.parametrize("irql", [PASSIVE_LEVEL, APC_LEVEL, DISPATCH_LEVEL])
def test_each_function_above_its_documented_irql_is_recorded(name: str, irql: int) -> None:
    cleanup: list[HANDLE] = []

    def body(kapi: Any) -> Generator[Any, None, None]:
        live = HANDLE()
        yield from kapi.NotifyIpInterfaceChange(AF_INET, ignore, None, False, live)
        old = KIRQL()
        if irql != PASSIVE_LEVEL:
            yield from kapi.KeRaiseIrql(irql, old)
        result, cell = yield from call(kapi, name, live)
        if irql != PASSIVE_LEVEL:
            yield from kapi.KeLowerIrql(old.value)
        assert result in (0, None)  # the call is still performed
        if name != "CancelMibChangeNotify2":
            cleanup.append(live)
        if cell is not None:
            cleanup.append(cell)
        for each in cleanup:
            yield from kapi.CancelMibChangeNotify2(each.value)

    sim = kernel_sim(body)
    too_high = irql > MAXIMUM[name]
    assert sim.violations() == (["kernel.irql_too_high"] if too_high else [])
    if too_high:
        message = str(sim.events("violation")[0].payload["message"])
        assert message.startswith(f"{name} called at ")


def test_application_threads_have_no_irql_rule() -> None:
    # User-mode callers always run at PASSIVE_LEVEL: the same calls record nothing.
    def main(api: Any) -> Generator[Any, None, None]:
        cell = HANDLE()
        yield from api.NotifyIpInterfaceChange(AF_INET, ignore, None, True, cell)
        row = MIB_IPINTERFACE_ROW()
        yield from api.InitializeIpInterfaceEntry(row)
        yield from api.GetIpInterfaceEntry(row)
        yield from api.CancelMibChangeNotify2(cell.value)

    assert user_sim(main).violations() == []


def test_a_registration_at_dispatch_level_does_not_wait_for_its_initial_callback() -> None:
    # The caller broke the IRQL rule (recorded); it cannot wait there, so it does not: the
    # initial callback runs after NotifyIpInterfaceChange returned.
    order: list[str] = []

    def body(kapi: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
            order.append("initial callback")

        cell = HANDLE()
        old = KIRQL()
        yield from kapi.KeRaiseIrql(DISPATCH_LEVEL, old)
        order.append(str((yield from kapi.NotifyIpInterfaceChange(0, on_change, None, 1, cell))))
        yield from kapi.KeLowerIrql(old.value)
        yield from sleep(kapi, 1)
        yield from kapi.CancelMibChangeNotify2(cell.value)

    sim = kernel_sim(body)
    assert order == ["0", "initial callback"]
    assert sim.violations() == ["kernel.irql_too_high"]
    assert sim.reason == "all threads done"


def test_a_cancel_at_dispatch_level_does_not_wait_for_the_callback_in_flight() -> None:
    log: list[str] = []

    def body(kapi: Any) -> Generator[Any, None, None]:
        def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> Any:
            log.append("callback starts")
            yield from sleep(kapi, 5)
            log.append("callback returns")

        cell = HANDLE()
        yield from kapi.NotifyIpInterfaceChange(0, on_change, None, 0, cell)
        yield from sleep(kapi, 2)  # the callback for the 1 ms change is in flight
        old = KIRQL()
        yield from kapi.KeRaiseIrql(DISPATCH_LEVEL, old)
        log.append(f"cancel returns {(yield from kapi.CancelMibChangeNotify2(cell.value))}")
        yield from kapi.KeLowerIrql(old.value)

    sim = kernel_sim(body, world=[(1, leave("eth0"))])  # eth0/IPv4 runs, eth0/IPv6 waits
    assert log == ["callback starts", "cancel returns 0", "callback returns"]
    assert sim.violations() == ["kernel.irql_too_high"]
    assert [p["dropped"] for p in (e.payload for e in sim.events("netio.cancel"))] == [1]
