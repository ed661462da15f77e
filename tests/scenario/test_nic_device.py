"""The ``nic`` device of a scenario (emu/scenario/nic_device.py): its adapters, its actions, the
reasons an action does nothing, the burst the chooser draws, and the one-line errors of bad
files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emu.codes.winsock import AF_INET, AF_INET6
from emu.devices.nic import netio_of
from emu.devices.nic.interfaces import FIRST_INDEX, net_luid
from emu.errors import ScenarioError
from emu.scenario import load_text
from emu.sim import Result
from tests.scenario.helpers import rules, run_yaml, scenario_text

ROOT = Path(__file__).resolve().parents[2]

MONITOR = """
shared:
  handle: HANDLE
handlers:
  on_change:
    params: [CallerContext, Row, NotificationType]
    steps:
      - note: called
threads:
  main:
    steps:
      - NotifyIpInterfaceChange:
          Family: AF_UNSPEC
          Callback: $on_change
          CallerContext: null
          InitialNotification: FALSE
          NotificationHandle: $handle
        expect: NO_ERROR
      - Sleep: {dwMilliseconds: 20ms}
      - CancelMibChangeNotify2: {NotificationHandle: $handle.value}
        expect: NO_ERROR
"""

ADAPTERS = """
devices:
  nic:
    adapters:
      eth0: {}
      wifi: {families: [AF_INET], mtu: 1400, metric: 50, connected: false}
      usb: {present: false, index: 20, families: [AF_INET6, AF_INET]}
"""


def callbacks(result: Result) -> list[tuple[str, str]]:
    return [
        (str(e.payload["type"]), str(e.payload["interface"]))
        for e in result.k.trace.view()
        if e.kind == "netio.callback"
    ]


def skips(result: Result) -> list[str]:
    return [str(e.payload["reason"]) for e in result.k.trace.view() if e.kind == "world.skip"]


def test_the_adapters_reach_the_device() -> None:
    result = run_yaml(ADAPTERS + MONITOR)
    nics = netio_of(result.k).nics
    assert list(nics.adapters) == ["eth0", "wifi", "usb"]
    eth0, wifi, usb = nics.adapters.values()
    assert (eth0.index, wifi.index, usb.index) == (FIRST_INDEX, FIRST_INDEX + 1, 20)
    assert (eth0.luid, wifi.luid) == (net_luid(1), net_luid(2))
    assert sorted(eth0.interfaces) == [AF_INET, AF_INET6] == sorted(usb.interfaces)
    assert sorted(wifi.interfaces) == [AF_INET]
    row = wifi.interfaces[AF_INET].row
    assert (row["NlMtu"], row["Metric"], row["Connected"]) == (1400, 50, 0)
    assert (eth0.present, wifi.present, usb.present) == (True, True, False)
    assert callbacks(result) == []
    assert rules(result) == []


def test_adapter_names_are_the_luid_and_the_index_in_steps() -> None:
    def run_with(luid: str, index: str) -> list[str]:
        steps = f"""
threads:
  main:
    steps:
      - assert: {{that: $wifi, equals: {luid}}}
      - assert: {{that: $usb_index, equals: {index}}}
"""
        return rules(run_yaml(ADAPTERS + steps))

    assert run_with(hex(net_luid(2)), "20") == []
    assert run_with(hex(net_luid(1)), "20") != []
    assert run_with(hex(net_luid(2)), "12") != []


def test_a_get_entry_step_names_the_adapter_by_its_luid() -> None:
    steps = """
threads:
  main:
    locals: {row: MIB_IPINTERFACE_ROW}
    steps:
      - InitializeIpInterfaceEntry: {Row: $row}
      - set: {row.Family: AF_INET, row.InterfaceLuid: $wifi}
      - GetIpInterfaceEntry: {Row: $row}
        expect: NO_ERROR
      - assert: {that: $row.InterfaceIndex, equals: $wifi_index}
      - assert: {that: $row.NlMtu, equals: 1400}
      - set: {row.Family: AF_INET6}
      - GetIpInterfaceEntry: {Row: $row}
        expect: ERROR_NOT_FOUND
