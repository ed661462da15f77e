"""Regressions found by review: each test fails on the code before its fix.

- PeerDistGetOverlappedResult(bWait TRUE) waits once: woken by another operation's completion
  (two reads with a NULL hEvent signal the same handle object) it returns FALSE with
  ERROR_IO_INCOMPLETE instead of spinning at one virtual instant forever.
- Stream reads are served first in, first out ("in a first-in/first-out manner"), whatever
  latencies they draw: the second read issued gets the second range of bytes.
- A content identifier of 65,536 bytes or more (cbContentIdentifier is a DWORD) works through
  PeerDistServerOpenContentInformation (no Python exception).
- A size-0 read is a query of the local cache: it succeeds with 0 when the cache holds none
  of the content; the content information of an empty publication opens.
- Out-of-range arguments give ERROR_INVALID_PARAMETER: a ULONGLONG over 64 bits, a server
  cancel whose pOverlapped is not an OVERLAPPED.
- peerdist.cancel_unconfirmed does not fire when a PeerDistShutdown racing the cancel's trip
  aborted the operation (it did not complete normally).
- peerdist.invalidated judges only calls that would reach the handle check: another session's
  hPeerDist or a handle of another kind is ERROR_INVALID_HANDLE, not a broken guarantee.
"""

from __future__ import annotations

from typing import Any

from emu.codes import (
    ERROR_INVALID_PARAMETER,
    ERROR_IO_INCOMPLETE,
    ERROR_IO_PENDING,
    ERROR_SUCCESS,
    PEERDIST_ERROR_MISSING_DATA,
)
from emu.kernel.chooser import Chooser
from emu.properties.verdict import VIOLATED, verdict
from emu.win32.types import DWORD, HANDLE, OVERLAPPED
from tests.win32.peerdist.helpers import (
    SlowOps,
    logged,
    open_content,
    pd_sim,
    publish,
    ready_content,
    startup,
    switch,
)


class FirstSlow(Chooser):
    """The first latency drawn for ``op`` is the longest, every other choice option 0."""

    strategy = "first-slow"

    def __init__(self, op: str) -> None:
        super().__init__()
        self.op = op
        self.seen = 0

    def pick(self, point: Any) -> int:
        if self.op in point.label:
            self.seen += 1
            if self.seen == 1:
                return len(point.options) - 1
        return 0


def test_waiting_on_a_result_woken_by_another_operation_returns_io_incomplete() -> None:
    def body(api: Any, log: list[Any]) -> Any:
        h = yield from startup(api)
        yield from publish(api, h)
        hc = yield from ready_content(api, h)
        ov1, ov2 = OVERLAPPED(), OVERLAPPED()  # hEvent NULL: the handle's object is signalled
        log.append((yield from api.PeerDistClientBlockRead(h, hc, 4, bytearray(4), 0, ov1)))
        log.append((yield from api.PeerDistClientBlockRead(h, hc, 4, bytearray(4), 0, ov2)))
        n = DWORD()
        ok = yield from api.PeerDistGetOverlappedResult(ov1, n, 1)
        log.append((ok, (yield from api.GetLastError())))
        yield from api.PeerDistShutdown(h)

    log, sim = logged(body, latency=(1000, 50000), chooser=FirstSlow("BlockRead"))
    assert log == [ERROR_IO_PENDING, ERROR_IO_PENDING, (0, ERROR_IO_INCOMPLETE)]
    assert sim.reason == "all threads done"


def test_stream_reads_are_served_first_in_first_out() -> None:
    def body(api: Any, log: list[Any]) -> Any:
        h = yield from startup(api)
        yield from publish(api, h, data=b"abcdefgh")
        hc = yield from ready_content(api, h)
        b1, b2 = bytearray(4), bytearray(4)
        ov1, ov2 = OVERLAPPED(), OVERLAPPED()
        yield from api.PeerDistClientStreamRead(h, hc, 4, b1, 0, ov1)
        yield from api.PeerDistClientStreamRead(h, hc, 4, b2, 0, ov2)
        yield from api.Sleep(10)
        log.append((bytes(b1), ov1.Offset, bytes(b2), ov2.Offset))
        yield from api.PeerDistShutdown(h)

    log, _ = logged(body, latency=(1000, 50000), chooser=FirstSlow("StreamRead"))
    assert log == [(b"abcd", 0, b"efgh", 4)]


