"""Ports, addresses and the latency of a segment."""

from __future__ import annotations

from emu.codes import (
    INADDR_ANY,
    INADDR_LOOPBACK,
    WSAEADDRINUSE,
    WSAEADDRNOTAVAIL,
    WSAEINVAL,
)
from emu.devices.sockets import SockState
from emu.kernel.chooser import ChoicePoint, Chooser
from tests.devices.sockets.net import PORT, events, listening, network, settle


def test_binding_follows_the_address_rules() -> None:
    net = network()
    a = net.create(True, True)
    assert net.bind(a, 0xC0A80001, PORT) == WSAEADDRNOTAVAIL  # 192.168.0.1: not ours
    assert net.bind(a, 0x7F000002, PORT) == 0  # anything in 127.0.0.0/8
    assert a.state is SockState.BOUND
    assert net.bind(a, INADDR_LOOPBACK, PORT + 1) == WSAEINVAL  # already bound
    b = net.create(True, True)
    assert net.bind(b, INADDR_LOOPBACK, PORT) == 0  # another address, same port
    c = net.create(True, True)
    assert net.bind(c, INADDR_ANY, PORT) == WSAEADDRINUSE  # overlaps both
    d = net.create(False, True)
    assert net.bind(d, INADDR_ANY, PORT) == 0  # datagram ports are another space


def test_port_zero_takes_the_next_free_dynamic_port() -> None:
    net = network()
    taken = net.create(True, True)
    net.bind(taken, INADDR_LOOPBACK, 49153)
    ports = []
    for _ in range(3):
        sock = net.create(True, True)
        net.bind(sock, INADDR_LOOPBACK, 0)
        assert sock.local is not None
        ports.append(sock.local[1])
    assert ports == [49152, 49154, 49155]


def test_a_listener_bound_to_any_takes_connections_to_the_loopback() -> None:
    net = network()
    listener = net.create(True, True)
    net.bind(listener, INADDR_ANY, PORT)
    net.listen(listener, 1)
    client = net.create(True, True)
    net.connect(client, 0x7F000001, PORT)
    settle(net)
    assert client.state is SockState.CONNECTED
    assert listener.incoming[0].local == (INADDR_LOOPBACK, PORT)


class Highest(Chooser):
    """Takes the last option of every point (the upper latency bound)."""

    reads_keys = True

    def pick(self, point: ChoicePoint) -> int:
        return len(point.options) - 1


def test_a_segment_s_latency_is_a_choice_point_in_the_net_range() -> None:
    net = network(chooser=Highest())
    net.k.latency["net"] = (500, 7_000)
    listening(net)
    client = net.create(True, True)
    net.connect(client, INADDR_LOOPBACK, PORT)
    settle(net)
    assert net.k.now == 7_000
    [choice] = [e for e in net.k.trace.view() if e.kind == "choice"]
    assert choice.payload["point"] == "latency" and choice.payload["label"].startswith("net@")
    [sent] = events(net, "sock.transmit")
    [arrived] = events(net, "sock.arrive")
    assert sent.payload["latency"] == 7_000 and sent.payload["what"] == "syn"
    assert arrived.cause == sent.seq and arrived.time == 7_000


def test_a_fixed_latency_makes_no_choice() -> None:
    net = network()
    net.k.latency["net"] = (300, 300)
    listening(net)
    client = net.create(True, True)
    net.connect(client, INADDR_LOOPBACK, PORT)
    settle(net)
    assert net.k.now == 300
    assert not [
        e for e in net.k.trace.view() if e.kind == "choice" and e.payload["point"] == "latency"
    ]


def test_deliveries_are_jobs_of_the_network_actor() -> None:
    net = network()
    listening(net)
    client = net.create(True, True)
    net.connect(client, INADDR_LOOPBACK, PORT)
    settle(net)
    [arrived] = events(net, "sock.arrive")
    assert arrived.actor_id == net.actor.oid
    assert net.actor.settled
