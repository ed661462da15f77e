"""The BranchCache scenarios of issue 15 (scenarios/peerdist/*.yaml, programs.py):

- every correct scenario passes on the canonical schedule, and in random schedules no PeerDist
  operation is completed twice or lost (each io.start on a PeerDist file object has exactly one
  io.complete, or an io.pending at the end); 100 schedules here, 1,000 in the ``slow`` version;
- exploring the cancel race reaches its three outcomes (not found, cancelled, completed
  normally despite a successful cancel);
- each buggy client declares the peerdist.* property that reports it, shows it, and the replay
  emu explore writes reproduces it;
- the schedule-dependent buggy clients (at least two) violate nothing on the canonical schedule,
  exploration finds the schedule that shows the bug, and its replay reproduces it;
- GetLastError right after a successful server cancel is ERROR_OPERATION_ABORTED whichever
  result the operation got, and both results happen; a handle invalidated by a restart between
  two registrations fails with PEERDIST_ERROR_INVALIDATED while no notification tells of it;
- every scenario opens with a comment quoting the sentence it demonstrates, and every quoted
  span is a sentence the repository carries (docs/sources.md, docs/peerdist.md, the docstrings
  of emu/devices/branchcache and emu/win32/peerdist), or one of the page sentences listed in
  NOT_YET_CARRIED;
- the NULL client cancel cancels both reads still pending on the canonical schedule; the
  shutdown racer's call and the add it races reach every outcome the scenario accepts.
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from emu.cli import main
from emu.codes import ERROR_IO_PENDING, ERROR_OPERATION_ABORTED, PEERDIST_ERROR_INVALIDATED
from emu.explore.campaign import Campaign
from emu.properties.expectation import assess, notes_of
from emu.properties.verdict import VIOLATED, verdict
from emu.scenario import load_scenario
from emu.scenario.model import ExploreBudget
from emu.sim import Simulation
from emu.sim.simulation import run_scenario

ROOT = Path(__file__).resolve().parents[2]
PEERDIST = ROOT / "scenarios" / "peerdist"
BUGS = {
    "bug-cancel-unconfirmed": "peerdist.cancel_unconfirmed",
    "bug-invalidated-handle": "peerdist.invalidated_handle_used",
    "bug-missed-change": "peerdist.missed_change",
    "bug-overlapped-freed": "peerdist.overlapped_freed",
    "bug-overlapped-freed-after-cancel": "peerdist.overlapped_freed",
    "bug-status-read-early": "peerdist.status_read_early",
    "bug-cancel-unconfirmed-race": "peerdist.cancel_unconfirmed",
    "bug-status-read-race": "peerdist.status_read_early",
}
"""Every buggy client and the catalogue property that must report it."""
EXPLORED = ("bug-cancel-unconfirmed-race", "bug-status-read-race")
"""The buggy clients only a schedule exploration finds shows (the canonical one is clean)."""
CORRECT = sorted(p.stem for p in PEERDIST.glob("*.yaml") if not p.stem.startswith("bug-"))
OPERATION_TYPES = frozenset(
    {"PeerDistStream", "PeerDistContentInfo", "PeerDistContent", "PeerDistStatusRequest"}
)
SCHEDULES = 100
SLOW_SCHEDULES = 1000
RACE_OUTCOMES = {
    "cancel found nothing",
    "cancelled",
    "completed normally despite the cancel",
}


NOT_YET_CARRIED: frozenset[str] = frozenset()
"""Quoted page sentences (whitespace-normalised pieces) the repository's text does not carry."""


def path(name: str) -> Path:
    return PEERDIST / f"{name}.yaml"


