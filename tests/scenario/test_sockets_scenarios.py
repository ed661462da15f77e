"""The socket-notification scenarios of issue 13 (scenarios/sockets/notify-*.yaml, bug-*.yaml):

- the echo servers (the multi-threaded level + ONESHOT server, the epoll-style edge loop, the
  classic overlapped IOCP server) move 200 messages under random schedules with every
  message echoed exactly once (bench/echo_servers.py moves 10,000);
- the correct servers hold in schedules exploration draws (the full 1,000 + 1,000 per
  scenario is tests/scenario/test_shipped_explored.py, marked slow);
- each buggy server declares the sock.* property that reports it; the schedule-dependent
  ones are clean under the canonical schedule, ``emu explore`` finds them within their
  budgets, and the replay it writes reproduces the violation;
- every socket scenario opens with a comment citing the sentence it demonstrates.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from emu.cli import main
from emu.explore.campaign import Campaign
from emu.explore.declared import open_target
from emu.properties.expectation import assess
from emu.properties.verdict import VIOLATED, verdict
from emu.scenario.loader import load_text
from emu.scenario.model import ExploreBudget, Scenario
from emu.sim import Simulation
from emu.sim.simulation import run_scenario

ROOT = Path(__file__).resolve().parents[2]
SOCKETS = ROOT / "scenarios" / "sockets"
ECHO_SERVERS = {"notify-mt-echo": 4, "notify-epoll-echo": 4, "iocp-echo-records": 2}
"""Each echo server's scenario and the clients it serves (the IOCP server takes two)."""
COUNTED = ("notify-mt-echo", "notify-epoll-echo")
"""The servers that count each record they echo (``api.context.state["handled"]``)."""
MESSAGES = 200
SEEDS = (1, 2, 3)
RACES = {
    "bug-edge-no-drain": "sock.edge_stuck",
    "bug-free-before-remove": "sock.free_before_remove",
}
"""The buggy servers only a schedule emu explore finds shows, and the property each breaks."""
BUGS = {
    "bug-edge-blocking": "sock.edge_blocking",
    "bug-edge-no-drain": "sock.edge_stuck",
    "bug-free-before-remove": "sock.free_before_remove",
    "bug-key-change": "sock.key_change",
    "bug-reenable-early": "sock.reenable_early",
    "bug-remove-after-close": "sock.remove_after_close",
    "bug-shared-persistent": "sock.shared_persistent",
}
"""Every buggy server and the catalogue property that must report it."""


def sized(name: str, clients: int, messages: int) -> Scenario:
    """The scenario ``name`` with ``clients`` clients of ``messages`` records each (its
    ``shared:`` sizes rewritten; loaded as the file itself, so its programs are found)."""
    path = SOCKETS / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    for field, kind, value in (
        ("clients", "DWORD, value", clients),
        ("messages", "DWORD, value", messages),
        ("conn", "ULONG_PTR, count", clients),
    ):
        pattern = rf"(\n  {field}: {{type: {kind}: )\d+}}"
        text, count = re.subn(pattern, rf"\g<1>{value}}}", text)
        assert count == (0 if field == "conn" and name.startswith("iocp") else 1), field
    return load_text(text, str(path))


def record(client: int, number: int) -> bytes:
    return f"c{client}:{number:05d}".encode()  # notifying/servers.py: record


@pytest.mark.parametrize("name", sorted(ECHO_SERVERS))
def test_every_message_is_echoed_exactly_once_under_random_schedules(name: str) -> None:
    clients = ECHO_SERVERS[name]
    per_client = MESSAGES // clients
    scenario = sized(name, clients, per_client)
    traces = set()
    for seed in SEEDS:
        sim = Simulation(scenario, seed=seed)
        result = sim.run()
        judged = assess(result)
        # The clients exit 0 only when each got exactly its records back, in order, and
        # then the end of the stream: a record lost, or echoed twice, fails one.
        assert [f.message for f in judged.failures] == [], f"seed {seed}"
        assert {t.name: t.exit_code for t in result.threads} == {"server": 0, "clients": 0}
        if name in COUNTED:
            handled = sim.api.context.state["handled"]
            wanted = {record(c, n): 1 for c in range(clients) for n in range(per_client)}
            assert handled == wanted, f"seed {seed}"
        traces.add(result.k.trace.to_jsonl())
    assert len(traces) == len(SEEDS)  # three different schedules


