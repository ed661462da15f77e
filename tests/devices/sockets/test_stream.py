"""Stream sockets: the handshake, the bounded byte stream, FIN, shutdown, reset and close."""

from __future__ import annotations

from emu.codes import (
    INADDR_ANY,
    INADDR_LOOPBACK,
    SD_BOTH,
    SD_RECEIVE,
    SD_SEND,
    WSAEADDRNOTAVAIL,
    WSAEALREADY,
    WSAECONNABORTED,
    WSAECONNREFUSED,
    WSAECONNRESET,
    WSAEINVAL,
    WSAEISCONN,
    WSAENETUNREACH,
    WSAENOTCONN,
    WSAEOPNOTSUPP,
    WSAESHUTDOWN,
    WSAEWOULDBLOCK,
)
from emu.devices.sockets import NetConfig, SockState
from tests.devices.sockets.net import (
    PORT,
    close,
    connected,
    events,
    listening,
    network,
    settle,
)


def discards(net: object) -> list[tuple[int, str]]:
    return [(e.payload["bytes"], e.payload["reason"]) for e in events(net, "sock.discard")]  # type: ignore[arg-type]


def test_the_handshake_takes_one_latency_and_queues_a_connected_socket() -> None:
    net = network()
    listener = listening(net)
    client = net.create(True, True)
    assert net.connect(client, INADDR_LOOPBACK, PORT) == 0
    assert client.state is SockState.CONNECTING
    assert listener.incoming == type(listener.incoming)()  # nothing yet
    settle(net)
    assert net.k.now == 100  # the default net latency's lower bound (10 µs)
    assert client.state is SockState.CONNECTED and len(listener.incoming) == 1
    server = listener.incoming[0]
    assert server.local == (INADDR_LOOPBACK, PORT) and server.remote == client.local
    assert client.remote == (INADDR_LOOPBACK, PORT) and server.peer is client


def test_connect_binds_an_unbound_socket_to_a_dynamic_port() -> None:
    net = network()
    listening(net)
    client = net.create(True, True)
    net.connect(client, INADDR_LOOPBACK, PORT)
    assert client.local == (INADDR_LOOPBACK, 49152)
    other = net.create(True, True)
    net.bind(other, INADDR_ANY, 0)
    net.connect(other, INADDR_LOOPBACK, PORT)
    # "A specific address needs to be implicitly bound by the connect function."
    assert other.local == (INADDR_LOOPBACK, 49153)


def test_nobody_listening_refuses_the_connection() -> None:
    # F2.30: WSAECONNREFUSED, in SO_ERROR for a non-blocking connect.
    net = network()
    client = net.create(True, True)
    net.connect(client, INADDR_LOOPBACK, PORT)
    settle(net)
    assert client.state is SockState.FAILED and client.error == WSAECONNREFUSED
    # "If the error code returned indicates the connection attempt failed ... the
    # application can call connect again for the same socket."
    listening(net)
    assert net.connect(client, INADDR_LOOPBACK, PORT) == 0
    assert client.error == WSAECONNREFUSED  # connect itself does not reset the error
    settle(net)
    assert client.state is SockState.CONNECTED and client.error == 0  # success does


def test_a_full_backlog_refuses_the_connection() -> None:
    net = network()
    listening(net, backlog=1)
    first, second = net.create(True, True), net.create(True, True)
    net.connect(first, INADDR_LOOPBACK, PORT)
    net.connect(second, INADDR_LOOPBACK, PORT)
    settle(net)
    assert first.state is SockState.CONNECTED
    assert second.state is SockState.FAILED and second.error == WSAECONNREFUSED


def test_the_backlog_is_clamped() -> None:
    net = network(NetConfig(max_backlog=3))
    assert listening(net, backlog=0).backlog == 1
    assert listening(net, PORT + 1, backlog=0x7FFFFFFF).backlog == 3


