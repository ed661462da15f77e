"""verdict(): the catalogue's entries, how a trace is judged against them (inline violations,
post-hoc checkers, profiles), and that the judgement is a pure function of the events."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pytest

from emu.kernel.trace import TraceTuple
from emu.properties.catalogue import (
    CATALOGUE,
    CLIENT_RULE,
    GUARANTEE,
    HAZARD,
    KINDS,
    LIVENESS,
    SCENARIO_CHECK,
    Property,
    lookup,
    properties,
    register,
    unregister,
)
from emu.properties.checker import Checker
from emu.properties.verdict import (
    HELD,
    NOT_EXERCISED,
    VIOLATED,
    Status,
    Verdict,
    applies,
    plan_for,
    verdict,
)
from tests.scenario.helpers import run_yaml

ROOT = Path(__file__).resolve().parents[2]

END: TraceTuple = (0, 0, "run.end", (), ("quiescent",), -1)


def violation(rule: str, message: str) -> TraceTuple:
    return (0, 0, "violation", (), (rule, message), -1)


def status(judged: Verdict, pid: str) -> Status:
    found = judged.status(pid)
    assert found is not None, pid
    return found


def call(name: str) -> TraceTuple:
    return (0, 1, "api", (), (name, (), 1, None), -1)


@contextmanager
def registered(*entries: Property) -> Iterator[None]:
    """Entries added to the catalogue for the ``with`` block only."""
    properties()  # load the real catalogue first, so it never sees a half-registered state
    try:
        register(*entries)
        yield
    finally:
        unregister(*(entry.id for entry in entries if entry.id in CATALOGUE))


class SeesEverything(Checker):
    """A test checker: exercised by run.end, records what it was fed."""

    KINDS: ClassVar[tuple[str, ...]] = ("run.end", "api")
    fed: ClassVar[list[int]] = []

    def feed(self, seq: int, event: TraceTuple) -> None:
        type(self).fed.append(seq)
        if event[2] == "run.end":
            self.exercised = True


class FindsWithoutExercise(Checker):
    """A test checker that reports a finding but never says it was exercised."""

    KINDS: ClassVar[tuple[str, ...]] = ("run.end",)

    def feed(self, seq: int, event: TraceTuple) -> None:
        self.found(seq, "broken at the end")


# -- the catalogue ------------------------------------------------------------------------------


def test_the_five_kinds_are_the_documented_ones() -> None:
    # catalogue.py: guarantee, client rule, liveness, hazard, scenario check.
    assert KINDS == (GUARANTEE, CLIENT_RULE, LIVENESS, HAZARD, SCENARIO_CHECK)


@pytest.mark.parametrize("entry", properties(), ids=lambda p: p.id)
def test_every_entry_has_a_source_a_known_kind_and_a_subsystem_id(entry: Property) -> None:
    # catalogue.py: an id <subsystem>.<rule>, a kind, its source and the sentence it enforces.
    assert entry.source.strip()
    assert entry.sentence.strip()
    assert entry.kind in KINDS
    assert re.fullmatch(r"[a-z][a-z0-9]*\.[a-z][a-z0-9_]*", entry.id), entry.id
    assert entry.subsystem == entry.id.split(".")[0]


@pytest.mark.parametrize("entry", [p for p in properties() if p.inline], ids=lambda p: p.id)
def test_every_inline_entry_says_what_exercises_it(entry: Property) -> None:
    # catalogue.py: an inline entry is exercised when one of its exercised_by occurred.
    assert entry.exercised_by


def documented_kinds() -> set[str]:
    text = (ROOT / "docs" / "trace.md").read_text(encoding="utf-8")
    table = text.split("<!-- kinds:begin", 1)[1].split("<!-- kinds:end", 1)[0]
    return set(re.findall(r"^\| `([a-z_.]+)` \|", table, flags=re.MULTILINE))


@pytest.mark.parametrize("entry", [p for p in properties() if not p.inline], ids=lambda p: p.id)
def test_every_checker_declares_documented_trace_kinds(entry: Property) -> None:
    # checker.py: a checker is fed only the kinds it declares (a misspelt kind is never fed).
    assert entry.checker is not None
    assert entry.checker.KINDS
    assert set(entry.checker.KINDS) <= documented_kinds()


def test_registering_an_id_twice_or_an_unknown_kind_is_refused() -> None:
    # catalogue.register: ids are unique, kinds among the five.
    (first,) = [p for p in properties() if p.id == "kernel.lost_wakeup"]
    with pytest.raises(ValueError, match="registered twice"):
        register(first)
    with pytest.raises(ValueError, match="unknown kind"):
        register(Property("test.bad_kind", "rumour", (), "here", "x", exercised_by=("api",)))
    assert "test.bad_kind" not in CATALOGUE


# -- inline violations --------------------------------------------------------------------------


def test_an_inline_violation_the_catalogue_does_not_know_is_still_violated() -> None:
    # verdict.py: a violation recorded by code the catalogue does not know is never dropped.
    events = [violation("test.made_up", "something broke"), (1, *END[1:])]
    found = status(verdict(events), "test.made_up")
    assert found.state == VIOLATED
    assert [(f.seq, f.message) for f in found.findings] == [(0, "something broke")]
    assert found.property.source == "(not in the catalogue)"


def test_unknown_inline_violations_come_after_the_catalogue_in_id_order() -> None:
    # verdict.py: statuses in catalogue (id) order, then the unknown rules, sorted.
    events = [violation("zz.second", "b"), violation("aa.first", "a"), (2, *END[1:])]
    ids = [s.property.id for s in verdict(events).statuses]
    known = [p.id for p in properties() if applies(p, "default")]
    assert ids == [*known, "aa.first", "zz.second"]


def test_an_inline_rule_is_violated_held_or_not_exercised() -> None:
    # verdict.py: violated with its findings; held when one of its exercised_by APIs was
    # called; not exercised otherwise.
    rule = "kernel.cs_leave_not_owner"
    broken = [call("LeaveCriticalSection"), violation(rule, "not the owner"), (2, *END[1:])]
    (finding,) = status(verdict(broken), rule).findings
    assert (finding.seq, finding.message) == (1, "not the owner")
    assert status(verdict([call("LeaveCriticalSection"), END]), rule).state == HELD
    assert status(verdict([call("CloseHandle"), END]), rule).state == NOT_EXERCISED


def test_two_violations_of_one_rule_are_two_findings_in_trace_order() -> None:
    # verdict.py: findings each name the trace event where the rule broke.
    events = [violation("test.twice", "first"), violation("test.twice", "second")]
    found = status(verdict(events), "test.twice")
    assert [f.seq for f in found.findings] == [0, 1]


# -- checkers -----------------------------------------------------------------------------------


def test_a_checker_is_fed_only_its_kinds_in_trace_order() -> None:
    # verdict.py: each event goes to the checkers that declared its kind.
    entry = Property("test.sees", GUARANTEE, (), "test", "x", checker=SeesEverything)
    events: list[TraceTuple] = [
        (0, 0, "obj.create", (1,), ("Thread", "t"), -1),
        call("SleepEx"),
        (0, 1, "scenario.note", (), ("hi",), -1),
        call("Sleep"),
        END,
    ]
    SeesEverything.fed.clear()
    with registered(entry):
        found = status(verdict(events), "test.sees")
    assert found.state == HELD
    assert SeesEverything.fed == [1, 3, 4]


def test_a_finding_makes_a_property_violated_even_if_never_marked_exercised() -> None:
    # verdict.py: exercised = the checker said so, or it found something.
    entry = Property("test.finds", CLIENT_RULE, (), "test", "x", checker=FindsWithoutExercise)
    with registered(entry):
        found = status(verdict([END]), "test.finds")
        assert found.state == VIOLATED
        assert [(f.seq, f.message) for f in found.findings] == [(0, "broken at the end")]
        assert status(verdict([]), "test.finds").state == NOT_EXERCISED


# -- profiles -----------------------------------------------------------------------------------


def test_a_property_with_profiles_applies_only_under_them() -> None:
    # verdict.py: properties that depend on a behaviour profile apply only under that profile.
    checked = Property(
        "test.strict_only", GUARANTEE, (), "test", "x", checker=SeesEverything, profiles=("strict",)
    )
    inline = Property(
        "test.strict_inline",
        CLIENT_RULE,
        (),
        "test",
        "x",
        exercised_by=("run.end",),
        profiles=("strict",),
    )
    with registered(checked, inline):
        default = verdict([END])
        strict = verdict([END], profile="strict")
    assert default.status("test.strict_only") is None
    assert default.status("test.strict_inline") is None
    assert default.profile == "default"
    assert status(strict, "test.strict_only").state == HELD
    assert status(strict, "test.strict_inline").state == HELD
    assert strict.profile == "strict"
    assert "test.strict_only" not in CATALOGUE


def test_a_property_without_profiles_applies_under_every_profile() -> None:
    # verdict.applies: no profiles means every profile; one with profiles only under those.
    ids = [s.property.id for s in verdict([END], profile="anything").statuses]
    assert ids == [p.id for p in properties() if not p.profiles]
    win7 = [s.property.id for s in verdict([END], profile="win7").statuses]
    assert "scm.second_request_refused" in win7
    assert "scm.second_request_replaces" not in win7


# -- determinism --------------------------------------------------------------------------------

RACE = """
machine: {processors: 2}
devices:
  kernel:
    events:
      ev: {}
