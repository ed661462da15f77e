"""NETIO's interface notifications for both modes: ``Netio`` (netio.sys, composed into the
driver surface; NTSTATUS codes and the driver pages' IRQL rules) and ``Iphlpapi``
(iphlpapi.dll, composed into the application surface; Win32 codes). ``emu.win32.netio.surface``
implements the four functions once."""

from emu.codes.netio import KERNEL_MODE, USER_MODE
from emu.devices.nic import MIB_IPINTERFACE_ROW
from emu.win32.netio.surface import NETIO_STATUS, NetioSurface


class Netio(NetioSurface):
    """netio.sys: NotifyIpInterfaceChange and its companions for drivers."""

    __slots__ = ()

    MODE = KERNEL_MODE


class Iphlpapi(NetioSurface):
    """iphlpapi.dll: the same functions for applications."""

    __slots__ = ()

    MODE = USER_MODE


__all__ = ["MIB_IPINTERFACE_ROW", "NETIO_STATUS", "Iphlpapi", "Netio"]
