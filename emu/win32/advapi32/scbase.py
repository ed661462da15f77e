"""What every Service Control Manager call shares: the RPC, SC_HANDLE lookup, status copies.

Every SCM function is a remote procedure call to services.exe, so it takes virtual time: a
latency in the scenario's ``rpc`` range (``machine.latency.rpc``; default 50 µs to 500 µs), one
chooser decision when the range has more than one representative. "Certain functions in the
Windows API, including NotifyServiceStatusChange and other SCM functions, use remote procedure
calls (RPC); these functions might perform an alertable wait operation, so they are not safe to
call from within the callback function" (NotifyServiceStatusChange, MS doc, Remarks). The call
waits out its latency in a wait that may be alertable; whether it is, is a chooser decision
(option 0: it is not), made the first time it matters: when the thread has user APCs queued as
it enters the call, or when one is queued to it while the call waits. If the wait is alertable,
the queued APCs run inside the call (an ``scm.rpc_apc`` event, then ``apc.deliver`` events at
``AT_RPC``, the delivery place this module declares in ``emu.kernel.apc_sites``) and the call
goes on waiting for the rest of its latency, still alertably; if it is not, the APCs stay
queued and the call waits out the rest non-alertably. Until the decision is made the trace
shows the wait as alertable (the thread could be interrupted). An unresponsive service's
timeout is part of the same RPC and waits the same way. A call made inside an SCM notification
callback records the ``scm.call_in_callback`` client rule.

SC_HANDLEs live in their own namespace (``sc``); a kernel handle is not an SC_HANDLE, nor the
other way round (ERROR_INVALID_HANDLE). Where a function takes a service handle, an SCM handle
is ERROR_INVALID_HANDLE too, and the other way round.
"""

from __future__ import annotations

from typing import Any, Final

from emu.codes.ntstatus import STATUS_USER_APC
from emu.devices.scm import ServiceControlManager, scm_of
from emu.devices.scm_handles import ScHandle
from emu.kernel.apc_sites import register_apc_site
from emu.kernel.chooser import SCHED, ChoicePoint
from emu.kernel.handles import HandleEntry
from emu.kernel.memory import Struct
from emu.kernel.thread import Thread
from emu.kernel.trace import trace_kind
from emu.kernel.waits import wait
from emu.win32.base import ApiCall, Win32Base

SCM_RPC_APC = trace_kind(
    "scm.rpc_apc",
    ("api", "pending"),
    text="{o0}: the RPC of {api} waits alertably: {pending} queued APC(s) run inside it",
    doc="An SCM call's RPC waited alertably and ran the thread's queued APCs inside the call.",
)

AT_RPC: Final = register_apc_site(
    "an SCM call's RPC wait",
    (
        "OpenSCManagerW",
        "OpenServiceW",
        "CreateServiceW",
        "DeleteService",
        "CloseServiceHandle",
        "StartServiceW",
        "ControlService",
        "QueryServiceStatus",
        "QueryServiceStatusEx",
        "NotifyServiceStatusChangeW",
    ),
    "the RPC of a Service Control Manager function may wait alertably: APCs queued before or "
    "during the call run inside it, before it returns",
    'NotifyServiceStatusChange (MS doc), Remarks: "these functions might perform an '
    'alertable wait operation"',
)
"""Where APCs run inside an SCM call (the ``at`` of their ``apc.deliver`` events)."""

DEFAULT_RPC: Final = (500, 5_000)  # 50 µs to 500 µs, in ticks
SERVICE_NAME_MAX: Final = 256
RPC_OPTIONS: Final = ("plain wait", "alertable wait")


