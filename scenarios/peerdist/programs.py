"""Python programs the PeerDist scenarios run (``python: programs:<function>``).

- ``publisher_reader``: a publisher and a reader in one process, written the documented way. The
  publisher publishes a stream (PeerDistServerPublishStream, AddToStream, CompleteStream, each
  awaited through its OVERLAPPED), opens the content information of the whole content and
  retrieves it in pieces until PEERDIST_ERROR_NO_MORE ("EOF on the content information has been
  reached"). The reader opens the content by tag, adds the information, completes it, then
  reads the content with PeerDistClientStreamRead until PEERDIST_ERROR_NO_MORE and checks every
  byte. Every handle is closed, the session shut down. Holds under exploration.
- ``client_cancel_all``: a reader with two block reads of published content pending on one
  content handle cancels them all with pOverlapped NULL before their latency is over; each read
  completes exactly once, cancelled or (if the service served it first) with its bytes, and
  every outcome is checked.

Everything a run needs lives in locals or ``api.context.state`` (fresh for every run).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    ERROR_IO_PENDING,
    ERROR_OPERATION_ABORTED,
    ERROR_SUCCESS,
    PEERDIST_ERROR_NO_MORE,
    PEERDIST_VERSION,
)
from emu.win32.peerdist.types import PEERDIST_CONTENT_TAG
from emu.win32.types import DWORD, HANDLE, OVERLAPPED

IDENT = b"report-2024.pdf"
DATA = bytes(range(48)) * 4  # 192 bytes
PIECE = 16  # the reader's and the publisher's buffer size: several pieces each way

Api = Any
Call = Generator[Any, Any, Any]


def check(state: dict[str, Any], what: str, got: Any, want: Any) -> None:
    """Record a mismatch (the scenario asserts the list is empty)."""
    if got != want:
        state.setdefault("errors", []).append(f"{what}: {got!r}, expected {want!r}")


def awaited(api: Api, rc: int, ov: OVERLAPPED) -> Call:
    """The result of an operation that returned ``rc``: (ok, bytes, error)."""
    if rc != ERROR_IO_PENDING:
        return False, 0, rc
    n = DWORD()
    ok = yield from api.PeerDistGetOverlappedResult(ov, n, 1)
    error = 0 if ok else (yield from api.GetLastError())
    return bool(ok), n.value, error


def publish(api: Api, h: int, state: dict[str, Any]) -> Call:
    """Publish DATA under IDENT and return its content information."""
    hs = HANDLE()
    rc = yield from api.PeerDistServerPublishStream(
        h, len(IDENT), IDENT, len(DATA), None, None, 0, hs
    )
    check(state, "PublishStream", rc, ERROR_SUCCESS)
    for at in range(0, len(DATA), 64):
        chunk = DATA[at : at + 64]
        ov = OVERLAPPED()
        rc = yield from api.PeerDistServerPublishAddToStream(h, hs.value, len(chunk), chunk, ov)
        ok, n, _ = yield from awaited(api, rc, ov)
        check(state, "AddToStream", (ok, n), (True, len(chunk)))
    ov = OVERLAPPED()
    rc = yield from api.PeerDistServerPublishCompleteStream(h, hs.value, ov)
    ok, _, _ = yield from awaited(api, rc, ov)
    check(state, "CompleteStream", ok, True)
    rc = yield from api.PeerDistServerCloseStreamHandle(h, hs.value)
    check(state, "CloseStreamHandle", rc, ERROR_SUCCESS)
    hi = HANDLE()
    rc = yield from api.PeerDistServerOpenContentInformation(
        h, len(IDENT), IDENT, 0, len(DATA), None, 0, hi
    )
    check(state, "OpenContentInformation", rc, ERROR_SUCCESS)
    info = b""
    for _ in range(100):
        buf = bytearray(PIECE)
        ov = OVERLAPPED()
        rc = yield from api.PeerDistServerRetrieveContentInformation(h, hi.value, PIECE, buf, ov)
        ok, n, error = yield from awaited(api, rc, ov)
        if not ok:
            check(state, "RetrieveContentInformation", error, PEERDIST_ERROR_NO_MORE)
            break
        info += bytes(buf[:n])
    rc = yield from api.PeerDistServerCloseContentInformation(h, hi.value)
    check(state, "CloseContentInformation", rc, ERROR_SUCCESS)
    return info


def open_reader(api: Api, h: int, info: bytes, state: dict[str, Any]) -> Call:
    """A content handle with the content information added and completed."""
    hc = HANDLE()
    rc = yield from api.PeerDistClientOpenContent(
        h, PEERDIST_CONTENT_TAG(Data=b"T" * 16), None, 0, hc
    )
    check(state, "OpenContent", rc, ERROR_SUCCESS)
    for at in range(0, len(info), PIECE):
        piece = info[at : at + PIECE]
        ov = OVERLAPPED()
        rc = yield from api.PeerDistClientAddContentInformation(h, hc.value, len(piece), piece, ov)
        ok, n, _ = yield from awaited(api, rc, ov)
        check(state, "AddContentInformation", (ok, n), (True, len(piece)))
    ov = OVERLAPPED()
    rc = yield from api.PeerDistClientCompleteContentInformation(h, hc.value, ov)
    ok, _, _ = yield from awaited(api, rc, ov)
    check(state, "CompleteContentInformation", ok, True)
    return hc.value


def publisher_reader(api: Api) -> Call:
    state = api.context.state
    h = HANDLE()
    rc = yield from api.PeerDistStartup(PEERDIST_VERSION, h, None)
    check(state, "Startup", rc, ERROR_SUCCESS)
    info = yield from publish(api, h.value, state)
    hc = yield from open_reader(api, h.value, info, state)
    got = b""
    for _ in range(100):
        buf = bytearray(PIECE)
        ov = OVERLAPPED()
        rc = yield from api.PeerDistClientStreamRead(h.value, hc, PIECE, buf, 0, ov)
        ok, n, error = yield from awaited(api, rc, ov)
        if not ok:
            check(state, "StreamRead", error, PEERDIST_ERROR_NO_MORE)
            break
        got += bytes(buf[:n])
    check(state, "content read", got, DATA)
    rc = yield from api.PeerDistClientCloseContent(h.value, hc)
    check(state, "CloseContent", rc, ERROR_SUCCESS)
    rc = yield from api.PeerDistServerUnpublish(h.value, len(IDENT), IDENT)
    check(state, "Unpublish", rc, ERROR_SUCCESS)
    rc = yield from api.PeerDistShutdown(h.value)
    check(state, "Shutdown", rc, ERROR_SUCCESS)
    return len(state.get("errors", []))


def note(api: Api, text: str) -> None:
    """A ``scenario.note`` line, as the ``note:`` step writes it."""
    k = api.k
    k.emit(k.actor_id(), "scenario.note", (), (text,))


def client_cancel_all(api: Api) -> Call:
    """Two block reads of published content pending; cancel them with pOverlapped NULL at once.

    The reads could succeed (the content is in the cache) but the cancel is issued right after
    they start, before their latency: each completes exactly once, either cancelled
    (PeerDistGetOverlappedResult FALSE, ERROR_OPERATION_ABORTED) or, if the service finished it
    before the cancel arrived, normally with its bytes. Every outcome is checked; the outcome of
    each read is a note ("both reads were cancelled" on the canonical schedule).
    """
    state = api.context.state
    h = HANDLE()
    rc = yield from api.PeerDistStartup(PEERDIST_VERSION, h, None)
    check(state, "Startup", rc, ERROR_SUCCESS)
    info = yield from publish(api, h.value, state)
    hc = yield from open_reader(api, h.value, info, state)
    reads = []
    for at in (0, PIECE):
        ov = OVERLAPPED(Offset=at)
        buf = bytearray(PIECE)
        rc = yield from api.PeerDistClientBlockRead(h.value, hc, PIECE, buf, 0, ov)
        check(state, f"BlockRead at {at}", rc, ERROR_IO_PENDING)
        reads.append((at, ov, buf))
    rc = yield from api.PeerDistClientCancelAsyncOperation(h.value, hc, None)
    check(state, "ClientCancelAsyncOperation", rc, ERROR_SUCCESS)
    error = yield from api.GetLastError()
    check(state, "last error after the cancel", error, ERROR_OPERATION_ABORTED)
    cancelled = 0
    for at, ov, buf in reads:
        ok, n, error = yield from awaited(api, ERROR_IO_PENDING, ov)
        if ok:
            # The service served it before the cancel arrived: it keeps its own result.
            check(
                state,
                f"read at {at} completed first",
                (n, bytes(buf)),
                (PIECE, DATA[at : at + PIECE]),
            )
        else:
            check(state, f"read at {at} cancelled", error, ERROR_OPERATION_ABORTED)
            cancelled += 1
        state.setdefault("outcomes", []).append("cancelled" if not ok else "completed")
    note(
        api,
        {2: "both reads were cancelled", 1: "one read completed before the cancel"}.get(
            cancelled, "both reads completed before the cancel"
        ),
    )
    rc = yield from api.PeerDistClientCloseContent(h.value, hc)
    check(state, "CloseContent", rc, ERROR_SUCCESS)
    rc = yield from api.PeerDistServerUnpublish(h.value, len(IDENT), IDENT)
    check(state, "Unpublish", rc, ERROR_SUCCESS)
    rc = yield from api.PeerDistShutdown(h.value)
    check(state, "Shutdown", rc, ERROR_SUCCESS)
    return len(state.get("errors", []))
