"""Scripted remote peers: the other end of a connection, driven by the scenario's timeline.

A peer (``devices.sockets.peers``) is a remote host with an address and the stream ports it
accepts connections on. Its sockets are ordinary sockets of the network whose host is the
peer's name: the same segments, latencies, buffers, FINs and resets as between two programs,
so everything a program sees of a peer is what it would see of another program. A peer:

- accepts every connection to one of its ``listen`` ports at once (the connection becomes its
  *current connection*), and refuses the others (WSAECONNREFUSED: no socket listens there);
- connects to this machine (``connect``: the machine's address, or the loopback, and a port);
  the new connection becomes its current connection;
- on its current connection: sends bytes (``send``; a peer's send buffer is unbounded, so the
  program's receive buffer alone paces it), reads and so drains (``read``: up to a count, or
  everything waiting; the program's queued bytes then move on), half-closes (``shutdown``: its
  FIN), closes (``close``: gracefully, or by a reset when it leaves bytes unread, as a program's
  close does), or resets (``reset``).

Each action returns why it did nothing (no current connection, the connection was reset, ...),
which the timeline records as a ``world.skip``.
"""

from __future__ import annotations

from emu.codes.winerror import win32_error_name
from emu.codes.winsock import SD_SEND, WSAEWOULDBLOCK
from emu.devices.sockets.endpoint import Socket
from emu.devices.sockets.network import Network
from emu.devices.sockets.states import SockState
from emu.devices.sockets.stream import PEER_SEND_BUFFER

READ_ALL = 1 << 40


def peer_socket(net: Network, name: str) -> Socket:
    """A new socket of peer ``name`` (held by the network for the rest of the run)."""
    sock = Socket(net.k, net, True, True, f"{name}#{net.k.new_id(f'peer:{name}')}")
    sock.host = name
    sock.sndbuf = PEER_SEND_BUFFER
    sock.reference()
    net.sockets.append(sock)
    sock.update()
    return sock


def setup_peers(net: Network) -> None:
    """Create each peer's listening sockets."""
    for name, peer in net.config.peers.items():
        for port in peer.listen:
            sock = peer_socket(net, name)
            net.bind(sock, peer.address, port)
            net.listen(sock, net.config.max_backlog)


def _current(net: Network, name: str) -> Socket | str:
    sock = net.peer_connections.get(name)
    if sock is None:
        return f"{name} has no connection"
    if sock.closed:
        return f"{name} closed its connection"
    return sock


def _refused(what: str, error: int) -> str:
    return f"{what} ({win32_error_name(error)})"


def peer_connect(net: Network, name: str, port: int, address: int | None = None) -> str | None:
    sock = peer_socket(net, name)
    target = net.config.address if address is None else address
    error = net.connect(sock, target, port)
    if error:
        return _refused(f"{name} cannot connect", error)
    net.peer_connections[name] = sock
    return None


def peer_send(net: Network, name: str, data: bytes) -> str | None:
    sock = _current(net, name)
    if isinstance(sock, str):
        return sock
    error, _ = net.send(sock, data)
    return _refused(f"{name} cannot send", error) if error else None


def peer_read(net: Network, name: str, count: int | None = None) -> str | None:
    sock = _current(net, name)
    if isinstance(sock, str):
        return sock
    error, data = net.recv(sock, READ_ALL if count is None else count, False)
    if error == WSAEWOULDBLOCK:
        return f"{name} has nothing to read"
    if error:
        return _refused(f"{name} cannot read", error)
    return None if data or sock.eof else f"{name} has nothing to read"


def peer_shutdown(net: Network, name: str) -> str | None:
    sock = _current(net, name)
    if isinstance(sock, str):
        return sock
    error = net.shutdown(sock, SD_SEND)
    return _refused(f"{name} cannot shut down", error) if error else None


def peer_close(net: Network, name: str) -> str | None:
    sock = _current(net, name)
    if isinstance(sock, str):
        return sock
    sock.by_closesocket = True
    net.close(sock)
    return None


def peer_reset(net: Network, name: str) -> str | None:
    sock = _current(net, name)
    if isinstance(sock, str):
        return sock
    if sock.state is not SockState.CONNECTED:
        return f"{name}'s connection is {sock.state.value}: nothing to reset"
    net.reset(sock)
    return None