shared:
  n: LONG
handlers:
  worker:
    steps:
      - increment: $n
      - WaitForSingleObject: {hHandle: $ev, dwMilliseconds: INFINITE}
threads:
  main:
    steps:
      - repeat: 2
        steps:
          - CreateThread: {dwStackSize: 0, lpStartAddress: $worker, dwCreationFlags: 0}
      - increment: $n
      - SetEvent: {hEvent: $ev}
"""


def summary(
    events: list[TraceTuple],
) -> list[tuple[str, str, tuple[tuple[int, str, tuple[int, ...]], ...]]]:
    return [
        (s.property.id, s.state, tuple((f.seq, f.message, f.related) for f in s.findings))
        for s in verdict(events).statuses
    ]


def test_the_verdict_of_the_same_events_is_always_the_same() -> None:
    # verdict.py: one pass over the trace; nothing but the events decides the statuses.
    events = list(run_yaml(RACE, seed=3).k.trace.events)
    first = summary(events)
    assert summary(events) == first
    assert summary(list(events)) == first
    assert {state for _id, state, _f in first} >= {HELD, VIOLATED}  # the run says something


def test_the_same_schedule_gives_the_same_verdict() -> None:
    # trace.md: the same scenario under the same schedule gives the same trace, so the same
    # verdict.
    assert summary(run_yaml(RACE, seed=5).k.trace.events) == summary(
        run_yaml(RACE, seed=5).k.trace.events
    )


# -- properties that used to look only at run.end -------------------------------------------------

CHECKS = """
threads:
  main:
    steps:
      - GetCurrentThreadId:
        as: me
      - STEP
