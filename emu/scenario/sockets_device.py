"""The ``sockets`` device of a scenario: the network's configuration, its remote peers, and
what the peers do on the timeline.

::

    machine:
      latency: {net: [10us, 100us]}     # each segment's delivery (the default)
    devices:
      sockets:
        recv_buffer: 65536              # SO_RCVBUF of every socket, in bytes
        send_buffer: 65536              # SO_SNDBUF
        max_backlog: 200                # what listen(SOMAXCONN) gives
        address: 10.0.0.1               # this machine's address (besides the loopback)
        peers:
          web: {address: 10.0.0.2, listen: [80]}   # a remote host accepting on port 80
    timeline:
      - {at: 1ms, sockets.connect: {peer: web, port: 5000}}   # to this machine's address
      - {at: 2ms, sockets.send: {peer: web, data: "hello"}}
      - {at: 3ms, sockets.read: {peer: web, bytes: 16}}      # drains the program's bytes
      - {at: 4ms, sockets.shutdown: web}                     # the peer's FIN
      - {at: 5ms, sockets.reset: web}                        # or sockets.close: web

The network and its rules are ``emu.devices.sockets``; the peers' behaviour is
``emu.devices.sockets.peers``. Each peer's name is declared (``$web`` in a step is the peer's
address, an integer for ``sin_addr``), and a timeline action naming no declared peer is refused
at load. An address is a host's: 0.0.0.0 (INADDR_ANY) and 255.255.255.255 (the broadcast
address) are refused, and this machine's address is not a loopback one. An action that does
not apply when it runs (a peer without a connection, a reset connection) is a ``world.skip``
with the reason. Without a ``devices.sockets`` section a scenario still has the network, with
these defaults and no peers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from emu.codes.winsock import INADDR_ANY, INADDR_BROADCAST
from emu.devices.sockets import Network, network_of
from emu.devices.sockets.base import (
    DEFAULT_BUFFER,
    MACHINE_ADDRESS,
    MAX_BACKLOG,
    NetConfig,
    PeerConfig,
)
from emu.devices.sockets.network import NETWORK_DEVICE
from emu.devices.sockets.peers import (
    peer_close,
    peer_connect,
    peer_read,
    peer_reset,
    peer_send,
    peer_shutdown,
    setup_peers,
)
from emu.scenario.devices import ActionContext, ActionKind, DeviceKind, register_device
from emu.scenario.format import LATENCY_KEYS
from emu.scenario.model import Action, SimContext
from emu.scenario.nodes import Map, Node, Scalar, Seq
from emu.scenario.shape import Int, ListOf, MapOf, Record, Str, did_you_mean

LATENCY_KEYS["net"] = (
    "each network segment's delivery: a connection request, data, FIN, RST, datagram "
    "(default [10us, 100us])"
)

ADDRESS_PATTERN: Final = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
MAX_BUFFER_SIZE: Final = 1 << 30

_ADDRESS: Final = Str("an IPv4 address such as 10.0.0.2", pattern=ADDRESS_PATTERN)
_PORT: Final = Int(1, 65535, "a port")
_PEER: Final = Record(
    {"address": _ADDRESS, "listen": ListOf(_PORT)},
    required=("address",),
    description="a remote peer: its address and the ports it accepts connections on",
)
_SOCKETS: Final = Record(
    {
        "recv_buffer": Int(1, MAX_BUFFER_SIZE, "each socket's receive buffer, in bytes"),
        "send_buffer": Int(1, MAX_BUFFER_SIZE, "each socket's send buffer, in bytes"),
        "max_backlog": Int(1, 100_000, "the longest backlog listen gives"),
        "address": _ADDRESS,
        "peers": MapOf(_PEER, description="remote peers, by name", key="peer name"),
    },
    description="the network: buffers, this machine's address, remote peers",
)


def parse_address(node: Node) -> int:
    """A dotted IPv4 address as an integer (host order)."""
    text = str(node.value) if isinstance(node, Scalar) else ""
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) <= 255 for p in parts):
        node.fail(f"expected an IPv4 address such as 10.0.0.2, not {text!r}")
    value = 0
    for part in parts:
        value = value << 8 | int(part)
    return value


def host_address(node: Node, whose: str) -> int:
    """A dotted IPv4 address that names a host: not 0.0.0.0, not 255.255.255.255."""
    value = parse_address(node)
    if value == INADDR_ANY:
        node.fail(f"{whose} cannot be 0.0.0.0: INADDR_ANY names no host")
    if value == INADDR_BROADCAST:
        node.fail(f"{whose} cannot be 255.255.255.255: the broadcast address names no host")
    return value


def _int(node: Node | None, default: int) -> int:
    return int(node.value) if isinstance(node, Scalar) else default


def _declare(node: Map) -> tuple[dict[str, str], Callable[[SimContext], None]]:
    address_node = node.get("address")
    address = MACHINE_ADDRESS
    if address_node is not None:
        address = host_address(address_node, "this machine's address")
        if address >> 24 == 127:
            address_node.fail(
                "this machine's address cannot be a loopback one (127.x.x.x): the loopback "
                "is always there besides it"
            )
    peers: dict[str, PeerConfig] = {}
    taken: dict[int, str] = {address: "this machine"}
    peers_node = node.get("peers")
    if isinstance(peers_node, Map):
        for name, spec in peers_node.items():
            assert isinstance(spec, Map)
            peer_node = spec.get("address")
            assert peer_node is not None
            peer_address = host_address(peer_node, f"{name}'s address")
            if peer_address >> 24 == 127 or peer_address in taken:
                owner = taken.get(peer_address, "the loopback")
                peer_node.fail(f"{name}'s address is already {owner}'s")
            taken[peer_address] = name
            listen = spec.get("listen")
            ports: tuple[int, ...] = ()
            if isinstance(listen, Seq):
                ports = tuple(int(p.value) for p in listen if isinstance(p, Scalar))
            peers[name] = PeerConfig(peer_address, ports)
    config = NetConfig(
        recv_buffer=_int(node.get("recv_buffer"), DEFAULT_BUFFER),
        send_buffer=_int(node.get("send_buffer"), DEFAULT_BUFFER),
        max_backlog=_int(node.get("max_backlog"), MAX_BACKLOG),
        address=address,
        peers=peers,
    )

    def setup(ctx: SimContext) -> None:
        k = ctx.k
        net = k.device(NETWORK_DEVICE, lambda: Network(k, config))
        setup_peers(net)
        for name, peer in config.peers.items():
            ctx.shared[name] = peer.address

    return dict.fromkeys(peers, "peer"), setup


def _peer_name(node: Node, what: str, cx: ActionContext) -> str:
    """The declared peer ``node`` names (a load error otherwise)."""
    if not isinstance(node, Scalar) or not isinstance(node.value, str) or not node.value:
        node.fail(f"sockets.{what} names a peer of devices.sockets.peers")
    name = node.value
    if cx.names.get(name) != "peer":
        peers = [n for n, kind in cx.names.items() if kind == "peer"]
        listing = ", ".join(peers) or "none"
        hint = did_you_mean(name, peers)
        node.fail(f"no peer named {name!r}{hint} in devices.sockets.peers (peers: {listing})")
    return name


def _field(node: Map, key: str, what: str) -> Node:
    child = node.get(key)
    if child is None:
        node.fail(f"sockets.{what} needs {key}:")
    return child


def _on_peer(what: str, act: Callable[[Network, str], str | None]) -> Callable[..., Action]:
    def compile_action(node: Node, cx: ActionContext) -> Action:
        name = _peer_name(node, what, cx)

        def run(ctx: SimContext) -> str | None:
            return act(network_of(ctx.k), name)

        return run

    return compile_action


def _connect(node: Node, cx: ActionContext) -> Action:
    if not isinstance(node, Map):
        node.fail("sockets.connect is {peer: NAME, port: PORT, address: A.B.C.D}")
    name = _peer_name(_field(node, "peer", "connect"), "connect", cx)
    port = _int(_field(node, "port", "connect"), 0)
    address_node = node.get("address")
    address = None
    if address_node is not None:
        address = host_address(address_node, "sockets.connect's address")

    def run(ctx: SimContext) -> str | None:
        return peer_connect(network_of(ctx.k), name, port, address)

    return run


def _send(node: Node, cx: ActionContext) -> Action:
    if not isinstance(node, Map):
        node.fail('sockets.send is {peer: NAME, data: "text"}')
    data_node = _field(node, "data", "send")
    if not isinstance(data_node, Scalar) or not isinstance(data_node.value, str):
        data_node.fail("sockets.send's data: is text (sent as UTF-8)")
    data = data_node.value.encode("utf-8")
    peer = _field(node, "peer", "send")
    return _on_peer("send", lambda net, name: peer_send(net, name, data))(peer, cx)


def _read(node: Node, cx: ActionContext) -> Action:
    if not isinstance(node, Map):
        node.fail("sockets.read is {peer: NAME, bytes: N} (bytes: at most N; all without it)")
    count_node = node.get("bytes")
    count = _int(count_node, 0) if count_node is not None else None
    peer = _field(node, "peer", "read")
    return _on_peer("read", lambda net, name: peer_read(net, name, count))(peer, cx)


_NAME: Final = Str("a peer of devices.sockets.peers")
register_device(
    DeviceKind(
        name="sockets",
        shape=_SOCKETS,
        declare=_declare,
        actions={
            "connect": ActionKind(
                Record(
                    {"peer": _NAME, "port": _PORT, "address": _ADDRESS},
                    required=("peer", "port"),
                    description="a peer's connection to this machine",
                ),
                _connect,
                "a peer connects to a port of this machine",
            ),
            "send": ActionKind(
                Record(
                    {"peer": _NAME, "data": Str("the bytes, as text")},
                    required=("peer", "data"),
                    description="bytes a peer sends",
                ),
                _send,
                "a peer sends bytes on its connection",
            ),
            "read": ActionKind(
                Record(
                    {"peer": _NAME, "bytes": Int(1, MAX_BUFFER_SIZE, "how many at most")},
                    required=("peer",),
                    description="a peer reads",
                ),
                _read,
                "a peer reads (and so drains) what the program sent it",
            ),
            "shutdown": ActionKind(
                _NAME, _on_peer("shutdown", peer_shutdown), "a peer half-closes (its FIN)"
            ),
            "close": ActionKind(_NAME, _on_peer("close", peer_close), "a peer closes"),
            "reset": ActionKind(
                _NAME, _on_peer("reset", peer_reset), "a peer resets its connection"
            ),
        },
        doc="the network: socket buffers, this machine's address, scripted remote peers",
    )
)
