"""NETIO's inline rules: breaches recorded as ``violation`` events while the run happens
(where: ``emu.devices.nic.callbacks``, ``emu.devices.nic.registrations`` and
``emu.win32.netio.surface``).

- ``netio.callback_stall`` (hazard): a callback held its worker longer than 100 ms of virtual
  time; the invocations are serialized, so every notification queued behind it waited (a wait
  in the callback is legal at PASSIVE_LEVEL; under ``netio-dispatch`` it is a bug check,
  ``kernel.wait_at_dispatch``).
- ``netio.cancel_in_callback`` (client rule): CancelMibChangeNotify2 called from the callback
  of the same registration waits for that callback to return: a deadlock (F3.11); the worker
  then waits for ever, and the run shows it blocked.
- ``netio.stale_handle`` (client rule): CancelMibChangeNotify2 with a handle that is no live
  registration's (cancelled already, or never returned); it fails with the invalid-handle code.
"""

from __future__ import annotations

from typing import Final

from emu.properties.catalogue import CLIENT_RULE, HAZARD, Property, register

SEED: Final = "NotifyIpInterfaceChange (MS doc)"
NOTIFY: Final = ("NotifyIpInterfaceChange",)
CANCEL: Final = ("CancelMibChangeNotify2",)

register(
    Property(
        "netio.callback_stall",
        HAZARD,
        NOTIFY,
        SEED + ", Remarks",
        "The invocation of the callback function that is specified in the Callback parameter is "
        "serialized.",
        exercised_by=("netio.callback",),
        note="recorded when a callback returns after holding its worker longer than 100 ms of "
        "virtual time: the notifications queued behind it waited that long",
    ),
    Property(
        "netio.cancel_in_callback",
        CLIENT_RULE,
        CANCEL,
        "CancelMibChangeNotify2 (MS doc), Remarks; F3.11",
        "An application cannot make a call to the CancelMibChangeNotify2 function from the "
        "context of the thread which is currently executing the notification callback function "
        "for the same NotificationHandle parameter. Otherwise, the thread executing that "
        "callback will result in deadlock.",
        exercised_by=CANCEL,
        note="recorded when the call is made; it then waits for its own callback, for ever (a "
        "driver's too: the driver page has no such remark, but the wait is the same)",
    ),
    Property(
        "netio.stale_handle",
        CLIENT_RULE,
        CANCEL,
        SEED + ", Remarks; F3.12",
        "To deregister the driver for change notifications, call the CancelMibChangeNotify2 "
        "function, passing the NotificationHandle parameter that NotifyIpInterfaceChange "
        "returns.",
        exercised_by=CANCEL,
        note="a handle cancelled already (a double cancel) or never returned points to freed or "
        "foreign memory on Windows; no code is documented for it: emu returns the "
        "invalid-handle code (STATUS_INVALID_HANDLE, ERROR_INVALID_HANDLE)",
    ),
)
