"""The guarantees of NotifyIpInterfaceChange's callbacks (emu/properties/netio/guarantees.py).
For each: a run where its situation arises and it holds, and a run of a device with a planted
bug (monkeypatched for the test only) where the finding names the registration."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes.netio import MibInitialNotification
from emu.codes.winsock import AF_INET, AF_INET6, AF_UNSPEC
from emu.devices.nic import callbacks, interfaces
from emu.devices.nic.callbacks import NotifyWorker, run_callback
from emu.devices.nic.registrations import NETIO_CANCEL, Netio, Registration
from emu.properties.verdict import HELD, NOT_EXERCISED, VIOLATED, verdict
from emu.win32.netio.surface import NetioSurface
from emu.win32.types import HANDLE
from tests.properties.netio.helpers import (
    arrive,
    events,
    leave,
    messages,
    set_member,
    status,
    user,
)


def monitor(
    families: tuple[int, ...] = (AF_UNSPEC,),
    initial: bool = True,
    busy_ms: int = 0,
    cancel_at_ms: int = 100,
) -> Any:
    """An application registering once per family; each callback waits ``busy_ms``; the
    registrations are cancelled at ``cancel_at_ms``."""

    def program(api: Any) -> Generator[Any, None, None]:
        handles = []
        for family in families:

            def on_change(context: Any, row: Any, kind: int) -> Generator[Any, None, None]:
                if busy_ms:
                    yield from api.Sleep(busy_ms)

            handle = HANDLE()
            assert (
                yield from api.NotifyIpInterfaceChange(family, on_change, None, initial, handle)
            ) == 0
            handles.append(handle)
        yield from api.Sleep(cancel_at_ms)
        for handle in handles:
            assert (yield from api.CancelMibChangeNotify2(handle.value)) == 0

    return program


CHANGES = ((5, leave("eth0")), (10, arrive("wlan")), (15, set_member("wlan", "NlMtu", 1400)))


# -- netio.initial_notification ---------------------------------------------------------------


@pytest.mark.parametrize("initial", [True, False])
def test_initial_notification_holds_with_and_without_it(initial: bool) -> None:
    sim = user(monitor(initial=initial), changes=CHANGES)
    found = status(sim, "netio.initial_notification")
    assert found.state == HELD, messages(found)


def test_an_initial_notification_with_a_row_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # planted: the worker no longer recognises MibInitialNotification, and lends it a row
    monkeypatch.setattr(callbacks, "MibInitialNotification", -1)
    sim = user(monitor(), changes=CHANGES)
    found = status(sim, "netio.initial_notification")
    assert found.state == VIOLATED
    assert len(found.findings) == 1
    assert "is a MibInitialNotification with a row (MIB_IPINTERFACE_ROW#" in messages(found)[0]
    assert "registration 0x1C0A50 (AF_UNSPEC, user mode)" in messages(found)[0]


def test_an_initial_notification_nobody_asked_for_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # planted: an adapter's arrival is notified as MibInitialNotification
    monkeypatch.setattr(interfaces, "MibAddInstance", MibInitialNotification)
    sim = user(monitor(initial=False), changes=((5, arrive("wlan")),))
    found = status(sim, "netio.initial_notification")
    assert found.state == VIOLATED
    text = messages(found)
    assert any("called with InitialNotification FALSE" in m for m in text)
    assert any("a second MibInitialNotification" in m for m in text)  # one per family


def test_an_initial_notification_after_another_callback_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # planted: the arrival is notified as MibInitialNotification after a real one
    monkeypatch.setattr(interfaces, "MibAddInstance", MibInitialNotification)
    sim = user(monitor(families=(AF_INET,), initial=True), changes=((5, arrive("wlan")),))
    found = status(sim, "netio.initial_notification")
    assert found.state == VIOLATED
    assert any("a second MibInitialNotification" in m for m in messages(found))


def test_an_initial_notification_never_queued_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # planted: the device forgets to queue the initial notification
    original = Netio._queue

    def queue(self: Netio, reg: Registration, type_: int, *rest: Any) -> None:
        if type_ != MibInitialNotification:
            original(self, reg, type_, *rest)
        else:
            reg.initial_pending = False

    monkeypatch.setattr(Netio, "_queue", queue)
    sim = user(monitor(), changes=CHANGES)
    found = status(sim, "netio.initial_notification")
    assert found.state == VIOLATED
    assert messages(found) == [
        "registration 0x1C0A50 (AF_UNSPEC, user mode) asked for the initial notification, and "
        "none was queued"
    ]


# -- netio.family_filter ----------------------------------------------------------------------


def test_family_filter_holds_for_every_family_at_once() -> None:
    sim = user(monitor(families=(AF_INET, AF_INET6, AF_UNSPEC)), changes=CHANGES)
    found = status(sim, "netio.family_filter")
    assert found.state == HELD, messages(found)


def test_a_callback_for_another_family_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # planted: a registration is notified whatever the interface's family
    monkeypatch.setattr(Registration, "concerns", lambda self, iface: not self.cancelled)
    sim = user(monitor(families=(AF_INET,)), changes=((5, leave("eth0")),))
    found = status(sim, "netio.family_filter")
    assert found.state == VIOLATED
    assert any(
        "for eth0/IPv6 (MibDeleteInstance, notification #3): a registration for AF_INET is "
        "not notified of it" in m
        for m in messages(found)
    )


def test_an_unspec_registration_missing_a_family_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # planted: AF_UNSPEC registrations hear of IPv4 interfaces only; the AF_INET6
    # registration beside it shows what it missed
    def concerns(self: Registration, iface: Any) -> bool:
        if self.family == AF_UNSPEC:
            return not self.cancelled and iface.family == AF_INET
        return not self.cancelled and self.family == iface.family

    monkeypatch.setattr(Registration, "concerns", concerns)
    sim = user(monitor(families=(AF_INET6, AF_UNSPEC)), changes=((5, leave("eth0")),))
    found = status(sim, "netio.family_filter")
    assert found.state == VIOLATED
    assert messages(found) == [
        "this change notified eth0/IPv4, eth0/IPv6, and registration 0x1C0AB0 (AF_UNSPEC, "
        "user mode) was queued not eth0/IPv6"
    ]


# -- netio.worker_thread ----------------------------------------------------------------------


def test_worker_thread_holds() -> None:
    sim = user(monitor(), changes=CHANGES)
    assert status(sim, "netio.worker_thread").state == HELD


class _OnCaller:
    """The registering thread dressed as the registration's worker (the planted bug)."""

    def __init__(self, thread: Any, reg: Registration) -> None:
        self.thread = thread
        self.reg = reg

    def __getattr__(self, name: str) -> Any:
        return getattr(self.thread, name)


