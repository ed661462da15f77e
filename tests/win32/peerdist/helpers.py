"""What the PeerDist tests share: a machine with the BranchCache service in a chosen state,
programs that switch the service, sessions, OVERLAPPEDs and a published stream."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, Final

from emu.devices.branchcache import BRANCHCACHE_DEVICE, BranchCache, ServiceState, branchcache_of
from emu.kernel import Kernel
from emu.kernel.chooser import Chooser
from emu.win32 import Process
from emu.win32.peerdist import PEERDIST_CONTENT_TAG, PEERDIST_STATUS
from emu.win32.types import HANDLE, OVERLAPPED
from tests.support import Program, Sim

STATES: Final = {
    "AVAILABLE": (True, True, True),
    "UNAVAILABLE": (True, False, True),
    "DISABLED": (False, True, True),
}
"""The (policy, running, cache) switches each initial status stands for."""

Gen = Generator[Any, Any, Any]


def pd_sim(
    programs: dict[str, Program] | Program,
    *,
    status: str = "AVAILABLE",
    profile: str = "default",
    latency: tuple[int, int] | None = None,
    chooser: Chooser | None = None,
    processors: int = 1,
) -> Sim:
    """Application threads of one process (in dict order) on a machine whose BranchCache
    service starts in ``status``; run to the end."""
    if callable(programs):
        programs = {"main": programs}
    k = Kernel(processors=processors, chooser=chooser)
    k.profile = profile
    if latency is not None:
        k.latency["branchcache"] = latency
    switches = STATES[status]
    k.device(BRANCHCACHE_DEVICE, lambda: BranchCache(k, ServiceState(*switches)))
    process = Process(k)
    sim = Sim(k, process.api)
    for name, program in programs.items():
        sim.threads[name] = process.start(name, program)
    sim.reason = k.run(None)
    return sim


def logged(body: Callable[[Any, list[Any]], Gen], **options: Any) -> tuple[list[Any], Sim]:
    """Run ``body(api, log)`` on one thread; what it logged and the simulation."""
    log: list[Any] = []
    sim = pd_sim(lambda api: body(api, log), **options)
    assert sim.reason == "all threads done", sim.reason
    return log, sim


def switch(api: Any, what: str, on: bool) -> None:
    """Turn the service's ``policy``, ``running`` or ``cache`` on or off now."""
    assert branchcache_of(api.k).switch(what, on, f"test {what} {on}") is None


def startup(api: Any) -> Gen:
    """A new session's handle value (PeerDistStartup must succeed)."""
    h = HANDLE()
    code = yield from api.PeerDistStartup(2, h, None)
    assert code == 0
    return h.value


def event_overlapped(api: Any) -> Gen:
    """(manual-reset event handle, an OVERLAPPED naming it)."""
    ev = yield from api.CreateEventW(None, True, False, None)
    return ev, OVERLAPPED(hEvent=ev)


def register(api: Any, h: Any, ov: Any, port: Any = None, key: int = 0) -> Gen:
    """Register (non-Ex); (the code, the status buffer)."""
    st = PEERDIST_STATUS()
    code = yield from api.PeerDistRegisterForStatusChangeNotification(h, port, key, ov, st)
    return code, st


def publish(api: Any, h: Any, ident: bytes = b"id", data: bytes = b"abcd") -> Gen:
    """Publish ``data`` under ``ident`` (stream, one add, complete; each waited for);
    the stream handle."""
    hs = HANDLE()
    code = yield from api.PeerDistServerPublishStream(
        h, len(ident), ident, len(data), None, None, 0, hs
    )
    assert code == 0, code
    ev, ov = yield from event_overlapped(api)
    code = yield from api.PeerDistServerPublishAddToStream(h, hs.value, len(data), data, ov)
    assert code == 997, code
    yield from api.WaitForSingleObject(ev, 0xFFFFFFFF)
    yield from api.ResetEvent(ev)
    ov2 = OVERLAPPED(hEvent=ev)
    code = yield from api.PeerDistServerPublishCompleteStream(h, hs.value, ov2)
    assert code == 997, code
    yield from api.WaitForSingleObject(ev, 0xFFFFFFFF)
    return hs.value


def open_content(api: Any, h: Any, port: Any = None) -> Gen:
    """A content handle (PeerDistClientOpenContent must succeed)."""
    hc = HANDLE()
    code = yield from api.PeerDistClientOpenContent(h, PEERDIST_CONTENT_TAG(), port, 0, hc)
    assert code == 0, code
    return hc.value


def ready_content(api: Any, h: Any, ident: bytes = b"id") -> Gen:
    """A content handle whose content information (of the publication ``ident``, retrieved
    whole) was added and completed: ready to read."""
    from emu.win32.types import DWORD

    hi = HANDLE()
    code = yield from api.PeerDistServerOpenContentInformation(
        h, len(ident), ident, 0, 0, None, 0, hi
    )
    assert code == 0, code
    buf = bytearray(256)
    _ev, ov = yield from event_overlapped(api)
    code = yield from api.PeerDistServerRetrieveContentInformation(h, hi.value, 256, buf, ov)
    assert code == 997, code
    n = DWORD()
    ok = yield from api.PeerDistGetOverlappedResult(ov, n, 1)
    assert ok == 1
    info = bytes(buf[: n.value])
    hc = yield from open_content(api, h)
    ov = OVERLAPPED()
    code = yield from api.PeerDistClientAddContentInformation(h, hc, len(info), info, ov)
    assert code == 997, code
    ok = yield from api.PeerDistGetOverlappedResult(ov, n, 1)
    assert ok == 1
    ov = OVERLAPPED()
    code = yield from api.PeerDistClientCompleteContentInformation(h, hc, ov)
    assert code == 997, code
    ok = yield from api.PeerDistGetOverlappedResult(ov, n, 1)
    assert ok == 1
    return hc


class SlowOps(Chooser):
    """The longest latency for each operation whose label holds one of ``slow``; option 0
    (the least surprising) everywhere else: the operation outlives a cancel's trip."""

    strategy = "slow-ops"

    def __init__(self, *slow: str) -> None:
        super().__init__()
        self.slow = slow

    def pick(self, point: Any) -> int:
        if any(s in point.label for s in self.slow):
            return len(point.options) - 1
        return 0


SLOW_OPS: Final = ("BlockRead", "StreamRead", "AddToStream")