"""
    result = run_yaml(ADAPTERS + steps)
    assert rules(result) == []


def test_every_luid_is_positive_whatever_the_declared_index() -> None:
    # NET_LUID is a ULONG64: NetLuidIndex is the adapter's place in the declaration (1, 2, ...),
    # not derived from an InterfaceIndex that may be below the first automatic one.
    body = """
devices:
  nic:
    adapters:
      low: {index: 2}
      auto: {}
"""
    result = run_yaml(body + "threads:\n  main:\n    steps: [{note: up}]\n")
    nics = netio_of(result.k).nics
    assert [(a.index, a.luid) for a in nics.adapters.values()] == [
        (2, net_luid(1)),
        (FIRST_INDEX, net_luid(2)),
    ]
    assert all(a.luid > 0 for a in nics.adapters.values())


def test_an_adapter_cannot_be_named_as_anothers_index() -> None:
    body = """
devices:
  nic:
    adapters:
      eth0: {}
      eth0_index: {}
"""
    with pytest.raises(ScenarioError, match="'eth0_index' would be \\$eth0_index"):
        load_text(scenario_text(body), "t.yaml")


def test_a_drivers_steps_and_routines_see_the_adapter_names_too() -> None:
    # An adapter's LUID and index are plain constants: a driver reads them as a thread does.
    driver = """
drivers:
  reader:
    locals: {row: MIB_IPINTERFACE_ROW, handle: HANDLE}
    routines:
      on_change:
        params: [CallerContext, Row, NotificationType]
        steps:
          - assert: {that: $wifi_index, equals: 12}
    entry:
      - set: {row.Family: AF_INET, row.InterfaceLuid: $wifi}
      - GetIpInterfaceEntry: {Row: $row}
        expect: STATUS_SUCCESS
      - assert: {that: $row.InterfaceIndex, equals: $wifi_index}
      - NotifyIpInterfaceChange:
          Family: AF_INET
          Callback: $on_change
          CallerContext: null
          InitialNotification: TRUE
          NotificationHandle: $handle
        expect: STATUS_SUCCESS
      - CancelMibChangeNotify2: {NotificationHandle: $handle.value}
        expect: STATUS_SUCCESS
      - return: STATUS_SUCCESS
"""
    result = run_yaml(ADAPTERS + driver)
    assert rules(result) == []  # every assert held (a failed one is a scenario.assert)
    kinds = [e[2] for e in result.k.trace.events]
    assert kinds.count("netio.callback") == 1  # the routine's assert ran
    assert kinds.count("scenario.check") >= 1


def test_a_driver_local_cannot_take_an_adapters_name() -> None:
    driver = """
drivers:
  reader:
    locals: {wifi: LONG}
    entry:
      - return: STATUS_SUCCESS
"""
    with pytest.raises(ScenarioError, match="'wifi' is declared twice"):
        load_text(scenario_text(ADAPTERS + driver), "driver.yaml")


ACTIONS = [
    pytest.param(
        "{at: 1ms, nic.arrive: usb}",
        [("MibAddInstance", "usb/IPv4"), ("MibAddInstance", "usb/IPv6")],
        id="arrive",
    ),
    pytest.param(
        "{at: 1ms, nic.leave: eth0}",
        [("MibDeleteInstance", "eth0/IPv4"), ("MibDeleteInstance", "eth0/IPv6")],
        id="leave",
    ),
    pytest.param(
        "{at: 1ms, nic.link: {adapter: wifi, connected: true}}",
        [("MibParameterNotification", "wifi/IPv4")],
        id="link-up",
    ),
    pytest.param(
        "{at: 1ms, nic.link: {adapter: eth0, connected: false}}",
        [("MibParameterNotification", "eth0/IPv4"), ("MibParameterNotification", "eth0/IPv6")],
        id="link-down",
    ),
    pytest.param(
        "{at: 1ms, nic.mtu: {adapter: eth0, mtu: 9000}}",
        [("MibParameterNotification", "eth0/IPv4"), ("MibParameterNotification", "eth0/IPv6")],
        id="mtu",
    ),
    pytest.param(
        "{at: 1ms, nic.mtu: {adapter: eth0, mtu: 9000, family: AF_INET6}}",
        [("MibParameterNotification", "eth0/IPv6")],
        id="mtu-family",
    ),
    pytest.param(
        "{at: 1ms, nic.metric: {adapter: eth0, metric: 5}}",
        [("MibParameterNotification", "eth0/IPv4"), ("MibParameterNotification", "eth0/IPv6")],
        id="metric",
    ),
    pytest.param(
        "{at: 1ms, nic.metric: {adapter: wifi, metric: 7, family: AF_INET}}",
        [("MibParameterNotification", "wifi/IPv4")],
        id="metric-family",
    ),
]


@pytest.mark.parametrize(("action", "expected"), ACTIONS)
def test_each_action_changes_the_device_and_notifies(
    action: str, expected: list[tuple[str, str]]
) -> None:
    result = run_yaml(ADAPTERS + MONITOR + f"timeline:\n  - {action}\n")
    assert callbacks(result) == expected
    assert skips(result) == []
    assert rules(result) == []


def test_the_actions_set_the_rows() -> None:
    timeline = """