def test_connect_refusals_that_need_no_network() -> None:
    net = network()
    listener = listening(net)
    assert net.connect(listener, INADDR_LOOPBACK, PORT) == WSAEINVAL  # a listening socket
    sock = net.create(True, True)
    assert net.connect(sock, INADDR_ANY, PORT) == WSAEADDRNOTAVAIL
    assert net.connect(sock, INADDR_LOOPBACK, 0) == WSAEADDRNOTAVAIL
    assert net.connect(sock, 0x0A090909, PORT) == WSAENETUNREACH  # 10.9.9.9: no such host
    assert net.connect(sock, INADDR_LOOPBACK, PORT) == 0
    assert net.connect(sock, INADDR_LOOPBACK, PORT) == WSAEALREADY
    settle(net)
    assert net.connect(sock, INADDR_LOOPBACK, PORT) == WSAEISCONN


def test_listen_needs_a_bound_unconnected_stream_socket() -> None:
    # F2.29: WSAEOPNOTSUPP on a datagram socket, WSAEINVAL unbound; listening twice is fine.
    net = network()
    assert net.listen(net.create(False, True), 1) == WSAEOPNOTSUPP
    assert net.listen(net.create(True, True), 1) == WSAEINVAL
    listener = listening(net)
    assert net.listen(listener, 7) == 0 and listener.backlog == 7
    client, _server, _ = connected(net, PORT + 1)
    assert net.listen(client, 1) == WSAEISCONN


def test_accept_takes_connections_in_order_and_would_block_when_none_waits() -> None:
    net = network()
    listener = listening(net)
    assert net.accept(listener) == (WSAEWOULDBLOCK, None)
    clients = [net.create(True, True) for _ in range(2)]
    for client in clients:
        net.connect(client, INADDR_LOOPBACK, PORT)
    settle(net)
    for client in clients:
        error, accepted = net.accept(listener)
        assert error == 0 and accepted is not None and accepted.peer is client
    assert net.accept(net.create(True, True)) == (WSAEINVAL, None)  # not listening
    assert net.accept(net.create(False, True)) == (WSAEOPNOTSUPP, None)


def test_a_connection_reset_before_it_is_accepted_fails_the_accept() -> None:
    # accept: "WSAECONNRESET: An incoming connection was indicated, but was subsequently
    # terminated by the remote peer prior to accepting the call."
    net = network()
    listener = listening(net)
    client = net.create(True, True)
    net.connect(client, INADDR_LOOPBACK, PORT)
    settle(net)
    net.reset(client)
    settle(net)
    assert net.accept(listener) == (WSAECONNRESET, None)
    assert not listener.incoming


def test_bytes_flow_in_order_within_the_buffers() -> None:
    net = network(NetConfig(recv_buffer=8, send_buffer=4))
    client, server, _ = connected(net)
    # The send buffer takes 4 bytes at most; more is WSAEWOULDBLOCK.
    assert net.send(client, b"abcdef") == (0, 4)
    assert net.send(client, b"gh") == (WSAEWOULDBLOCK, 0)
    settle(net)
    assert bytes(server.received) == b"abcd" and not client.unsent
    assert net.send(client, b"efghij") == (0, 4)
    settle(net)
    assert net.send(client, b"ij") == (0, 2)
    settle(net)
    # The peer's receive buffer (8) is full: nothing more may go, the sender stalls.
    assert bytes(server.received) == b"abcdefgh" and bytes(client.unsent) == b"ij"
    assert net.recv(server, 3, False) == (0, b"abc")
    settle(net)  # reading made room: the stalled bytes go on
    assert bytes(server.received) == b"defghij" and not client.unsent
    assert net.recv(server, 100, False) == (0, b"defghij")
    assert net.recv(server, 100, False) == (WSAEWOULDBLOCK, b"")


