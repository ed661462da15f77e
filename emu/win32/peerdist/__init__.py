"""peerdist.dll: BranchCache (Peer Distribution) for applications.

``session`` (PeerDistStartup, PeerDistShutdown, the status calls and registrations,
PeerDistGetOverlappedResult), ``server`` (publishing, the server's cancel), ``contentinfo`` (the
server's content information), ``client`` (content, reads, the client's cancel), ``base`` (what
they share: the checks, the request, the closes), ``types`` (the structures). The service behind
them is ``emu.devices.branchcache``.
"""

from emu.win32.peerdist.client import ClientApi
from emu.win32.peerdist.contentinfo import ContentInfoApi
from emu.win32.peerdist.server import ServerApi
from emu.win32.peerdist.session import SessionApi
from emu.win32.peerdist.types import (
    PEERDIST_CONTENT_TAG,
    PEERDIST_PUBLICATION_OPTIONS,
    PEERDIST_STATUS,
    PEERDIST_STATUS_INFO,
)


class PeerDist(SessionApi, ServerApi, ContentInfoApi, ClientApi):
    """peerdist.dll's modelled functions."""

    __slots__ = ()


__all__ = [
    "PEERDIST_CONTENT_TAG",
    "PEERDIST_PUBLICATION_OPTIONS",
    "PEERDIST_STATUS",
    "PEERDIST_STATUS_INFO",
    "PeerDist",
]
