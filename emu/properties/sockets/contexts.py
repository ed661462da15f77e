"""The client rules of a registration's end and its per-socket context (the completion key),
checked on the finished trace (a violation is a bug in the program under test). The sentences
(Winsock socket state notifications, Recommendations, unless noted):

- "To change the completion key, remove the registration and re-register it."
  (SOCK_NOTIFY_REGISTRATION, completionKey) "A socket may be associated with only a single I/O
  completion port. ... To change completion keys, deregister the notification, wait for the
  SOCK_NOTIFY_EVENT_REMOVE message ..., and then re-register the socket." (F2.24,
  ``sock.key_change``)
- "To avoid freeing memory that's still in use, you should free a registration's associated
  data structures only after receiving the SOCK_NOTIFY_EVENT_REMOVE notification for the
  registration." (``sock.free_before_remove``: the context is a traced structure given as the
  completion key; a packet dequeued after it ended names freed memory)
- "An automatic deregistration via closesocket won't generate a SOCK_NOTIFY_EVENT_REMOVE
  notification." (F2.23: a thread that waits for one after closesocket waits forever,
  ``sock.remove_after_close``)
"""

from __future__ import annotations

from typing import Final

from emu.codes.winsock import (
    SOCK_NOTIFY_OP_ENABLE,
)
from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import CLIENT_RULE, LIVENESS, Property, register
from emu.properties.checker import FINISHED_ENDS, Context
from emu.properties.sockets.registrations import (
    PSN,
    Registration,
    SockChecker,
)

SEED: Final = "SOCK_NOTIFY_REGISTRATION (MS doc)"
STATE_DOC: Final = "Winsock socket state notifications (MS doc)"
_PSN: Final = PSN
DATA_CALLS: Final = ("recv", "recvfrom", "send", "sendto", "accept", "WSARecv", "WSASend")
"""The calls a drain loop makes, each with its SOCKET first (WSARecv and WSASend only
without an OVERLAPPED: with one they never block)."""
OVERLAPPED_ARG: Final = 5  # lpOverlapped's position in WSARecv and WSASend


class KeyChange(SockChecker):
    """An ENABLE on a registered socket with another completion key (or port) than its
    registration's, which keeps those of its creation; or a socket registered again with a
    new key before the REMOVE notification of its removed registration was received; or a
    registration replaced by one through another port (or with another key, under profile
    sock-rereg-replaces)."""

    SEES = ("sock.register", "sock.deregister")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.replaced: dict[int, Registration] = {}  # socket -> registration just replaced

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        _t, _actor, kind, objects, payload, _c = event
        if reg is None:
            return
        if kind == "sock.deregister":
            if reg.ended == "replaced":
                self.replaced[reg.socket] = reg
            return
        asked = self.records.asked  # the key the call gave (the registration keeps its own)
        if payload[1] != SOCK_NOTIFY_OP_ENABLE or payload[5] != 0:
            return
        if reg.seq != seq:  # an ENABLE of a live registration
            self.exercised = True
            self._compare(
                seq, reg, asked, objects[1], "the registration keeps those of its creation"
            )
            return
        old = self.replaced.pop(reg.socket, None)
        if old is not None:
            self.exercised = True
            self._compare(seq, old, reg.key, reg.port, f"registration #{reg.number} replaced it")
            return
        old = self.records.last_ended.get(reg.socket)
        if old is None or old is reg or old.ended != "removed":
            return
        self.exercised = True
        if old.remove_taken < 0 and reg.key != old.key:
            self.found(
                seq,
                f"{self.context.name(reg.socket)} registered again with key {reg.key} before "
                f"the REMOVE notification of registration #{old.number} (key {old.key}) was "
                "received: remove, wait for SOCK_NOTIFY_EVENT_REMOVE, then register",
                old.remove_seq,
            )

    def _compare(self, seq: int, reg: Registration, key: object, port: int, what: str) -> None:
        if key != reg.key:
            self.found(
                seq,
                f"ENABLE of {self.context.name(reg.socket)} with completion key {key}, but "
                f"{self.describe(reg)} has key {reg.key} ({what}): to change the key, remove "
                "the registration, wait for SOCK_NOTIFY_EVENT_REMOVE and register again",
                reg.seq,
            )
        if port != reg.port:
            self.found(
                seq,
                f"ENABLE of {self.context.name(reg.socket)} with {self.context.name(port)}, "
                f"but {self.describe(reg)} is on {self.context.name(reg.port)} ({what}): a "
                "socket may be associated with only a single I/O completion port",
                reg.seq,
            )


