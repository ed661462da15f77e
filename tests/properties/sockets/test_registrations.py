"""The records the socket-notification checkers share (emu/properties/sockets/registrations.py):
each registration's life re-derived from the trace, and when the checkers are built."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from emu.codes.winsock import (
    SOCK_NOTIFY_OP_DISABLE,
    SOCK_NOTIFY_OP_REMOVE,
    SOCK_NOTIFY_TRIGGER_LEVEL,
    SOCK_NOTIFY_TRIGGER_ONESHOT,
)
from emu.properties.checker import Context
from emu.properties.sockets.registrations import KINDS, Registration, Registrations, SockChecker
from emu.properties.verdict import plan_for, verdict
from emu.scenario import load_scenario
from emu.sim.simulation import Simulation
from emu.win32 import Api
from tests.properties.sockets.helpers import connected, psn, reg, trace_of, where

ROOT = Path(__file__).resolve().parents[3]
ONESHOT_LEVEL = SOCK_NOTIFY_TRIGGER_LEVEL | SOCK_NOTIFY_TRIGGER_ONESHOT


def life(api: Api) -> Generator[Any, None, None]:
    """Level ONESHOT with data waiting: ENABLE (queued, disabled by ONESHOT), the packet taken,
    ENABLE again (queued again), DISABLE, REMOVE (its own packet)."""
    client, server, port = yield from connected(api)
    yield from api.send(client, b"hi", 2, 0)
    yield from api.Sleep(10)
    yield from psn(api, port, [reg(server, trigger=ONESHOT_LEVEL)], count=0)
    yield from psn(api, port, None, ms=0)
    yield from psn(api, port, [reg(server, trigger=ONESHOT_LEVEL)], count=0)
    yield from psn(api, port, [reg(server, op=SOCK_NOTIFY_OP_DISABLE)], count=0)
    yield from psn(api, port, [reg(server, op=SOCK_NOTIFY_OP_REMOVE)], count=0)


def folded(events: list[Any], upto: int) -> Registrations:
    fold = Registrations()
    for seq, event in enumerate(events[: upto + 1]):
        if event[2] in KINDS:
            fold.feed_once(seq, event)
    return fold


def test_the_fold_re_derives_each_step_of_a_registrations_life() -> None:
    events = trace_of(life)
    first, again, off, gone = where(events, "sock.register")
    queued = where(events, "sock.notify")
    (taken,) = [i for i in where(events, "iocp.dequeue") if events[i][4][0] == 1]

    at_enable = folded(events, queued[0]).by_number[1]
    # "The registration will be disabled (not removed) upon delivery of the next notification."
    assert (at_enable.enabled, at_enable.disabled_how, at_enable.pending) == (False, "ONESHOT", 1)
    assert at_enable.seq == first and at_enable.level and at_enable.oneshot

    after_take = folded(events, taken).by_number[1]
    assert (after_take.pending, after_take.taken_by, after_take.taken_seq) == (0, 2, taken)

    re_enabled = folded(events, again)
    assert re_enabled.by_number[1].enabled and re_enabled.before is not None
    assert re_enabled.before.disabled_how == "ONESHOT"  # what the ENABLE found

    disabled = folded(events, off).by_number[1]
    assert (disabled.enabled, disabled.disabled_how, disabled.pending) == (False, "DISABLE", 2)

    fold = folded(events, len(events) - 1)
    record = fold.by_number[1]
    assert (record.ended, record.ended_seq, record.remove_packet) == ("removed", gone, 3)
    assert fold.live == {} and fold.last_ended[record.socket] is record
    assert fold.handles[12] == record.socket  # the SOCKET value names the socket


class SeesEnables(SockChecker):
    """A test checker: counts the ENABLEs of registrations it sees."""

    SEES = ("sock.register",)

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.seen: list[tuple[int, bool]] = []

    def see(self, seq: int, event: Any, reg: Registration | None) -> None:
        if reg is not None:
            self.seen.append((seq, reg.enabled))


def test_a_checker_fed_by_hand_reads_its_fold_fed_first() -> None:
    # Fold: "A checker fed by hand needs its fold fed every event of the fold's kinds first".
    events = trace_of(life)
    context = Context(events=events)
    checker = SeesEnables(context)
    assert SeesEnables.KINDS == ("sock.register",)
    for seq, event in enumerate(events):
        if event[2] in KINDS:
            context.fold(Registrations).feed_once(seq, event)
        if event[2] in checker.KINDS:
            checker.feed(seq, event)
    registers = where(events, "sock.register")
    assert checker.seen == [
        (s, e) for s, e in zip(registers, (True, True, False, False), strict=True)
    ]


@pytest.mark.parametrize("name", ["blocking-echo", "nonblocking-peer-echo", "iocp-echo"])
def test_a_socket_scenario_without_registrations_builds_no_registration_checker(name: str) -> None:
    # SockChecker.TRIGGERS: without a sock.register nothing is judged; only the overlapped
    # rule is built where sockets exist.
    result = Simulation(load_scenario(ROOT / "scenarios" / "sockets" / f"{name}.yaml")).run()
    plan = plan_for(result.k.trace.events, "default")
    built = sorted(
        plan.entries[p].id for p, _cls in plan.checkers if plan.entries[p].subsystem == "sock"
    )
    assert built == ["sock.overlapped_freed_early"]


def test_a_kernel_scenario_builds_no_socket_checker() -> None:
    result = Simulation(load_scenario(ROOT / "scenarios" / "kernel" / "pipe-echo.yaml")).run()
    plan = plan_for(result.k.trace.events, "default")
    assert not [p for p, _cls in plan.checkers if plan.entries[p].subsystem == "sock"]


def test_a_call_that_registers_nothing_leaves_the_unbuilt_checkers_nothing_to_say() -> None:
    # ProcessSocketNotifications failing as a whole records no sock.register: the registration
    # checkers are not built, and built they would say the same.
    def main(api: Api) -> Generator[Any, None, None]:
        _client, server, port = yield from connected(api)
        yield from api.ProcessSocketNotifications(port, 1, None, 0, 0, None, None)
        yield from api.send(server, b"x", 1, 0)

    events = trace_of(main)
    assert not where(events, "sock.register")
    assert verdict(events).statuses == verdict(events, every_checker=True).statuses
