"""The client rules of a socket-notification event loop: what a correct loop must do with its
registrations, checked on the finished trace (a violation is a bug in the program under test).
The per-socket context and the end of a registration: ``sockets.contexts``.

- Edge triggering: "The condition must change while the registration is enabled for a
  notification to be queued. As such, after registering, the socket's receive buffer must be
  completely drained to ensure a notification is received." (SOCK_NOTIFY_REGISTRATION, the
  seed) "The server must keep receiving until it receives a WSAEWOULDBLOCK. Otherwise, it
  can't be sure that a rising edge will be observed. As such, the server's socket must also
  be non-blocking." (Winsock socket state notifications, edge-triggered sample:
  ``sock.edge_stuck``, ``sock.edge_blocking``)
- "If multiple threads are dequeuing notification packets with level-triggered
  notifications, then SOCK_NOTIFY_TRIGGER_ONESHOT should be supplied to avoid multiple
  threads receiving notifications for a state change. Once the socket notification has been
  processed, the notification should be re-registered." (F2.25: ``sock.shared_persistent``)
- "Notifications must not be re-enabled until the SOCK_NOTIFY_EVENT_DISABLE notification is
  received." No header defines SOCK_NOTIFY_EVENT_DISABLE (F2.5): emu reads it as the
  registration's notification still queued, the one that disabled it or that DISABLE let
  through (``sock.reenable_early``, an assumption).

Never using a notification's lpOverlapped as a pointer ("reserved and must not be used as
pointers") is not checked: emu sets it NULL, so such a use is a NULL OVERLAPPED given to a
call, which that call reports with its own code.
"""

from __future__ import annotations

from typing import Final

from emu.codes.winsock import (
    SOCK_NOTIFY_EVENT_IN,
    SOCK_NOTIFY_EVENT_OUT,
    SOCK_NOTIFY_OP_ENABLE,
)
from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import CLIENT_RULE, LIVENESS, Property, register
from emu.properties.checker import FINISHED_ENDS, Context
from emu.properties.sockets.registrations import (
    DEQUEUE_CALLS,
    PSN,
    Registration,
    SockChecker,
    names,
)

SEED: Final = "SOCK_NOTIFY_REGISTRATION (MS doc)"
STATE_DOC: Final = "Winsock socket state notifications (MS doc)"
_PSN: Final = PSN
READS: Final = ("recv", "recvfrom", "accept", "WSARecv")
WRITES: Final = ("send", "sendto", "WSASend")
DATA_CALLS: Final = (*READS, *WRITES)
"""The calls a drain loop makes (reads for IN, writes for OUT), each with its SOCKET first
(WSARecv and WSASend only without an OVERLAPPED: with one they never block)."""
OVERLAPPED_ARG: Final = 5  # lpOverlapped's position in WSARecv and WSASend


class EdgeStuck(SockChecker):
    """At the end of a run whose programs finished or are blocked, a socket whose
    edge-triggered registration (asking for IN) is enabled still has data (or connections)
    waiting and no notification queued: no new edge will come, its reader is stuck. IN held
    only by the end of stream is no breach: the reader saw recv return 0."""

    SEES = ("sock.register", "run.end")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.edges = False
        self.reason = ""

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        if event[2] == "run.end":
            self.reason = str(event[4][0])
        elif reg is not None and reg.edge and reg.event_filter & SOCK_NOTIFY_EVENT_IN:
            self.edges = True

    def finish(self) -> None:
        if not self.edges or self.reason not in FINISHED_ENDS:
            return
        self.exercised = True
        regs = self.records
        for reg in sorted(regs.live.values(), key=lambda r: r.number):
            ready = regs.readiness.get(reg.socket, 0)
            if not (reg.edge and reg.enabled and reg.event_filter & ready & SOCK_NOTIFY_EVENT_IN):
                continue
            if reg.pending or regs.port_closed(reg):
                continue
            waiting = regs.received.get(reg.socket, 0)
            backlog = regs.backlog.get(reg.socket, 0)
            if not waiting and not backlog:
                continue  # only the end of stream: recv returned 0, the reader knows
            what = f"{waiting} bytes waiting" if waiting else f"{backlog} connections waiting"
            related = [reg.enabled_seq] + ([reg.taken_seq] if reg.taken_seq >= 0 else [])
            self.found(
                regs.state_seq.get(reg.socket, reg.seq),
                f"{self.context.name(reg.socket)} ends the run with IN holding ({what}) under "
                f"edge-triggered registration #{reg.number} (registered by "
                f"{self.context.name(reg.thread)}), and no notification is queued: no new "
                "edge will come, its reader is stuck; drain the socket (recv until "
                "WSAEWOULDBLOCK) after registering and after each notification",
                *related,
            )


