"""SC_HANDLEs: the client contexts of the Service Control Manager (``emu.devices.scm``).

Each OpenSCManager, OpenService or CreateService gives a context of its own (an RPC context
handle in services.exe), in the ``sc`` handle namespace, never a kernel handle: several
handles to one service each hold their own notification request (F1.11) and their own
"already notified of this state" flag (F1.12). Closing the last handle to a context cancels
its request and may let a service marked for delete go.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emu.codes.services import SC_MANAGER_GENERIC_MAPPING, SERVICE_GENERIC_MAPPING
from emu.kernel.objects import KernelObject

if TYPE_CHECKING:
    from emu.devices.scm import Service, ServiceControlManager
    from emu.devices.scm_notify import Registration
    from emu.kernel.dispatcher import Kernel


class ScHandle(KernelObject):
    """An SC_HANDLE: an RPC context of its own, in the ``sc`` namespace."""

    __slots__ = ("registration", "scm")

    TYPE = "SC_HANDLE"

    def __init__(self, k: Kernel, scm: ServiceControlManager, name: str) -> None:
        super().__init__(k, name)
        self.scm = scm
        self.registration: Registration | None = None  # the outstanding notification request

    def on_last_handle_closed(self) -> None:
        self.scm.handle_closed(self)


class ScmHandle(ScHandle):
    """A handle to the SCM (OpenSCManager): CREATED/DELETED notifications and their backlog."""

    __slots__ = ("backlog", "lagging", "overflowed", "tracking")

    TYPE = "SCManager"
    GENERIC_MAPPING = SC_MANAGER_GENERIC_MAPPING

    def __init__(self, k: Kernel, scm: ServiceControlManager, name: str) -> None:
        super().__init__(k, scm, name)
        self.tracking = False  # since its first CREATED/DELETED request, changes are kept
        self.backlog: list[tuple[int, str]] = []  # (SERVICE_NOTIFY_CREATED/DELETED, name)
        self.overflowed = False
        self.lagging = False


class ServiceHandle(ScHandle):
    """A handle to one service (OpenService, CreateService)."""

    __slots__ = ("notified", "service")

    TYPE = "ServiceHandle"
    GENERIC_MAPPING = SERVICE_GENERIC_MAPPING

    def __init__(self, k: Kernel, scm: ServiceControlManager, service: Service) -> None:
        super().__init__(k, scm, f"{service.name}#{k.new_id('handle:' + service.name.lower())}")
        self.service = service
        self.notified = False  # F1.12: already notified of the current state through this handle
