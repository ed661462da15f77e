"""The socket object: what the trace records of it, and what it reports at the end."""

from __future__ import annotations

from emu.codes import INADDR_LOOPBACK, SD_SEND, SOCK_NOTIFY_EVENT_IN, SOCK_NOTIFY_EVENT_OUT
from emu.devices.sockets import address_text
from emu.kernel.tracestate import state_at
from tests.devices.sockets.net import PORT, close, connected, events, listening, network, settle


def test_addresses_print_dotted_with_their_port() -> None:
    assert address_text((INADDR_LOOPBACK, 5000)) == "127.0.0.1:5000"
    assert address_text((0, 0)) == "0.0.0.0:0"
    assert address_text(None) == ""


def test_every_change_is_one_sock_state_event_and_state_at_rebuilds_the_socket() -> None:
    net = network()
    client, server, _ = connected(net)
    net.send(client, b"hello")
    settle(net)
    trace = net.k.trace
    last = [e for e in events(net, "sock.state") if e.object_ids[0] == server.oid][-1]
    fields = state_at(trace, last.seq).objects[server.oid].fields
    assert fields == {
        "state": "connected",
        "local": "127.0.0.1:5000",
        "remote": "127.0.0.1:49152",
        "received": 5,
        "unsent": 0,
        "backlog": 0,
        "readiness": SOCK_NOTIFY_EVENT_IN | SOCK_NOTIFY_EVENT_OUT,
        "shut": "",
        "eof": False,
    }
    # Nothing changed, nothing recorded: one event per change.
    before = len(trace)
    server.update()
    assert len(trace) == before


def test_the_payload_is_plain_json_scalars() -> None:
    net = network()
    client, _server, _ = connected(net)
    net.shutdown(client, SD_SEND)
    settle(net)
    for event in events(net, "sock.state"):
        assert all(type(v) in (int, str, bool) for v in event.payload.values())


def test_the_end_of_a_run_reports_what_sockets_still_hold() -> None:
    net = network()
    listener = listening(net)
    others = [net.create(True, True) for _ in range(2)]
    for sock in others:
        net.connect(sock, INADDR_LOOPBACK, PORT)
    settle(net)
    net.accept(listener)
    net.send(others[1], b"unread")
    net.k.run()
    left = {
        (e.objects[0], e.payload["what"], e.payload["count"]) for e in events(net, "sock.leftover")
    }
    server = listener.incoming[0]
    assert (listener.name, "connections never accepted", 1) in left
    assert (server.name, "bytes received and never read", 6) in left


def test_a_graceful_close_keeps_the_socket_until_its_fin_is_delivered() -> None:
    net = network()
    client, server, _ = connected(net)
    net.send(client, b"bye")
    close(net, client)
    assert client.alive  # the network holds it while it sends
    settle(net)
    assert server.eof
    destroyed = [e for e in net.k.trace.view() if e.kind == "obj.destroy"]
    assert client.oid in [e.object_ids[0] for e in destroyed]


def test_close_records_who_closed_it() -> None:
    net = network()
    a, b = net.create(True, True), net.create(True, True)
    close(net, a)
    net.close(b)  # the last handle went by CloseHandle
    assert [e.payload["by"] for e in events(net, "sock.close")] == ["closesocket", "CloseHandle"]
    assert [e.payload["state"] for e in events(net, "sock.state")][-2:] == ["closed", "closed"]
