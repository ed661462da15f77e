"""The echo servers under random schedules: 10,000 messages each, none lost or handled twice.

For each echo server of scenarios/sockets — the multi-threaded level + ONESHOT server
(notify-mt-echo), the epoll-style edge-triggered loop (notify-epoll-echo) and the classic
overlapped IOCP server (iocp-echo-records) — it rewrites the scenario's ``shared:`` sizes so
that its clients send ``--messages`` 8-byte records in all, runs ``--schedules`` schedules of
an ``emu explore`` campaign (schedules 1, 2, ...: the strategy's draws; the canonical
schedule 0 is run first, untimed, for PCT's step count), each a fresh simulation with the
trace on, judged over the whole property catalogue and compared with ``expect:`` as a
campaign judges it, and checks that every message was echoed exactly once (the clients check
their bytes and the end of the stream; the notification servers also count each record they
echo). It prints schedules per second and messages per second (CPU time of this process),
events per schedule and microseconds per message; a run that loses or repeats a message is
reported and makes the exit code 1.

    python bench/echo_servers.py [--quick] [--json] [--messages N] [--schedules N]
                                 [--strategy random|pct] [--match TEXT]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

from emu.explore.campaign import Campaign
from emu.properties.expectation import assess
from emu.scenario.loader import load_text
from emu.scenario.model import ExploreBudget, Scenario
from emu.sim import Simulation

ROOT = Path(__file__).resolve().parents[1]
SOCKETS = ROOT / "scenarios" / "sockets"
SERVERS = {"notify-mt-echo": 4, "notify-epoll-echo": 4, "iocp-echo-records": 2}
"""Each server's scenario and its clients (the IOCP server takes two)."""


def sized(name: str, clients: int, messages: int) -> Scenario:
    """The scenario with ``clients`` clients of ``messages`` records each."""
    path = SOCKETS / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    for field, kind, value in (
        ("clients", "DWORD, value", clients),
        ("messages", "DWORD, value", messages),
        ("conn", "ULONG_PTR, count", clients),
    ):
        text = re.sub(rf"(\n  {field}: {{type: {kind}: )\d+}}", rf"\g<1>{value}}}", text)
    return load_text(text, str(path))


def record(client: int, number: int) -> bytes:
    return f"c{client}:{number:05d}".encode()  # scenarios/sockets/notifying/servers.py


def lost_or_repeated(sim: Simulation, clients: int, per_client: int) -> str:
    """What went wrong with the messages of a judged run ('' when each was echoed once)."""
    handled = sim.api.context.state.get("handled")
    if handled is None:  # the IOCP server does not count; its clients checked every byte
        return ""
    wanted = {record(c, n): 1 for c in range(clients) for n in range(per_client)}
    if handled == wanted:
        return ""
    missing = sum(1 for r in wanted if r not in handled)
    repeated = sum(1 for count in handled.values() if count > 1)
    return f"{missing} messages not handled, {repeated} handled more than once"


def measure(name: str, messages: int, schedules: int, strategy: str) -> dict[str, Any]:
    clients = SERVERS[name]
    per_client = max(1, messages // clients)
    scenario = sized(name, clients, per_client)
    campaign = Campaign(scenario, ExploreBudget(strategy, schedules + 1, 0, 3))
    canonical = campaign.chooser(0, 100)
    Simulation(scenario, chooser=canonical).run().release()
    steps = max(1, len(canonical.schedule))
    elapsed = 0.0
    events = 0
    problems: list[str] = []
    for index in range(1, schedules + 1):
        chooser = campaign.chooser(index, steps)
        started = time.process_time()
        sim = Simulation(scenario, chooser=chooser)
        result = sim.run()
        chooser.finish()
        judged = assess(result)
        elapsed += time.process_time() - started
        events += len(result.k.trace.events)
        wrong = [f.message for f in judged.failures]
        wrong += [w for w in [lost_or_repeated(sim, clients, per_client)] if w]
        problems += [f"schedule {index}: {w}" for w in wrong]
        result.release()
    moved = clients * per_client * schedules
    return {
        "server": name,
        "strategy": strategy,
        "clients": clients,
        "messages": clients * per_client,
        "schedules": schedules,
        "schedules_per_s": round(schedules / elapsed, 3),
        "messages_per_s": round(moved / elapsed, 1),
        "us_per_message": round(elapsed / moved * 1e6, 2),
        "events_per_schedule": round(events / schedules, 1),
        "problems": problems,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (40 messages)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--messages", type=int, default=None, help="per server (10000)")
    parser.add_argument("--schedules", type=int, default=3, help="random schedules (3)")
    parser.add_argument("--strategy", choices=("random", "pct"), default="random")
    parser.add_argument("--match", default="", help="only servers whose scenario has TEXT")
    args = parser.parse_args(argv)
    messages = args.messages or (40 if args.quick else 10_000)
    names = [n for n in SERVERS if args.match in n]
    rows = [measure(n, messages, max(1, args.schedules), args.strategy) for n in names]
    failed = any(row["problems"] for row in rows)
    if args.json:
        meta = {
            "python": platform.python_version(),
            "messages": messages,
            "schedules": args.schedules,
            "strategy": args.strategy,
            "clock": "process CPU time",
        }
        print(json.dumps({"meta": meta, "rows": rows}, indent=2))
        return 1 if failed else 0
    print(
        f"echo_servers: {messages:,} messages per server, {args.schedules} {args.strategy} "
        f"schedules each (trace on, verdict and expectation included), Python "
        f"{platform.python_version()}"
    )
    for row in rows:
        verdict = "every message echoed exactly once" if not row["problems"] else "FAILED"
        print(
            f"  {row['server']:<18} {row['clients']} clients {row['messages']:>7,} msgs "
            f"{row['schedules_per_s']:>7.3f} schedules/s {row['messages_per_s']:>9,.0f} msgs/s "
            f"({row['us_per_message']:.1f} us/msg, {row['events_per_schedule']:,.0f} events) "
            f"| {verdict}"
        )
        for problem in row["problems"][:5]:
            print(f"      {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
