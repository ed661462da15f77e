"""I/O requests at the kernel level: exactly one completion, and where it goes."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import STATUS_CANCELLED, STATUS_PENDING, STATUS_SUCCESS
from emu.kernel import Kernel
from emu.kernel.event import create_event
from emu.kernel.io import FileObject, IoRequest, cancel, complete, start_io
from emu.kernel.iocp import IoCompletionPort
from emu.kernel.thread import Thread
from emu.win32.types import OVERLAPPED


class NullDevice:
    """A device whose requests stay pending until the test completes them."""

    def __init__(self) -> None:
        self.cancelled: list[IoRequest] = []
        self.closed: list[FileObject] = []

    def check_read(self, file: Any) -> int:
        return 0

    def read(self, file: Any, irp: IoRequest, size: int, buffer: bytearray) -> None:
        pass

    def check_write(self, file: Any) -> int:
        return 0

    def write(self, file: Any, irp: IoRequest, data: bytes) -> None:
        pass

    def cancel(self, irp: IoRequest) -> None:
        self.cancelled.append(irp)

    def close(self, file: Any) -> None:
        self.closed.append(file)


def setup() -> tuple[Kernel, Thread, FileObject, NullDevice]:
    k = Kernel()

    def idle() -> Generator[Any, None, None]:
        return
        yield

    thread = Thread(k, "t", idle())
    device = NullDevice()
    return k, thread, FileObject(k, device, overlapped=True), device


def kinds(k: Kernel, *wanted: str) -> list[str]:
    return [e[2] for e in k.trace.events if e[2] in wanted]


def test_a_request_completes_exactly_once_later_completions_and_cancels_change_nothing() -> None:
    k, thread, file, device = setup()
    ov = OVERLAPPED()
    irp = start_io(k, file, thread, "ReadFile", ov)
    assert ov.Internal == STATUS_PENDING and file.pending == [irp]
    assert complete(k, irp, STATUS_SUCCESS, 5) is True
    assert complete(k, irp, STATUS_SUCCESS, 9) is False
    assert cancel(k, irp, "test") is False
    assert (ov.Internal, ov.InternalHigh) == (STATUS_SUCCESS, 5)
    assert kinds(k, "io.complete", "io.late") == ["io.complete", "io.late", "io.late"]
    assert device.cancelled == [] and file.pending == [] and thread.irps == []


def test_completion_signals_the_event_or_else_the_file() -> None:
    k, thread, file, _ = setup()
    event = create_event(k, True, True)
    irp = start_io(k, file, thread, "ReadFile", OVERLAPPED(), event=event)
    assert not event.signaled  # reset when the request starts
    complete(k, irp, STATUS_SUCCESS, 0)
    assert event.signaled and not file.signaled
    irp = start_io(k, file, thread, "ReadFile", OVERLAPPED())
    complete(k, irp, STATUS_SUCCESS, 0)
    assert file.signaled


def test_completion_posts_to_the_port_unless_suppressed_or_routed_to_an_apc() -> None:
    k, thread, file, _ = setup()
    port = IoCompletionPort(k, 1)
    file.associate(port, 42)
    complete(k, start_io(k, file, thread, "ReadFile", OVERLAPPED()), STATUS_SUCCESS, 1)
    complete(k, start_io(k, file, thread, "ReadFile", OVERLAPPED(), post=False), STATUS_SUCCESS, 2)
    routine = start_io(k, file, thread, "ReadFileEx", OVERLAPPED(), routine=lambda *a: None)
    complete(k, routine, STATUS_SUCCESS, 3)
    assert [p.information for p in port.packets] == [1]
    assert port.packets[0].key == 42
    assert len(thread.apcs) == 1


def test_cancel_asks_the_device_then_completes_with_status_cancelled() -> None:
    k, thread, file, device = setup()
    irp = start_io(k, file, thread, "ReadFile", OVERLAPPED())
    assert cancel(k, irp, "CancelIo") is True
    assert device.cancelled == [irp]
    assert irp.status == STATUS_CANCELLED and irp.done


def test_a_threads_exit_cancels_its_requests_on_files_without_a_port() -> None:
    k = Kernel()
    device = NullDevice()
    plain = FileObject(k, device, overlapped=True)
    ported = FileObject(k, device, overlapped=True)
    ported.associate(IoCompletionPort(k, 1), 0)
    requests: list[IoRequest] = []

    def body() -> Generator[Any, None, None]:
        requests.append(start_io(k, plain, thread, "ReadFile", OVERLAPPED()))
        requests.append(start_io(k, ported, thread, "ReadFile", OVERLAPPED()))
        return
        yield

    thread = Thread(k, "t", body())
    k.spawn(thread)
    k.run()
    # Since Vista, I/O on a file associated with a completion port outlives its thread.
    assert [r.status for r in requests] == [STATUS_CANCELLED, STATUS_PENDING]
    assert [e[4][1] for e in k.trace.events if e[2] == "io.pending"] == ["ReadFile"]


def test_the_last_handle_closes_the_file_through_its_device() -> None:
    k, _, file, device = setup()
    handle = k.handles.insert(file, 0)
    k.handles.remove(handle)
    assert device.closed == [file]
