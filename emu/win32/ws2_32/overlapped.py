"""Overlapped I/O on sockets (winsock2.h): WSARecv and WSASend.

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
- Without an OVERLAPPED the call is recv or send (blocking or not as the socket is), and
  ``lpNumberOfBytesRecvd`` (``lpNumberOfBytesSent``) must point to a DWORD ("This parameter
  can be NULL only if the lpOverlapped parameter is not NULL"), else WSAEFAULT.
- With an OVERLAPPED on a socket created without WSA_FLAG_OVERLAPPED, the documentation says
  the OVERLAPPED is ignored ("For non overlapped sockets, the blocking semantics are identical
  to that of the standard recv function and the lpOverlapped and lpCompletionRoutine
  parameters are ignored"); Windows does otherwise, and emu follows Windows: "With a
  non-overlapped socket, WSARecv() always blocks when passed an overlapped structure, but
  returns WSAEWOULDBLOCK otherwise" (Wine dlls/ws2_32/tests/sock.c,
  test_nonblocking_async_recv, which passes on Windows: the call blocks even on a non-blocking
  socket, returns 0 once the data came, the count pointer may be NULL, and
  GetOverlappedResult then reads the count from the OVERLAPPED). So the request is started as
  on an overlapped socket (its OVERLAPPED, its event; CreateIoCompletionPort refuses a handle
  without the overlapped attribute, so there is no port) and the call waits for it to
  complete, alertably like every blocking Winsock call (assumption), then returns 0 and the
  count, or SOCKET_ERROR with the request's error.
- The buffers are a list of WSABUF; ``dwBufferCount`` of them are used (at least one, else
  WSAEINVAL); a receive scatters the bytes over them in order, a send gathers them.
- closesocket: "Any pending overlapped send and receive operations ... are also canceled.
  Any event, completion routine, or completion port action specified for these overlapped
  operations is performed. The pending overlapped operations fail with the error status
  WSA_OPERATION_ABORTED" (F2.37).

WSAGetOverlappedResult is ``emu.win32.ws2_32.results``.

Emulation notes: completion routines (lpCompletionRoutine), datagram sockets and receive flags
other than 0 on an overlapped receive raise UnsupportedApi.
"""

from __future__ import annotations

from typing import Any

from emu.codes.ntstatus import STATUS_INVALID_PARAMETER, nt_success
from emu.codes.winsock import (
    MSG_PEEK,
    SOCKET_ERROR,
    WSA_IO_PENDING,
    WSAEFAULT,
    WSAEINTR,
    WSAEINVAL,
    WSAENOTCONN,
    WSAESHUTDOWN,
    WSAEWOULDBLOCK,
)
from emu.devices.sockets import Socket, SockState
from emu.errors import UnsupportedApi
from emu.kernel.actor import PARK
from emu.kernel.event import KEvent
from emu.kernel.io import IoRequest, start_io
from emu.kernel.thread import Thread
from emu.win32.base import LONG_VALUE, ApiCall, dword, export, handle_value
from emu.win32.kernel32.iobase import IoBase, source_bytes, target_buffer
from emu.win32.types import DWORD, OVERLAPPED
from emu.win32.ws2_32.base import WsBase, plain_int
from emu.win32.ws2_32.results import wsa_error
from emu.win32.ws2_32.types import WSABUF


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
            return sock.reset_error
        if sock.state is not SockState.CONNECTED:
            return WSAENOTCONN
        if sock.shut_recv if receive else sock.shut_send:
            return WSAESHUTDOWN
        return 0

    def _request(
        self, t: Thread, sock: Socket, name: str, lpOverlapped: OVERLAPPED
    ) -> IoRequest | int:
        """Start the request (or return the NTSTATUS that refuses it). On a socket without
        WSA_FLAG_OVERLAPPED it is the same request as on an overlapped one: the OVERLAPPED and
        its event, or the socket when there is none."""
        if sock.overlapped:
            return self._begin(t, sock, name, lpOverlapped)
        lpOverlapped.bind(self.k)
        value = handle_value(lpOverlapped.sys_get("hEvent"))
        if value is None:
            return STATUS_INVALID_PARAMETER
        event: KEvent | None = None
        if value:
            obj, status = self._resolve(t, value & ~1, KEvent, 0, pseudo=False)
            if status:
                return status
            assert isinstance(obj, KEvent)
            event = obj
        return start_io(self.k, sock, t, name, lpOverlapped, event=event, post=not value & 1)

    def _start(
        self,
        t: Thread,
        name: str,
        args: tuple[Any, ...],
        sock: Socket,
        buffers: list[Any],
        lpOverlapped: OVERLAPPED,
        count_box: Any,
        receive: bool,
    ) -> ApiCall[int]:
        """The OVERLAPPED path: start the request; 0 when it completed at once, else
        SOCKET_ERROR with WSA_IO_PENDING. On a non-overlapped socket the call waits for the
        request instead (see the module docstring)."""
        error = self._immediate_error(sock, receive)
        if error:
            return self._fail(t, name, args, SOCKET_ERROR, error)
        irp = self._request(t, sock, name, lpOverlapped)
        if not isinstance(irp, IoRequest):
            return self._fail_nt(t, name, args, SOCKET_ERROR, irp)
        net = self._net()
        if receive:
            if net.start_receive(sock, irp, buffers) and sock.peer is not None:
                net.pump(sock.peer)
        elif net.start_send(sock, irp, b"".join(bytes(b) for b in buffers)):
            net.pump(sock)
        if not sock.overlapped:
            while not irp.done:  # the device wakes the blocked threads when a request completes
                yield from self._block(t, sock)
        if not irp.done:
            return self._fail(t, name, args, SOCKET_ERROR, WSA_IO_PENDING)
        if not nt_success(irp.status):
            return self._fail(t, name, args, SOCKET_ERROR, wsa_error(irp.status))
        if isinstance(count_box, DWORD):
            count_box.bind(self.k)
            count_box.sys_set("value", irp.information)
        return self._done(t, name, args, 0)

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
        if flags:
            what = "MSG_PEEK" if flags == MSG_PEEK else f"flags 0x{flags:X}"
            raise UnsupportedApi(f"WSARecv with {what}: not modelled")
        if lpOverlapped is not None:
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
        if lpOverlapped is not None:
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
