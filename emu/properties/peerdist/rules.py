"""BranchCache's inline rule, recorded as a ``violation`` event while the run happens (where:
``emu.win32.peerdist.server`` and ``emu.win32.peerdist.client``).

- ``peerdist.overlapping_add`` (client rule): PeerDistServerPublishAddToStream or
  PeerDistClientAddContentInformation called on a handle while an earlier add on it is still
  pending; "the caller must wait for each operation to complete before the next call is made".
  The call still runs.
"""

from __future__ import annotations

from typing import Final

from emu.properties.catalogue import CLIENT_RULE, Property, register

ADDS: Final = ("PeerDistServerPublishAddToStream", "PeerDistClientAddContentInformation")

register(
    Property(
        "peerdist.overlapping_add",
        CLIENT_RULE,
        ADDS,
        "PeerDistServerPublishAddToStream (MS doc), PeerDistClientAddContentInformation (MS "
        "doc), Remarks",
        "When calling this function multiple times on a single stream handle, the caller must "
        "wait for each operation to complete before the next call is made.",
        exercised_by=ADDS,
        note="recorded when an add is called while an earlier add on the same stream or "
        "content handle is pending; the call still runs",
    ),
)
