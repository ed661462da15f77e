"""The BranchCache (Peer Distribution) service: status, sessions, content, operations.

``service`` (status, invalidation, latency, cancellation at the service), ``status`` (status
notification registrations), ``content`` (publications and content operations), ``device``
(sessions and handles: ``BranchCache`` and ``branchcache_of``), ``objects`` (what the handles
name). The Win32 surface is ``emu.win32.peerdist``.
"""

from emu.devices.branchcache.content import Publication, decode_info, encode_info
from emu.devices.branchcache.device import BranchCache, branchcache_of
from emu.devices.branchcache.objects import (
    ContentHandle,
    ContentInfoHandle,
    PeerDistObject,
    Session,
    StatusRequest,
    StreamHandle,
)
from emu.devices.branchcache.service import BRANCHCACHE_DEVICE, ServiceState

__all__ = [
    "BRANCHCACHE_DEVICE",
    "BranchCache",
    "ContentHandle",
    "ContentInfoHandle",
    "PeerDistObject",
    "Publication",
    "ServiceState",
    "Session",
    "StatusRequest",
    "StreamHandle",
    "branchcache_of",
    "decode_info",
    "encode_info",
]