def test_the_sizes_reach_the_programs() -> None:
    # A rewritten size must change what runs: 2 records per client move 2 records.
    sim = Simulation(sized("notify-mt-echo", 1, 2))
    sim.run()
    assert sim.api.context.state["handled"] == {record(0, 0): 1, record(0, 1): 1}


@pytest.mark.parametrize("strategy", ["random", "pct"])
@pytest.mark.parametrize("name", ["notify-mt-echo", "notify-epoll-echo"])
def test_the_notification_echo_servers_hold_in_explored_schedules(name: str, strategy: str) -> None:
    scenario = open_target(SOCKETS / f"{name}.yaml").scenario
    result = Campaign(scenario, ExploreBudget(strategy, schedules=100, seed=7)).run()
    assert result.schedules_run == 100
    assert result.found is None, f"schedule {result.hit_at} broke {name}"


@pytest.mark.parametrize("name", sorted(RACES))
def test_the_canonical_schedule_does_not_show_the_race(name: str) -> None:
    scenario = open_target(SOCKETS / f"{name}.yaml").scenario
    events = run_scenario(scenario).k.trace.events
    judged = verdict(events, profile=scenario.machine.profile)
    violated = [s.property.id for s in judged.statuses if s.state == VIOLATED]
    assert RACES[name] not in violated


@pytest.mark.parametrize("name", sorted(RACES))
def test_explore_finds_the_race_and_its_replay_reproduces_it(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / f"{name}.replay.json"
    assert main(["explore", str(SOCKETS / f"{name}.yaml"), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"-- PASS: {name}: the declared bug was shown" in captured.out
    replay = json.loads(out.read_text(encoding="utf-8"))
    assert RACES[name] in replay["properties"]
    assert main(["run", "--quiet", str(out)]) == 0
    assert f"VIOLATED {RACES[name]} (expected)" in capsys.readouterr().out


def test_each_buggy_server_declares_the_property_that_reports_it() -> None:
    # tests/scenario/test_shipped.py checks each one gives its declared verdict.
    shipped = {p.stem for p in SOCKETS.glob("bug-*.yaml")}
    assert shipped == set(BUGS)
    for name, property_id in BUGS.items():
        scenario = open_target(SOCKETS / f"{name}.yaml").scenario
        assert scenario.expect.violated == (property_id,), name


def test_the_echo_servers_benchmark_checks_every_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A smoke run with tiny sizes (bench/echo_servers.py; its figures are in bench/README.md).
    path = ROOT / "bench" / "echo_servers.py"
    spec = importlib.util.spec_from_file_location("echo_servers_bench", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--json", "--messages", "8", "--schedules", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [row["server"] for row in report["rows"]] == list(ECHO_SERVERS)
    for row in report["rows"]:
        assert row["problems"] == [] and row["messages"] == 8 and row["messages_per_s"] > 0


def test_every_socket_scenario_cites_the_sentence_it_demonstrates() -> None:
    shipped = sorted(SOCKETS.glob("*.yaml"))
    assert len(shipped) >= 17
    for path in shipped:
        if path.name in ("blocking-echo.yaml", "nonblocking-peer-echo.yaml", "iocp-echo.yaml"):
            continue  # the device's scenarios, before the notifications
        head = path.read_text(encoding="utf-8").split("\nversion:", 1)[0]
        assert head.startswith("# "), path.name
        assert '"' in head or "F2." in head, path.name  # a quoted sentence or a fact
