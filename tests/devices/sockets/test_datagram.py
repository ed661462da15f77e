"""Datagram sockets: whole messages, delivered after a latency or discarded by a rule."""

from __future__ import annotations

from emu.codes import (
    INADDR_ANY,
    INADDR_LOOPBACK,
    SD_RECEIVE,
    SD_SEND,
    WSAEADDRNOTAVAIL,
    WSAEINVAL,
    WSAEMSGSIZE,
    WSAENETUNREACH,
    WSAENOTCONN,
    WSAESHUTDOWN,
    WSAEWOULDBLOCK,
)
from emu.devices.sockets import NetConfig
from tests.devices.sockets.net import PORT, close, events, network, settle

HOME = (INADDR_LOOPBACK, PORT)


def discards(net: object) -> list[tuple[int, str]]:
    return [(e.payload["bytes"], e.payload["reason"]) for e in events(net, "sock.discard")]  # type: ignore[arg-type]


def test_a_datagram_arrives_whole_with_its_source() -> None:
    net = network()
    sender, receiver = net.create(False, True), net.create(False, True)
    net.bind(receiver, INADDR_ANY, PORT)
    assert net.sendto(sender, b"ping", HOME) == 0
    assert sender.local == (INADDR_LOOPBACK, 49152)  # bound implicitly by sendto
    assert net.recvfrom(receiver, 10, False) == (WSAEWOULDBLOCK, b"", None)
    settle(net)
    net.sendto(sender, b"pong!", HOME)
    settle(net)
    assert receiver.queued_bytes() == 9
    assert net.recvfrom(receiver, 10, True) == (0, b"ping", sender.local)  # MSG_PEEK
    assert net.recvfrom(receiver, 10, False) == (0, b"ping", sender.local)
    assert net.recvfrom(receiver, 10, False) == (0, b"pong!", sender.local)


def test_a_datagram_larger_than_the_buffer_is_truncated_and_the_rest_lost() -> None:
    # "For unreliable protocols (for example, UDP) the excess data is lost" (WSAEMSGSIZE).
    net = network()
    sender, receiver = net.create(False, True), net.create(False, True)
    net.bind(receiver, INADDR_LOOPBACK, PORT)
    net.sendto(sender, b"0123456789", HOME)
    settle(net)
    assert net.recvfrom(receiver, 4, False) == (WSAEMSGSIZE, b"0123", sender.local)
    assert (6, "the datagram was larger than the buffer") in discards(net)
    assert not receiver.datagrams


def test_datagrams_nobody_can_take_are_discarded_by_rule() -> None:
    net = network(NetConfig(recv_buffer=5))
    sender, receiver = net.create(False, True), net.create(False, True)
    net.sendto(sender, b"lost", HOME)  # nobody is bound there yet
    settle(net)
    net.bind(receiver, INADDR_LOOPBACK, PORT)
    net.sendto(sender, b"abc", HOME)
    net.sendto(sender, b"def", HOME)  # 3 + 3 > 5: no room
    settle(net)
    assert discards(net) == [
        (4, "no socket is bound to 127.0.0.1:5000"),
        (3, "the receive buffer is full"),
    ]
    assert net.recvfrom(receiver, 10, False)[1] == b"abc"


def test_a_connected_datagram_socket_takes_only_its_peer_s_datagrams() -> None:
    # recv: "Messages from other addresses are (silently) discarded"; connect: "Any
    # datagrams queued for receipt are discarded if name is different".
    net = network()
    a, b, c = (net.create(False, True) for _ in range(3))
    net.bind(a, INADDR_LOOPBACK, PORT)
    net.bind(b, INADDR_LOOPBACK, PORT + 1)
    net.sendto(c, b"early", HOME)
    settle(net)
    assert net.connect_any(a, INADDR_LOOPBACK, PORT + 1) == 0
    assert (5, "queued datagrams discarded: connected to another peer") in discards(net)
    net.sendto(c, b"other", HOME)
    net.sendto(b, b"peer", None) if b.remote else net.sendto(b, b"peer", HOME)
    settle(net)
    assert (5, "the socket is connected to another peer") in discards(net)
    assert net.recvfrom(a, 10, False) == (0, b"peer", b.local)
    assert net.sendto(a, b"reply", None) == 0  # to the connected peer
    settle(net)
    assert net.recvfrom(b, 10, False) == (0, b"reply", a.local)
    assert net.connect_any(a, INADDR_ANY, 0) == 0 and a.remote is None  # disconnected
    assert net.sendto(a, b"x", None) == WSAENOTCONN


def test_sendto_refusals() -> None:
    net = network()
    sock = net.create(False, True)
    assert net.sendto(sock, b"x", (INADDR_ANY, PORT)) == WSAEADDRNOTAVAIL
    assert net.sendto(sock, b"x", (INADDR_LOOPBACK, 0)) == WSAEADDRNOTAVAIL
    assert net.sendto(sock, b"x", (0x0A090909, PORT)) == WSAENETUNREACH
    assert net.sendto(sock, bytes(65_508), HOME) == WSAEMSGSIZE
    assert net.sendto(sock, bytes(65_507), HOME) == 0
    assert net.recvfrom(net.create(False, True), 10, False) == (WSAEINVAL, b"", None)


def test_shutdown_of_a_datagram_socket() -> None:
    # "For UDP sockets, incoming datagrams are accepted and queued"; the shut direction fails
    # with WSAESHUTDOWN; no connection is needed.
    net = network()
    sender, receiver = net.create(False, True), net.create(False, True)
    net.bind(receiver, INADDR_LOOPBACK, PORT)
    assert net.shutdown(receiver, SD_RECEIVE) == 0
    net.sendto(sender, b"kept", HOME)
    settle(net)
    assert receiver.queued_bytes() == 4
    assert net.recvfrom(receiver, 10, False)[0] == WSAESHUTDOWN
    assert net.shutdown(sender, SD_SEND) == 0
    assert net.sendto(sender, b"x", HOME) == WSAESHUTDOWN


def test_closing_discards_the_queued_datagrams_and_frees_the_port() -> None:
    net = network()
    sender, receiver = net.create(False, True), net.create(False, True)
    net.bind(receiver, INADDR_LOOPBACK, PORT)
    net.sendto(sender, b"never read", HOME)
    settle(net)
    close(net, receiver)
    assert (10, "the socket closed with datagrams queued") in discards(net)
    again = net.create(False, True)
    assert net.bind(again, INADDR_LOOPBACK, PORT) == 0
