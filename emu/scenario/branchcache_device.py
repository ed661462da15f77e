"""The ``branchcache`` device of a scenario: the BranchCache service's status, and what happens
to it on the timeline.

::

    devices:
      branchcache:
        status: AVAILABLE            # or UNAVAILABLE (service stopped), DISABLED (by policy)
    timeline:
      - {at: 1ms, branchcache.service: stop}      # UNAVAILABLE
      - {at: 2ms, branchcache.service: start}     # AVAILABLE again
      - {at: 3ms, branchcache.service: restart}   # UNAVAILABLE then AVAILABLE, one instant
      - {at: 4ms, branchcache.policy: disable}    # DISABLED (Group Policy)
      - {at: 5ms, branchcache.policy: enable}
      - {at: 6ms, branchcache.cache: unavailable} # the cache cannot be used: UNAVAILABLE
      - {at: 7ms, branchcache.cache: available}

The service's rules are ``emu.devices.branchcache``: its status follows from the policy, the
service and the cache (``peerdist.status`` on every change); a change to DISABLED or
UNAVAILABLE invalidates every stream, content-information and content handle; sessions whose
registration is pending are notified when the status differs from the last one notified to
them. A switch that is already in the asked state is a ``world.skip``. Each action can also be a
``faults:`` entry, fired with its probability. Without a ``devices.branchcache`` section a
scenario still has the service, AVAILABLE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from emu.devices.branchcache import BRANCHCACHE_DEVICE, BranchCache, ServiceState, branchcache_of
from emu.scenario.devices import ActionContext, ActionKind, DeviceKind, register_device
from emu.scenario.format import LATENCY_KEYS
from emu.scenario.model import Action, SimContext
from emu.scenario.nodes import Map, Node, Scalar
from emu.scenario.shape import Choice, Record

INITIAL: Final = {
    "AVAILABLE": (True, True, True),
    "UNAVAILABLE": (True, False, True),
    "DISABLED": (False, True, True),
}
"""The initial status word and the (policy, running, cache) switches it stands for."""

_BRANCHCACHE: Final = Record(
    {"status": Choice(tuple(INITIAL), "the service's status at the start")},
    description="the BranchCache (Peer Distribution) service (default: AVAILABLE)",
)

LATENCY_KEYS["branchcache"] = (
    "each BranchCache operation, and a cancellation's or shutdown's trip to the service "
    "(default [100us, 1ms])"
)


def _declare(node: Map) -> tuple[dict[str, str], Callable[[SimContext], None]]:
    status = node.get("status")
    word = str(status.value) if isinstance(status, Scalar) else "AVAILABLE"
    switches = INITIAL[word]

    def setup(ctx: SimContext) -> None:
        k = ctx.k
        k.device(BRANCHCACHE_DEVICE, lambda: BranchCache(k, ServiceState(*switches)))

    return {}, setup


Compiler = Callable[[Node, ActionContext], Action]


def _switch(what: str, words: dict[str, bool], reason: str) -> Compiler:
    def compile_action(node: Node, cx: ActionContext) -> Action:
        word = str(node.value) if isinstance(node, Scalar) else ""

        def run(ctx: SimContext) -> str | None:
            bc = branchcache_of(ctx.k)
            if word == "restart":
                if not bc.state.running:
                    return "the service is not running"
                bc.switch("running", False, "service restarting")
                bc.switch("running", True, "service restarted")
                return None
            return bc.switch(what, words[word], f"{reason} {word}")

        return run

    return compile_action


register_device(
    DeviceKind(
        name="branchcache",
        shape=_BRANCHCACHE,
        declare=_declare,
        actions={
            "service": ActionKind(
                Choice(("stop", "start", "restart"), "stop, start or restart"),
                _switch("running", {"stop": False, "start": True}, "service"),
                "the BranchCache service stops (UNAVAILABLE), starts, or restarts (UNAVAILABLE "
                "then AVAILABLE at one instant)",
            ),
            "policy": ActionKind(
                Choice(("disable", "enable"), "disable or enable"),
                _switch("policy", {"disable": False, "enable": True}, "policy"),
                "Group Policy disables the feature (DISABLED) or enables it",
            ),
            "cache": ActionKind(
                Choice(("unavailable", "available"), "unavailable or available"),
                _switch("cache", {"unavailable": False, "available": True}, "cache"),
                "the cache becomes unusable (UNAVAILABLE) or usable again",
            ),
        },
        doc="the BranchCache (Peer Distribution) service: its status (PeerDist*)",
    )
)
