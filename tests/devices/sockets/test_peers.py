"""Scripted remote peers: connections to and from this machine, driven by the timeline."""

from __future__ import annotations

from emu.codes import INADDR_ANY, INADDR_LOOPBACK, WSAECONNREFUSED, WSAENETUNREACH
from emu.devices.sockets import NetConfig, Network, SockState
from emu.devices.sockets.base import MACHINE_ADDRESS, PeerConfig
from emu.devices.sockets.peers import (
    peer_close,
    peer_connect,
    peer_read,
    peer_reset,
    peer_send,
    peer_shutdown,
    setup_peers,
)
from tests.devices.sockets.net import PORT, events, network, settle

WEB = 0x0A000002  # 10.0.0.2


def with_peer(listen: tuple[int, ...] = (80,), **config: int) -> Network:
    net = network(NetConfig(peers={"web": PeerConfig(WEB, listen)}, **config))
    setup_peers(net)
    return net


def test_a_program_connects_to_a_peer_port_it_listens_on_and_is_refused_elsewhere() -> None:
    net = with_peer()
    ok, refused = net.create(True, True), net.create(True, True)
    assert net.connect(ok, WEB, 80) == 0
    assert ok.local == (MACHINE_ADDRESS, 49152)  # the machine's address reaches the peer
    net.connect(refused, WEB, 81)
    assert net.connect(net.create(True, True), 0x0A000009, 80) == WSAENETUNREACH
    settle(net)
    assert ok.state is SockState.CONNECTED
    assert refused.state is SockState.FAILED and refused.error == WSAECONNREFUSED
    assert net.peer_connections["web"].peer is ok


def test_a_peer_connects_sends_reads_half_closes() -> None:
    net = with_peer((), recv_buffer=4)
    listener = net.create(True, True)
    net.bind(listener, INADDR_ANY, PORT)
    net.listen(listener, 5)
    assert peer_send(net, "web", b"x") == "web has no connection"
    assert peer_connect(net, "web", PORT) is None
    settle(net)
    error, server = net.accept(listener)
    assert error == 0 and server.remote == (WEB, 49152)
    assert server.local == (MACHINE_ADDRESS, PORT)
    # A peer never waits to send; the program's receive buffer (4) paces the bytes.
    assert peer_send(net, "web", b"hello world") is None
    settle(net)
    assert bytes(server.received) == b"hell"
    assert net.recv(server, 100, False) == (0, b"hell")
    settle(net)
    assert net.recv(server, 100, False) == (0, b"o wo")
    # The peer reads, which drains what the program sent.
    net.send(server, b"reply")
    settle(net)
    assert peer_read(net, "web", 2) is None
    assert peer_read(net, "web") is None
    assert peer_read(net, "web") == "web has nothing to read"
    assert peer_shutdown(net, "web") is None
    settle(net)
    net.recv(server, 100, False)
    assert net.recv(server, 100, False) == (0, b"")
    assert server.eof


def test_a_peer_resets_or_closes_its_connection() -> None:
    net = with_peer()
    client = net.create(True, True)
    net.connect(client, WEB, 80)
    settle(net)
    assert peer_reset(net, "web") is None
    settle(net)
    assert client.state is SockState.RESET
    assert peer_reset(net, "web") == "web's connection is reset: nothing to reset"
    other = net.create(True, True)
    net.connect(other, WEB, 80)
    settle(net)
    assert peer_close(net, "web") is None
    settle(net)
    assert other.eof and other.state is SockState.CONNECTED
    assert peer_close(net, "web") == "web closed its connection"


def test_bytes_in_flight_when_the_peer_resets_are_discarded_not_lost() -> None:
    # The program's bytes leave, the peer resets in the same instant: they reach a socket
    # whose side of the connection is gone and are discarded with a reason (nothing is lost
    # silently, nothing lands in the reset socket's buffer).
    net = with_peer()
    client = net.create(True, True)
    net.connect(client, WEB, 80)
    settle(net)
    assert net.send(client, b"hello") == (0, 5)
    assert peer_reset(net, "web") is None
    settle(net)
    peer = net.peer_connections["web"]
    assert peer.state is SockState.RESET and not peer.received
    reasons = [(e.payload["bytes"], e.payload["reason"]) for e in events(net, "sock.discard")]
    assert reasons == [(5, "data reached a socket whose connection was reset")]
    assert client.state is SockState.RESET and not client.unsent


def test_a_peer_connecting_to_a_loopback_only_listener_reaches_it_only_on_the_loopback() -> None:
    net = with_peer(())
    listener = net.create(True, True)
    net.bind(listener, INADDR_LOOPBACK, PORT)
    net.listen(listener, 1)
    peer_connect(net, "web", PORT)  # to 10.0.0.1: nobody listens at that address
    settle(net)
    assert net.peer_connections["web"].state is SockState.FAILED
    assert not listener.incoming