class ScBase(Win32Base):
    """The shared machinery of the advapi32 service functions."""

    __slots__ = ()

    def _scm(self) -> ServiceControlManager:
        return scm_of(self.k)

    def _rpc(
        self, t: Thread, name: str, scm: ServiceControlManager | None = None
    ) -> ApiCall[bool | None]:
        """The call's trip to services.exe: its latency, in a wait that may be alertable.

        Returns the decision made on the wait's alertability (None: it never mattered), for a
        later wait of the same call (``_rpc_wait``). ``scm``: the SCM, if the caller has it."""
        k = self.k
        if scm is None:
            scm = self._scm()
        if scm.notifier.in_scm_callback(t):
            k.violation(
                "scm.call_in_callback",
                f"{name} called inside an SCM notification callback: its RPC may wait "
                "alertably and run other callbacks",
                (t.oid,),
            )
        lo, hi = k.latency.get("rpc", DEFAULT_RPC)
        delay = k.choose_latency(f"rpc@{name}", lo, hi) if hi > lo else lo
        alertable = None
        if delay or t.apcs:
            alertable = yield from self._rpc_wait(t, name, delay, None)
        if not delay and k.ready:
            yield from k.preempt(f"rpc@{name}", ())
        return alertable

    def _rpc_wait(
        self, t: Thread, name: str, ticks: int, alertable: bool | None
    ) -> ApiCall[bool | None]:
        """Wait ``ticks`` inside the RPC of ``name``. ``alertable`` is the decision already
        made for this call (None: not yet); returns it, made if an APC made it matter."""
        k = self.k
        deadline = k.now + ticks
        left = max(0, ticks)
        while True:
            if alertable is False:
                if left:
                    yield from wait(k, t, (), False, left, False)
                return alertable
            status = yield from wait(k, t, (), False, left, True, deliver=False)
            if status != STATUS_USER_APC:
                return alertable
            if alertable is None:
                point = ChoicePoint(SCHED, f"rpc-alertable@{name}", RPC_OPTIONS, ((), ()))
                alertable = k.choose(point) == 1
            if alertable:
                k.emit(t.oid, SCM_RPC_APC, (t.oid,), (name, len(t.apcs)))
                yield from t.deliver_user_apcs(at=AT_RPC)
            left = max(0, deadline - k.now)

    def _sc_handle(
        self, handle: Any, kind: type[ScHandle] | tuple[type[ScHandle], ...]
    ) -> ScHandle | None:
        """The SC_HANDLE context a value names, of the kind the function takes, or None."""
        entry = self._sc_entry(self._scm(), handle, kind)
        if entry is None:
            return None
        obj = entry.obj
        assert isinstance(obj, ScHandle)
        return obj

    @staticmethod
    def _sc_entry(
        scm: ServiceControlManager,
        handle: Any,
        kind: type[ScHandle] | tuple[type[ScHandle], ...],
    ) -> HandleEntry | None:
        """The handle entry (an ``ScHandle`` of the kind the function takes, and the access
        granted) a value names, or None."""
        if type(handle) is not int:
            if isinstance(handle, bool) or not isinstance(handle, int):
                return None
            handle = int(handle)
        entry = scm.handles.get(handle)
        if entry is None or not isinstance(entry.obj, kind):
            return None
        return entry

    def _closed_during_call(self, scm: ServiceControlManager, value: Any, handle: ScHandle) -> bool:
        """Whether the SC_HANDLE ``value`` no longer names ``handle`` once the call's RPC
        returned: another thread closed it meanwhile (the call fails with
        ERROR_INVALID_HANDLE)."""
        entry = self._sc_entry(scm, value, ScHandle)
        return entry is None or entry.obj is not handle

    def _granted(self, handle: Any) -> int:
        entry = self._scm().handles.get(handle)
        return entry.access if entry is not None else 0

    def _sc_footprint(self, handle: Any) -> tuple[tuple[int, str], ...]:
        entry = self._scm().handles.get(handle) if isinstance(handle, int) else None
        return ((entry.obj.oid, "w"),) if entry is not None else ()

    def _fill(self, struct: Struct, status: tuple[int, ...]) -> None:
        """Write a status tuple into a SERVICE_STATUS(_PROCESS), member by member."""
        struct.bind(self.k)
        for field_name, value in zip(struct._fields_, status, strict=False):
            struct.sys_set(field_name, value)

    @staticmethod
    def _valid_name(name: str) -> bool:
        return 0 < len(name) <= SERVICE_NAME_MAX and "/" not in name and "\\" not in name