timeline:
  - {at: 1ms, nic.arrive: usb}
  - {at: 2ms, nic.mtu: {adapter: usb, mtu: 1280, family: AF_INET6}}
  - {at: 3ms, nic.metric: {adapter: usb, metric: 9}}
  - {at: 4ms, nic.link: {adapter: usb, connected: false}}
  - {at: 5ms, nic.leave: eth0}
"""
    result = run_yaml(ADAPTERS + MONITOR + timeline)
    nics = netio_of(result.k).nics
    usb = nics.adapters["usb"]
    four, six = usb.interfaces[AF_INET].row, usb.interfaces[AF_INET6].row
    assert (four["NlMtu"], six["NlMtu"]) == (1500, 1280)
    assert (four["Metric"], six["Metric"]) == (9, 9)
    assert (four["Connected"], six["Connected"]) == (0, 0)
    assert usb.present and not nics.adapters["eth0"].present
    assert len(callbacks(result)) == 2 + 1 + 2 + 2 + 2


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        ("nic.arrive: eth0", "eth0 is already present"),
        ("nic.leave: usb", "usb is not present"),
        ("nic.link: {adapter: usb, connected: false}", "usb is not present"),
        ("nic.mtu: {adapter: wifi, mtu: 9000, family: AF_INET6}", "wifi has no AF_INET6 interface"),
        (
            "nic.metric: {adapter: wifi, metric: 1, family: AF_INET6}",
            "wifi has no AF_INET6 interface",
        ),
    ],
)
def test_an_action_that_does_not_apply_is_a_world_skip_with_its_reason(
    action: str, reason: str
) -> None:
    result = run_yaml(ADAPTERS + MONITOR + f"timeline:\n  - {{at: 1ms, {action}}}\n")
    assert skips(result) == [reason]
    assert callbacks(result) == []


def test_a_change_to_the_same_value_is_recorded_and_notifies_nothing() -> None:
    result = run_yaml(
        ADAPTERS + MONITOR + "timeline:\n  - {at: 1ms, nic.mtu: {adapter: wifi, mtu: 1400}}\n"
    )
    changes = [e.payload for e in result.k.trace.view() if e.kind == "nic.change"]
    assert [(c["what"], c["changed"]) for c in changes] == [("NlMtu", False)]
    assert callbacks(result) == [] and skips(result) == []


# -- fail_registration -------------------------------------------------------------------------

FAILING = """
devices:
  nic:
    adapters:
      eth0: {}
shared:
  handle: HANDLE
handlers:
  on_change:
    params: [CallerContext, Row, NotificationType]
    steps:
      - note: called
threads:
  main:
    steps:
      - Sleep: {dwMilliseconds: 2ms}
      - NotifyIpInterfaceChange:
          Family: AF_INET
          Callback: $on_change
          CallerContext: null
          InitialNotification: TRUE
          NotificationHandle: $handle
        expect: %s
      - assert: {that: $handle.value, equals: 0}
      - NotifyIpInterfaceChange:
          Family: AF_INET
          Callback: $on_change
          CallerContext: null
          InitialNotification: TRUE
          NotificationHandle: $handle
        expect: NO_ERROR
      - CancelMibChangeNotify2: {NotificationHandle: $handle.value}
        expect: NO_ERROR