def test_a_segment_carries_what_is_queued_when_it_leaves() -> None:
    net = network()
    client, server, _ = connected(net)
    net.send(client, b"ab")
    net.send(client, b"cd")  # queued behind the segment in flight
    settle(net)
    transmitted = [e.payload["bytes"] for e in events(net, "sock.transmit")]
    assert transmitted[-2:] == [2, 2]
    assert bytes(server.received) == b"abcd"


def test_recv_returns_zero_at_end_of_stream_after_the_data() -> None:
    # "If the connection has been gracefully closed, the return value is zero"; the FIN
    # follows the data ("a FIN will be sent after all data is sent").
    net = network()
    client, server, _ = connected(net)
    net.send(client, b"last")
    assert net.shutdown(client, SD_SEND) == 0
    settle(net)
    assert net.recv(server, 2, False) == (0, b"la")
    assert net.recv(server, 10, False) == (0, b"st")
    assert net.recv(server, 10, False) == (0, b"")
    assert net.send(client, b"x") == (WSAESHUTDOWN, 0)
    assert net.send(server, b"back") == (0, 4)  # a half-closed connection carries the rest
    settle(net)
    assert net.recv(client, 10, False) == (0, b"back")


def test_recv_and_send_need_a_connection() -> None:
    net = network()
    sock = net.create(True, True)
    assert net.recv(sock, 10, False) == (WSAENOTCONN, b"")
    assert net.send(sock, b"x") == (WSAENOTCONN, 0)
    assert net.shutdown(sock, SD_SEND) == WSAENOTCONN
    client, _server, _ = connected(net)
    assert net.recv(client, -1, False) == (WSAEINVAL, b"")  # "len was zero or negative"
    assert net.shutdown(client, 3) == WSAEINVAL


def test_a_zero_length_recv_takes_nothing_and_returns_zero_once_bytes_wait() -> None:
    # Wine test_empty_recv (it passes on Windows): recv(client, NULL, 0, 0) returns 0 with
    # data waiting, and the next recv still reads all of it; with nothing waiting it would
    # block (assumption, like the zero-length overlapped receive Wine sees stay pending).
    net = network()
    client, server, _ = connected(net)
    assert net.recv(client, 0, False) == (WSAEWOULDBLOCK, b"")
    net.send(server, b"data\0")
    settle(net)
    assert net.recv(client, 0, False) == (0, b"")
    assert net.recv(client, 5, False) == (0, b"data\0")
    net.shutdown(server, SD_SEND)
    settle(net)
    assert net.recv(client, 0, False) == (0, b"")  # at end of stream too


def test_shutdown_receive_refuses_recv_and_resets_when_data_arrives() -> None:
    # "For TCP sockets, if there is still data queued on the socket waiting to be received,
    # or data arrives subsequently, the connection is reset."
    net = network()
    client, server, _ = connected(net)
    assert net.shutdown(server, SD_RECEIVE) == 0
    assert net.recv(server, 10, False) == (WSAESHUTDOWN, b"")
    net.send(client, b"late")
    settle(net)
    assert server.state is SockState.RESET and client.state is SockState.RESET
    assert (4, "data reached a socket shut down for receiving: the connection is reset") in (
        discards(net)
    )
    assert net.recv(client, 10, False) == (WSAECONNRESET, b"")


def test_shutdown_receive_with_unread_data_resets_at_once() -> None:
    net = network()
    client, server, _ = connected(net)
    net.send(client, b"unread")
    settle(net)
    assert net.shutdown(server, SD_BOTH) == 0
    assert server.state is SockState.RESET
    assert (6, "shut down for receiving with unread data") in discards(net)
    settle(net)
    assert client.state is SockState.RESET


