"""The BranchCache service's status switches, its trace and the scenario device's actions."""

from __future__ import annotations

import pytest

from emu.codes.peerdist import (
    PEERDIST_STATUS_AVAILABLE,
    PEERDIST_STATUS_DISABLED,
    PEERDIST_STATUS_UNAVAILABLE,
)
from emu.devices.branchcache import BranchCache, ServiceState, branchcache_of
from emu.kernel import Kernel


@pytest.mark.parametrize(
    ("policy", "running", "cache", "status"),
    [
        (False, True, True, PEERDIST_STATUS_DISABLED),
        (False, False, False, PEERDIST_STATUS_DISABLED),
        (True, False, True, PEERDIST_STATUS_UNAVAILABLE),
        (True, True, False, PEERDIST_STATUS_UNAVAILABLE),
        (True, True, True, PEERDIST_STATUS_AVAILABLE),
    ],
)
def test_status_follows_the_switches(policy: bool, running: bool, cache: bool, status: int) -> None:
    assert ServiceState(policy, running, cache).status == status


def test_a_change_is_traced_once_and_a_no_op_switch_says_why() -> None:
    k = Kernel()
    bc = BranchCache(k, ServiceState(True, True, True))
    assert bc.switch("running", False, "stop") is None
    assert bc.switch("running", False, "stop") == "running is already off"
    assert bc.switch("cache", False, "cache") is None  # still UNAVAILABLE: no event
    events = [e.payload for e in k.trace.view() if e.kind == "peerdist.status"]
    assert events == [{"old": "AVAILABLE", "new": "UNAVAILABLE", "reason": "stop"}]


def test_default_service_is_available() -> None:
    assert branchcache_of(Kernel()).status == PEERDIST_STATUS_AVAILABLE