"""


@pytest.mark.parametrize(
    ("fault", "code"),
    [("no_memory", "ERROR_NOT_ENOUGH_MEMORY"), ("invalid_handle", "ERROR_INVALID_HANDLE")],
)
def test_fail_registration_fails_the_next_registration(fault: str, code: str) -> None:
    result = run_yaml(
        FAILING % code + f"timeline:\n  - {{at: 1ms, nic.fail_registration: {fault}}}\n"
    )
    assert rules(result) == []
    assert len(callbacks(result)) == 1  # the second registration's initial notification


def test_fail_registration_as_a_fault_fires_with_its_probability() -> None:
    faults = "faults:\n  - {at: 1ms, nic.fail_registration: no_memory, probability: 0.5}\n"
    body = (FAILING % "ERROR_NOT_ENOUGH_MEMORY") + faults
    outcomes = set()
    for seed in range(12):
        result = run_yaml(body, seed=seed)
        kinds = [e.kind for e in result.k.trace.view()]
        fired = "world.no_fault" not in kinds
        outcomes.add(fired)
        assert (rules(result) == []) is fired  # the expect: of a fired fault holds
    assert outcomes == {True, False}


# -- burst -------------------------------------------------------------------------------------

BURST = ADAPTERS + MONITOR + "timeline:\n  - {at: 1ms, nic.burst: {changes: 6}}\n"


def burst_digest(seed: int) -> str:
    return run_yaml(BURST, seed=seed).k.trace.to_jsonl()


def test_a_burst_draws_each_change_through_the_chooser() -> None:
    result = run_yaml(BURST, seed=4)
    labels = [str(e.payload["label"]) for e in result.k.trace.view() if e.kind == "choice"]
    drawn = [label for label in labels if label.startswith("nic-burst:")]
    assert drawn.count("nic-burst:adapter") == 6
    assert drawn.count("nic-burst:change") == 6
    changes = [e for e in result.k.trace.view() if e.kind == "nic.change"]
    assert len(changes) + len(skips(result)) >= 1
    assert all(c.time == 10_000 for c in changes)  # all at one instant


def test_the_same_seed_gives_the_same_burst_and_other_seeds_other_bursts() -> None:
    assert burst_digest(3) == burst_digest(3)
    assert len({burst_digest(seed) for seed in range(6)}) > 1


def test_a_burst_is_byte_identical_in_fresh_processes_under_any_hash_seed() -> None:
    code = (
        "import sys; from tests.scenario.helpers import run_yaml; "
        f"sys.stdout.write(run_yaml({BURST!r}, seed=5).k.trace.to_jsonl())"
    )
    outputs = []
    for hash_seed in ("0", "4242"):
        env = {"PYTHONHASHSEED": hash_seed, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == burst_digest(5)


def test_the_canonical_burst_takes_option_0_everywhere() -> None:
    # Option 0 of each draw: the first adapter, a link flap: eth0's link toggles six times.
    result = run_yaml(BURST)
    changes = [e.payload for e in result.k.trace.view() if e.kind == "nic.change"]
    assert [(c["adapter"], c["what"]) for c in changes] == [("eth0", "Connected")] * 6
    assert [c["value"] for c in changes] == [0, 1, 0, 1, 0, 1]
    assert len(callbacks(result)) == 12


def test_a_burst_that_only_finds_absent_adapters_is_a_skip() -> None:
    only_absent = """
devices:
  nic:
    adapters:
      usb: {present: false}
