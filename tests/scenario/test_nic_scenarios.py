"""The NETIO scenarios of issue 14 (scenarios/nic/*.yaml, programs.py):

- the interface monitor (a driver, under the default profile and under ``netio-dispatch``; an
  application, under the default profile and under ``netio-overlap``) ends every run with its
  table equal to the device's interfaces, under random bursts of changes: in 100 random
  schedules here, 1,000 in the ``slow`` version; a monitor planted with a bug (it forgets
  nothing when an adapter leaves) is caught by the same comparison;
- each buggy monitor declares the netio.* (or kernel.*) property that reports it and shows it;
  the schedule-dependent ones are clean under the canonical schedule, ``emu explore`` finds
  them within their budgets, and the replay it writes reproduces the violation (the correct
  scenarios under 1,000 + 1,000 explored schedules: tests/scenario/test_shipped_explored.py);
- every nic scenario opens with a comment citing the sentence (or fact) it demonstrates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from emu.cli import main
from emu.devices.nic import netio_of
from emu.explore.declared import open_target
from emu.properties.expectation import assess
from emu.properties.verdict import HELD, VIOLATED, verdict
from emu.scenario import load_scenario
from emu.scenario.model import Scenario
from emu.scenario.pyrefs import program_modules
from emu.sim import Simulation
from emu.sim.simulation import run_scenario

ROOT = Path(__file__).resolve().parents[2]
NIC = ROOT / "scenarios" / "nic"
MONITORS = {
    "monitor-driver": "driver",
    "monitor-driver-dispatch": "driver",
    "monitor-app": "app",
    "monitor-app-overlap": "app",
}
"""The scenarios that run the monitor of programs.py, and which one they run."""
RACES = {
    "bug-overlap-race": "netio.overlap_race",
    "bug-handle-in-initial-callback": "netio.handle_in_initial_callback",
}
"""The buggy monitors only a schedule emu explore finds shows, and the property each breaks."""
BUGS = {
    "bug-cancel-in-callback": "netio.cancel_in_callback",
    "bug-double-cancel": "netio.stale_handle",
    "bug-entry-unchecked": "netio.entry_unchecked",
    "bug-handle-in-initial-callback": "netio.handle_in_initial_callback",
    "bug-literal-nt-success": "netio.failed_handle_used",
    "bug-overlap-race": "netio.overlap_race",
    "bug-partial-row": "netio.partial_row",
    "bug-row-after-callback": "netio.row_after_callback",
    "bug-unload-without-cancel": "netio.registration_at_unload",
    "bug-wait-at-dispatch": "kernel.wait_at_dispatch",
}
"""Every buggy monitor and the catalogue property that must report it."""
SCHEDULES = 100
SLOW_SCHEDULES = 1000


def scenario(name: str) -> Scenario:
    return load_scenario(NIC / f"{name}.yaml")


def programs(name: str) -> ModuleType:
    """programs.py as the scenario ``name`` loaded it (its module beside the file)."""
    scenario(name)
    (module,) = program_modules(str(NIC / f"{name}.yaml"), ("programs:monitor_app",))
    return module


def device_rows(sim: Simulation) -> dict[tuple[int, int], dict[str, int]]:
    """The device's present interfaces, keyed as the monitor keys its table."""
    return {
        (iface.row["Family"], iface.row["InterfaceLuid"]): dict(iface.row)
        for iface in netio_of(sim.k).nics.interfaces()
    }


def monitor_state(sim: Simulation, name: str, module: ModuleType) -> dict[str, Any]:
    """The run's monitor globals: the application's api.context.state, the driver's own."""
    if MONITORS[name] == "app":
        return sim.api.context.state
    return dict(sim.k.device(module.DRIVER_GLOBALS, dict))


def runs(name: str, seeds: range) -> Iterator[tuple[int, Simulation, Any]]:
    loaded = scenario(name)
    for seed in seeds:
        sim = Simulation(loaded, seed=seed)
        yield seed, sim, sim.run()


def check_monitor(name: str, seeds: range) -> int:
    """Run the monitor in each schedule; every table must equal the device. Returns how many
    runs saw two callbacks of one registration overlap (netio.overlap_race exercised)."""
    module = programs(name)
    overlapped = 0
    for seed, sim, result in runs(name, seeds):
        judged = assess(result)
        assert [f.message for f in judged.failures] == [], f"seed {seed}"
        state = monitor_state(sim, name, module)
        table = state["table"]
        assert table.errors == [], f"seed {seed}: GetIpInterfaceEntry said {table.errors}"
        assert state["cancel"] == 0, f"seed {seed}"  # STATUS_SUCCESS / NO_ERROR
        assert module.table_rows(table) == device_rows(sim), f"seed {seed}: the table differs"
        status = judged.verdict.status("netio.overlap_race")
        overlapped += status is not None and status.state == HELD
    return overlapped