class FreeBeforeRemove(SockChecker):
    """The structure that is a registration's completion key (its per-socket context) ends
    while the registration lives, or while a packet carrying it (a notification, or the REMOVE
    notification) is still queued: the thread that dequeues it reads freed memory."""

    SEES = ("mem.end",)

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        name = self.context.name(event[3][0])
        for owner in self.records.by_key.get(name, ()):
            self.exercised = True
            what = f"{name} ({event[4][0]}) is the completion key of {self.describe(owner)}"
            if owner.live:
                self.found(
                    seq,
                    f"{what}, still registered: free a registration's data only after "
                    "removing it and receiving SOCK_NOTIFY_EVENT_REMOVE",
                    owner.seq,
                )
            elif owner.pending:
                ended = "closesocket" if owner.ended == "closed" else owner.ended
                self.found(
                    seq,
                    f"{what}, whose packet #{owner.pending} is still queued (ended by {ended} "
                    f"at #{owner.ended_seq}): the thread that dequeues it reads freed memory",
                    owner.pending_seq,
                )
            elif owner.remove_packet and owner.remove_taken < 0:
                self.found(
                    seq,
                    f"{what}, whose REMOVE notification (packet #{owner.remove_packet}) was not "
                    "received yet: the thread that dequeues it reads freed memory",
                    owner.remove_seq,
                )


class RemoveAfterClose(SockChecker):
    """A thread left blocked in a dequeue (until a run whose programs finished or are blocked
    ended) on a port where closesocket ended a registration before the thread blocked, when it
    closed that socket itself or nothing is registered on the port any more: it waits for a
    REMOVE notification that never comes."""

    SEES = ("sock.close", "iocp.block", "actor.blocked", "run.end")

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.closer: dict[int, int] = {}  # registration -> the thread that closed its socket
        self.block: dict[int, tuple[int, int]] = {}  # thread -> (port, iocp.block) last
        self.stuck: list[tuple[int, int, tuple[int, ...]]] = []  # actor.blocked
        self.reason = ""

    def see(self, seq: int, event: TraceTuple, reg: Registration | None) -> None:
        _t, actor, kind, objects, payload, _c = event
        if kind == "sock.close":
            if reg is not None:
                self.closer[reg.number] = actor
        elif kind == "iocp.block":
            self.block[objects[1]] = (objects[0], seq)
        elif kind == "actor.blocked":
            self.stuck.append((seq, objects[0], objects[1:]))
        else:
            self.reason = str(payload[0])

    def finish(self) -> None:
        closed = [r for r in self.records.by_number.values() if r.ended == "closed"]
        if not closed or self.reason not in FINISHED_ENDS:
            return
        self.exercised = True
        ports = {reg.port for reg in self.records.live.values()}
        for seq, thread, on in self.stuck:
            if self.context.name(thread) in self.context.blocks_forever:
                continue
            port, blocked = self.block.get(thread, (0, -1))
            if port not in on:
                continue
            before = [r for r in closed if r.port == port and r.ended_seq < blocked]
            mine = [r for r in before if self.closer.get(r.number) == thread]
            cause = mine or (before if port not in ports else [])
            if cause:
                reg = cause[-1]
                self.found(
                    seq,
                    f"{self.context.name(thread)} is left blocked in a dequeue on "
                    f"{self.context.name(port)} (since #{blocked}) after closesocket ended "
                    f"{self.describe(reg)} (#{reg.ended_seq}): a closesocket issues no "
                    "SOCK_NOTIFY_EVENT_REMOVE, so a wait for one never ends",
                    reg.ended_seq,
                    blocked,
                )


_DEQUEUE: Final = (*_PSN, "GetQueuedCompletionStatus", "GetQueuedCompletionStatusEx")

register(
    Property(
        "sock.key_change",
        CLIENT_RULE,
        _PSN,
        SEED + ", completionKey; " + STATE_DOC + ", Recommendations; F2.24",
        "The value to use in the dwCompletionKey parameter of the PostQueuedCompletionStatus "
        "function when notifications are sent on behalf of the socket. This parameter is used "
        "upon registration creation. To change the completion key, remove the registration "
        "and re-register it.",
        checker=KeyChange,
        note="an ENABLE of a registered socket with another key or port (the registration "
        "keeps those of its creation), or a new key registered before the REMOVE "
        'notification of the removed registration was received ("deregister the '
        "notification, wait for the SOCK_NOTIFY_EVENT_REMOVE message, and then re-register "
        'the socket")',
    ),
    Property(
        "sock.free_before_remove",
        CLIENT_RULE,
        (*_PSN, "closesocket"),
        STATE_DOC + ", Recommendations",
        "To avoid freeing memory that's still in use, you should free a registration's "
        "associated data structures only after receiving the SOCK_NOTIFY_EVENT_REMOVE "
        "notification for the registration.",
        checker=FreeBeforeRemove,
        note="the structure given as a registration's completion key ended while the "
        "registration lived, or while a packet carrying it (a notification queued before "
        "closesocket, or the REMOVE notification) was still queued; exercised when such a "
        "structure ends",
    ),
    Property(
        "sock.remove_after_close",
        LIVENESS,
        ("closesocket", *_DEQUEUE),
        STATE_DOC + ", Recommendations; F2.23",
        "An automatic deregistration via closesocket won't generate a "
        "SOCK_NOTIFY_EVENT_REMOVE notification.",
        checker=RemoveAfterClose,
        note="checked when the run ends with every program finished or blocked: a thread (not "
        "declared blocks_forever) left blocked in a dequeue on a port where closesocket had "
        "ended a registration, having closed that socket itself or with nothing registered on "
        "the port any more, waits for a REMOVE notification that never comes",
    ),
)
