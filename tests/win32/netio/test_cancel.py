"""CancelMibChangeNotify2 in both modes: its codes for every kind of bad handle, and the
client-rule violations a double cancel or a handle never issued records.

"ERROR_INVALID_PARAMETER / STATUS_INVALID_PARAMETER: ... if the NotificationHandle parameter was
a NULL pointer." No page gives a code for a stale or garbage handle; emu returns the
invalid-handle code and records ``netio.stale_handle`` (an assumption, docs/netio.md).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Final

import pytest

from emu.codes import (
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER,
    STATUS_INVALID_HANDLE,
    STATUS_INVALID_PARAMETER,
)
from emu.codes.winsock import AF_UNSPEC
from emu.devices.nic.registrations import NETIO_HANDLE_BASE, NETIO_HANDLE_STEP
from emu.win32.types import HANDLE
from tests.win32.netio.helpers import MODES, codes_of, payloads, sim_in


def ignore(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
    return None


def register(api: Any) -> Generator[Any, None, HANDLE]:
    cell = HANDLE()
    result = yield from api.NotifyIpInterfaceChange(AF_UNSPEC, ignore, None, False, cell)
    assert result == 0
    return cell


Pick = Callable[[HANDLE], Any]
"""The argument to pass, given a live registration's handle variable."""

