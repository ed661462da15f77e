"""Overlapped I/O on sockets (winsock2.h): WSARecv, WSASend, WSAGetOverlappedResult.

With an OVERLAPPED on an overlapped socket, WSARecv and WSASend start an I/O request on the
socket's file object (``emu.devices.sockets.requests``), which completes exactly like a named
pipe's: OVERLAPPED.Internal and InternalHigh, the event (``hEvent``; a NULL one: the socket
itself), and a packet on the completion port the socket was associated with by
CreateIoCompletionPort (the classic IOCP server). The contract (MS docs, WSARecv and WSASend):

- "If no error occurs and the receive operation has completed immediately, WSARecv returns
  zero. In this case, the completion routine will have already been scheduled to be called
  once the calling thread is in the alertable state. Otherwise, a value of SOCKET_ERROR is
  returned ... The error code WSA_IO_PENDING indicates that the overlapped operation has been
  successfully initiated and that completion will be indicated at a later time." A request
  completed at once still queues its packet on an associated port, as a pipe's does.
- "For non overlapped sockets, the blocking semantics are identical to that of the standard
  recv function and the lpOverlapped and lpCompletionRoutine parameters are ignored": without
  an OVERLAPPED, or on a socket created without WSA_FLAG_OVERLAPPED, the call is recv or send
  (blocking or not as the socket is), and ``lpNumberOfBytesRecvd`` (``lpNumberOfBytesSent``)
  must point to a DWORD ("This parameter can be NULL only if the lpOverlapped parameter is
  not NULL"), else WSAEFAULT.
- The buffers are a list of WSABUF; ``dwBufferCount`` of them are used (at least one, else
  WSAEINVAL); a receive scatters the bytes over them in order, a send gathers them.
- closesocket: "Any pending overlapped send and receive operations ... are also canceled.
  Any event, completion routine, or completion port action specified for these overlapped
  operations is performed. The pending overlapped operations fail with the error status
  WSA_OPERATION_ABORTED" (F2.37).
- WSAGetOverlappedResult: WSA_IO_INCOMPLETE while pending without fWait; with fWait it waits
  (non-alertably) on the OVERLAPPED's event, or on the socket when there is none; a failed
  request is FALSE with its WSA code: a cancelled one WSA_OPERATION_ABORTED, a reset one
  WSAECONNRESET. If the event or socket was signalled by another request and this one is
  still pending after the wait, the result is WSA_IO_INCOMPLETE (assumption: the documented
  hazard of sharing an event).

Emulation notes: completion routines (lpCompletionRoutine), datagram sockets and receive flags
other than 0 on an overlapped receive raise UnsupportedApi.
"""

from __future__ import annotations

from typing import Any, Final

from emu.codes.ntmap import win32_from_ntstatus
from emu.codes.ntstatus import (
    STATUS_CANCELLED,
    STATUS_CONNECTION_RESET,
    STATUS_PENDING,
    nt_success,
)
from emu.codes.winsock import (
    MSG_PEEK,
    SOCKET_ERROR,
    WSA_IO_INCOMPLETE,
    WSA_IO_PENDING,
    WSA_OPERATION_ABORTED,
    WSAECONNRESET,
    WSAEFAULT,
    WSAEINTR,
    WSAEINVAL,
    WSAENOTCONN,
    WSAESHUTDOWN,
    WSAEWOULDBLOCK,
)
from emu.devices.sockets import Socket, SockState
from emu.errors import UnsupportedApi
from emu.kernel import waits
from emu.kernel.actor import PARK
from emu.kernel.event import KEvent
from emu.kernel.io import IoRequest
from emu.kernel.thread import Thread
from emu.win32.base import BOOL, LONG_VALUE, ApiCall, dword, export, handle_value
from emu.win32.kernel32.iobase import IoBase, source_bytes, target_buffer
from emu.win32.types import DWORD, OVERLAPPED
from emu.win32.ws2_32.base import WsBase, plain_int
from emu.win32.ws2_32.types import WSABUF

