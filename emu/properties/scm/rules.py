"""The SCM's inline rules: breaches recorded as ``violation`` events while the run happens
(where: ``emu.devices.scm_notify`` and ``emu.win32.advapi32.scbase``)."""

from __future__ import annotations

from typing import Final

from emu.properties.catalogue import CLIENT_RULE, HAZARD, Property, register

SEED: Final = "NotifyServiceStatusChange (MS doc)"
_NOTIFY: Final = ("NotifyServiceStatusChangeW", "NotifyServiceStatusChangeA")
_SCM_CALLS: Final = (
    "OpenSCManagerW",
    "OpenServiceW",
    "CreateServiceW",
    "DeleteService",
    "StartServiceW",
    "ControlService",
    "QueryServiceStatus",
    "QueryServiceStatusEx",
    "CloseServiceHandle",
    "NotifyServiceStatusChangeW",
)

register(
    Property(
        "scm.buffer_reused",
        CLIENT_RULE,
        _NOTIFY,
        SEED + ", pNotifyBuffer",
        "Do not make multiple calls to NotifyServiceStatusChange with the same buffer parameter "
        "until the callback function from the first call has finished with the buffer or the "
        "first notification request has been canceled. Otherwise, there is no guarantee which "
        "version of the buffer the callback function will receive.",
        exercised_by=_NOTIFY,
        note="recorded at the second call; the trace shows which version each callback read",
    ),
    Property(
        "scm.call_in_callback",
        CLIENT_RULE,
        _SCM_CALLS,
        SEED + ", Remarks",
        "Note that certain functions in the Windows API, including NotifyServiceStatusChange "
        "and other SCM functions, use remote procedure calls (RPC); these functions might "
        "perform an alertable wait operation, so they are not safe to call from within the "
        "callback function. Instead, the callback function should save the notification "
        "parameters and perform any additional work outside the callback.",
        exercised_by=_NOTIFY,
    ),
    Property(
        "scm.callback_after_unload",
        HAZARD,
        _NOTIFY,
        SEED + ", Remarks (Important)",
        "If the calling thread is in a DLL and the DLL is unloaded before the thread receives "
        "the notification or calls CloseServiceHandle, the notification will cause "
        "unpredictable results and might cause the process to stop responding.",
        exercised_by=("module.unload",),
        note="recorded when the APC would call into the unloaded module; the call is not made",
    ),
)
