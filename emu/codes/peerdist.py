"""BranchCache (Peer Distribution) constants of peerdist.h, real values (docs/sources.md F4).

- PEERDIST_STATUS (F4.1, an enum in declaration order): PEERDIST_STATUS_DISABLED 0,
  PEERDIST_STATUS_UNAVAILABLE 1, PEERDIST_STATUS_AVAILABLE 2.
- Versions (F4.2, F4.3): PEERDIST_VERSION is 2 in the Windows 8 headers and 1 before;
  dwVersionRequested's low byte is the major version, the high byte the minor. The content
  information formats are PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_1 (Windows 7) and _2.
- Read timeouts (F4.4): PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY 0 (look in the local cache
  only), PEERDIST_READ_TIMEOUT_DEFAULT 0xFFFFFFFE.
- The PEERDIST_ERROR_* codes are winerror.h's and live in ``emu.codes.winerror`` with the other
  Win32 errors (the page's misspelling PEERDIST_ERROR_OPERATION_NOT_FOUND is an alias of
  PEERDIST_ERROR_OPERATION_NOTFOUND, 4059; F4.7).
"""

from __future__ import annotations

from typing import Final

PEERDIST_STATUS_DISABLED: Final = 0
PEERDIST_STATUS_UNAVAILABLE: Final = 1
PEERDIST_STATUS_AVAILABLE: Final = 2

PEERDIST_STATUS_NAMES: Final = ("DISABLED", "UNAVAILABLE", "AVAILABLE")
"""A status by its value, as the trace and the timeline print it."""

PEERDIST_VERSION: Final = 2
PEERDIST_VERSION_WIN7: Final = 1
PEERDIST_PUBLICATION_OPTIONS_VERSION_1: Final = 1
PEERDIST_PUBLICATION_OPTIONS_VERSION_2: Final = 2
PEERDIST_PUBLICATION_OPTIONS_VERSION: Final = 2
PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_1: Final = 1
PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION_2: Final = 2
PEERDIST_RETRIEVAL_OPTIONS_CONTENTINFO_VERSION: Final = 2

PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY: Final = 0
PEERDIST_READ_TIMEOUT_DEFAULT: Final = 0xFFFFFFFE

PEERDIST_STATUS_INFO_SIZE: Final = 16
"""sizeof(PEERDIST_STATUS_INFO): four 32-bit members (cbSize, status, dwMinVer, dwMaxVer)."""

PEERDIST_CONTENT_TAG_SIZE: Final = 16
"""PEERDIST_CONTENT_TAG is ``BYTE Data[16]``."""

PEERDIST_ERROR_NOT_FOUND: Final = 1168
"""The code PeerDistServerOpenContentInformation's page names for content that "is not
published". winerror.h has no such name: emu returns ERROR_NOT_FOUND (1168) and keeps the
page's name as its alias (assumption, docs/rules.md)."""


def peerdist_status_name(status: int) -> str:
    """``AVAILABLE`` for 2; the decimal value for anything else."""
    if 0 <= status < len(PEERDIST_STATUS_NAMES):
        return PEERDIST_STATUS_NAMES[status]
    return str(status)