def assert_replay_reproduces(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``emu explore --out`` writes a replay naming the buggy client's property, and ``emu run``
    on it shows that property violated again."""
    out = tmp_path / f"{name}.replay.json"
    assert main(["explore", str(path(name)), "--out", str(out)]) == 0
    replay = json.loads(out.read_text(encoding="utf-8"))
    assert BUGS[name] in replay["properties"]
    capsys.readouterr()
    assert main(["run", "--quiet", str(out)]) == 0
    assert f"VIOLATED {BUGS[name]} (expected)" in capsys.readouterr().out


def operation_counts(sim: Simulation) -> list[str]:
    """The PeerDist operations not completed exactly once (and not reported pending at the end):
    io.start, io.complete and io.pending on file objects of the PeerDist types, keyed by
    (file, request id)."""
    events = sim.k.trace.events
    types = {e[3][0]: e[4][0] for e in events if e[2] == "obj.create"}
    counts: dict[str, Counter[tuple[int, int]]] = {
        "io.start": Counter(),
        "io.complete": Counter(),
        "io.pending": Counter(),
    }
    for event in events:
        if event[2] in counts and types.get(event[3][0]) in OPERATION_TYPES:
            counts[event[2]][(event[3][0], event[4][0])] += 1
    started, completed, pending = counts.values()
    wrong = [
        f"{key}: started {n}, completed {completed[key]}, pending {pending[key]}"
        for key, n in sorted(started.items())
        if n != 1 or completed[key] + pending[key] != 1
    ]
    wrong += [f"{key}: completed without a start" for key in completed if key not in started]
    return wrong


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_scenario_passes_canonically(name: str) -> None:
    judged = assess(run_scenario(load_scenario(path(name))))
    assert [f.message for f in judged.failures] == []


def check_schedules(name: str, seeds: range) -> None:
    loaded = load_scenario(path(name))
    for seed in seeds:
        sim = Simulation(loaded, seed=seed)
        result = sim.run()
        assert [f.message for f in assess(result).failures] == [], f"seed {seed}"
        assert operation_counts(sim) == [], f"seed {seed}"


@pytest.mark.parametrize("name", CORRECT)
def test_no_operation_completes_twice_or_is_lost_in_random_schedules(name: str) -> None:
    check_schedules(name, range(SCHEDULES))


@pytest.mark.slow
@pytest.mark.parametrize("name", CORRECT + sorted(BUGS))
def test_no_operation_completes_twice_or_is_lost_in_1000_random_schedules(name: str) -> None:
    loaded = load_scenario(path(name))
    for seed in range(SCHEDULES, SCHEDULES + SLOW_SCHEDULES):
        sim = Simulation(loaded, seed=seed)
        sim.run()
        assert operation_counts(sim) == [], f"seed {seed}"


@pytest.mark.parametrize("strategy", ["random", "pct"])
def test_exploring_the_cancel_race_reaches_its_three_outcomes(strategy: str) -> None:
    # The campaign ``emu explore`` runs: the scenario's notes name the outcome each schedule
    # reached, and every one must be reached by some schedule (no schedule is a hit: the
    # scenario holds under all three).
    loaded = load_scenario(path("cancel-race"))
    campaign = Campaign(loaded, ExploreBudget(strategy, schedules=200, seed=1)).run()
    assert campaign.found is None and campaign.schedules_run == 200
    assert set(campaign.notes_seen) >= RACE_OUTCOMES, campaign.notes_seen


def test_each_buggy_client_declares_the_property_that_reports_it() -> None:
    shipped = {p.stem for p in PEERDIST.glob("bug-*.yaml")}
    assert shipped == set(BUGS)
    for name, property_id in BUGS.items():
        assert property_id in load_scenario(path(name)).expect.violated, name


@pytest.mark.parametrize("name", sorted(BUGS))
def test_a_buggy_client_is_caught_and_the_replay_reproduces_it(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loaded = load_scenario(path(name))
    campaign = Campaign(loaded, ExploreBudget("random", schedules=300, seed=1)).run()
    assert campaign.found is not None
    assert BUGS[name] in {s.property.id for s in campaign.found.verdict.violated}
    assert_replay_reproduces(name, tmp_path, capsys)


def test_the_canonical_schedule_of_a_correct_scenario_violates_nothing() -> None:
    for name in CORRECT:
        loaded = load_scenario(path(name))
        judged = verdict(run_scenario(loaded).k.trace.events, profile=loaded.machine.profile)
        violated = {s.property.id for s in judged.statuses if s.state == VIOLATED}
        assert violated <= set(loaded.expect.intended), name


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def carried_text() -> str:
    """The page sentences inside the repository: docs/sources.md, docs/peerdist.md and the
    docstrings of the BranchCache service and the PeerDist surface, whitespace-normalised."""
    parts = [(ROOT / "docs" / n).read_text(encoding="utf-8") for n in ("sources.md", "peerdist.md")]
    for package in ("emu/devices/branchcache", "emu/win32/peerdist"):
        for module in sorted((ROOT / package).glob("*.py")):
            tree = ast.parse(module.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef):
                    parts.append(ast.get_docstring(node) or "")
    return normalised(" ".join(parts))


def quoted_pieces(p: Path) -> list[str]:
    """The pieces of every "..." span of the scenario's opening comment, split on "..."
    elisions, whitespace-normalised."""
    head = p.read_text(encoding="utf-8").split("\nversion:", 1)[0]
    assert head.startswith("# "), p.name
    lines = head.splitlines()
    assert all(line.startswith("#") for line in lines), p.name
    comment = normalised(" ".join(line[1:] for line in lines))
    spans = re.findall(r'"([^"]*)"', comment)
    assert spans, f"{p.name}: the opening comment quotes nothing"
    return [piece.strip() for span in spans for piece in span.split("...") if piece.strip()]


def test_every_peerdist_scenario_quotes_a_sentence_the_repository_carries() -> None:
    shipped = sorted(PEERDIST.glob("*.yaml"))
    assert len(shipped) >= 19
    carried = carried_text()
    used: set[str] = set()
    wrong = []
    for p in shipped:
        for piece in quoted_pieces(p):
            if piece in NOT_YET_CARRIED:
                used.add(piece)
            elif piece not in carried and piece.rstrip(".,;:") not in carried:
                wrong.append(f"{p.name}: {piece!r}")
    assert wrong == []
    assert used == NOT_YET_CARRIED  # every listed sentence is still quoted
    # A sentence the repository carries leaves the list.
    assert [s for s in sorted(NOT_YET_CARRIED) if s.rstrip(".,;:") in carried] == []


def test_exactly_the_schedule_dependent_buggy_clients_are_clean_canonically() -> None:
    clean = []
    for name in sorted(BUGS):
        loaded = load_scenario(path(name))
        judged = verdict(run_scenario(loaded).k.trace.events, profile=loaded.machine.profile)
        if not {s.property.id for s in judged.statuses if s.state == VIOLATED}:
            clean.append(name)
    assert clean == sorted(EXPLORED)
    assert len(EXPLORED) >= 2


@pytest.mark.parametrize("name", EXPLORED)
def test_a_schedule_dependent_buggy_client_is_found_only_by_exploring(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    loaded = load_scenario(path(name))
    canonical = verdict(run_scenario(loaded).k.trace.events, profile=loaded.machine.profile)
    status = canonical.status(BUGS[name])
    assert status is not None and status.state != VIOLATED
    assert assess(run_scenario(loaded)).failures  # the canonical run alone misses the bug
    campaign = Campaign(loaded, loaded.explore).run()
    assert campaign.found is not None
    assert campaign.hit_at is not None and campaign.hit_at > 0
    assert BUGS[name] in {s.property.id for s in campaign.found.verdict.violated}
    assert any(index for index, _ in campaign.found.result.k.chooser.schedule)
    assert_replay_reproduces(name, tmp_path, capsys)


def test_the_last_error_after_a_successful_cancel_is_995_whichever_result_was_posted() -> None:
    loaded = load_scenario(path("cancel-last-error"))
    seen: set[str] = set()
    for seed in range(100):
        sim = Simulation(loaded, seed=seed)
        result = sim.run()
        assert [f.message for f in assess(result).failures] == [], f"seed {seed}"
        events = sim.k.trace.events
        cancels = [
            i
            for i, e in enumerate(events)
            if e[2] == "api" and e[4][0] == "PeerDistServerCancelAsyncOperation"
        ]
        assert len(cancels) == 1
        after = next(e for e in events[cancels[0] + 1 :] if e[2] == "api")
        assert after[4][0] == "GetLastError" and after[4][2] == ERROR_OPERATION_ABORTED
        seen |= {e[4][0] for e in events if e[2] == "scenario.note"}
    assert seen == {"the add was cancelled", "the add completed normally despite the cancel"}


def test_a_restart_between_registrations_invalidates_the_handle_without_a_notification() -> None:
    events = run_scenario(load_scenario(path("invalidated-between-registrations"))).k.trace.events
    kinds = [e[2] for e in events]
    changes = [e for e in events if e[2] == "peerdist.status"]
    assert [(e[0], e[4][0], e[4][1]) for e in changes] == [
        (10_000, "AVAILABLE", "UNAVAILABLE"),
        (10_000, "UNAVAILABLE", "AVAILABLE"),
    ]
    assert kinds.count("peerdist.invalidate") == 1
    # One notification in the run: the first registration's; the second completes only when
    # it is unregistered, cancelled.
    assert kinds.count("peerdist.notify") == 1
    codes = [e[4][2] for e in events if e[2] == "api" and "AddContentInformation" in e[4][0]]
    assert codes == [PEERDIST_ERROR_INVALIDATED, ERROR_IO_PENDING]


def test_the_null_client_cancel_cancels_both_pending_reads_on_the_canonical_schedule() -> None:
    result = run_scenario(load_scenario(path("client-cancel-all")))
    events = result.k.trace.events
    results = [
        (e[4][2], e[4][3])
        for e in events
        if e[2] == "api" and e[4][0] == "PeerDistGetOverlappedResult"
    ]
    # The last two examine the reads: both FALSE with ERROR_OPERATION_ABORTED.
    assert [e for e in events if e[2] == "scenario.note"][-1][4][0] == "both reads were cancelled"
    assert results[-2:] == [(0, ERROR_OPERATION_ABORTED), (0, ERROR_OPERATION_ABORTED)]
    assert assess(result).failures == []


@pytest.mark.parametrize(
    ("name", "outcomes"),
    [
        (
            "client-cancel-all",
            {
                "both reads were cancelled",
                "one read completed before the cancel",
                "both reads completed before the cancel",
            },
        ),
        (
            "shutdown-cancels",
            {
                "the shutdown cancelled the add",
                "the add completed before the shutdown",
                "the call came before the shutdown",
                "a call raced the shutdown",
                "the call came when the process held no session",
                "the call came while the second session was live",
            },
        ),
    ],
)
def test_every_accepted_outcome_is_reached_in_random_schedules(
    name: str, outcomes: set[str]
) -> None:
    loaded = load_scenario(path(name))
    seen: set[str] = set()
    for seed in range(SCHEDULES):
        result = Simulation(loaded, seed=seed).run()
        assert [f.message for f in assess(result).failures] == [], f"seed {seed}"
        seen |= set(notes_of(result))
    assert seen == outcomes