@pytest.mark.parametrize("name", sorted(MONITORS))
def test_the_monitors_table_equals_the_devices_in_random_schedules(name: str) -> None:
    overlapped = check_monitor(name, range(SCHEDULES))
    if name.endswith("overlap"):
        assert overlapped > 0  # the callbacks did overlap: the lock was needed
    else:
        assert overlapped == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MONITORS))
def test_the_monitors_table_equals_the_devices_in_1000_random_schedules(name: str) -> None:
    check_monitor(name, range(SCHEDULES, SCHEDULES + SLOW_SCHEDULES))


def test_the_bursts_leave_different_tables_and_the_enumeration_counts() -> None:
    # Not a vacuous comparison: the schedules leave the device in different states, and the
    # interface present from the start (eth0) is only known to the monitor through the
    # enumeration in its initial callback.
    tables = set()
    for _, sim, _ in runs("monitor-driver", range(20)):
        tables.add(repr(sorted(device_rows(sim).items())))
    assert len(tables) >= 5
    sim = Simulation(replace(scenario("monitor-app"), timeline=()))
    sim.run()
    table = sim.api.context.state["table"]
    assert len(programs("monitor-app").table_rows(table)) == 2  # eth0/IPv4 and eth0/IPv6


def test_the_driver_monitor_defers_to_its_work_item_at_dispatch_level() -> None:
    result = run_scenario(scenario("monitor-driver-dispatch"))
    kinds = [e[2] for e in result.k.trace.events]
    assert "work.run" in kinds  # the re-reads ran on the work item, at PASSIVE_LEVEL
    result = run_scenario(scenario("monitor-driver"))
    assert "work.run" not in [e[2] for e in result.k.trace.events]


class Forgetful(dict):  # type: ignore[type-arg]
    """A table that never records a removal: the monitor keeps interfaces that left."""

    def __setitem__(self, key: Any, value: Any) -> None:
        if value[1] is not None:
            super().__setitem__(key, value)


def test_a_monitor_that_keeps_departed_interfaces_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = programs("monitor-app")
    real = module.Table

    class PlantedTable(real):  # type: ignore[misc, valid-type]
        def __init__(self, generation: Any) -> None:
            super().__init__(generation)
            self.entries = Forgetful()

    monkeypatch.setattr(module, "Table", PlantedTable)
    with pytest.raises(AssertionError, match="the table differs"):
        check_monitor("monitor-app", range(SCHEDULES))


def test_each_buggy_monitor_declares_the_property_that_reports_it() -> None:
    shipped = {p.stem for p in NIC.glob("bug-*.yaml")}
    assert shipped == set(BUGS)
    assert len(shipped) >= 6
    for name, property_id in BUGS.items():
        assert property_id in scenario(name).expect.violated, name


@pytest.mark.parametrize("name", sorted(set(BUGS) - set(RACES)))
def test_a_buggy_monitor_shows_its_bug_on_the_canonical_schedule(name: str) -> None:
    loaded = scenario(name)
    judged = verdict(run_scenario(loaded).k.trace.events, profile=loaded.machine.profile)
    violated = {s.property.id for s in judged.statuses if s.state == VIOLATED}
    assert BUGS[name] in violated
    assert set(loaded.expect.violated) <= violated


@pytest.mark.parametrize("name", sorted(RACES))
def test_the_canonical_schedule_does_not_show_the_race(name: str) -> None:
    loaded = open_target(NIC / f"{name}.yaml").scenario
    judged = verdict(run_scenario(loaded).k.trace.events, profile=loaded.machine.profile)
    violated = [s.property.id for s in judged.statuses if s.state == VIOLATED]
    assert violated == []


@pytest.mark.parametrize("name", sorted(RACES))
def test_explore_finds_the_race_and_its_replay_reproduces_it(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"{name}.replay.json"
    assert main(["explore", str(NIC / f"{name}.yaml"), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"-- PASS: {name}: the declared bug was shown" in captured.out
    replay = json.loads(out.read_text(encoding="utf-8"))
    assert RACES[name] in replay["properties"]
    assert main(["run", "--quiet", str(out)]) == 0
    assert f"VIOLATED {RACES[name]} (expected)" in capsys.readouterr().out


def test_every_nic_scenario_cites_the_sentence_it_demonstrates() -> None:
    shipped = sorted(NIC.glob("*.yaml"))
    assert len(shipped) >= 18
    for path in shipped:
        head = path.read_text(encoding="utf-8").split("\nversion:", 1)[0]
        assert head.startswith("# "), path.name
        assert '"' in head or "F3." in head, path.name  # a quoted sentence or a fact