WSA_FROM_NTSTATUS: Final = {
    STATUS_CANCELLED: WSA_OPERATION_ABORTED,
    STATUS_CONNECTION_RESET: WSAECONNRESET,
}


def wsa_error(status: int) -> int:
    """The WSA code a failed request reports through WSAGetOverlappedResult."""
    return WSA_FROM_NTSTATUS.get(status) or win32_from_ntstatus(status)


class OverlappedApi(WsBase, IoBase):
    __slots__ = ()

    def _buffers(self, lpBuffers: Any, dwBufferCount: Any, receive: bool) -> list[Any] | int:
        """The ``dwBufferCount`` buffers (writable for a receive, bytes for a send), or the
        WSA error: WSAEINVAL for a count below 1, WSAEFAULT for a missing or short buffer."""
        count = plain_int(dwBufferCount)
        if count is None or count < 1:
            return WSAEINVAL
        if not isinstance(lpBuffers, (list, tuple)) or len(lpBuffers) < count:
            return WSAEFAULT
        chosen: list[Any] = []
        for item in lpBuffers[:count]:
            if not isinstance(item, WSABUF):
                return WSAEFAULT
            item.bind(self.k)
            size, buf = item.sys_get("len"), item.sys_get("buf")
            if type(size) is not int or size < 0:
                return WSAEFAULT
            view = target_buffer(buf, size) if receive else source_bytes(buf, size)
            if view is None:
                return WSAEFAULT
            chosen.append(memoryview(view)[:size] if receive else view)
        return chosen

    def _immediate_error(self, sock: Socket, receive: bool) -> int:
        if not sock.stream:
            raise UnsupportedApi("overlapped I/O on a datagram socket: not modelled")
        if sock.state is SockState.RESET:
            return WSAECONNRESET
        if sock.state is not SockState.CONNECTED:
            return WSAENOTCONN
        if sock.shut_recv if receive else sock.shut_send:
            return WSAESHUTDOWN
        return 0

    def _start(
        self,
        t: Thread,
        name: str,
        args: tuple[Any, ...],
        sock: Socket,
        buffers: list[Any],
        lpOverlapped: Any,
        count_box: Any,
        receive: bool,
    ) -> ApiCall[int]:
        """The overlapped path: start the request; 0 when it completed at once, else
        SOCKET_ERROR with WSA_IO_PENDING."""
        error = self._immediate_error(sock, receive)
        if error:
            return self._fail(t, name, args, SOCKET_ERROR, error)
        irp = self._begin(t, sock, name, lpOverlapped)
        if not isinstance(irp, IoRequest):
            return self._fail_nt(t, name, args, SOCKET_ERROR, irp)
        net = self._net()
        if receive:
            if net.start_receive(sock, irp, buffers) and sock.peer is not None:
                net.pump(sock.peer)
        elif net.start_send(sock, irp, b"".join(bytes(b) for b in buffers)):
            net.pump(sock)
        if not irp.done:
            return self._fail(t, name, args, SOCKET_ERROR, WSA_IO_PENDING)
        if not nt_success(irp.status):
            return self._fail(t, name, args, SOCKET_ERROR, wsa_error(irp.status))
        if isinstance(count_box, DWORD):
            count_box.bind(self.k)
            count_box.sys_set("value", irp.information)
        return self._done(t, name, args, 0)
        yield  # type: ignore[unreachable]  # every path is a generator

    def _receive_now(
        self, t: Thread, name: str, args: tuple[Any, ...], sock: Socket, buffers: list[Any]
    ) -> ApiCall[int | None]:
        """The non-overlapped receive (recv's rules): the byte count, or None after failing
        the call."""
        net = self._net()
        size = sum(len(b) for b in buffers)
        while True:
            error, data = net.recv(sock, size, False)
            if error != WSAEWOULDBLOCK or sock.nonblocking:
                break
            yield from self._block(t, sock)
            if sock.closed:
                error = WSAEINTR
                break
        if error:
            self._fail(t, name, args, SOCKET_ERROR, error)
            return None
        offset = 0
        for buffer in buffers:
            part = data[offset : offset + len(buffer)]
            buffer[: len(part)] = part
            offset += len(part)
        return len(data)

    @export("ws2_32", LONG_VALUE)
    def WSARecv(
        self,
        s: Any,
        lpBuffers: Any,
        dwBufferCount: Any,
        lpNumberOfBytesRecvd: Any,
        lpFlags: Any,
        lpOverlapped: Any = None,
        lpCompletionRoutine: Any = None,
    ) -> ApiCall[int]:
        """int WSAAPI WSARecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
        LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
        LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);

        "The WSARecv function receives data from a connected socket or a bound connectionless
        socket."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("WSARecv", self._footprint(s, "w")):
            yield PARK
        name = "WSARecv"
        args = (s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, lpOverlapped)
        sock, failed = self._lookup(t, name, args, s)
        if sock is None:
            return int(failed)
        if lpCompletionRoutine is not None:
            raise UnsupportedApi("WSARecv with a completion routine: not modelled")
        buffers = self._buffers(lpBuffers, dwBufferCount, True)
        if isinstance(buffers, int):
            return self._fail(t, name, args, SOCKET_ERROR, buffers)
        if not isinstance(lpFlags, DWORD):
            return self._fail(t, name, args, SOCKET_ERROR, WSAEFAULT)
        lpFlags.bind(k)
        flags = dword(lpFlags.sys_get("value"))
        if flags is None:
            return self._fail(t, name, args, SOCKET_ERROR, WSAEINVAL)
        overlapped = lpOverlapped is not None and sock.overlapped
        if flags:
            what = "MSG_PEEK" if flags == MSG_PEEK else f"flags 0x{flags:X}"
            raise UnsupportedApi(f"WSARecv with {what}: not modelled")
        if overlapped:
            if not isinstance(lpOverlapped, OVERLAPPED):
                return self._fail(t, name, args, SOCKET_ERROR, WSAEFAULT)
            return (
                yield from self._start(
                    t, name, args, sock, buffers, lpOverlapped, lpNumberOfBytesRecvd, True
                )
            )
        if not isinstance(lpNumberOfBytesRecvd, DWORD):
            return self._fail(t, name, args, SOCKET_ERROR, WSAEFAULT)
        if not sock.stream:
            raise UnsupportedApi("WSARecv on a datagram socket: not modelled (use recvfrom)")
        received = yield from self._receive_now(t, name, args, sock, buffers)
        if received is None:
            return SOCKET_ERROR
        lpNumberOfBytesRecvd.bind(k)
        lpNumberOfBytesRecvd.sys_set("value", received)
        lpFlags.sys_set("value", 0)
        return self._done(t, name, args, 0)

    @export("ws2_32", LONG_VALUE)
    def WSASend(
        self,
        s: Any,
        lpBuffers: Any,
        dwBufferCount: Any,
        lpNumberOfBytesSent: Any,
        dwFlags: Any,
        lpOverlapped: Any = None,
        lpCompletionRoutine: Any = None,
    ) -> ApiCall[int]:
        """int WSAAPI WSASend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
        LPDWORD lpNumberOfBytesSent, DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
        LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);

        "The WSASend function sends data on a connected socket."
        """
        t = self._caller()
        k = self.k
        if k.ready and k.preempted("WSASend", self._footprint(s, "w")):
            yield PARK
        name = "WSASend"
        args = (s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, lpOverlapped)
        sock, failed = self._lookup(t, name, args, s)
        if sock is None:
            return int(failed)
        if lpCompletionRoutine is not None:
            raise UnsupportedApi("WSASend with a completion routine: not modelled")
        buffers = self._buffers(lpBuffers, dwBufferCount, False)
        if isinstance(buffers, int):
            return self._fail(t, name, args, SOCKET_ERROR, buffers)
        flags = dword(dwFlags)
        if flags is None:
            return self._fail(t, name, args, SOCKET_ERROR, WSAEINVAL)
        if flags:
            raise UnsupportedApi(f"WSASend with flags 0x{flags:X}: not modelled")
        if lpOverlapped is not None and sock.overlapped:
            if not isinstance(lpOverlapped, OVERLAPPED):
                return self._fail(t, name, args, SOCKET_ERROR, WSAEFAULT)
            return (
                yield from self._start(
                    t, name, args, sock, buffers, lpOverlapped, lpNumberOfBytesSent, False
                )
            )
        if not isinstance(lpNumberOfBytesSent, DWORD):
            return self._fail(t, name, args, SOCKET_ERROR, WSAEFAULT)
        if not sock.stream:
            raise UnsupportedApi("WSASend on a datagram socket: not modelled (use sendto)")
        data = b"".join(buffers)
        net = self._net()
        sent = 0
        while True:
            error, taken = net.send(sock, data[sent:])
            sent += taken
            if error and error != WSAEWOULDBLOCK:
                break
            if sent == len(data) or (sock.nonblocking and sent):
                lpNumberOfBytesSent.bind(k)
                lpNumberOfBytesSent.sys_set("value", sent)
                return self._done(t, name, args, 0)
            if sock.nonblocking:
                break
            yield from self._block(t, sock)
            if sock.closed:
                error = WSAEINTR
                break
        return self._fail(t, name, args, SOCKET_ERROR, error)

    @export("ws2_32", BOOL)
    def WSAGetOverlappedResult(
        self, s: Any, lpOverlapped: Any, lpcbTransfer: Any, fWait: Any, lpdwFlags: Any
    ) -> ApiCall[int]:
        """BOOL WSAAPI WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped,
        LPDWORD lpcbTransfer, BOOL fWait, LPDWORD lpdwFlags);

        "The WSAGetOverlappedResult function retrieves the results of an overlapped operation
        on the specified socket." "If WSAGetOverlappedResult succeeds, the return value is
        TRUE." "WSA_IO_INCOMPLETE: The fWait parameter is FALSE and the I/O operation has not
        yet completed."
        """
        t = self._caller()
        k = self.k
        name = "WSAGetOverlappedResult"
        args = (s, lpOverlapped, lpcbTransfer, fWait, lpdwFlags)
        sock, failed = self._lookup(t, name, args, s, 0)
        if sock is None:
            return int(failed)
        wait = dword(fWait)
        if wait is None:
            return self._fail(t, name, args, 0, WSAEINVAL)
        if not all(isinstance(box, DWORD) for box in (lpcbTransfer, lpdwFlags)) or not (
            isinstance(lpOverlapped, OVERLAPPED)
        ):
            return self._fail(t, name, args, 0, WSAEFAULT)
        lpOverlapped.bind(k)
        lpcbTransfer.bind(k)
        lpdwFlags.bind(k)
        if k.ready and k.preempted(name, ((lpOverlapped.oid, "r"),)):
            yield PARK
        status = lpOverlapped.sys_get("Internal")
        if status == STATUS_PENDING:
            if not wait:
                return self._fail(t, name, args, 0, WSA_IO_INCOMPLETE)
            event = handle_value(lpOverlapped.sys_get("hEvent")) or 0
            if event:
                obj, nt = self._resolve(t, event & ~1, KEvent, 0, pseudo=False)
            else:
                obj, nt = sock, 0
            if nt or obj is None:
                return self._fail_nt(t, name, args, 0, nt)
            assert isinstance(obj, (KEvent, Socket))
            yield from waits.wait(k, t, (obj,), False, None, False)
            status = lpOverlapped.sys_get("Internal")
            if status == STATUS_PENDING:  # woken by another request's completion
                return self._fail(t, name, args, 0, WSA_IO_INCOMPLETE)
        if type(status) is not int:
            return self._fail(t, name, args, 0, WSAEINVAL)
        lpcbTransfer.sys_set("value", lpOverlapped.sys_get("InternalHigh"))
        lpdwFlags.sys_set("value", 0)
        if nt_success(status):
            return self._done(t, name, args, 1)
        return self._fail(t, name, args, 0, wsa_error(status))