run_until: all_done
"""


def states(result_events: list[TraceTuple], *pids: str) -> list[str]:
    judged = verdict(result_events)
    return [status(judged, pid).state for pid in pids]


SCENARIO_CHECKS = ("scenario.expect", "scenario.assert", "scenario.loop_bound")


def test_scenario_checks_are_not_exercised_when_the_scenario_checks_nothing() -> None:
    # A run with no expect: on a call, no assert:, no until: loop: nothing could break them.
    events = run_yaml(CHECKS.replace("      - STEP\n", "")).k.trace.events
    assert states(events, *SCENARIO_CHECKS) == [NOT_EXERCISED] * 3
    assert not [e for e in events if e[2] == "scenario.check"]


@pytest.mark.parametrize(
    ("step", "pid"),
    [
        ("CloseHandle: {hObject: 0}\n        expect: FALSE", "scenario.expect"),
        ("assert: {that: $me, greater_than: 0}", "scenario.assert"),
        (
            "until: {that: $me, greater_than: 0}\n        max: 2\n        steps:\n"
            "          - Sleep: {dwMilliseconds: 1}",
            "scenario.loop_bound",
        ),
    ],
)
def test_a_scenario_check_that_ran_is_exercised_and_holds(step: str, pid: str) -> None:
    events = run_yaml(CHECKS.replace("STEP", step)).k.trace.events
    assert states(events, pid) == [HELD]
    # one scenario.check event, the first time a check of this kind ran
    assert [e[4][0] for e in events if e[2] == "scenario.check"] == [pid]


def test_a_scenario_check_is_recorded_once_per_run() -> None:
    twice = "assert: {that: $me, greater_than: 0}\n      - assert: {that: $me, not_equals: 0}"
    events = run_yaml(CHECKS.replace("STEP", twice)).k.trace.events
    assert [e[4][0] for e in events if e[2] == "scenario.check"] == ["scenario.assert"]


def test_a_failed_scenario_check_is_violated() -> None:
    events = run_yaml(CHECKS.replace("STEP", "assert: {that: $me, equals: 0}")).k.trace.events
    assert states(events, "scenario.assert") == [VIOLATED]


def test_the_step_limit_is_exercised_by_any_api_call_only() -> None:
    # The limit counts API calls at one instant: a run that made none could not break it.
    assert states([END], "kernel.step_limit") == [NOT_EXERCISED]
    assert states([call("Sleep"), END], "kernel.step_limit") == [HELD]


def test_bad_argument_is_exercised_only_by_the_functions_that_record_it() -> None:
    assert states([call("CreateEventW"), END], "win32.bad_argument") == [NOT_EXERCISED]
    assert states([call("SleepEx"), END], "win32.bad_argument") == [HELD]


def test_every_function_that_records_bad_argument_exercises_it() -> None:
    # Each Win32 and kernel export called with junk for every argument: those that record
    # win32.bad_argument must be among the functions that exercise it.
    from emu.kernel import Kernel, Thread
    from emu.win32 import API_SPECS
    from emu.win32.driver import KernelApi
    from tests.support import run

    entry = lookup("win32.bad_argument")
    assert entry is not None
    recording: list[str] = []
    for name in sorted(API_SPECS):
        spec = API_SPECS[name]
        junk = ["junk"] * len(spec.params)
        if spec.dll == "ntoskrnl":
            k = Kernel()
            kapi = KernelApi(k)

            def body(kapi: KernelApi = kapi, name: str = name, junk: list[str] = junk) -> Any:
                yield from getattr(kapi, name)(*junk)
                return 0

            k.spawn(Thread(k, "t", body()))
            k.run()
            events = k.trace.events
        else:

            def program(api: Any, name: str = name, junk: list[str] = junk) -> Any:
                yield from getattr(api, name)(*junk)

            events = run(program).k.trace.events
        if any(e[2] == "violation" and e[4][0] == "win32.bad_argument" for e in events):
            recording.append(name)
    assert len(recording) > 20
    assert sorted(set(recording) - set(entry.exercised_by)) == []


# -- what a verdict costs: only the checkers a run can exercise ---------------------------------


class FakeSubsystemChecker(Checker):
    """A checker of a subsystem no shipped scenario has: it reads kinds every run holds (api,
    handle events, run.end), but only a run with its own device's events can exercise it."""

    KINDS: ClassVar[tuple[str, ...]] = ("api", "handle.open", "handle.close", "run.end", "fake.op")
    TRIGGERS: ClassVar[tuple[str, ...] | None] = ("fake.op",)
    built: ClassVar[int] = 0

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        type(self).built += 1

    def feed(self, seq: int, event: TraceTuple) -> None:
        self.exercised = True