"""
    # Option 0 everywhere: a link change of usb, which is absent, every time.
    result = run_yaml(only_absent + MONITOR + "timeline:\n  - {at: 1ms, nic.burst: {changes: 2}}\n")
    assert skips(result) == ["2 of 2 changes did not apply: usb is not present; usb is not present"]


# -- bad files ---------------------------------------------------------------------------------


def load_error(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_text(scenario_text(text), "t.yaml")
    message = str(caught.value)
    assert "\n" not in message
    return message.split(" [in ", maxsplit=1)[0]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (
            "nic.arrive: usbb",
            "t.yaml:32:27: no adapter named 'usbb' (did you mean 'usb'?) in "
            "devices.nic.adapters (adapters: eth0, wifi, usb)",
        ),
        (
            "nic.link: {adapter: eht0, connected: true}",
            "t.yaml:32:35: no adapter named 'eht0' (did you mean 'eth0'?) in "
            "devices.nic.adapters (adapters: eth0, wifi, usb)",
        ),
        (
            "nic.mtu: {adapter: nothing, mtu: 1500}",
            "t.yaml:32:34: no adapter named 'nothing' in devices.nic.adapters "
            "(adapters: eth0, wifi, usb)",
        ),
        (
            "nic.mtu: {adapter: eth0, mtu: 67}",
            "t.yaml:32:45: 67 is out of range: expected the NlMtu, 68 to 65535",
        ),
        (
            "nic.mtu: {adapter: eth0, mtu: 65536}",
            "t.yaml:32:45: 65536 is out of range: expected the NlMtu, 68 to 65535",
        ),
        (
            "nic.metric: {adapter: eth0, metric: 10000}",
            "t.yaml:32:51: 10000 is out of range: expected the Metric, 0 to 9999",
        ),
        (
            "nic.metric: {adapter: eth0, metric: 1, family: AF_INET7}",
            "t.yaml:32:62: 'AF_INET7' is not an address family (did you mean 'AF_INET'?) "
            "(choices: AF_INET, AF_INET6)",
        ),
        (
            "nic.burst: {changes: 0}",
            "t.yaml:32:36: 0 is out of range: expected how many changes, 1 to 1000",
        ),
        (
            "nic.fail_registration: out_of_luck",
            "t.yaml:32:38: 'out_of_luck' is not the failure (choices: no_memory, invalid_handle)",
        ),
    ],
)
def test_bad_actions_are_one_line_errors(action: str, message: str) -> None:
    got = load_error(ADAPTERS + MONITOR + f"timeline:\n  - {{at: 1ms, {action}}}\n")
    assert got == message


@pytest.mark.parametrize(
    ("adapters", "message"),
    [
        ("a: {index: 20}\n      b: {index: 20}", "t.yaml:7:18: InterfaceIndex 20 is already a's"),
        ("a: {families: [AF_INET, AF_INET]}", "t.yaml:6:21: an adapter has each family once"),
        (
            "a: {families: [AF_IPX]}",
            "t.yaml:6:22: 'AF_IPX' is not an address family (choices: AF_INET, AF_INET6)",
        ),
        ("a: {families: []}", "t.yaml:6:21: expected at least 1 item(s), found 0"),
        ("a: {mtu: 10}", "t.yaml:6:16: 10 is out of range: expected the NlMtu, 68 to 65535"),
        (
            "a: {index: 1}",
            "t.yaml:6:18: 1 is out of range: expected the InterfaceIndex, 2 to 65535",
        ),
        (
            "a: {speed: 100}",
            "t.yaml:6:11: unknown key 'speed'; expected one of: families, present, connected, "
            "mtu, metric, index",
        ),
        ("a-b: {}", "t.yaml:6:7: 'a-b' is not an adapter name (letters, digits, _)"),
    ],
)
def test_bad_adapters_are_one_line_errors(adapters: str, message: str) -> None:
    text = f"devices:\n  nic:\n    adapters:\n      {adapters}\n" + MONITOR
    assert load_error(text) == message


def test_a_burst_without_adapters_fails_at_load() -> None:
    got = load_error(MONITOR + "timeline:\n  - {at: 1ms, nic.burst: {changes: 3}}\n")
    assert got == "t.yaml:25:26: nic.burst needs at least one adapter in devices.nic.adapters"


def test_an_action_without_any_adapter_names_none() -> None:
    got = load_error(MONITOR + "timeline:\n  - {at: 1ms, nic.leave: eth0}\n")
    assert got == "t.yaml:25:26: no adapter named 'eth0' in devices.nic.adapters (adapters: none)"
