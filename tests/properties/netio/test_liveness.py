"""Nothing queued to a NETIO registration is lost (emu/properties/netio/liveness.py): each
notification is delivered or dropped, once; what a finished run leaves queued, or what the
device loses without a word, is a finding."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes.winsock import AF_UNSPEC
from emu.devices.nic.callbacks import NotifyWorker
from emu.devices.nic.registrations import Netio, Registration
from emu.properties.verdict import HELD, NOT_EXERCISED, VIOLATED
from emu.win32.types import HANDLE
from tests.properties.netio.helpers import events, leave, messages, set_member, status, user

CHANGES = ((5, leave("eth0")),)


def monitor(busy_ms: int = 10, cancel_at_ms: int = 7, forever: bool = False) -> Any:
    """Registers for both families (no initial notification); each callback waits
    ``busy_ms`` (or, with ``forever``, for an event nobody sets); cancels at ``cancel_at_ms``
    (unless 0)."""

    def program(api: Any) -> Generator[Any, None, None]:
        never = yield from api.CreateEventW(None, True, False, None)

        def on_change(context: Any, row: Any, kind: int) -> Generator[Any, None, None]:
            if forever:
                yield from api.WaitForSingleObject(never, 0xFFFFFFFF)
            yield from api.Sleep(busy_ms)

        handle = HANDLE()
        assert (yield from api.NotifyIpInterfaceChange(AF_UNSPEC, on_change, None, 0, handle)) == 0
        if cancel_at_ms:
            yield from api.Sleep(cancel_at_ms)
            assert (yield from api.CancelMibChangeNotify2(handle.value)) == 0
        if not forever:
            yield from api.CloseHandle(never)

    return program


def test_nothing_lost_holds_when_a_cancel_drops_what_is_queued() -> None:
    sim = user(monitor(), changes=CHANGES)
    assert [e[4][3] for e in events(sim) if e[2] == "netio.drop"] == [2]
    found = status(sim, "netio.nothing_lost")
    assert found.state == HELD, messages(found)


def test_nothing_lost_holds_without_a_cancel() -> None:
    sim = user(monitor(cancel_at_ms=0), changes=(*CHANGES, (30, set_member("wlan", "NlMtu", 9))))
    found = status(sim, "netio.nothing_lost")
    assert found.state == HELD, messages(found)


def test_a_notification_lost_silently_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # planted: the device forgets the second notification it queues
    original = Netio._queue

    def queue(self: Netio, reg: Registration, *args: Any) -> None:
        original(self, reg, *args)
        if self.items == 2:
            reg.pending.pop()

    monkeypatch.setattr(Netio, "_queue", queue)
    sim = user(monitor(cancel_at_ms=0), changes=CHANGES)
    found = status(sim, "netio.nothing_lost")
    assert found.state == VIOLATED
    assert messages(found) == [
        "notification #2 (MibDeleteInstance for eth0/IPv6) queued to registration 0x1C0A50 "
        "(AF_UNSPEC, user mode) was neither delivered nor dropped, and the run's end does not "
        "report it pending: it was lost silently"
    ]


def test_a_notification_delivered_twice_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # planted: the device queues each notification twice under one number
    original = Netio._queue

    def queue(self: Netio, reg: Registration, *args: Any) -> None:
        original(self, reg, *args)
        reg.pending.append(reg.pending[-1])

    monkeypatch.setattr(Netio, "_queue", queue)
    sim = user(monitor(busy_ms=1, cancel_at_ms=0), changes=CHANGES)
    found = status(sim, "netio.nothing_lost")
    assert found.state == VIOLATED
    assert messages(found)[0] == (
        "notification #1 (MibDeleteInstance for eth0/IPv4) to registration 0x1C0A50 "
        "(AF_UNSPEC, user mode) delivered a second time"
    )


def test_a_notification_left_queued_at_a_finished_end_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # planted: an idle worker is never woken, so what is queued stays queued
    monkeypatch.setattr(NotifyWorker, "wake", lambda self: None)
    sim = user(monitor(cancel_at_ms=0), changes=CHANGES)
    assert [e[4][3] for e in events(sim) if e[2] == "netio.pending"] == [1, 2]
    found = status(sim, "netio.nothing_lost")
    assert found.state == VIOLATED
    assert messages(found)[0] == (
        "notification #1 (MibDeleteInstance for eth0/IPv4) queued to registration 0x1C0A50 "
        "(AF_UNSPEC, user mode) was still queued when every program had finished: its callback "
        "never ran"
    )


def test_what_a_blocked_callback_holds_up_is_not_judged() -> None:
    # the first callback never returns: the run did not finish, the second stays queued
    sim = user(monitor(cancel_at_ms=0, forever=True), changes=CHANGES)
    assert [e[4][3] for e in events(sim) if e[2] == "netio.pending"] == [2]
    assert status(sim, "netio.nothing_lost").state == NOT_EXERCISED