class EdgeBlocking(SockChecker):
    """A data call (recv, send, accept, ... without an OVERLAPPED) on a socket in blocking
    mode while its edge-triggered registration is enabled, seen when the call returns or when
    it blocks on the socket (a drain that never returns): the drain loop blocks instead of
    ending with WSAEWOULDBLOCK. The mode is the one ``sock.register`` recorded, changed by a
    later ioctlsocket(FIONBIO) (the fold's ``blocking``): setting it after registering and
    before the first call, as Microsoft's edge-triggered sample does, is no breach."""

    SEES = ("api", "thread.wait")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.reported: set[int] = set()  # registrations already reported

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        _t, actor, kind, objects, payload, _c = event
        if kind == "thread.wait":
            for oid in payload[4]:
                live = self.records.live.get(oid)
                if live is not None and live.edge and live.enabled:
                    self._judge(seq, live, f"{self.context.name(objects[0])} blocked in a call")
            return
        name, args = payload[0], payload[1]
        if name not in DATA_CALLS or not args or not isinstance(args[0], int):
            return
        if name in ("WSARecv", "WSASend") and len(args) > OVERLAPPED_ARG and args[OVERLAPPED_ARG]:
            return
        sock = self.records.handles.get(args[0])
        live = self.records.live.get(sock) if sock is not None else None
        if live is None or not live.edge or not live.enabled:
            return
        wanted = SOCK_NOTIFY_EVENT_IN if name in READS else SOCK_NOTIFY_EVENT_OUT
        if live.event_filter & wanted:
            self._judge(seq, live, f"{self.context.name(actor)} called {name}")

    def _judge(self, seq: int, live: Registration, what: str) -> None:
        self.exercised = True
        if self.records.blocking.get(live.socket, False) and live.number not in self.reported:
            self.reported.add(live.number)
            self.found(
                seq,
                f"{what} on {self.context.name(live.socket)}, which is in blocking mode, while "
                f"edge-triggered registration #{live.number} is enabled: edge triggering needs a "
                "non-blocking socket, or the drain loop (recv until WSAEWOULDBLOCK) blocks",
                live.enabled_seq,
            )


class SharedPersistent(SockChecker):
    """Two threads handle one readiness: a thread takes a notification of a persistent
    registration while another thread, which took its previous notification, has not called
    the port to dequeue again (it may still be reading the socket)."""

    SEES = ("iocp.dequeue", "iocp.block", "api", "actor.exit")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.handling: dict[int, dict[int, int]] = {}  # thread -> registration -> its dequeue
        self.returned: dict[int, bool] = {}  # thread -> the call that took them returned
        self.dequeuers: dict[int, set[int]] = {}  # port -> threads that dequeue from it

    def _again(self, thread: int) -> None:
        """``thread`` called the port again: what it took before is handled."""
        if self.returned.get(thread):
            self.handling.pop(thread, None)
            self.returned[thread] = False

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        _t, actor, kind, objects, payload, _c = event
        if kind == "actor.exit":
            self.handling.pop(objects[0], None)
            return
        if kind == "api":
            args = payload[1]
            if payload[0] not in DEQUEUE_CALLS or actor not in self.handling:
                return
            if payload[0] in PSN and not (len(args) > 4 and args[4]):
                return  # registrations only: no dequeue
            if self.returned.get(actor):
                self._again(actor)
            else:
                self.returned[actor] = True
            return
        port, thread = objects[0], objects[1]
        self.dequeuers.setdefault(port, set()).add(thread)
        self._again(thread)
        before = self.records.before
        if kind != "iocp.dequeue" or reg is None or before is None:
            return
        if payload[0] != before.pending:
            return  # the REMOVE packet: no readiness to handle
        if len(self.dequeuers[port]) > 1:
            self.exercised = True  # notifications taken on a port several threads dequeue from
        if not before.oneshot:
            for other, taken in self.handling.items():
                if other != thread and reg.number in taken:
                    self.found(
                        seq,
                        f"{self.context.name(thread)} took packet #{payload[0]} of persistent "
                        f"{self.describe(reg)} while {self.context.name(other)}, which took "
                        f"its previous notification at #{taken[reg.number]}, had not called "
                        "the port again: two threads handle one readiness",
                        taken[reg.number],
                    )
        self.handling.setdefault(thread, {})[reg.number] = seq


