"""ws2_32.dll: Windows Sockets 2 (winsock2.h).

One module per concern keeps each small; ``Ws2_32`` composes them: starting and stopping
Winsock and its last error (``startup``), creating, connecting and closing sockets
(``sockets``), moving bytes (``transfer``), overlapped I/O (``overlapped``) and its outcome
(``results``), a socket's mode and status (``control``) and the socket state notifications
(``notify``). The sockets and the
network between them are ``emu.devices.sockets``.
"""

from emu.win32.ws2_32.control import ControlApi
from emu.win32.ws2_32.notify import SOCK_NOTIFY_REGISTRATION, NotifyApi
from emu.win32.ws2_32.overlapped import OverlappedApi
from emu.win32.ws2_32.results import ResultApi
from emu.win32.ws2_32.sockets import SocketApi
from emu.win32.ws2_32.startup import StartupApi
from emu.win32.ws2_32.transfer import TransferApi
from emu.win32.ws2_32.types import INT, SOCKADDR_IN, WSABUF, WSADATA


class Ws2_32(StartupApi, SocketApi, TransferApi, ControlApi, OverlappedApi, ResultApi, NotifyApi):
    """Every ws2_32 export emu models, as methods of the per-process ``Api``."""

    __slots__ = ()


__all__ = [
    "INT",
    "SOCKADDR_IN",
    "SOCK_NOTIFY_REGISTRATION",
    "WSABUF",
    "WSADATA",
    "Ws2_32",
]
