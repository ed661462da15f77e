"""NETIO's inline rules (emu/properties/netio/rules.py): recorded while the run happens by the
device and the surface, judged through the catalogue; each fires on the bug and not on the
correct program."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes.winerror import ERROR_INVALID_HANDLE
from emu.codes.winsock import AF_INET
from emu.properties.catalogue import lookup
from emu.properties.verdict import HELD, VIOLATED
from emu.win32.types import HANDLE
from tests.properties.netio.helpers import events, leave, messages, status, user

LEAVE = ((5, leave("eth0")),)


def app(busy_ms: int = 0, cancel_inside: bool = False, cancels: int = 1) -> Any:
    """Registers for IPv4; the callback waits ``busy_ms`` (and, with ``cancel_inside``,
    cancels its own registration); the main thread cancels ``cancels`` times at 20 ms."""

    def program(api: Any) -> Generator[Any, None, None]:
        handle = HANDLE()

        def on_change(context: Any, row: Any, kind: int) -> Generator[Any, None, None]:
            if busy_ms:
                yield from api.Sleep(busy_ms)
            if cancel_inside and row is not None:
                yield from api.CancelMibChangeNotify2(handle.value)

        assert (yield from api.NotifyIpInterfaceChange(AF_INET, on_change, None, 0, handle)) == 0
        yield from api.Sleep(20)
        for _ in range(cancels):
            yield from api.CancelMibChangeNotify2(handle.value)

    return program


@pytest.mark.parametrize(
    "pid", ["netio.callback_stall", "netio.cancel_in_callback", "netio.stale_handle"]
)
def test_the_inline_rules_are_in_the_catalogue(pid: str) -> None:
    entry = lookup(pid)
    assert entry is not None and entry.inline and entry.exercised_by


def test_a_callback_that_holds_its_worker_is_a_stall() -> None:
    found = status(user(app(busy_ms=150), changes=LEAVE), "netio.callback_stall")
    assert found.state == VIOLATED
    assert messages(found)[0].startswith("callback on_change of 0x1C0A50 held its worker for ")


def test_a_short_wait_in_a_callback_is_no_stall() -> None:
    assert status(user(app(busy_ms=50), changes=LEAVE), "netio.callback_stall").state == HELD


def test_a_cancel_from_the_callback_is_reported_and_deadlocks() -> None:
    sim = user(app(cancel_inside=True), changes=LEAVE)
    found = status(sim, "netio.cancel_in_callback")
    assert found.state == VIOLATED
    assert "called from that registration's own callback" in messages(found)[0]
    assert [e for e in events(sim) if e[2] == "actor.blocked"]  # the worker waits for ever


def test_a_cancel_at_dispatch_level_from_the_callback_is_the_clients_bug_not_emus() -> None:
    # Under netio-dispatch a driver's callback runs at DISPATCH_LEVEL: a cancel there cannot
    # wait (kernel.irql_too_high), so no barrier is claimed and the guarantee is not broken.
    from tests.properties.netio.helpers import driver

    def entry(kapi: Any, unload: list[Any]) -> Generator[Any, None, None]:
        handle = HANDLE()

        def on_change(context: Any, row: Any, kind: int) -> Generator[Any, None, None]:
            if row is not None:
                yield from kapi.CancelMibChangeNotify2(handle.value)

        assert (yield from kapi.NotifyIpInterfaceChange(AF_INET, on_change, None, 0, handle)) == 0

    sim = driver(entry, profile="netio-dispatch", changes=LEAVE)
    found = status(sim, "netio.cancel_in_callback")
    assert found.state == VIOLATED
    assert "at DISPATCH_LEVEL it cannot wait" in messages(found)[0]
    assert status(sim, "kernel.irql_too_high").state == VIOLATED
    assert status(sim, "netio.cancel_barrier").state == HELD
    (cancel,) = [e for e in events(sim) if e[2] == "netio.cancel"]
    assert cancel[4][3] == 0  # no barrier
    assert [e for e in events(sim) if e[2] == "actor.blocked"] == []  # nothing waits for ever


def test_a_cancel_from_another_thread_holds() -> None:
    sim = user(app(busy_ms=30), changes=LEAVE)  # the cancel waits for the callback in flight
    assert status(sim, "netio.cancel_in_callback").state == HELD


def test_a_double_cancel_is_a_stale_handle() -> None:
    sim = user(app(cancels=2), changes=LEAVE)
    found = status(sim, "netio.stale_handle")
    assert found.state == VIOLATED
    assert [
        e[4][2] for e in events(sim) if e[2] == "api" and e[4][0] == "CancelMibChangeNotify2"
    ] == [
        0,
        ERROR_INVALID_HANDLE,
    ]
    assert "a double cancel" in messages(found)[0]


def test_a_single_cancel_holds() -> None:
    assert status(user(app(), changes=LEAVE), "netio.stale_handle").state == HELD
