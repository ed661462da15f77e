"""peerdist.dll: BranchCache (Peer Distribution) for applications.

``session`` (PeerDistStartup, PeerDistShutdown, the status calls and registrations,
PeerDistGetOverlappedResult), ``server`` (publishing, content information, the server's cancel),
``client`` (content, reads, the client's cancel), ``base`` (what they share), ``types``
(the structures). The service behind them is ``emu.devices.branchcache``.
"""

from emu.win32.peerdist.client import ClientApi
from emu.win32.peerdist.session import SessionApi
from emu.win32.peerdist.types import (
    PEERDIST_CONTENT_TAG,
    PEERDIST_PUBLICATION_OPTIONS,
    PEERDIST_STATUS,
    PEERDIST_STATUS_INFO,
)


class PeerDist(SessionApi, ClientApi):
    """peerdist.dll's modelled functions."""

    __slots__ = ()


__all__ = [
    "PEERDIST_CONTENT_TAG",
    "PEERDIST_PUBLICATION_OPTIONS",
    "PEERDIST_STATUS",
    "PEERDIST_STATUS_INFO",
    "PeerDist",
]
