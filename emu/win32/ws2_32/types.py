"""The structures the ws2_32 functions take, named as winsock2.h names them.

- ``SOCKADDR_IN`` (struct sockaddr_in): ``sin_family``, ``sin_port``, ``sin_addr``. Emulation
  note: the port and the address are plain integers in host order (``sin_port=5000``,
  ``sin_addr=INADDR_LOOPBACK``): emu has no byte order, so programs do not call htons; its
  size is still that of the C structure (16 bytes, ``SOCKADDR_IN_SIZE``) for the ``namelen``
  and ``addrlen`` checks.
- ``WSADATA``: what WSAStartup fills in (the x64 member order).
- ``WSABUF``: one buffer of WSARecv or WSASend (``len``, ``buf``: a bytearray to receive
  into, bytes to send); the functions take a list of them and a count.
- ``INT``: an ``int`` a function reads and writes through a pointer (``int *addrlen``,
  ``int *fromlen``, ``int *optlen``); ``DWORD``, ``LONG`` and ``ULONG`` boxes are accepted
  there too, and a ``u_long *argp`` (ioctlsocket) is a ``ULONG``.
"""

from __future__ import annotations

from typing import Any, Final

from emu.kernel.memory import Struct
from emu.win32.types import DWORD, LONG, ULONG


class SOCKADDR_IN(Struct):
    """struct sockaddr_in (port and address as host-order integers)."""

    __slots__ = ()

    sin_family: int
    sin_port: int
    sin_addr: int


class WSADATA(Struct):
    """WSADATA: the version negotiated and the implementation's description."""

    __slots__ = ()

    wVersion: int
    wHighVersion: int
    iMaxSockets: int
    iMaxUdpDg: int
    lpVendorInfo: Any
    szDescription: str
    szSystemStatus: str


class WSABUF(Struct):
    """WSABUF: ``len`` bytes at ``buf``."""

    __slots__ = ()

    len: int
    buf: Any


class INT(Struct):
    """An int a function reads and writes through a pointer (``int *addrlen``)."""

    __slots__ = ()

    value: int


INT_BOXES: Final = (INT, LONG, DWORD, ULONG)
"""The boxes an ``int *`` parameter accepts."""