def kernel_run_cost(events: list[TraceTuple]) -> tuple[int, int]:
    plan = plan_for(events, "default")
    return len(plan.checkers), plan.feeds(events)


def test_another_subsystems_checkers_do_not_change_a_kernel_scenarios_verdict_cost() -> None:
    # Issue 12: the verdict costs only what a scenario uses (counted: checkers built, feeds).
    events = run_yaml(RACE).k.trace.events
    before = kernel_run_cost(events)
    entries = [
        Property(f"fake.rule_{i}", CLIENT_RULE, (), "test", "x", checker=FakeSubsystemChecker)
        for i in range(5)
    ]
    FakeSubsystemChecker.built = 0
    with registered(*entries):
        assert kernel_run_cost(events) == before
        judged = verdict(events)
        assert FakeSubsystemChecker.built == 0
        assert {status(judged, e.id).state for e in entries} == {NOT_EXERCISED}
        # the same checkers in a run with their device's events are built and fed
        assert (
            status(
                verdict([*events[:-1], (0, 1, "fake.op", (), (), -1), END]),
                "fake.rule_0",
            ).state
            == HELD
        )
        assert FakeSubsystemChecker.built == 5
    assert kernel_run_cost(events) == before


@pytest.mark.parametrize("name", ["bug-apc-counter-race", "apc-report", "pipe-echo", "locks"])
def test_a_kernel_scenario_builds_no_scm_checker(name: str) -> None:
    # apc-report, pipe-echo and locks open and close kernel handles: handle events alone
    # never build a checker of the SCM.
    from emu.scenario import load_scenario
    from emu.sim.simulation import Simulation

    events = Simulation(load_scenario(ROOT / "scenarios" / "kernel" / f"{name}.yaml")).run()
    events = events.k.trace.events
    plan = plan_for(events, "default")
    built = {plan.entries[position].id for position, _cls in plan.checkers}
    assert built and not [pid for pid in built if pid.startswith("scm.")]
    assert plan_for(list(events), "default") is plan  # shared by every run with these kinds


