"""The SCM's own context: the jobs of services.exe that fall due at an instant.

A service reaching the end of its pending time and a fired notification reaching its client
are jobs of this actor, not timer callbacks, so that what the SCM does at an instant is one
more enabled actor the chooser orders against the threads (ARCHITECTURE.md: device processes
are actors). Jobs due at one instant run in the order they fell due; an idle SCM is settled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emu.kernel.jobs import JobActor

if TYPE_CHECKING:
    from emu.devices.scm_notify import Notifier
    from emu.kernel.dispatcher import Kernel


class ScmActor(JobActor):
    """The SCM's own context: runs the jobs that fall due (service transitions, notification
    deliveries), each ordered against the threads enabled at that instant by the chooser
    (``emu.kernel.jobs``)."""

    __slots__ = ("notifier",)

    def __init__(self, k: Kernel) -> None:
        super().__init__(k, "scm", "scm")
        self.notifier: Notifier | None = None

    def at_end(self) -> None:
        if self.notifier is not None:
            self.notifier.at_end()
