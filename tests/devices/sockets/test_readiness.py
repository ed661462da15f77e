"""A socket's readiness mask and the watchers that hear it change (the hook the socket state
notifications are built on)."""

from __future__ import annotations

from emu.codes import (
    INADDR_LOOPBACK,
    SD_SEND,
    SOCK_NOTIFY_EVENT_ERR,
    SOCK_NOTIFY_EVENT_HANGUP,
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_EVENT_OUT,
)
from emu.devices.sockets import NetConfig, readiness
from tests.devices.sockets.net import (
    PORT,
    Recorder,
    close,
    connected,
    events,
    listening,
    network,
    settle,
)

IN, OUT, HANGUP, ERR = (
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_EVENT_OUT,
    SOCK_NOTIFY_EVENT_HANGUP,
    SOCK_NOTIFY_EVENT_ERR,
)


def test_the_mask_uses_the_real_sock_notify_bits() -> None:
    # F2.2: IN 0x01, OUT 0x02, HANGUP 0x04, ERR 0x40.
    assert (IN, OUT, HANGUP, ERR) == (0x01, 0x02, 0x04, 0x40)


def test_a_new_or_bound_or_connecting_stream_socket_has_no_readiness() -> None:
    # F2.33: a new stream socket reports nothing (select and WSAPoll).
    net = network()
    sock = net.create(True, True)
    assert sock.readiness() == 0
    net.connect(sock, INADDR_LOOPBACK, PORT)
    assert sock.readiness() == 0  # connecting
    listener = listening(net, PORT + 1)
    assert readiness(listener) == 0  # nothing waiting in the backlog


def test_a_listening_socket_is_in_while_a_connection_waits_in_its_backlog() -> None:
    # "IN ... on a listening socket with a pending connection" (accept would not block);
    # F2.33: readable, and never writable.
    net = network()
    listener = listening(net)
    client = net.create(True, True)
    net.connect(client, INADDR_LOOPBACK, PORT)
    settle(net)
    assert listener.readiness() == IN
    error, accepted = net.accept(listener)
    assert error == 0 and accepted is not None
    assert listener.readiness() == 0


def test_out_once_a_connect_completes_and_while_the_send_buffer_has_room() -> None:
    net = network(NetConfig(recv_buffer=4, send_buffer=4))
    client, server, _ = connected(net)
    assert client.readiness() == OUT and server.readiness() == OUT
    # Fill the peer's receive buffer (4) and our send buffer (4): no room, no OUT.
    assert net.send(client, b"12345678") == (0, 4)
    settle(net)
    assert net.send(client, b"abcdefgh") == (0, 4)
    assert client.readiness() == 0
    # The peer reads: room opens in its buffer, our queued bytes move on, OUT again.
    net.recv(server, 4, False)
    settle(net)
    assert client.readiness() == OUT


def test_in_while_received_data_waits() -> None:
    net = network()
    client, server, _ = connected(net)
    net.send(client, b"hi")
    assert server.readiness() == OUT  # still on its way
    settle(net)
    assert server.readiness() == IN | OUT
    net.recv(server, 1, True)  # MSG_PEEK takes nothing
    assert server.readiness() == IN | OUT
    net.recv(server, 10, False)
    assert server.readiness() == OUT


def test_end_of_stream_is_in_and_hangup_on_a_stream_socket() -> None:
    # "IN ... at EOF (recv would return 0)"; HANGUP after the peer's close (F2.33: POLLHUP
    # after the peer's shutdown(SD_SEND) or closesocket).
    net = network()
    client, server, _ = connected(net)
    net.shutdown(client, SD_SEND)
    settle(net)
    assert server.readiness() == IN | OUT | HANGUP
    assert net.recv(server, 10, False) == (0, b"")
    assert server.readiness() == IN | OUT | HANGUP  # recv keeps returning 0
    close(net, client)
    settle(net)
    assert server.readiness() == IN | OUT | HANGUP


def test_a_reset_connection_is_out_hangup_err() -> None:
    # F2.33/F2.34: a reset connection polls as POLLERR|POLLHUP|POLLWRNORM.
    net = network()
    client, server, _ = connected(net)
    net.reset(client)
    assert client.readiness() == OUT | HANGUP | ERR
    settle(net)
    assert server.readiness() == OUT | HANGUP | ERR


def test_a_refused_connect_is_out_hangup_err() -> None:
    # ERR on a failed connect (assumption, docs/rules.md), with the bits WSAPoll observes.
    net = network()
    sock = net.create(True, True)
    net.connect(sock, INADDR_LOOPBACK, PORT)
    settle(net)
    assert sock.readiness() == OUT | HANGUP | ERR


def test_datagram_sockets_never_hang_up() -> None:
    # F2.26: "HANGUP is for stream-oriented connections"; a datagram socket is always OUT and
    # IN while a datagram is queued.
    net = network()
    a, b = net.create(False, True), net.create(False, True)
    assert a.readiness() == OUT  # unbound, still writable (F2.33)
    net.bind(b, INADDR_LOOPBACK, PORT)
    net.sendto(a, b"x", (INADDR_LOOPBACK, PORT))
    settle(net)
    assert b.readiness() == IN | OUT
    net.shutdown(a, 2)
    close(net, a)
    settle(net)
    assert not b.readiness() & HANGUP
    assert all(not e.payload["readiness"] & HANGUP for e in events(net, "sock.state"))


def test_a_closed_socket_has_no_readiness() -> None:
    net = network()
    _client, server, _ = connected(net)
    close(net, server)
    assert server.readiness() == 0


def test_watchers_hear_every_change_of_the_mask_and_only_changes() -> None:
    net = network()
    client, server, _ = connected(net)
    heard = Recorder()
    server.watch(heard)
    server.watch(heard)  # once is enough
    net.send(client, b"a")
    settle(net)
    net.send(client, b"b")  # more data: IN already held, the mask does not change
    settle(net)
    net.recv(server, 10, False)
    assert heard.heard == [
        ("changed", server.name, OUT, IN | OUT),
        ("changed", server.name, IN | OUT, OUT),
    ]


def test_the_cause_of_a_change_is_the_sock_state_event_that_records_it() -> None:
    net = network()
    client, server, _ = connected(net)
    causes: list[int] = []

    class Cause:
        def readiness_changed(self, sock: object, old: int, new: int, cause: int) -> None:
            causes.append(cause)

        def socket_closed(self, sock: object, cause: int) -> None:
            causes.append(cause)

    server.watch(Cause())
    net.send(client, b"a")
    settle(net)
    event = net.k.trace.view()[causes[0]]
    assert event.kind == "sock.state" and event.payload["readiness"] == IN | OUT


def test_closing_tells_the_watchers_once_and_forgets_them() -> None:
    # closesocket deregisters (F2.23): socket_closed, then nothing more.
    net = network()
    _client, server, _ = connected(net)
    heard = Recorder()
    server.watch(heard)
    close(net, server)
    settle(net)
    assert heard.heard == [("closed", server.name)]
    assert server.watchers == []
    server.watch(heard)  # a closed socket takes no new watcher
    assert server.watchers == []


def test_a_watcher_can_unwatch_itself_while_called() -> None:
    net = network()
    client, server, _ = connected(net)
    heard: list[int] = []

    class Once:
        def readiness_changed(self, sock: object, old: int, new: int, cause: int) -> None:
            heard.append(new)
            server.unwatch(self)

        def socket_closed(self, sock: object, cause: int) -> None:
            heard.append(-1)

    server.watch(Once())
    net.send(client, b"a")
    settle(net)
    net.recv(server, 10, False)
    close(net, server)
    assert heard == [IN | OUT]
