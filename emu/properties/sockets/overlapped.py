"""The overlapped path of a socket server (the classic IOCP server): its memory rules.

An overlapped WSARecv or WSASend is an I/O request on the socket's file object; it completes
exactly once, writing its OVERLAPPED (Internal, InternalHigh) and queuing a packet that carries
the socket's completion key (the per-socket context of CreateIoCompletionPort) and the
OVERLAPPED. closesocket does not end them silently: "Any pending overlapped send and receive
operations ... are also canceled. Any event, completion routine, or completion port action
specified for these overlapped operations is performed. The pending overlapped operations fail
with the error status WSA_OPERATION_ABORTED" (closesocket, Remarks; F2.37). So the OVERLAPPED
must stay valid until its request completed, and the context until the packets carrying it
were dequeued, closesocket or not: ``sock.overlapped_freed_early``.

Reusing an OVERLAPPED for a second request before the first completed is
``kernel.overlapped_unique``, which judges every file's requests, sockets' included.
"""

from __future__ import annotations

from typing import ClassVar, Final

from emu.codes.ntstatus import STATUS_CANCELLED
from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import CLIENT_RULE, Property, register
from emu.properties.checker import Checker, Context

SOCKET_TYPE: Final = "Socket"


class OverlappedFreedEarly(Checker):
    """An OVERLAPPED that ends while its socket request is pending, or a socket's completion
    key (a traced structure) that ends while one of the socket's requests is pending or a
    completion packet carrying it is still queued (a request cancelled by closesocket
    included)."""

    KINDS = (
        "handle.open",
        "handle.close",
        "api",
        "io.start",
        "io.complete",
        "iocp.post",
        "iocp.dequeue",
        "iocp.drop",
        "mem.end",
    )
    TRIGGERS: ClassVar[tuple[str, ...] | None] = ("sock.state",)  # a run with a socket

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.handles: dict[object, int] = {}  # SOCKET value -> socket
        self.keys: dict[int, object] = {}  # socket -> its completion key
        self.pending: dict[
            int, tuple[int, str, int, object]
        ] = {}  # irp -> (socket, op, seq, OVERLAPPED)
        self.completed: dict[
            object, tuple[int, int, str, int]
        ] = {}  # OVERLAPPED -> (irp, socket, op, status)
        self.queued: dict[int, tuple[int, object, int, str, int, int]] = {}  # packet -> ...
        self.names: set[object] = set()  # OVERLAPPEDs and keys of socket requests

    def _socket(self, oid: int) -> bool:
        return self.context.types.get(oid) == SOCKET_TYPE

    def feed(self, seq: int, event: TraceTuple) -> None:
        _t, _actor, kind, objects, payload, _c = event
        if kind == "handle.open":
            if self._socket(objects[0]):
                self.handles[payload[1]] = objects[0]
        elif kind == "handle.close":
            if self.handles.get(payload[1]) == objects[0]:
                del self.handles[payload[1]]
        elif kind == "api":
            args = payload[1]
            if payload[0] == "CreateIoCompletionPort" and payload[2] and len(args) > 2:
                sock = self.handles.get(args[0]) if isinstance(args[0], int) else None
                if sock is not None:
                    self.keys[sock] = args[2]
                    self.names.add(args[2])
        elif kind == "io.start":
            if self._socket(objects[0]):
                self.pending[payload[0]] = (objects[0], str(payload[1]), seq, payload[2])
                self.names.add(payload[2])
        elif kind == "io.complete":
            started = self.pending.pop(payload[0], None)
            if started is not None:
                self.completed[started[3]] = (payload[0], started[0], started[1], payload[2])
        elif kind == "iocp.post":
            done = self.completed.pop(payload[2], None)
            if done is not None:
                irp, sock, op, status = done
                self.queued[payload[0]] = (irp, payload[1], sock, op, status, seq)
        elif kind in ("iocp.dequeue", "iocp.drop"):
            self.queued.pop(payload[0], None)
        else:
            self._ended(seq, self.context.name(objects[0]), str(payload[0]))

    def _ended(self, seq: int, name: str, reason: str) -> None:
        if name not in self.names:
            return
        self.exercised = True
        name_of = self.context.name
        for irp, (sock, op, start, overlapped) in self.pending.items():
            if overlapped == name:
                self.found(
                    seq,
                    f"{name} ({reason}) while {op} #{irp} on {name_of(sock)} is still pending: "
                    "its completion writes the freed OVERLAPPED",
                    start,
                )
            elif self.keys.get(sock) == name:
                self.found(
                    seq,
                    f"{name} ({reason}), the completion key of {name_of(sock)}, while {op} "
                    f"#{irp} is still pending: its completion packet will carry freed memory",
                    start,
                )
        for packet, (irp, key, sock, op, status, posted) in self.queued.items():
            if key == name:
                why = " (cancelled: WSA_OPERATION_ABORTED)" if status == STATUS_CANCELLED else ""
                self.found(
                    seq,
                    f"{name} ({reason}), the completion key of {name_of(sock)}, while packet "
                    f"#{packet} of {op} #{irp}{why} carrying it is still queued: the thread "
                    "that dequeues it reads freed memory",
                    posted,
                )


register(
    Property(
        "sock.overlapped_freed_early",
        CLIENT_RULE,
        ("WSARecv", "WSASend", "closesocket", "CreateIoCompletionPort"),
        "closesocket (MS doc), Remarks; F2.37",
        "Any pending overlapped send and receive operations (WSASend/WSASendTo/WSARecv/"
        "WSARecvFrom with an overlapped socket) issued by any thread in this process are also "
        "canceled. Any event, completion routine, or completion port action specified for "
        "these overlapped operations is performed. The pending overlapped operations fail with "
        "the error status WSA_OPERATION_ABORTED.",
        checker=OverlappedFreedEarly,
        note="an OVERLAPPED must stay valid until its request completed, and the socket's "
        "context (its completion key) until every packet carrying it was dequeued, closesocket "
        "or not; exercised when such a structure ends",
    ),
)
