"""What the network's operations share: its configuration, the port table, the latency of a
segment, and the address rules.

**Addresses and hosts.** The simulated machine has the loopback (127.0.0.0/8) and one
network address (``NetConfig.address``, 10.0.0.1 unless the scenario says otherwise); the
scenario's remote peers (``NetConfig.peers``) each have an address of their own. A program's
socket binds to INADDR_ANY (0.0.0.0), a loopback address or the machine's address; any other
is WSAEADDRNOTAVAIL ("The requested address is not valid in its context", bind, MS docs). A
destination is this machine (the loopback or its address), a peer, or nothing reachable
(WSAENETUNREACH). Ports are per host and per protocol: a stream port and a datagram port of
the same number are unrelated. A port is in use while a socket of the same host is bound to
it at the same address or either one at INADDR_ANY (WSAEADDRINUSE, "Only one usage of each
socket address (protocol/network address/port) is normally permitted"); SO_REUSEADDR is not
modelled. Port 0 picks the next free port of the dynamic range, 49152 to 65535, in order. A
closed socket frees its port at once (no TIME_WAIT; assumption).

**Delivery takes time.** Every segment (a connection request, data, a FIN, a reset, a
datagram) reaches its destination after a latency in the scenario's ``net`` range
(``machine.latency.net``; default 10 µs to 100 µs), chosen by the kernel's chooser
(``Kernel.choose_latency``: the bounds and the instants that cross a pending timer are the
options, option 0 the lowest). The arrival is a job of the network's actor
(``emu.devices.sockets.actor``), so it is ordered against the threads like any other actor.
A ``sock.transmit`` event records the departure and its latency, a ``sock.arrive`` event
(caused by it) the arrival.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from emu.codes.winsock import (
    INADDR_ANY,
    INADDR_LOOPBACK,
    WSAEADDRINUSE,
    WSAEADDRNOTAVAIL,
    WSAEINVAL,
    WSAENOBUFS,
)
from emu.devices.sockets.actor import NetActor
from emu.devices.sockets.endpoint import Socket, address_text
from emu.devices.sockets.states import SockState
from emu.kernel.trace import trace_kind

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel

SOCK_TRANSMIT = trace_kind(
    "sock.transmit",
    ("what", "bytes", "to", "latency"),
    text="{o0} sends {what} ({bytes} bytes) to {to}, arriving in {latency} ticks",
    doc="A segment leaves a socket (objects[0]): `what` is syn (a connection request), data, "
    "fin, rst or datagram; `to` the destination address; `latency` the delay the chooser "
    "picked in the `net` range.",
)
SOCK_ARRIVE = trace_kind(
    "sock.arrive",
    ("what", "bytes", "to"),
    text="{what} ({bytes} bytes) from {o0} arrives at {to}",
    doc="A segment reached its destination (`cause` is its sock.transmit); what it does there "
    "follows as sock.state or sock.discard events.",
)

DEFAULT_LATENCY: Final = (100, 1_000)  # 10 µs to 100 µs, in ticks
DEFAULT_BUFFER: Final = 65_536  # SO_RCVBUF and SO_SNDBUF (64 KiB)
MAX_BACKLOG: Final = 200  # listen(SOMAXCONN)
DYNAMIC_PORTS: Final = (49152, 65535)
MAX_DATAGRAM: Final = 65_507  # the largest UDP payload over IPv4


MACHINE_ADDRESS: Final = 0x0A000001  # 10.0.0.1
LOCAL: Final = ""
"""The host name of this machine (a peer's host is its name)."""


@dataclass(frozen=True, slots=True)
class PeerConfig:
    """A scripted remote peer: its address and the stream ports it accepts connections on."""

    address: int
    listen: tuple[int, ...] = ()


@dataclass(slots=True)
class NetConfig:
    """The network of a scenario (``devices.sockets``)."""

    recv_buffer: int = DEFAULT_BUFFER
    send_buffer: int = DEFAULT_BUFFER
    max_backlog: int = MAX_BACKLOG
    address: int = MACHINE_ADDRESS
    peers: dict[str, PeerConfig] = field(default_factory=dict)


def is_loopback(address: int) -> bool:
    return address >> 24 == INADDR_LOOPBACK >> 24


class NetBase:
    """The state every operation reads: the kernel, the configuration, the port table."""

    def __init__(self, k: Kernel, config: NetConfig | None = None) -> None:
        self.k = k
        self.config = config if config is not None else NetConfig()
        self.actor = NetActor(k)
        k.spawn(self.actor)
        self.sockets: list[Socket] = []
        """Every socket ever created (by a program or by the network), in creation order."""
        self.ports: dict[tuple[str, bool, int], list[Socket]] = {}
        """Sockets bound to each (host, stream?, port), in the order they were bound."""
        self._next_port = DYNAMIC_PORTS[0]
        self.peer_connections: dict[str, Socket] = {}
        """Each peer's current connection (its latest, made or accepted)."""

    def host_of(self, address: int) -> str | None:
        """The host an address names: ``LOCAL``, a peer's name, or None (unreachable)."""
        if is_loopback(address) or address == self.config.address:
            return LOCAL
        for name, peer in self.config.peers.items():
            if peer.address == address:
                return name
        return None

    # -- ports ----------------------------------------------------------------------------

    def bind(self, sock: Socket, address: int, port: int) -> int:
        """Give ``sock`` its local address; 0 or a WSA error."""
        if sock.local is not None:
            return WSAEINVAL  # "The socket is already bound to an address."
        if sock.host == LOCAL and address != INADDR_ANY and self.host_of(address) != LOCAL:
            return WSAEADDRNOTAVAIL
        if port == 0:
            port = self._free_port(sock.host, sock.stream, address)
            if not port:
                return WSAENOBUFS
        elif self._in_use(sock.host, sock.stream, address, port):
            return WSAEADDRINUSE
        self._attach(sock, address, port)
        return 0

    def implicit_bind(self, sock: Socket, toward: int) -> int:
        """Bind an unbound socket to a dynamic port at the address that reaches ``toward``
        (connect, sendto): "If socket s, is unbound, unique values are assigned to the local
        association by the system, and the socket is marked as bound" (connect, MS docs)."""
        if sock.local is not None:
            return 0
        return self.bind(sock, self.source_address(sock, toward), 0)

    def source_address(self, sock: Socket, toward: int) -> int:
        """The local address a socket uses toward ``toward``: the loopback for the loopback,
        the machine's address otherwise (a peer's socket: the peer's address)."""
        if sock.host != LOCAL:
            return self.config.peers[sock.host].address
        return INADDR_LOOPBACK if is_loopback(toward) else self.config.address

    def _attach(self, sock: Socket, address: int, port: int) -> None:
        sock.local = (address, port)
        self.ports.setdefault((sock.host, sock.stream, port), []).append(sock)
        if sock.state is SockState.OPEN:
            sock.state = SockState.BOUND
        sock.update()

    def unbind(self, sock: Socket) -> None:
        if sock.local is None:
            return
        key = (sock.host, sock.stream, sock.local[1])
        bound = self.ports.get(key, [])
        if sock in bound:
            bound.remove(sock)
            if not bound:
                del self.ports[key]

    def _in_use(self, host: str, stream: bool, address: int, port: int) -> bool:
        for other in self.ports.get((host, stream, port), ()):
            assert other.local is not None
            if INADDR_ANY in (address, other.local[0]) or other.local[0] == address:
                return True
        return False

    def _free_port(self, host: str, stream: bool, address: int) -> int:
        low, high = DYNAMIC_PORTS
        for _ in range(high - low + 1):
            port = self._next_port
            self._next_port = low if port == high else port + 1
            if not self._in_use(host, stream, address, port):
                return port
        return 0

    def bound_at(self, host: str, stream: bool, address: int, port: int) -> list[Socket]:
        """The sockets of ``host`` bound to ``port`` whose address matches ``address`` (or is
        ANY), exact matches first."""
        bound = self.ports.get((host, stream, port), [])
        exact = [s for s in bound if s.local is not None and s.local[0] == address]
        wild = [s for s in bound if s.local is not None and s.local[0] == INADDR_ANY]
        return exact + wild

    # -- segments -------------------------------------------------------------------------

    def transmit(
        self,
        src: Socket,
        what: str,
        count: int,
        to: tuple[int, int] | None,
        arrive: Callable[[int], None],
    ) -> None:
        """Send a segment from ``src``: after a chosen latency, ``arrive(cause)`` runs on the
        network's actor (``cause``: the seq of the ``sock.arrive`` event)."""
        k = self.k
        lo, hi = k.latency.get("net", DEFAULT_LATENCY)
        label = f"{src.name}:{what}"
        delay = k.choose_latency(f"net@{label}", lo, hi) if hi > lo else lo
        shown = address_text(to)
        seq = k.emit(k.actor_id(), SOCK_TRANSMIT, (src.oid,), (what, count, shown, delay))

        def job() -> None:
            arrived = k.emit(k.actor_id(), SOCK_ARRIVE, (src.oid,), (what, count, shown), seq)
            arrive(arrived)

        self.actor.later(delay, label, job)
