"""The network's own context: deliveries that fall due at an instant, as jobs of one actor.

A segment reaching its destination (data, a FIN, a reset, a connection request, a datagram)
is a job of this actor, not a timer callback, so what the network does at an instant is one
more enabled actor the chooser orders against the threads, as the Service Control Manager's
jobs are (``emu.kernel.jobs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emu.kernel.jobs import JobActor

if TYPE_CHECKING:
    from emu.kernel.dispatcher import Kernel


class NetActor(JobActor):
    """Runs the network's deliveries as they fall due, each ordered by the chooser."""

    __slots__ = ()

    def __init__(self, k: Kernel) -> None:
        super().__init__(k, "network", "net")
