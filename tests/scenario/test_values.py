"""Values: constants by name with their real values, flags, references, conversions."""

from __future__ import annotations

import pytest

from emu.codes import GENERIC_READ, GENERIC_WRITE, INFINITE, STATUS_PENDING, WAIT_IO_COMPLETION
from emu.errors import ScenarioError
from emu.scenario import load_text
from emu.scenario.values import article, constants
from emu.sim import run_scenario
from emu.timeline import describe
from tests.scenario.helpers import failures, rules, run_yaml, scenario_text


def test_constants_carry_their_real_values() -> None:
    table = constants()
    assert table["INFINITE"] == INFINITE == 0xFFFFFFFF
    assert table["WAIT_IO_COMPLETION"] == WAIT_IO_COMPLETION == 0xC0
    assert table["STATUS_PENDING"] == STATUS_PENDING == 0x103
    assert table["ERROR_IO_PENDING"] == 997
    assert table["DISPATCH_LEVEL"] == 2
    assert table["DelayedWorkQueue"] == 1
    assert (table["TRUE"], table["FALSE"]) == (1, 0)


def load_error(body: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_text(scenario_text(body), "t.yaml")
    return info.value.message


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (
            "dwMilliseconds: soon",
            "dwMilliseconds takes a number, a constant or a $reference, not the text 'soon'",
        ),
        ("dwMilliseconds: 1500us", "'1500us' is not a whole number of milliseconds"),
        ("dwMilliseconds: INFINTE", "unknown constant 'INFINTE' (did you mean 'INFINITE'?)"),
        ("dwMilliseconds: WAIT_TIMEOUT | NOPE", "unknown constant 'NOPE' in a flag combination"),
        ("dwMilliseconds: {a: 1}", "a mapping here must create a structure: {new: OVERLAPPED}"),
        ("dwMilliseconds: {new: OVERLAPPED, Nope: 1}", "OVERLAPPED has no field 'Nope'"),
        ("dwMilliseconds: $x.y.z", "unknown variable $x"),
        ("dwMilliseconds: $", "'$': '$' followed by nothing starts no reference; a literal $ is"),
    ],
)
def test_bad_values_are_refused_at_load(argument: str, message: str) -> None:
    body = f"threads:\n  main:\n    steps:\n      - Sleep: {{{argument}}}\n"
    assert load_error(body).startswith(message)


def test_flags_combine_as_in_c_and_lists_of_flags_too() -> None:
    scenario = load_text(
        scenario_text(
            """
            threads:
              main:
                steps:
                  - CreateFileW:
                      lpFileName: '\\\\.\\pipe\\x'
                      dwDesiredAccess: GENERIC_READ | GENERIC_WRITE
                      dwShareMode: [0x1, 0x2]
                      dwCreationDisposition: OPEN_EXISTING
                      dwFlagsAndAttributes: 0
                      hTemplateFile: null
            """
        ),
        "t.yaml",
    )
    calls = [e for e in run_scenario(scenario).events if e.kind == "api"]
    assert calls[0].payload["args"][1:3] == (GENERIC_READ | GENERIC_WRITE, 3)


def test_array_fields_are_checked_against_the_declaration() -> None:
    body = """
        shared:
          entries: {type: OVERLAPPED_ENTRY, count: 2}
          ov: OVERLAPPED
        threads:
          main:
            steps:
              - assert: {that: $entries.Internal, equals: 0}
        """
    assert load_error(body).startswith("$entries is an array of OVERLAPPED_ENTRY: index it")
    assert load_error(body.replace("$entries.Internal", '"$ov[0]"')).startswith(
        "$ov is an OVERLAPPED, not an array"  # a/an by the word's sound
    )


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("dwMilliseconds: 1 | 01", "'01' is not a valid number"),
        ("dwMilliseconds: [01]", "'01' is not a valid number"),
        ("dwMilliseconds: [$x]", "$x in a flag combination: flags combine constants and numbers"),
        ("dwMilliseconds: 0x" + "f" * 40, "is not a valid number: integers are decimal, 0x hex"),
        ("dwMilliseconds: {new: OVERLAPPED, type: DWORD}", "{new: TYPE} names the type"),
        ("dwMilliseconds: {new: OVERLAPPED, hEvent: soon}", "a structure field starts as a number"),
    ],
)
def test_more_bad_values_are_refused_at_load(argument: str, message: str) -> None:
    body = f"threads:\n  main:\n    steps:\n      - Sleep: {{{argument}}}\n"
    assert message in load_error(body)


def test_messages_show_handlers_by_name_never_by_address() -> None:
    result = run_scenario(
        load_text(
            scenario_text(
                """
                handlers: {h: {steps: []}}
                threads:
                  main:
                    steps:
                      - assert: {that: $h, equals: 0}
                """
            ),
            "t.yaml",
        )
    )
    (violation,) = result.violations
    assert violation.payload["message"].endswith("$h equals 0: h == 0 (t.yaml:8:17)")


# -- $$: a literal $ in text (service names such as WireGuardTunnel$wg0) -------------------------


def _created_name(argument: str) -> object:
    result = run_yaml(
        f"""
        threads:
          main:
            steps:
              - CreateEventW: {{bManualReset: TRUE, bInitialState: FALSE, lpName: {argument}}}
                as: ev
              - CloseHandle: {{hObject: $ev}}
        """
    )
    (call,) = [e for e in result.events if e.kind == "api" and e.payload["name"] == "CreateEventW"]
    return call.payload["args"][-1]


