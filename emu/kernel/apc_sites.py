"""Where user-mode APCs may run: the documented delivery places, declared by whoever owns them.

A user-mode APC runs only when its thread is in an alertable state ("When a user-mode APC is
queued, the thread to which it is queued is not directed to call the APC function unless it is
in an alertable state", QueueUserAPC, MS docs). The kernel knows two places of its own: an
alertable wait (``apc.AT_WAIT``: SleepEx, WaitFor*Ex, GetQueuedCompletionStatusEx, an alertable
KeWaitForSingleObject) and the start of a thread that had APCs queued before it ran
(``apc.AT_START``). Other functions are documented to wait alertably *inside* themselves: "certain
functions in the Windows API, including NotifyServiceStatusChange and other SCM functions, use
remote procedure calls (RPC); these functions might perform an alertable wait operation"
(NotifyServiceStatusChange, MS doc). The subsystem that models such a function declares its
place here, once, at import:

- ``at``: the text it passes to ``Thread.deliver_user_apcs(at=...)``, which the ``apc.deliver``
  trace event carries;
- ``apis``: the functions inside which a delivery at that place is documented to happen (the
  delivery must close inside one of them: the thread's next ``api`` event at that nesting depth
  names one);
- ``note`` and ``source``: what the place is and the sentence that documents it.

The kernel's post-hoc check that APCs run only where they may (``kernel.apc_alertable_only``)
reads this table and learns no subsystem's name. The table is filled at import and never
changes during a run: it holds declarations, not state.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ApcSite:
    """A documented place, other than an alertable wait or a thread's start, where user-mode
    APCs run."""

    at: str
    apis: tuple[str, ...]
    note: str
    source: str


APC_SITES: dict[str, ApcSite] = {}
"""Every declared delivery place by its ``at`` text; filled at import by the modules that
deliver there."""


def register_apc_site(at: str, apis: tuple[str, ...], note: str, source: str) -> str:
    """Declare a delivery place; returns ``at`` (the text to pass to ``deliver_user_apcs``).

    Declaring the same place twice with the same content is harmless (a module imported again);
    with different content it is an error.
    """
    if not at or not apis:
        raise ValueError("an APC delivery place needs its at text and at least one API")
    site = ApcSite(at, tuple(apis), note, source)
    previous = APC_SITES.get(at)
    if previous is not None and previous != site:
        raise ValueError(f"APC delivery place {at!r} declared twice with different content")
    APC_SITES[at] = site
    return at


def apc_site(at: str) -> ApcSite | None:
    """The declared place with this ``at`` text, or None."""
    return APC_SITES.get(at)
