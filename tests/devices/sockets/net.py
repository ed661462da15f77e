"""Helpers for the network device's tests: a kernel, its network, sockets in every state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emu.codes import INADDR_LOOPBACK
from emu.devices.sockets import NetConfig, Network, Socket
from emu.kernel import Kernel
from emu.kernel.chooser import Chooser
from emu.kernel.trace import TraceEvent

PORT = 5000


def network(config: NetConfig | None = None, chooser: Chooser | None = None) -> Network:
    k = Kernel(chooser=chooser)
    return k.device("sockets", lambda: Network(k, config))


def settle(net: Network) -> None:
    """Run until nothing is left to deliver (the run is not finished: no end reports)."""
    net.k.run(finish=False)


def close(net: Network, sock: Socket) -> None:
    """closesocket without a handle: the network's close procedure."""
    sock.by_closesocket = True
    net.close(sock)


def listening(net: Network, port: int = PORT, backlog: int = 5) -> Socket:
    sock = net.create(True, True)
    assert net.bind(sock, INADDR_LOOPBACK, port) == 0
    assert net.listen(sock, backlog) == 0
    return sock


def connected(net: Network, port: int = PORT) -> tuple[Socket, Socket, Socket]:
    """(client, accepted server end, listener), with the handshake delivered."""
    server = listening(net, port)
    client = net.create(True, True)
    assert net.connect(client, INADDR_LOOPBACK, port) == 0
    settle(net)
    error, accepted = net.accept(server)
    assert error == 0 and accepted is not None
    net.accepted(server, accepted)
    return client, accepted, server


def events(net: Network, kind: str) -> list[TraceEvent]:
    return [e for e in net.k.trace.view() if e.kind == kind]


@dataclass
class Recorder:
    """A ReadinessWatcher that writes down what it hears."""

    heard: list[tuple[Any, ...]] = field(default_factory=list)

    def readiness_changed(self, sock: Socket, old: int, new: int, cause: int) -> None:
        self.heard.append(("changed", sock.name, old, new))

    def socket_closed(self, sock: Socket, cause: int) -> None:
        self.heard.append(("closed", sock.name))