def test_a_long_content_identifier_round_trips() -> None:
    ident = bytes(range(256)) * 257  # 65,792 bytes

    def body(api: Any, log: list[Any]) -> Any:
        h = yield from startup(api)
        yield from publish(api, h, ident=ident)
        info = HANDLE()
        log.append(
            (
                yield from api.PeerDistServerOpenContentInformation(
                    h, len(ident), ident, 0, 0, None, 0, info
                )
            )
        )
        yield from api.PeerDistShutdown(h)

    log, _ = logged(body)
    assert log == [ERROR_SUCCESS]


def test_a_size_0_read_asks_the_cache_and_gets_0_when_it_holds_nothing() -> None:
    def body(api: Any, log: list[Any]) -> Any:
        h = yield from startup(api)
        yield from publish(api, h)
        hc = yield from ready_content(api, h)
        yield from api.PeerDistServerUnpublish(h, 2, b"id")
        query, read = OVERLAPPED(), OVERLAPPED()
        yield from api.PeerDistClientBlockRead(h, hc, 0, None, 0, query)
        yield from api.PeerDistClientBlockRead(h, hc, 4, bytearray(4), 0, read)
        n = DWORD()
        log.append(((yield from api.PeerDistGetOverlappedResult(query, n, 1)), n.value))
        ok = yield from api.PeerDistGetOverlappedResult(read, n, 1)
        log.append((ok, (yield from api.GetLastError())))
        yield from api.PeerDistShutdown(h)

    log, _ = logged(body)
    assert log == [(1, 0), (0, PEERDIST_ERROR_MISSING_DATA)]


def test_out_of_range_arguments_are_invalid_parameters() -> None:
    def body(api: Any, log: list[Any]) -> Any:
        h = yield from startup(api)
        hs = HANDLE()
        log.append(
            (yield from api.PeerDistServerPublishStream(h, 1, b"x", 1 << 64, None, None, 0, hs))
        )
        log.append((yield from api.PeerDistServerCancelAsyncOperation(h, 1, b"x", "not one")))
        yield from api.PeerDistShutdown(h)

    log, _ = logged(body)
    assert log == [ERROR_INVALID_PARAMETER, ERROR_INVALID_PARAMETER]


def test_a_cancel_beaten_by_shutdown_is_not_an_unconfirmed_cancel() -> None:
    state: dict[str, Any] = {}

    def reader(api: Any) -> Any:
        h = yield from startup(api)
        state["h"] = h
        yield from publish(api, h)
        hc = yield from ready_content(api, h)
        ov = OVERLAPPED()
        yield from api.PeerDistClientBlockRead(h, hc, 4, bytearray(4), 0, ov)
        state["go"] = True
        state["cancel"] = yield from api.PeerDistClientCancelAsyncOperation(h, hc, ov)

    def stopper(api: Any) -> Any:
        while not state.get("go"):
            yield from api.Sleep(1)
        yield from api.PeerDistShutdown(state["h"])

    sim = pd_sim(
        {"reader": reader, "stopper": stopper},
        latency=(1000, 50000),
        chooser=SlowOps("BlockRead", "ClientCancel"),
    )
    lates = [e for e in sim.k.trace.view() if e.kind == "io.late"]
    assert state["cancel"] == ERROR_SUCCESS and lates  # the shutdown aborted it first
    assert verdict(list(sim.k.trace.events)).status("peerdist.cancel_unconfirmed").state != (
        VIOLATED
    )


def test_invalidated_judges_only_calls_that_reach_the_handle_check() -> None:
    def body(api: Any, log: list[Any]) -> Any:
        h = yield from startup(api)
        other = yield from startup(api)
        hs = HANDLE()
        yield from api.PeerDistServerPublishStream(h, 2, b"id", 0, None, None, 0, hs)
        hc = yield from open_content(api, h)
        switch(api, "running", False)
        switch(api, "running", True)
        ov = OVERLAPPED()
        log.append((yield from api.PeerDistClientBlockRead(other, hc, 4, bytearray(4), 0, ov)))
        log.append(
            (yield from api.PeerDistServerRetrieveContentInformation(h, hs.value, 4, None, ov))
        )
        log.append((yield from api.PeerDistServerPublishAddToStream(h, hs.value, 0, b"", ov)))
        yield from api.PeerDistShutdown(h)
        yield from api.PeerDistShutdown(other)

    log, sim = logged(body)
    assert log == [6, 6, 4057]  # another session; a stream where content information goes
    assert verdict(list(sim.k.trace.events)).status("peerdist.invalidated").state != VIOLATED
