"""The device's guarantees over random programs and schedules (Hypothesis draws the shape, a
seeded RandomChooser the schedule): registrations of random families, with and without the
initial notification, cancelled by another thread at a random time while adapters change.

Whatever is drawn, read from the trace:

- every queued notification is delivered (netio.callback) or dropped by its cancel
  (netio.drop), exactly once, and the run ends with every thread done;
- a registration's callbacks are of its families only, the initial one first and only when
  asked, with a NULL row, every other with a row;
- no callback of a registration starts after its netio.cancel, and none is running then;
- callbacks run on the registration's workers, never on a program thread;
- by default two callbacks of a registration are never in flight together;
- NotifyIpInterfaceChange returns after its initial callback returned.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Final

from hypothesis import given
from hypothesis import strategies as st

from emu.codes.winsock import AF_INET, AF_INET6, AF_UNSPEC
from emu.devices.nic.callbacks import NotifyWorker
from emu.kernel.chooser import RandomChooser
from emu.win32.types import HANDLE
from tests.support import Sim
from tests.win32.netio.helpers import arrive, leave, set_member, sim_in, sleep

CHANGES: Final = [
    leave("eth0"),
    arrive("eth0"),
    arrive("later"),
    leave("later"),
    set_member("eth0", "NlMtu", 9000),
    set_member("eth0", "NlMtu", 1500, AF_INET6),
    set_member("v4only", "Connected", 0),
    set_member("v4only", "Connected", 1),
    set_member("later", "Metric", 3, AF_INET),
]
FAMILY_LABELS: Final = {AF_INET: ("IPv4",), AF_INET6: ("IPv6",), AF_UNSPEC: ("IPv4", "IPv6")}

REGISTRATION = st.tuples(
    st.sampled_from([AF_UNSPEC, AF_INET, AF_INET6]),  # family
    st.booleans(),  # initial notification
    st.integers(min_value=0, max_value=3),  # ms each callback holds its worker
    st.integers(min_value=0, max_value=12),  # when another thread cancels it (ms)
)


def program(registrations: list[tuple[int, bool, int, int]]) -> Any:
    def body(api: Any) -> Generator[Any, None, None]:
        cells = [HANDLE() for _ in registrations]
        for cell, (family, initial, hold, _) in zip(cells, registrations, strict=True):

            def on_change(CallerContext: Any, Row: Any, NotificationType: Any, hold=hold) -> Any:
                if Row is not None:
                    Row.InterfaceIndex  # noqa: B018 - a read inside the callback
                if hold:
                    yield from sleep(api, hold)

            result = yield from api.NotifyIpInterfaceChange(family, on_change, None, initial, cell)
            assert result == 0
        order = sorted(range(len(cells)), key=lambda n: registrations[n][3])
        for n in order:
            delay = registrations[n][3] * 10_000 - api.k.now
            if delay > 0:
                yield from sleep(api, delay // 10_000)
            assert (yield from api.CancelMibChangeNotify2(cells[n].value)) == 0

    return body


def check(sim: Sim, registrations: list[tuple[int, bool, int, int]], overlap: bool) -> None:
    assert sim.reason == "all threads done"
    by_reg: dict[int, dict[str, Any]] = {}
    for e in sim.events("netio.register"):
        by_reg[e.object_ids[0]] = {
            "family": e.payload["family"],
            "initial": e.payload["initial"],
            "callbacks": [],
            "running": 0,
            "most": 0,
            "cancelled": False,
        }
    assert len(by_reg) == len(registrations)
    queued: dict[int, int] = {}
    settled: dict[int, str] = {}
    for e in sim.events():
        if e.kind == "netio.queue":
            queued[e.payload["item"]] = e.object_ids[0]
        elif e.kind == "netio.callback":
            reg = by_reg[e.object_ids[0]]
            assert not reg["cancelled"], "a callback started after the cancel"
            reg["callbacks"].append((e.payload["type"], e.payload["interface"], e.object_ids))
            reg["running"] += 1
            reg["most"] = max(reg["most"], reg["running"])
            actor = next(a for a in sim.k.actors if a.oid == e.actor_id)
            assert isinstance(actor, NotifyWorker)
            settled[e.payload["item"]] = settled.get(e.payload["item"], "") + "called"
        elif e.kind == "netio.return":
            by_reg[e.object_ids[0]]["running"] -= 1
        elif e.kind == "netio.drop":
            settled[e.payload["item"]] = settled.get(e.payload["item"], "") + "dropped"
        elif e.kind == "netio.cancel":
            reg = by_reg[e.object_ids[0]]
            assert reg["running"] == 0, "a callback was running at the cancel"
            reg["cancelled"] = True
    assert sorted(settled) == sorted(queued)
    assert set(settled.values()) <= {"called", "dropped"}
    assert sim.events("netio.pending") == []
    for reg in by_reg.values():
        assert reg["cancelled"]
        calls = reg["callbacks"]
        initial = [n for n, c in enumerate(calls) if c[0] == "MibInitialNotification"]
        assert initial in ([], [0])
        if not reg["initial"]:
            assert initial == []
        for type_, interface, objects in calls:
            has_row = len(objects) == 2
            assert has_row is (type_ != "MibInitialNotification")
            if interface != "(none)":
                family = {"AF_UNSPEC": AF_UNSPEC, "AF_INET": AF_INET, "AF_INET6": AF_INET6}[
                    reg["family"]
                ]
                assert interface.split("/")[1] in FAMILY_LABELS[family]
        if not overlap:
            assert reg["most"] <= 1
    # NotifyIpInterfaceChange returns after its initial callback returned.
    returned = {e.payload["item"]: e.seq for e in sim.events("netio.return")}
    initial_items = [
        e.payload["item"]
        for e in sim.events("netio.queue")
        if e.payload["type"] == "MibInitialNotification"
    ]
    notify_calls = [e.seq for e in sim.api_calls("NotifyIpInterfaceChange")]
    with_initial = [call for call, r in zip(notify_calls, registrations, strict=True) if r[1]]
    for item, call in zip(initial_items, with_initial, strict=True):
        assert returned[item] < call


@given(
    registrations=st.lists(REGISTRATION, min_size=1, max_size=3),
    changes=st.lists(
        st.tuples(st.integers(min_value=0, max_value=10), st.sampled_from(CHANGES)), max_size=8
    ),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    processors=st.integers(min_value=1, max_value=3),
    mode=st.sampled_from(["kernel", "user"]),
    overlap=st.booleans(),
)
def test_random_runs_keep_the_guarantees(
    registrations: list[tuple[int, bool, int, int]],
    changes: list[tuple[int, Any]],
    seed: int,
    processors: int,
    mode: str,
    overlap: bool,
) -> None:
    world = sorted(changes, key=lambda c: c[0])
    sim = sim_in(
        mode,
        program(registrations),
        world=world,
        processors=processors,
        chooser=RandomChooser(seed),
        profile="netio-overlap" if overlap else "default",
        until=10_000_000,
    )
    check(sim, registrations, overlap)
