"""Helpers for the socket-notification property tests: runs of small programs that register
sockets with ProcessSocketNotifications, their traces, and tampering with them."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from emu.codes.winsock import FIONBIO
from emu.kernel.memory import Struct
from emu.kernel.trace import TraceTuple
from emu.properties.verdict import Status, verdict
from emu.win32 import ULONG, Api
from tests.properties.test_kernel_checks import renumber, where
from tests.support import Sim, run
from tests.win32.ws2_32.helpers import startup, tcp_pair
from tests.win32.ws2_32.test_notify import port_of, psn, reg

__all__ = ["psn", "reg", "renumber", "where"]

Body = Callable[[Api], Generator[Any, None, Any]]


class CONTEXT(Struct):
    """A per-socket context structure, given as a completion key (a traced structure)."""

    __slots__ = ()

    socket: int


def context(api: Api, name: str = "ctx") -> CONTEXT:
    """A context the trace names ``name`` (as a scenario's declared structure is)."""
    ctx = CONTEXT()
    ctx.bind(api.k, name)
    return ctx


def connected(api: Api) -> Generator[Any, None, tuple[int, int, int]]:
    """Winsock started, a connected TCP pair (client, server) and a completion port."""
    yield from startup(api)
    client, server = yield from tcp_pair(api)
    port = yield from port_of(api)
    return client, server, port


def nonblocking(api: Api, sock: int) -> Generator[Any, None, None]:
    assert (yield from api.ioctlsocket(sock, FIONBIO, ULONG(value=1))) == 0


def drain(api: Api, sock: int) -> Generator[Any, None, int]:
    """recv until WSAEWOULDBLOCK (the socket is non-blocking); the bytes read."""
    total = 0
    buffer = bytearray(64)
    while True:
        got = yield from api.recv(sock, buffer, 64, 0)
        if got <= 0:
            return total
        total += got


def trace_of(programs: dict[str, Body] | Body, **kw: Any) -> list[TraceTuple]:
    """A copy of the trace of the programs' run (to judge, or to tamper with)."""
    sim: Sim = run(programs, **kw)
    return list(sim.k.trace.events)


def status(events: list[TraceTuple], pid: str, **kw: Any) -> Status:
    found = verdict(events, **kw).status(pid)
    assert found is not None, pid
    return found


def messages(found: Status) -> list[str]:
    return [finding.message for finding in found.findings]


def notify(events: list[TraceTuple], how: str = "queued") -> list[int]:
    """The positions of the sock.notify events of ``how``."""
    return where(events, "sock.notify", lambda e: e[4][4] == how)


def edited(
    events: list[TraceTuple],
    drop: tuple[int, ...] = (),
    insert: dict[int, TraceTuple] | None = None,
) -> list[TraceTuple]:
    """``events`` without the positions in ``drop`` and with ``insert`` (position -> event,
    placed right after the event at that position), renumbered so causes follow."""
    out: list[TraceTuple] = []
    for seq, event in enumerate(events):
        if seq not in drop:
            out.append(event)
        if insert and seq in insert:
            out.append(insert[seq])
    return renumber(events, out)


def replaced(events: list[TraceTuple], seq: int, event: TraceTuple) -> list[TraceTuple]:
    """``events`` with the event at ``seq`` replaced by ``event`` (same position)."""
    return renumber(events, [*events[:seq], event, *events[seq + 1 :]], {event: seq})