def test_a_reset_discards_both_ends_buffers_and_is_traced() -> None:
    # F2.34: recv and send then fail with WSAECONNRESET; SO_ERROR stays 0.
    net = network(NetConfig(recv_buffer=2))
    client, server, _ = connected(net)
    net.send(client, b"12345")
    settle(net)
    assert bytes(server.received) == b"12" and bytes(client.unsent) == b"345"
    net.reset(server)
    settle(net)
    assert (2, "the connection was reset: received, never read") in discards(net)
    assert (3, "the peer reset the connection: queued, never delivered") in discards(net)
    assert net.recv(client, 10, False) == (WSAECONNRESET, b"")
    assert net.send(client, b"x") == (WSAECONNRESET, 0)
    assert net.shutdown(client, SD_SEND) == WSAECONNRESET
    assert client.error == 0 and server.error == 0
    kinds = [e.payload["what"] for e in events(net, "sock.transmit")]
    assert kinds[-1] == "rst"


def test_a_graceful_close_delivers_what_was_queued_then_the_fin() -> None:
    # closesocket: "any data queued for transmission will be sent, if possible, before the
    # underlying socket is closed."
    net = network(NetConfig(recv_buffer=4))
    client, server, _ = connected(net)
    net.send(client, b"goodbye!")
    close(net, client)
    settle(net)
    assert bytes(server.received) == b"good" and not server.eof
    assert net.recv(server, 10, False) == (0, b"good")
    settle(net)
    assert net.recv(server, 10, False) == (0, b"bye!")
    settle(net)
    assert server.eof and net.recv(server, 10, False) == (0, b"")
    assert not client.lingering
    assert not list(events(net, "sock.discard"))


def test_closing_with_unread_data_resets_the_connection() -> None:
    net = network()
    client, server, _ = connected(net)
    net.send(client, b"unread")
    settle(net)
    close(net, server)
    settle(net)
    assert (6, "closed with unread data: the connection is reset") in discards(net)
    assert client.state is SockState.RESET


def test_bytes_reaching_a_closed_socket_reset_the_connection() -> None:
    net = network()
    client, server, _ = connected(net)
    close(net, server)
    settle(net)
    assert client.eof
    net.send(client, b"anyone?")
    settle(net)
    assert (7, "data reached a socket closed: the connection is reset") in discards(net)
    assert client.state is SockState.RESET


def test_a_reset_after_the_peer_s_fin_aborts_the_connection() -> None:
    # Wine test_shutdown, "Send data to a peer which is closed" (it passes on Windows): the
    # peer shut down its sending side and closed; the bytes sent to it are refused with a
    # reset, after which recv fails with WSAECONNABORTED, not WSAECONNRESET.
    net = network()
    client, server, _ = connected(net)
    assert net.shutdown(client, SD_SEND) == 0
    close(net, client)
    assert net.send(server, b"test\0") == (0, 5)
    settle(net)
    assert server.state is SockState.RESET
    assert net.recv(server, 5, False) == (WSAECONNABORTED, b"")
    assert net.send(server, b"x") == (WSAECONNABORTED, 0)
    assert net.shutdown(server, SD_SEND) == WSAECONNABORTED


def test_closing_a_listener_resets_the_connections_in_its_backlog() -> None:
    net = network()
    listener = listening(net)
    client = net.create(True, True)
    net.connect(client, INADDR_LOOPBACK, PORT)
    settle(net)
    close(net, listener)
    settle(net)
    assert (0, "the listening socket closed before it was accepted") in discards(net)
    assert client.state is SockState.RESET and not listener.incoming


def test_closing_a_connecting_socket_abandons_the_request() -> None:
    net = network()
    listener = listening(net)
    client = net.create(True, True)
    net.connect(client, INADDR_LOOPBACK, PORT)
    close(net, client)
    settle(net)
    assert (0, "the connection request was abandoned") in discards(net)
    assert not listener.incoming


def test_a_closed_socket_frees_its_port() -> None:
    # Assumption (docs/rules.md): no TIME_WAIT; the port is free at once.
    net = network()
    listener = listening(net)
    close(net, listener)
    assert listening(net).local == (INADDR_LOOPBACK, PORT)