NULLS: Final = [
    pytest.param(lambda cell: None, id="None"),
    pytest.param(lambda cell: 0, id="zero"),
    pytest.param(lambda cell: 0.0, id="float-zero"),
    pytest.param(lambda cell: False, id="False"),
]
NOT_LIVE: Final = [
    pytest.param(lambda cell: 0xDEAD, id="garbage-int"),
    pytest.param(lambda cell: -1, id="minus-1"),
    pytest.param(lambda cell: cell.value + 1, id="off-by-one"),
    pytest.param(lambda cell: NETIO_HANDLE_BASE + NETIO_HANDLE_STEP * 7, id="never-issued"),
    pytest.param(lambda cell: "0x1C0A50", id="string"),
    pytest.param(lambda cell: [cell.value], id="list"),
    pytest.param(lambda cell: True, id="True"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("pick", NULLS)
def test_a_null_handle_gives_invalid_parameter(mode: str, pick: Pick) -> None:
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        cell = yield from register(api)
        log.append((yield from api.CancelMibChangeNotify2(pick(cell))))
        log.append((yield from api.CancelMibChangeNotify2(cell.value)))

    sim = sim_in(mode, body)
    expected = STATUS_INVALID_PARAMETER if mode == "kernel" else ERROR_INVALID_PARAMETER
    assert log == [expected, 0]  # the registration is still live: the real cancel succeeds
    assert sim.violations() == []
    assert len(sim.events("netio.cancel")) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("pick", NOT_LIVE)
def test_a_handle_that_is_not_live_gives_invalid_handle_and_a_violation(
    mode: str, pick: Pick
) -> None:
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        cell = yield from register(api)
        log.append((yield from api.CancelMibChangeNotify2(pick(cell))))
        log.append((yield from api.CancelMibChangeNotify2(cell.value)))

    sim = sim_in(mode, body)
    expected = STATUS_INVALID_HANDLE if mode == "kernel" else ERROR_INVALID_HANDLE
    assert codes_of(mode).invalid_handle == expected
    assert log == [expected, 0]
    assert sim.violations() == ["netio.stale_handle"]
    message = str(sim.events("violation")[0].payload["message"])
    assert "was never returned by NotifyIpInterfaceChange" in message
    assert len(sim.events("netio.cancel")) == 1


@pytest.mark.parametrize("mode", MODES)
def test_the_handle_variable_instead_of_its_value_is_a_bad_argument(mode: str) -> None:
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        cell = yield from register(api)
        log.append((yield from api.CancelMibChangeNotify2(cell)))
        log.append((yield from api.CancelMibChangeNotify2(cell.value)))

    sim = sim_in(mode, body)
    assert log == [codes_of(mode).invalid_handle, 0]
    assert sim.violations() == ["win32.bad_argument"]
    assert "not the variable" in str(sim.events("violation")[0].payload["message"])


@pytest.mark.parametrize("mode", MODES)
def test_a_double_cancel_is_a_stale_handle(mode: str) -> None:
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        cell = yield from register(api)
        log.append((yield from api.CancelMibChangeNotify2(cell.value)))
        log.append((yield from api.CancelMibChangeNotify2(cell.value)))

    sim = sim_in(mode, body)
    assert log == [0, codes_of(mode).invalid_handle]
    assert sim.violations() == ["netio.stale_handle"]
    violation = sim.events("violation")[0]
    assert "a double cancel" in str(violation.payload["message"])
    registration = sim.events("netio.register")[0].object_ids[0]
    assert violation.object_ids[0] == registration  # it names the registration cancelled before
    assert len(sim.events("netio.cancel")) == 1


@pytest.mark.parametrize("mode", MODES)
def test_a_double_cancel_after_a_new_registration_does_not_cancel_the_new_one(mode: str) -> None:
    # Handle values are never reused: the second cancel of A is reported on the call that makes
    # it, and B stays registered until its own cancel.
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        first = yield from register(api)
        log.append((yield from api.CancelMibChangeNotify2(first.value)))
        second = yield from register(api)
        log.append(second.value != first.value)
        log.append((yield from api.CancelMibChangeNotify2(first.value)))
        log.append((yield from api.CancelMibChangeNotify2(second.value)))

    sim = sim_in(mode, body)
    assert log == [0, True, codes_of(mode).invalid_handle, 0]
    assert sim.violations() == ["netio.stale_handle"]
    assert "a double cancel" in str(sim.events("violation")[0].payload["message"])
    assert len(sim.events("netio.cancel")) == 2


@pytest.mark.parametrize("mode", MODES)
def test_a_stale_handle_of_another_simulation_is_unknown_here(mode: str) -> None:
    # The first registration of every simulation gets the same value; cancelling it in a run
    # that never registered anything names nothing.
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        log.append((yield from api.CancelMibChangeNotify2(NETIO_HANDLE_BASE)))

    sim = sim_in(mode, body)
    assert log == [codes_of(mode).invalid_handle]
    assert sim.violations() == ["netio.stale_handle"]


@pytest.mark.parametrize("mode", MODES)
def test_cancel_then_register_again_works(mode: str) -> None:
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        first = yield from register(api)
        log.append((yield from api.CancelMibChangeNotify2(first.value)))
        second = yield from register(api)
        log.append((yield from api.CancelMibChangeNotify2(second.value)))

    sim = sim_in(mode, body)
    assert log == [0, 0]
    assert sim.violations() == []
    assert [p["dropped"] for p in payloads(sim, "netio.cancel")] == [0, 0]


def test_the_cancel_records_the_registration_and_what_it_dropped() -> None:
    def body(api: Any) -> Generator[Any, None, None]:
        cell = yield from register(api)
        yield from api.CancelMibChangeNotify2(cell.value)

    sim = sim_in("user", body)
    (cancel,) = sim.events("netio.cancel")
    (reg,) = sim.events("netio.register")
    assert cancel.object_ids == (reg.object_ids[0],)
    assert cancel.payload["handle"] == reg.payload["handle"]
    assert (cancel.payload["dropped"], cancel.payload["waited"]) == (0, 0)


def test_F3_19_a_notification_handle_is_not_a_kernel_handle() -> None:
    # Wine's test_NotifyUnicastIpAddressChange: ret = CancelMibChangeNotify2( handle );
    # ok( ret == NO_ERROR ); ok( !CloseHandle( handle ) ).
    log: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        cell = yield from register(api)
        log.append((yield from api.CloseHandle(cell.value)))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.CancelMibChangeNotify2(cell.value)))
        log.append((yield from api.CloseHandle(cell.value)))

    sim = sim_in("user", body)
    assert log == [False, ERROR_INVALID_HANDLE, 0, False]
    assert sim.violations() == []
