"""advapi32.dll: the Service Control Manager client (winsvc.h).

One module per concern keeps each small; ``Advapi32`` composes them: handles
(``services``), starting, controlling and querying (``control``), and
NotifyServiceStatusChange (``notify``). The SCM itself is ``emu.devices.scm``.
"""

from emu.win32.advapi32.control import ServiceControlApi
from emu.win32.advapi32.notify import NotifyApi
from emu.win32.advapi32.services import ServiceHandleApi


class Advapi32(ServiceHandleApi, ServiceControlApi, NotifyApi):
    """Every advapi32 export emu models, as methods of the per-process ``Api``."""

    __slots__ = ()


__all__ = ["Advapi32"]
