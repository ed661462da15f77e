"""The structures of peerdist.h the modelled functions take, with the header's member names.

- ``PEERDIST_STATUS``: the PEERDIST_STATUS a function writes through a pointer
  (``pPeerDistStatus``); its ``value`` is PEERDIST_STATUS_DISABLED (0), _UNAVAILABLE (1) or
  _AVAILABLE (2) (F4.1).
- ``PEERDIST_STATUS_INFO`` (Windows 8): cbSize, status, dwMinVer, dwMaxVer (F4.2); cbSize must
  be sizeof(PEERDIST_STATUS_INFO), 16 (assumption: the Ex pages list no error, emu checks it as
  every versioned structure is checked, ERROR_INVALID_PARAMETER).
- ``PEERDIST_CONTENT_TAG``: ``BYTE Data[16]``, "a 16 byte client specified identifier"
  (PeerDistClientOpenContent).
- ``PEERDIST_PUBLICATION_OPTIONS``: dwVersion (PEERDIST_PUBLICATION_OPTIONS_VERSION_1 or _2)
  and dwFlags (reserved, 0).

The handles a function returns through a pointer (``phPeerDist``, ``phStream``,
``phContentInfo``, ``phContentHandle``) are ``emu.win32.types.HANDLE`` boxes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from emu.codes.peerdist import PEERDIST_STATUS_INFO_SIZE
from emu.kernel.memory import Struct


class PEERDIST_STATUS(Struct):
    """A PEERDIST_STATUS the system writes through a pointer."""

    __slots__ = ()

    value: int


class PEERDIST_STATUS_INFO(Struct):
    """PEERDIST_STATUS_INFO: the status and the content-information versions supported."""

    __slots__ = ()

    _defaults_: ClassVar[dict[str, Any]] = {"cbSize": PEERDIST_STATUS_INFO_SIZE}

    cbSize: int
    status: int
    dwMinVer: int
    dwMaxVer: int


class PEERDIST_CONTENT_TAG(Struct):
    """PEERDIST_CONTENT_TAG: ``Data`` holds the 16 bytes."""

    __slots__ = ()

    _defaults_: ClassVar[dict[str, Any]] = {"Data": bytes(16)}

    Data: bytes


class PEERDIST_PUBLICATION_OPTIONS(Struct):
    """PEERDIST_PUBLICATION_OPTIONS: dwVersion and dwFlags (reserved)."""

    __slots__ = ()

    dwVersion: int
    dwFlags: int