def test_a_callback_on_the_registering_thread_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # planted: the initial callback runs synchronously on the caller, before the call returns
    def await_initial(self: NetioSurface, ctx: Any, reg: Registration) -> Any:
        note = reg.pending.popleft()
        returned = yield from run_callback(_OnCaller(ctx, reg), note)  # type: ignore[arg-type]
        reg.callback_returned(note.type, returned)

    monkeypatch.setattr(NetioSurface, "_await_initial", await_initial)
    sim = user(monitor(), changes=CHANGES)
    found = status(sim, "netio.worker_thread")
    assert found.state == VIOLATED
    assert messages(found) == [
        "callback of registration 0x1C0A50 (AF_UNSPEC, user mode) for notification #1 "
        "(MibInitialNotification) runs on main, the thread that registered it, not on a system "
        "worker thread"
    ]


# -- netio.serialized -------------------------------------------------------------------------


def test_serialized_holds_when_callbacks_wait() -> None:
    sim = user(monitor(busy_ms=3), changes=CHANGES)
    found = status(sim, "netio.serialized")
    assert found.state == HELD, messages(found)


def two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Planted: every registration gets a second worker, whatever the profile."""
    original = Netio.register

    def register(self: Netio, *args: Any) -> Registration:
        reg = original(self, *args)
        if len(reg.workers) == 1:
            worker = NotifyWorker(reg, 2)
            reg.workers.append(worker)
            reg.reference()
            self.k.spawn(worker)
        return reg

    monkeypatch.setattr(Netio, "register", register)


def test_overlapping_callbacks_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    two_workers(monkeypatch)
    sim = user(monitor(busy_ms=3), changes=CHANGES)
    found = status(sim, "netio.serialized")
    assert found.state == VIOLATED
    assert messages(found)[0] == (
        "callback of registration 0x1C0A50 (AF_UNSPEC, user mode) for notification #3 starts "
        "while its callback for notification #2 (on netio 0x1C0A50 worker 1) has not "
        "returned: the invocations are serialized"
    )


def test_serialized_does_not_apply_under_netio_overlap() -> None:
    sim = user(monitor(busy_ms=3), changes=CHANGES, profile="netio-overlap")
    judged = verdict(events(sim), profile="netio-overlap")
    assert judged.status("netio.serialized") is None
    # the same trace judged as if callbacks were serialized shows they overlapped
    assert status(sim, "netio.serialized", profile="default").state == VIOLATED


# -- netio.cancel_barrier ---------------------------------------------------------------------


def test_cancel_barrier_holds_when_a_callback_is_in_flight() -> None:
    # the cancel at 7 ms comes while the callback for eth0's departure (5 ms) waits 10 ms
    sim = user(monitor(busy_ms=10, cancel_at_ms=7), changes=((5, leave("eth0")),))
    (cancel,) = [e for e in events(sim) if e[2] == "netio.cancel"]
    assert cancel[4][2] > 0  # it waited for the callback
    found = status(sim, "netio.cancel_barrier")
    assert found.state == HELD, messages(found)


def test_a_cancel_that_does_not_wait_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # planted: the registration always looks idle, so CancelMibChangeNotify2 never waits
    monkeypatch.setattr(Registration, "is_signaled_for", lambda self, waiter: True)
    sim = user(monitor(initial=False, busy_ms=10, cancel_at_ms=7), changes=((5, leave("eth0")),))
    found = status(sim, "netio.cancel_barrier")
    assert found.state == VIOLATED
    assert messages(found) == [
        "CancelMibChangeNotify2 of registration 0x1C0A50 (AF_UNSPEC, user mode) returns while "
        "its callback for notification #1 still runs on netio 0x1C0A50 worker 1: it blocks "
        "until every callback has returned"
    ]


def test_a_callback_after_the_cancel_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # planted: CancelMibChangeNotify2 marks the barrier at once, dropping nothing and waiting
    # for nothing; the worker goes on with what is queued
    def cancel(self: Netio, actor: Any, reg: Registration) -> Any:
        reg.cancelled = True
        self.handles.remove(reg.handle)
        self.registrations.remove(reg)
        self.k.emit(actor.oid, NETIO_CANCEL, (reg.oid,), (reg.handle, 0, 0, 1))
        return
        yield

    monkeypatch.setattr(Netio, "cancel", cancel)
    sim = user(monitor(initial=False, busy_ms=10, cancel_at_ms=7), changes=((5, leave("eth0")),))
    found = status(sim, "netio.cancel_barrier")
    assert found.state == VIOLATED
    assert messages(found)[-1] == (
        "callback of registration 0x1C0A50 (AF_UNSPEC, user mode) for notification #2 starts "
        "after CancelMibChangeNotify2 deregistered it: the callback is never called again"
    )


def test_cancel_barrier_is_not_exercised_without_a_cancel() -> None:
    def program(api: Any) -> Generator[Any, None, None]:
        handle = HANDLE()
        yield from api.NotifyIpInterfaceChange(AF_INET, lambda *a: None, None, True, handle)

    sim = user(program)
    assert status(sim, "netio.cancel_barrier").state == NOT_EXERCISED
