"""Values: constants by name with their real values, flags, references, conversions."""

from __future__ import annotations

import pytest

from emu.codes import GENERIC_READ, GENERIC_WRITE, INFINITE, STATUS_PENDING, WAIT_IO_COMPLETION
from emu.errors import ScenarioError
from emu.scenario import load_text
from emu.scenario.values import constants
from emu.sim import run_scenario
from tests.scenario.helpers import scenario_text


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
        ("dwMilliseconds: $", "'$' is not a reference: write $name, $name.Field or $name[0].Field"),
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
        "$ov is a OVERLAPPED, not an array"
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
