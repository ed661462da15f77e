"""The ``sockets`` device of a scenario: its configuration, its peers and their actions."""

from __future__ import annotations

import pytest

from emu.devices.sockets import network_of
from emu.errors import ScenarioError
from emu.scenario import load_text
from emu.scenario.format import LATENCY_KEYS
from tests.scenario.helpers import rules, run_yaml, scenario_text

PEER = """
devices:
  sockets:
    recv_buffer: 8
    address: 192.168.1.1
    peers:
      web: {address: 192.168.1.2, listen: [80, 443]}
      db: {address: 192.168.1.3}
"""


def test_the_configuration_reaches_the_network() -> None:
    steps = "threads:\n  main:\n    steps:\n      - Sleep: {dwMilliseconds: 0}\n"
    result = run_yaml(PEER + steps)
    net = network_of(result.k)
    assert net.config.recv_buffer == 8 and net.config.address == 0xC0A80101
    assert net.config.peers["web"].listen == (80, 443)
    listening = [s for s in net.sockets if s.host == "web"]
    assert [s.local for s in listening] == [(0xC0A80102, 80), (0xC0A80102, 443)]
    assert "net" in LATENCY_KEYS


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            "address: 10.0.0.300",
            "t.yaml:5:14: expected an IPv4 address such as 10.0.0.2, not '10.0.0.300'",
        ),
        ("peers: {a: {address: 10.0.0.1}}", "t.yaml:5:26: a's address is already this machine's"),
        ("peers: {a: {address: 127.0.0.2}}", "t.yaml:5:26: a's address is already the loopback's"),
        (
            "address: 0.0.0.0",
            "t.yaml:5:14: this machine's address cannot be 0.0.0.0: INADDR_ANY names no host",
        ),
        (
            "address: 255.255.255.255",
            "t.yaml:5:14: this machine's address cannot be 255.255.255.255: the broadcast "
            "address names no host",
        ),
        (
            "address: 127.0.0.9",
            "t.yaml:5:14: this machine's address cannot be a loopback one (127.x.x.x): the "
            "loopback is always there besides it",
        ),
        (
            "peers: {a: {address: 0.0.0.0}}",
            "t.yaml:5:26: a's address cannot be 0.0.0.0: INADDR_ANY names no host",
        ),
    ],
)
def test_bad_configurations_are_one_line_errors(config: str, message: str) -> None:
    steps = "threads:\n  main:\n    steps:\n      - Sleep: {dwMilliseconds: 0}\n"
    text = scenario_text(f"devices:\n  sockets:\n    {config}\n" + steps)
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "t.yaml")
    assert str(caught.value).splitlines()[0].split(" [in ")[0] == message


def test_peer_actions_that_do_not_apply_are_world_skips() -> None:
    result = run_yaml(
        PEER
        + """
threads:
  main:
    steps:
      - Sleep: {dwMilliseconds: 5ms}
timeline:
  - {at: 1ms, sockets.send: {peer: db, data: "x"}}
  - {at: 2ms, sockets.reset: db}
  - {at: 3ms, sockets.connect: {peer: db, port: 9}}
  - {at: 4ms, sockets.read: {peer: db}}
"""
    )
    skips = [e.payload for e in result.k.trace.view() if e.kind == "world.skip"]
    reasons = [str(p["reason"]) for p in skips]
    assert reasons[:2] == ["db has no connection", "db has no connection"]
    # The connect is refused (nobody listens on port 9): the read finds nothing to read.
    assert reasons[2] == "db cannot read (WSAENOTCONN)"


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (
            "sockets.send: {peer: dbb, data: x}",
            "t.yaml:16:36: no peer named 'dbb' (did you mean 'db'?) in devices.sockets.peers "
            "(peers: web, db)",
        ),
        (
            "sockets.reset: nosuch",
            "t.yaml:16:30: no peer named 'nosuch' in devices.sockets.peers (peers: web, db)",
        ),
        (
            "sockets.connect: {peer: web, port: 80, address: 0.0.0.0}",
            "t.yaml:16:63: sockets.connect's address cannot be 0.0.0.0: INADDR_ANY names no host",
        ),
    ],
)
def test_an_action_naming_no_declared_peer_fails_at_load(action: str, message: str) -> None:
    steps = "threads:\n  main:\n    steps:\n      - Sleep: {dwMilliseconds: 0}\n"
    text = scenario_text(PEER + steps + f"timeline:\n  - {{at: 1ms, {action}}}\n")
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "t.yaml")
    assert str(caught.value).splitlines()[0].split(" [in ")[0] == message


def test_a_peer_name_is_its_address_in_steps() -> None:
    # A declared peer is a name steps can read: its address, an integer for sin_addr.
    def run_with(expected: str) -> list[str]:
        steps = f"""
threads:
  main:
    steps:
      - assert: {{that: $web, equals: {expected}}}
"""
        return rules(run_yaml(PEER + steps))

    assert run_with("0xC0A80102") == []
    assert run_with("0xC0A80103") != []
