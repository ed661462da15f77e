"""Named pipes (the named-pipe file system): the device behind CreateNamedPipe and CreateFile.

Named pipes are the classic vehicle of overlapped I/O and completion ports, and Wine's own IOCP
conformance tests use them (F5.15, F5.16 in docs/sources.md). What is modelled, byte mode only:

- An instance is created by CreateNamedPipe and is *listening*; a client CreateFile of the same
  name connects to a listening instance (none: ERROR_PIPE_BUSY; no such name:
  ERROR_FILE_NOT_FOUND; a direction that does not suit the client's access: ERROR_ACCESS_DENIED,
  and nothing connects). ConnectNamedPipe completes when a client connects, or fails with
  ERROR_PIPE_CONNECTED if one already has ("If a client connects before the function is called,
  the function returns zero and GetLastError returns ERROR_PIPE_CONNECTED").
- Each end has an inbound byte buffer. A write appends to the other end's buffer and completes
  at once; a read takes what is there (up to its size) at once, or stays pending until data
  arrives (pending reads are satisfied in the order they were issued). A pending read does not
  create a completion packet until it completes (F5.16).
- Closing an end (its last handle): its own pending requests and the other end's pending reads
  complete with STATUS_PIPE_BROKEN (F5.16); the other end can still read what was buffered, then
  gets ERROR_BROKEN_PIPE, and its writes fail with ERROR_NO_DATA. DisconnectNamedPipe drops the
  client: its pending reads complete with STATUS_PIPE_DISCONNECTED and its calls then fail with
  ERROR_PIPE_NOT_CONNECTED.
- On a listening server end, reads and writes fail with ERROR_PIPE_LISTENING.
- A cancelled request completes with STATUS_CANCELLED.

Assumptions (docs/rules.md): buffers are unbounded, so a write never pends (nOutBufferSize and
nInBufferSize are advisory); message mode (PIPE_TYPE_MESSAGE) is not modelled and is refused as
unsupported rather than treated as byte mode.
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from emu.codes.ntstatus import (
    STATUS_ACCESS_DENIED,
    STATUS_CANCELLED,
    STATUS_INSTANCE_NOT_AVAILABLE,
    STATUS_OBJECT_NAME_COLLISION,
    STATUS_OBJECT_NAME_NOT_FOUND,
    STATUS_PIPE_BROKEN,
    STATUS_PIPE_CLOSING,
    STATUS_PIPE_CONNECTED,
    STATUS_PIPE_DISCONNECTED,
    STATUS_PIPE_LISTENING,
    STATUS_PIPE_NOT_AVAILABLE,
    STATUS_SUCCESS,
)
from emu.kernel.io import FileObject, IoRequest, complete
from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel

PIPE_STATE = trace_kind(
    "pipe.state",
    ("state", "buffered"),
    state=("state", "buffered"),
    text="{o0} -> {state} ({buffered} bytes buffered)",
    doc="A pipe end changed state (listening, connected, disconnected, closing, closed) or "
    "its inbound buffer changed (`buffered`: bytes waiting to be read).",
)


class PipeState(StrEnum):
    LISTENING = "listening"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    CLOSING = "closing"  # the other end is gone; buffered data can still be read
    CLOSED = "closed"


class PipeEnd(FileObject):
    """One end of a pipe instance: the server end or the client end."""

    __slots__ = ("can_read", "can_write", "inbound", "instance", "is_server", "reads", "state")

    TYPE = "NamedPipe"

    def __init__(
        self,
        k: Kernel,
        device: NamedPipeFileSystem,
        instance: PipeInstance,
        is_server: bool,
        overlapped: bool,
        can_read: bool,
        can_write: bool,
    ) -> None:
        side = "server" if is_server else "client"
        super().__init__(k, device, overlapped, f"{instance.name}[{side}]")
        self.instance = instance
        self.is_server = is_server
        self.can_read = can_read
        self.can_write = can_write
        self.inbound = bytearray()
        self.reads: deque[IoRequest] = deque()
        self.state = PipeState.LISTENING if is_server else PipeState.CONNECTED

    def peer(self) -> PipeEnd | None:
        instance = self.instance
        return instance.client if self.is_server else instance.server

    def set_state(self, state: PipeState) -> None:
        self.state = state
        self._trace()

    def _trace(self) -> None:
        k = self.k
        k.emit(k.actor_id(), PIPE_STATE, (self.oid,), (self.state._value_, len(self.inbound)))


class PipeInstance:
    """A server end and, once a client connected, a client end."""

    __slots__ = ("client", "connects", "name", "server")

    def __init__(self, name: str) -> None:
        self.name = name
        self.server: PipeEnd | None = None
        self.client: PipeEnd | None = None
        self.connects: list[IoRequest] = []  # pending ConnectNamedPipe requests


class NamedPipeFileSystem:
    """NPFS: the pipes of one simulation, by case-insensitive name."""

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self.pipes: dict[str, list[PipeInstance]] = {}
        self.limits: dict[str, int] = {}

    # -- creating and opening -----------------------------------------------------------------

    def create(
        self,
        name: str,
        max_instances: int,
        first_instance: bool,
        overlapped: bool,
        can_read: bool,
        can_write: bool,
    ) -> tuple[int, PipeEnd | None]:
        key = name.lower()
        instances = self.pipes.get(key)
        if instances is not None and first_instance:
            return STATUS_OBJECT_NAME_COLLISION, None
        if instances is not None and len(instances) >= self.limits[key]:
            return STATUS_INSTANCE_NOT_AVAILABLE, None
        if instances is None:
            instances = self.pipes[key] = []
            self.limits[key] = max_instances
        instance = PipeInstance(name)
        end = PipeEnd(self.k, self, instance, True, overlapped, can_read, can_write)
        instance.server = end
        instances.append(instance)
        end._trace()
        return STATUS_SUCCESS, end

    def open(
        self, name: str, overlapped: bool, can_read: bool, can_write: bool
    ) -> tuple[int, PipeEnd | None]:
        """A client connects to a listening instance whose direction suits its access."""
        instances = self.pipes.get(name.lower())
        if not instances:
            return STATUS_OBJECT_NAME_NOT_FOUND, None
        for instance in instances:
            server = instance.server
            if server is None or server.state is not PipeState.LISTENING:
                continue
            if (can_read and not server.can_write) or (can_write and not server.can_read):
                return STATUS_ACCESS_DENIED, None  # refused before anything connects
            client = PipeEnd(self.k, self, instance, False, overlapped, can_read, can_write)
            instance.client = client
            server.set_state(PipeState.CONNECTED)
            client._trace()
            waiting, instance.connects = instance.connects, []
            for irp in waiting:
                complete(self.k, irp, STATUS_SUCCESS, 0)
            return STATUS_SUCCESS, client
        return STATUS_PIPE_NOT_AVAILABLE, None

    # -- operations (each returns an immediate failure status, or 0 once the IRP is handled) ---

    def connect(self, server: PipeEnd, irp: IoRequest | None) -> int:
        """ConnectNamedPipe: STATUS_PIPE_CONNECTED / STATUS_PIPE_CLOSING, or 0 (irp pending)."""
        if server.state is PipeState.CONNECTED:
            return STATUS_PIPE_CONNECTED
        if server.state is PipeState.CLOSING:
            return STATUS_PIPE_CLOSING
        if server.state is PipeState.DISCONNECTED:
            server.set_state(PipeState.LISTENING)
        if irp is not None:
            server.instance.connects.append(irp)
        return 0

    def check_read(self, end: PipeEnd) -> int:
        if end.state is PipeState.LISTENING:
            return STATUS_PIPE_LISTENING
        if end.state is PipeState.DISCONNECTED:
            return STATUS_PIPE_DISCONNECTED
        if end.state is PipeState.CLOSING and not end.inbound:
            return STATUS_PIPE_BROKEN
        return 0

    def read(self, end: PipeEnd, irp: IoRequest, size: int, buffer: bytearray | memoryview) -> None:
        """Take buffered bytes now, or leave the read pending until data arrives; the bytes
        are copied into the caller's ``buffer`` when the read completes."""
        irp.data = (size, buffer)
        end.reads.append(irp)
        self._satisfy_reads(end)

    def check_write(self, end: PipeEnd) -> int:
        if end.state is PipeState.LISTENING:
            return STATUS_PIPE_LISTENING
        if end.state is PipeState.DISCONNECTED:
            return STATUS_PIPE_DISCONNECTED
        if end.state is PipeState.CLOSING:
            return STATUS_PIPE_CLOSING
        return 0

    def write(self, end: PipeEnd, irp: IoRequest, data: bytes) -> None:
        """Append to the other end's buffer and complete the write."""
        peer = end.peer()
        assert peer is not None
        peer.inbound += data
        peer._trace()
        complete(self.k, irp, STATUS_SUCCESS, len(data))
        self._satisfy_reads(peer)

    def _satisfy_reads(self, end: PipeEnd) -> None:
        k = self.k
        while end.reads and (end.inbound or end.state is PipeState.CLOSING):
            irp = end.reads.popleft()
            if not end.inbound:  # the other end closed and nothing is left
                complete(k, irp, STATUS_PIPE_BROKEN, 0)
                continue
            size, buffer = irp.data
            chunk = bytes(end.inbound[:size])
            del end.inbound[:size]
            buffer[: len(chunk)] = chunk
            end._trace()
            complete(k, irp, STATUS_SUCCESS, len(chunk))

    def disconnect(self, server: PipeEnd) -> int:
        """DisconnectNamedPipe: drop the client, discard buffered data."""
        if server.state is PipeState.LISTENING:
            return STATUS_PIPE_LISTENING
        client = server.instance.client
        server.inbound.clear()
        server.set_state(PipeState.DISCONNECTED)
        self._fail_reads(server, STATUS_PIPE_DISCONNECTED)
        if client is not None:
            client.inbound.clear()
            client.set_state(PipeState.DISCONNECTED)
            self._fail_reads(client, STATUS_PIPE_DISCONNECTED)
            server.instance.client = None
        return 0

    def _fail_reads(self, end: PipeEnd, status: int) -> None:
        while end.reads:
            complete(self.k, end.reads.popleft(), status, 0)

    # -- the file-object callbacks ------------------------------------------------------------

    def cancel(self, irp: IoRequest) -> None:
        end = irp.file
        assert isinstance(end, PipeEnd)
        if irp in end.reads:
            end.reads.remove(irp)
        if irp in end.instance.connects:
            end.instance.connects.remove(irp)
        complete(self.k, irp, STATUS_CANCELLED, 0)

    def close(self, end: FileObject) -> None:
        """The end's last handle closed: its requests and the peer's pending reads break."""
        assert isinstance(end, PipeEnd)
        instance = end.instance
        for irp in list(end.pending):
            if irp in end.reads:
                end.reads.remove(irp)
            if irp in instance.connects:
                instance.connects.remove(irp)
            complete(self.k, irp, STATUS_PIPE_BROKEN, 0)
        current = end.is_server or instance.client is end  # not a client dropped earlier
        end.set_state(PipeState.CLOSED)
        if not current:
            return
        peer = end.peer()
        if end.is_server:
            self.pipes[instance.name.lower()].remove(instance)
            if not self.pipes[instance.name.lower()]:
                del self.pipes[instance.name.lower()]
        else:
            instance.client = None
        if peer is not None and peer.state is PipeState.CONNECTED:
            peer.set_state(PipeState.CLOSING)
            self._satisfy_reads(peer)

    def describe(self) -> dict[str, Any]:
        return {name: len(instances) for name, instances in self.pipes.items()}