MARKED_KEPT = """
devices:
  scm:
    services:
      OldSvc: {}
handlers:
  on_change:
    params: [pNotify]
    steps:
      - note: callback
threads:
  main:
    locals:
      note: {type: SERVICE_NOTIFY, dwVersion: SERVICE_NOTIFY_STATUS_CHANGE}
    steps:
      - set: {note.pfnNotifyCallback: $on_change}
      - OpenSCManagerW:
          {lpMachineName: null, lpDatabaseName: null, dwDesiredAccess: SC_MANAGER_CONNECT}
        as: scm
      - OpenServiceW:
          {hSCManager: $scm, lpServiceName: OldSvc, dwDesiredAccess: SERVICE_QUERY_STATUS | DELETE}
        as: old
      - DeleteService: {hService: $old}
      - NotifyServiceStatusChangeW:
          {hService: $old, dwNotifyMask: SERVICE_NOTIFY_DELETE_PENDING, pNotifyBuffer: $note}
"""


def test_an_scm_rule_broken_without_any_request_is_still_judged() -> None:
    # A request refused with ERROR_SERVICE_MARKED_FOR_DELETE registers nothing, yet the handle
    # it names must be closed (scm.marked_handle_kept): the SCM's checkers are built for any
    # run in which the SCM recorded something, not only for runs with requests.
    result = run_yaml(MARKED_KEPT)
    events = result.k.trace.events
    assert not [e for e in events if e[2] == "scm.register"]
    (notify,) = [e for e in events if e[2] == "api" and e[4][0] == "NotifyServiceStatusChangeW"]
    assert notify[4][2] == 1072  # ERROR_SERVICE_MARKED_FOR_DELETE
    lean = verdict(events, blocks_forever=result.blocks_forever)
    assert (
        lean.statuses
        == verdict(events, blocks_forever=result.blocks_forever, every_checker=True).statuses
    )
    assert status(lean, "scm.marked_handle_kept").state == VIOLATED


SHIPPED = sorted((ROOT / "scenarios").rglob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT / "scenarios")))
def test_the_checkers_left_unbuilt_could_not_have_said_anything(path: Path) -> None:
    # Checker.TRIGGERS: a run without any of a checker's triggers gives it nothing to judge, so
    # the verdict with every checker built and fed is the same, on random and PCT schedules.
    from emu.explore.campaign import Campaign
    from emu.explore.judge import run_once
    from emu.scenario import load_scenario
    from emu.scenario.model import ExploreBudget

    scenario = load_scenario(path)
    for strategy in ("random", "pct"):
        campaign = Campaign(scenario, ExploreBudget(strategy, 10, 0, 3))
        for index in range(8):
            result = run_once(scenario, campaign.chooser(index, 100)).result
            events = result.k.trace.events
            profile = result.scenario.machine.profile
            lean = verdict(events, blocks_forever=result.blocks_forever, profile=profile)
            full = verdict(
                events, blocks_forever=result.blocks_forever, profile=profile, every_checker=True
            )
            assert lean.statuses == full.statuses, (strategy, index)


SCM_HANDLE_ONLY = """
machine:
  profile: win7
devices:
  scm:
    services: {}
threads:
  monitor:
    locals:
      note1: {type: SERVICE_NOTIFY, dwVersion: SERVICE_NOTIFY_STATUS_CHANGE}
    steps:
      - OpenSCManagerW:
          {lpMachineName: null, lpDatabaseName: null, dwDesiredAccess: SC_MANAGER_CONNECT}
        as: scm
      - NotifyServiceStatusChangeW:
          {hService: $scm, dwNotifyMask: SERVICE_NOTIFY_STOPPED, pNotifyBuffer: $note1}
      - CloseServiceHandle: {hSCObject: $scm}
run_until: all_done
"""


def test_a_checker_triggered_by_a_call_is_built_on_an_scm_without_services() -> None:
    # scm.second_request_refused reads NotifyServiceStatusChangeW's return alone: an SCM with
    # no service records no scm.* event, so the checker is triggered by the call ("api:Name",
    # review finding). Planted: the call returns ERROR_ALREADY_REGISTERED (1242) although no
    # request is outstanding.
    result = run_yaml(SCM_HANDLE_ONLY)
    events = list(result.k.trace.events)
    assert not [e for e in events if e[2].startswith("scm.")]
    (at,) = [i for i, e in enumerate(events) if e[2] == "api" and e[4][0].startswith("NotifyS")]
    time, actor, kind, objects, payload, cause = events[at]
    events[at] = (
        time,
        actor,
        kind,
        objects,
        (payload[0], payload[1], 1242, *payload[3:]),
        cause,
    )
    lean = verdict(events, profile="win7")
    assert lean.statuses == verdict(events, profile="win7", every_checker=True).statuses
    assert status(lean, "scm.second_request_refused").state == VIOLATED