class ReenableEarly(SockChecker):
    """An ENABLE of a registration that is disabled (by DISABLE, or by its ONESHOT
    notification) while the notification of that registration is still queued."""

    SEES = ("sock.register",)

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        payload = event[4]
        before = self.records.before
        if reg is None or before is None or payload[1] != SOCK_NOTIFY_OP_ENABLE or payload[5]:
            return
        if before.enabled or before.ended:
            return
        self.exercised = True
        if before.pending:
            self.found(
                seq,
                f"{self.context.name(event[3][2])} re-enabled {self.describe(reg)} (disabled "
                f"by {before.disabled_how} at #{before.disabled_seq}) while its notification, "
                f"packet #{before.pending} ({names(before.mask)}), was still queued: do not "
                "re-enable before that notification is received",
                before.pending_seq,
            )


_DEQUEUE: Final = (*_PSN, "GetQueuedCompletionStatus", "GetQueuedCompletionStatusEx")

register(
    Property(
        "sock.edge_stuck",
        LIVENESS,
        (*_PSN, "recv", "recvfrom", "accept"),
        SEED + ", triggerFlags; F2.20",
        "The condition must change while the registration is enabled for a notification to "
        "be queued. As such, after registering, the socket's receive buffer must be completely "
        "drained to ensure a notification is received.",
        checker=EdgeStuck,
        note="checked when the run ends with every program finished or blocked: a socket "
        "whose edge-triggered registration (asking for IN) is enabled still has bytes or "
        "connections waiting and no notification queued, so its reader waits for an edge that "
        "cannot come (IN held only by the end of stream is no breach: recv returned 0)",
    ),
    Property(
        "sock.edge_blocking",
        CLIENT_RULE,
        (*_PSN, "ioctlsocket", *DATA_CALLS),
        STATE_DOC + ", edge-triggered sample",
        "The server must keep receiving until it receives a WSAEWOULDBLOCK. Otherwise, it "
        "can't be sure that a rising edge will be observed. As such, the server's socket must "
        "also be non-blocking.",
        checker=EdgeBlocking,
        note="judged at the socket's first data call (recv, recvfrom, send, sendto, accept, "
        "WSARecv or WSASend without an OVERLAPPED), when it returns or blocks, while an "
        "edge-triggered registration is enabled: the socket must be in non-blocking mode by "
        "then (FIONBIO may be set after registering, as the sample does)",
    ),
    Property(
        "sock.shared_persistent",
        CLIENT_RULE,
        _DEQUEUE,
        STATE_DOC + ", Recommendations; F2.25",
        "If multiple threads are dequeuing notification packets with level-triggered "
        "notifications, then SOCK_NOTIFY_TRIGGER_ONESHOT should be supplied to avoid multiple "
        "threads receiving notifications for a state change. Once the socket notification has "
        "been processed, the notification should be re-registered.",
        checker=SharedPersistent,
        note="a thread took a notification of a persistent registration while another thread, "
        "which took its previous one, had not called the port to dequeue again: two threads "
        "handle one socket's readiness at once",
    ),
    Property(
        "sock.reenable_early",
        CLIENT_RULE,
        _PSN,
        SEED + ", operation; F2.5",
        "SOCK_NOTIFY_OP_ENABLE. Enables the registration. Notifications must not be re-enabled "
        "until the SOCK_NOTIFY_EVENT_DISABLE notification is received.",
        checker=ReenableEarly,
        note="no header defines SOCK_NOTIFY_EVENT_DISABLE (F2.5): emu reads it as the "
        "registration's notification still queued (the ONESHOT one that disabled it, or one "
        "DISABLE let through); an ENABLE while it is queued is the breach",
    ),
)