@pytest.mark.parametrize(
    ("argument", "text"),
    [
        ("a$$b", "a$b"),
        ('"a$$b"', "a$b"),  # quoting changes nothing: $ is special in every text
        ("'$$x'", "$x"),
        ("$$", "$"),
        ("a$$$$b", "a$$b"),
        ("plain", "plain"),
    ],
)
def test_a_doubled_dollar_is_one_literal_dollar(argument: str, text: str) -> None:
    assert _created_name(argument) == text


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        (
            "WireGuardTunnel$wg0",
            "'WireGuardTunnel$wg0': $ starts a $reference, which is a whole value, never part "
            "of text; a literal $ is written $$: 'WireGuardTunnel$$wg0'",
        ),
        (
            '"$ 5"',
            "'$ 5': '$' followed by ' ' starts no reference; a literal $ is written $$: '$$ 5'",
        ),
        ("$5", "'$5': '$' followed by '5' starts no reference; a literal $ is written $$: '$$5'"),
        ('"$a b"', "'$a b': not a reference ($name, $name.Field or $name[0].Field); a literal"),
        (
            "$a-b",
            "'$a-b' is not a reference: write $name, $name.Field or $name[0].Field (or '$$a-b' "
            "for the text, $$ being a literal $)",
        ),
        (
            "a$$$b",
            "'a$$$b': $ starts a $reference, which is a whole value, never part of text; a "
            "literal $ is written $$: 'a$$$$b'",
        ),
    ],
)
def test_a_lone_dollar_in_text_is_refused_suggesting_two(argument: str, message: str) -> None:
    body = f"""
        threads:
          main:
            steps:
              - CreateEventW: {{bManualReset: TRUE, bInitialState: FALSE, lpName: {argument}}}
        """
    assert load_error(body).startswith(message)


WIREGUARD = """
    machine:
      latency: {rpc: [0us, 0us]}
    devices:
      scm:
        services:
          Tunnels$$Base: {state: RUNNING}
          WireGuardTunnel$$wg0: {state: RUNNING, stop_pending: 1ms, depends_on: [Tunnels$$Base]}
    threads:
      main:
        locals:
          st: SERVICE_STATUS
        steps:
          - OpenSCManagerW:
              {lpMachineName: null, lpDatabaseName: null, dwDesiredAccess: SC_MANAGER_CONNECT}
            as: scm
          - OpenServiceW:
              hSCManager: $scm
              lpServiceName: WireGuardTunnel$$wg0
              dwDesiredAccess: SERVICE_QUERY_STATUS
            as: svc
            expect: ERROR_SUCCESS
          - Sleep: {dwMilliseconds: 10ms}
          - QueryServiceStatus: {hService: $svc, lpServiceStatus: $st}
            expect: TRUE
          - assert: {that: $st.dwCurrentState, equals: SERVICE_STOPPED}
          - CloseServiceHandle: {hSCObject: $svc}
          - CloseServiceHandle: {hSCObject: $scm}
    timeline:
      - {at: 5ms, scm.stop: WireGuardTunnel$$wg0}
    run_until: all_done
    expect:
      end: all_done
    """


def test_a_service_named_with_a_dollar_is_declared_opened_and_stopped() -> None:
    # A VPN tunnel service's real name, WireGuardTunnel$wg0: declared in devices.scm, opened by
    # OpenServiceW, stopped by the timeline, written $$ everywhere.
    result = run_yaml(WIREGUARD)
    assert failures(result) == [] and rules(result) == []
    (opened,) = [
        e for e in result.events if e.kind == "api" and e.payload["name"] == "OpenServiceW"
    ]
    assert opened.payload["args"][1] == "WireGuardTunnel$wg0"
    assert opened.payload["result"] != 0
    assert 'OpenServiceW(0xC00000, "WireGuardTunnel$wg0", SERVICE_QUERY_STATUS)' in describe(opened)


def test_a_service_name_follows_the_same_rule_everywhere() -> None:
    # A lone $ in a declared name, a dependency or a timeline action: the same error.
    for written in (
        "WireGuardTunnel$$wg0:",
        "depends_on: [Tunnels$$Base]",
        "scm.stop: WireGuardTunnel$$wg0",
    ):
        body = WIREGUARD.replace(written, written.replace("$$", "$"))
        assert "a literal $ is written $$: " in load_error(body), written
    # Windows' own rule on the characters: no / or \\ (a space is fine).
    assert "is not a valid service name (any characters but / and \\)" in load_error(
        WIREGUARD.replace("Tunnels$$Base", "Tunnels/Base")
    )
    assert _service_names(WIREGUARD.replace("Tunnels$$Base", "Tunnel Base")) == [
        "Tunnel Base",
        "WireGuardTunnel$wg0",
    ]


def _service_names(body: str) -> list[str]:
    result = run_yaml(body)
    return [e.objects[0] for e in result.events if e.kind == "scm.create"]


@pytest.mark.parametrize(
    ("word", "article_"),
    [
        ("event", "an"),
        ("port", "a"),
        ("OVERLAPPED", "an"),
        ("OVERLAPPED_ENTRY", "an"),
        ("SERVICE_NOTIFY", "a"),
        ("ULONG", "a"),
        ("ULONG_PTR", "a"),
        ("SRWLOCK", "an"),
        ("assumption", "an"),
        ("DWORD", "a"),
    ],
)
def test_the_article_follows_the_sound(word: str, article_: str) -> None:
    assert article(word) == article_


def test_an_undeclared_event_is_named_with_an() -> None:
    body = """
        threads:
          main:
            steps: []
        timeline:
          - {at: 1ms, kernel.set_event: nope}
        """
    assert load_error(body).startswith("'nope' is not an event declared in devices.kernel")
