"""kernel.overlapped_unique: "the lpOverlapped parameter must point to a valid and unique
OVERLAPPED structure" (ReadFile): one OVERLAPPED per request in flight."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    FILE_FLAG_OVERLAPPED,
    GENERIC_READ,
    GENERIC_WRITE,
    OPEN_EXISTING,
    PIPE_ACCESS_DUPLEX,
)
from emu.kernel import Kernel
from emu.properties.verdict import verdict
from emu.win32 import OVERLAPPED, Api, Process

PIPE = "\\\\.\\pipe\\ov"


def reader(reuse: bool) -> Any:
    def main(api: Api) -> Generator[Any, Any, int]:
        pipe = yield from api.CreateNamedPipeW(
            PIPE, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED, 0, 1, 64, 64, 0, None
        )
        client = yield from api.CreateFileW(
            PIPE, GENERIC_READ | GENERIC_WRITE, 0, None, OPEN_EXISTING, 0, None
        )
        first, second = OVERLAPPED(), OVERLAPPED()
        yield from api.ReadFile(pipe, bytearray(4), 4, None, first)  # pends: nothing written
        yield from api.ReadFile(pipe, bytearray(4), 4, None, first if reuse else second)
        yield from api.WriteFile(client, b"12345678", 8, None, None)
        yield from api.CloseHandle(client)
        yield from api.CloseHandle(pipe)
        return 0

    return main


def status(reuse: bool) -> Any:
    k = Kernel()
    Process(k).start("main", reader(reuse))
    k.run()
    found = verdict(k.trace.events).status("kernel.overlapped_unique")
    assert found is not None
    return found


def test_two_requests_with_their_own_overlapped_hold() -> None:
    assert status(reuse=False).state == "held"


def test_an_overlapped_reused_while_its_request_is_pending_is_a_violation() -> None:
    found = status(reuse=True)
    assert found.state == "violated"
    (finding,) = found.findings
    assert "still in use by request" in finding.message
    assert len(finding.related) == 1
