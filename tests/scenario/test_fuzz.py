"""Fuzzing the scenario layer: whatever a file holds, loading it fails with one positioned line
or gives a Scenario, and running a Scenario raises only emu's own exceptions and replays
byte for byte.

The properties (docs/scenarios.md, "Errors"; emu.errors):

- loading raises only ``ScenarioError``, whose text is one line ``file:line:column: message``
  with line and column from 1;
- running what loaded raises only ``EmuError`` subclasses (never a bare TypeError, KeyError...);
- the same scenario and seed give the same trace, run after run and load after load.

Inputs: random bytes and YAML-ish text; the documentation's examples and the shipped scenarios
with a few characters mutated; and documents built from the format's real pieces (sections,
step keywords, Win32 and ntoskrnl functions with their parameter names, constants,
``$references``, durations, conditions, timeline actions), with a wrong value here and there.
Runs are bounded: loops count at most 3, ``run_until`` is mostly about 50ms, and the kernel's
step limit is lowered so that a livelock ends quickly.

Inputs reach every corner the review found: numbers with stray underscores or leading zeros,
runs whose clock lands exactly on ``run_until``, handlers compared in conditions, threads
named like the world's actors.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import yaml
from hypothesis import event, given, settings

from emu.errors import EmuError, ScenarioError
from emu.properties.expectation import assess, check_refs
from emu.scenario import Scenario, load_bytes
from emu.scenario.conditions import OPERATORS
from emu.scenario.devices import DEVICE_KINDS
from emu.scenario.programs import surfaces
from emu.scenario.steps import optional_param, param_name
from emu.scenario.structs import STRUCT_TYPES
from emu.scenario.values import constants
from emu.sim import Simulation
from emu.win32 import API_SPECS

ROOT = Path(__file__).resolve().parents[2]
FILE = "f.yaml"
RUN_UNTIL = "50ms"
"""A multiple of the delays used here, so runs often stand exactly at it with timers pending."""
STEP_LIMIT = 2_000
"""API calls at one instant before the run ends with ``step limit`` (100,000 by default)."""

_ERROR_LINE = re.compile(r"(?P<file>.+?):(?P<line>[0-9]+):(?P<column>[0-9]+): (?P<message>.+)\Z")


def check_error(error: ScenarioError, file: str) -> None:
    """The error is one line, ``file:line:column: message``, positioned from 1."""
    text = str(error)
    assert text == error.one_line()
    assert len(text.splitlines()) == 1, text
    match = _ERROR_LINE.match(text)
    assert match is not None, text
    assert match["file"] == file, text
    assert int(match["line"]) >= 1 and int(match["column"]) >= 1, text
    assert match["message"].strip(), text


def load_or_error(data: bytes, file: str = FILE) -> Scenario | None:
    """The Scenario, or None after checking the one-line error; anything else propagates."""
    try:
        return load_bytes(data, file)
    except ScenarioError as error:
        check_error(error, file)
        event("load: ScenarioError")
        return None


def run_once(scenario: Scenario, seed: int) -> tuple[str, str]:
    """Run ``scenario`` (as ``run_scenario`` does, with a lower step limit) and read its Result.

    Returns how the run ended (the end reason, or the EmuError raised) and the trace. Any
    other exception propagates and fails the test.
    """
    sim: Simulation | None = None
    try:
        sim = Simulation(scenario, seed=seed)
        sim.k.step_limit = STEP_LIMIT
        result = sim.run()
        check_refs(scenario)
        assess(result)
        result.thread_lines()
        result.summary()
        result.final_state()
        for lost in result.lost_wakeups:
            lost.text()
        outcome = result.end_reason
    except EmuError as error:
        outcome = type(error).__name__
    trace = sim.k.trace.to_jsonl() if sim is not None else ""
    event(f"run: {outcome}")
    return outcome, trace


def check_runs(scenario: Scenario, data: bytes, file: str, seed: int) -> None:
    """Only EmuError escapes, and two runs (and a fresh load) give the same trace."""
    first = run_once(scenario, seed)
    assert run_once(scenario, seed) == first
    again = load_bytes(data, file)
    assert run_once(again, seed) == first


# -- random bytes and text ---------------------------------------------------------------------

YAMLISH = st.lists(
    st.sampled_from(
        [
            *"abcxyzABCXYZ0123456789",
            *" \n\t:-,[]{}&*!|>'\"#%@`?$.\\~",
            *("version: 1\n", "name: n\n", "threads:\n", "  main:\n", "    steps:\n", "      - "),
            *("SetEvent", "{hEvent: $e}", "ms", "\u00e9", "\u2028", "\x85", "\x07", "\ufeff"),
        ]
    ),
    max_size=60,
).map("".join)


@given(st.binary(max_size=400))
def test_random_bytes_load_or_fail_with_one_positioned_line(data: bytes) -> None:
    scenario = load_or_error(data)
    if scenario is not None:
        check_runs(scenario, data, FILE, 0)


@given(YAMLISH)
def test_yaml_like_text_loads_or_fails_with_one_positioned_line(text: str) -> None:
    data = text.encode("utf-8")
    scenario = load_or_error(data)
    if scenario is not None:
        check_runs(scenario, data, FILE, 0)


@given(st.lists(st.sampled_from(["a", "[", "{", "- ", "&x ", "*x", "? "]), max_size=60))
def test_nesting_within_the_composer_is_refused_by_depth_not_by_a_crash(parts: list[str]) -> None:
    # Depths up to 60 here; far deeper flow nesting (about 500 levels) exhausts the Python
    # stack inside PyYAML's composer before the 64-level limit is checked.
    data = ("name: " + "".join(parts) + "\n").encode()
    load_or_error(data)


# -- mutated real scenarios --------------------------------------------------------------------

DOC = ROOT / "docs" / "scenarios.md"
SEEDS: list[tuple[str, str]] = [
    (str(DOC), "\n" * (DOC.read_text(encoding="utf-8")[: m.start()].count("\n") + 1) + m.group(1))
    for m in re.finditer(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
] + [
    (str(path), path.read_text(encoding="utf-8"))
    for path in sorted(ROOT.glob("scenarios/**/*.yaml"))
]

REPLACEMENTS = st.sampled_from(
    [
        " ",
        "",
        "\n",
        "  ",
        ":",
        "-",
        "[",
        "]",
        "{",
        "}",
        ",",
        "$",
        "|",
        "'",
        '"',
        "#",
        "&a",
        "*a",
        "x",
        "0",
        "1",
        "9",
        "ms",
        "null",
        "true",
        "INFINITE",
        "$ev",
        "{}",
        "[]",
        "!!str ",
        "\t",
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str]:
    file, text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(text)))
        end = min(len(text), start + draw(st.integers(0, 8)))
        text = text[:start] + draw(REPLACEMENTS) + text[end:]
    return file, text


MORE = settings(max_examples=4 * settings().max_examples)
"""The two tests that run scenarios are the most telling: four times the profile's examples."""


@MORE
@given(mutated(), st.integers(0, 3))
def test_mutated_examples_load_or_fail_and_runs_raise_only_emu_errors(
    case: tuple[str, str], seed: int
) -> None:
    file, text = case
    data = text.encode("utf-8")
    scenario = load_or_error(data, file)
    if scenario is not None and not isinstance(scenario.run_until, int):
        # Bounded in time: the same file with a run_until.
        text = re.sub(r"^run_until:.*$", "", text, flags=re.M) + f"\nrun_until: {RUN_UNTIL}\n"
        data = text.encode("utf-8")
        scenario = load_or_error(data, file)
    if scenario is not None:
        check_runs(scenario, data, file, seed)


# -- documents built from the format's pieces --------------------------------------------------

USER, KERNEL = (tuple(sorted(surface)) for surface in surfaces())
CONSTANTS = tuple(sorted(constants()))
STRUCTS = tuple(sorted(STRUCT_TYPES))
ACTIONS = tuple(sorted(f"{k.name}.{a}" for k in DEVICE_KINDS.values() for a in k.actions))
OPERATOR_NAMES = tuple(sorted(OPERATORS))
DURATIONS = ("0ms", "500ns", "150us", "1ms", "1.5ms", "2ms", "5ms", "10ms", "30ms")
BAD_DURATIONS = ("50ns", "-1ms", "10", "10mins", "ms", 5, None, "1e3ms", "2**62s")

SHARED = {
    "n": "LONG",
    "d": "DWORD",
    "p": "PVOID",
    "ov": {"type": "OVERLAPPED", "Offset": 0},
    "cs": "CRITICAL_SECTION",
    "lock": "SRWLOCK",
    "arr": {"type": "OVERLAPPED_ENTRY", "count": 2},
    "buf": {"type": "buffer", "size": 8},
    "text": {"type": "buffer", "data": "hello"},
}
DRIVER_GLOBALS = {
    "kn": "LONG",
    "ke": "KEVENT",
    "dpc": "KDPC",
    "sl": "KSPIN_LOCK",
    "irql": "KIRQL",
    "li": "LARGE_INTEGER",
    "wi": "WORK_QUEUE_ITEM",
}
DEVICES = {
    "kernel": {
        "events": {"ev": {}, "mev": {"manual_reset": True, "initial": True, "name": "shared"}},
        "ports": {"port": {"concurrency": 1}},
    }
}
BOUND = ("x", "t", "me", "i")
PRELUDE = {"set": dict.fromkeys(BOUND, 0)}  # every program binds these first
USER_ROUTINES = ("h", "h2")
KERNEL_ROUTINES = ("r",)
# Routines are names like any other: a value may be a handler (printed by name, never by address).
USER_NAMES = (*SHARED, "ev", "mev", "port", *BOUND, *USER_ROUTINES)
KERNEL_NAMES = (*DRIVER_GLOBALS, "DriverObject", "RegistryPath", *BOUND, *KERNEL_ROUTINES)
ROUTINE_PARAMS = frozenset(
    (
        "pfnAPC",
        "lpStartAddress",
        "lpCompletionRoutine",
        "DeferredRoutine",
        "Routine",
        "WorkerRoutine",
    )
)
FIELDS = {
    "n": ("value",),
    "d": ("value",),
    "p": ("value",),
    "ov": ("Offset", "hEvent", "Internal"),
    "kn": ("value",),
    "irql": ("value",),
    "li": ("QuadPart",),
}
ENTRY_FIELDS = STRUCT_TYPES["OVERLAPPED_ENTRY"]._fields_
# "world" and "fault1" are also the names of the world's actors: a thread may take them.
THREADS = ("main", "w", "world", "fault1")

junk_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=6),
    st.sampled_from(
        [
            "~",
            "$",
            "$$",
            "|",
            "NULL",
            "yes",
            "ERROR_",
            "a.b",
            "[1]",
            "$x[",
            "1 |",
            "$ev.",
            "$arr[99].Internal",
            "$nope",
            "0o9",
            "A | B",
            "1.5ms",
        ]
    ),
)
junk: st.SearchStrategy[Any] = st.recursive(
    junk_scalar,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(alphabet=st.characters(blacklist_characters="_"), max_size=5), inner, max_size=3
        )
    ),
    max_leaves=5,
)


def sometimes_wrong(
    valid: st.SearchStrategy[Any], wrong: st.SearchStrategy[Any], odds: int = 25
) -> st.SearchStrategy[Any]:
    """``valid``, or ``wrong`` about once in ``odds`` draws (ten times rarer in the documents
    drawn as mostly valid, so that many load and run)."""
    scale = st.shared(st.sampled_from((1, 10)), key="rarity")
    return scale.flatmap(lambda k: st.integers(0, odds * k)).flatmap(
        lambda r: wrong if r == 7 else valid
    )


@cache
def references(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    plain = st.sampled_from(names).map(lambda n: f"${n}")
    fields = st.sampled_from([f"${n}.{f}" for n, fs in FIELDS.items() if n in names for f in fs])
    choices = [plain, plain, fields]
    if "arr" in names:
        choices.append(
            st.tuples(st.integers(0, 1), st.sampled_from(ENTRY_FIELDS)).map(
                lambda p: f"$arr[{p[0]}].{p[1]}"
            )
        )
    wrong = st.sampled_from(
        [
            "$nope",
            "$ov.nope",
            "$arr.Internal",
            "$n[0]",
            "$ev.value",
            "$x.value",
            "$arr[7].Internal",
            "$buf.x",
            "$text[99]",
        ]
    )
    return sometimes_wrong(st.one_of(*choices), wrong, 30)


@cache
def values(names: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """Argument and operand values, handlers among them."""
    flags = st.tuples(st.sampled_from(CONSTANTS), st.sampled_from([*CONSTANTS, "1", "0x3"])).map(
        lambda p: f"{p[0]} | {p[1]}"
    )
    valid = st.one_of(
        st.integers(0, 5),
        st.integers(-2, 300),
        st.sampled_from(CONSTANTS),
        references(names),
        references(names),
        references(names),
        sometimes_wrong(
            st.integers(0, 1), st.sampled_from(["hello", "\\\\.\\pipe\\p", "shared", ""]), 4
        ),
        flags,
        st.booleans(),
        st.none(),
        st.lists(st.sampled_from(CONSTANTS), max_size=2),
        st.sampled_from(STRUCTS).map(lambda t: {"new": t}),
        st.sampled_from(
            [
                {"new": "buffer", "size": 4},
                {"new": "OVERLAPPED", "Offset": 3},
                {"new": "OVERLAPPED_ENTRY", "count": 2},
                {"new": "buffer", "data": "hi"},
            ]
        ),
    )
    wrong = st.one_of(
        junk,
        st.integers(2**31, 2**70),
        st.sampled_from(DURATIONS),
        st.sampled_from(BAD_DURATIONS),
        st.sampled_from(["TRUE", "hello"]).map(lambda t: f"'{t}'"),
    )
    return sometimes_wrong(valid, wrong)


def _hints() -> dict[str, st.SearchStrategy[Any]]:
    """Values that make sense for a parameter, so that calls do something."""
    handles = st.sampled_from(["$ev", "$mev", "$port", "$t", "$x", -2, 0])
    small = st.integers(0, 3)
    boolean = st.sampled_from([True, False, 1, 0])
    ms = st.sampled_from([0, 1, 5, "2ms", "10ms", "1.5ms", "INFINITE", 0xFFFFFFFF, *BAD_DURATIONS])
    hints: dict[str, st.SearchStrategy[Any]] = {
        **dict.fromkeys(
            ("hEvent", "hHandle", "hObject", "hThread", "hFile", "hNamedPipe", "CompletionPort"),
            handles,
        ),
        **dict.fromkeys(("FileHandle", "ExistingCompletionPort", "hTemplateFile"), handles),
        **dict.fromkeys(("Addend", "Target", "Destination"), st.just("$n")),
        **dict.fromkeys(("Value", "ExChange", "Comperand", "dwData", "nCount"), small),
        **dict.fromkeys(("bManualReset", "bInitialState", "bAlertable", "bWaitAll"), boolean),
        **dict.fromkeys(("bInheritHandle", "bWait", "fAlertable", "Alertable", "Wait"), boolean),
        "dwMilliseconds": ms,
        **dict.fromkeys(("dwStackSize", "dwCreationFlags", "dwShareMode", "dwSpinCount"), small),
        "lpCriticalSection": st.just("$cs"),
        "SRWLock": st.just("$lock"),
        "lpOverlapped": st.sampled_from(["$ov", {"new": "OVERLAPPED"}, None]),
        "lpNumberOfBytesTransferred": st.just("$d"),
        "lpCompletionKey": st.just("$p"),
        "lpExitCode": st.just("$d"),
        "lpThreadId": st.just("$d"),
        "lpBuffer": st.sampled_from(["$buf", "$text", "data"]),
        "lpName": st.sampled_from(["shared", "other", None]),
        "lpFileName": st.sampled_from(["\\\\.\\pipe\\p", "\\\\.\\pipe\\q"]),
        "lpHandles": st.lists(handles, min_size=1, max_size=3),
        "lpCompletionPortEntries": st.just("$arr"),
        "ulCount": st.integers(1, 2),
        "dwDesiredAccess": st.sampled_from(["GENERIC_READ | GENERIC_WRITE", "EVENT_ALL_ACCESS", 0]),
        "dwCreationDisposition": st.sampled_from(["OPEN_EXISTING", "CREATE_NEW"]),
        "dwOpenMode": st.sampled_from(["PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED", 3]),
        "dwPipeMode": small,
        "nMaxInstances": st.integers(1, 2),
        "dwThreadId": st.sampled_from(["$me", 1, 2]),
        "Event": st.just("$ke"),
        "Object": st.just("$ke"),
        "Type": st.sampled_from(["NotificationEvent", "SynchronizationEvent"]),
        "State": boolean,
        "Increment": small,
        "WaitReason": small,
        "WaitMode": st.sampled_from(["KernelMode", 0]),
        "Timeout": st.sampled_from([None, "$li"]),
        "Dpc": st.just("$dpc"),
        "SpinLock": st.just("$sl"),
        "OldIrql": st.just("$irql"),
        "NewIrql": st.sampled_from(["DISPATCH_LEVEL", "PASSIVE_LEVEL", "$irql.value", 1]),
        "Item": st.just("$wi"),
        "WorkItem": st.just("$wi"),
        "IoWorkItem": st.sampled_from(["$x", "$t"]),
        "QueueType": st.sampled_from(["DelayedWorkQueue", "CriticalWorkQueue"]),
        "Number": small,
    }
    return hints


HINTS = _hints()


@cache
def argument(param: str, names: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """A value for ``param``: mostly one that makes sense for it, sometimes any value."""
    hint = HINTS.get(param)
    if hint is None:
        return values(names)
    return st.integers(0, 3).flatmap(lambda r: values(names) if r == 1 else hint)


@cache
def conditions(names: tuple[str, ...]) -> st.SearchStrategy[Any]:
    value = values(names)
    valid = st.tuples(
        value, st.sampled_from(OPERATOR_NAMES), value, st.lists(value, min_size=1, max_size=3)
    ).map(lambda p: {"that": p[0], p[1]: p[3] if p[1] in ("in", "not_in") else p[2]})
    wrong = st.one_of(
        junk,
        st.tuples(value, st.sampled_from([*OPERATOR_NAMES, "equal"]), value, value).map(
            lambda p: {"that": p[0], p[1]: p[2], "equals": p[3]}
        ),
        value.map(lambda v: {"equals": v}),
    )
    return sometimes_wrong(valid, wrong, 15)


@cache
def calls(
    surface: tuple[str, ...], names: tuple[str, ...], routines: tuple[str, ...]
) -> st.SearchStrategy[Any]:
    value = values(names)
    routine = sometimes_wrong(st.sampled_from(routines).map(lambda n: f"${n}"), value, 4)
    misnamed = st.sampled_from(["SetEvnt", "Foo", "note", *sorted(API_SPECS)])

    @st.composite
    def call(draw: st.DrawFn) -> Any:
        name = draw(sometimes_wrong(st.sampled_from(surface), misnamed))
        spec = API_SPECS.get(name)
        args: dict[str, Any] = {}
        if spec is not None:
            for p in spec.params:
                if optional_param(p) and draw(st.booleans()):
                    continue
                if draw(sometimes_wrong(st.just(False), st.just(True), 40)):
                    continue  # a missing argument
                display = param_name(p)
                args[display] = draw(
                    routine if display in ROUTINE_PARAMS else argument(display, names)
                )
        if draw(sometimes_wrong(st.just(False), st.just(True), 40)):
            args["bogus"] = 1
        if not args and draw(st.integers(0, 3)) == 1:
            return name  # a call written alone
        step: dict[str, Any] = {name: args or None}
        if draw(st.integers(0, 2)) == 1:
            step["as"] = draw(sometimes_wrong(st.sampled_from(BOUND), junk_scalar))
        if draw(st.integers(0, 2)) == 1 and (spec is None or spec.returns != "VOID"):
            codes = (
                st.sampled_from(CONSTANTS)
                | st.integers(0, 300)
                | st.lists(st.sampled_from(CONSTANTS), min_size=1, max_size=2)
            )
            step["expect"] = draw(sometimes_wrong(codes, junk))
        return step

    return call()


USER_RECIPES: tuple[list[dict[str, Any]], ...] = (
    [
        {"CreateEventW": {"bManualReset": False, "bInitialState": False}, "as": "t"},
        {"SetEvent": {"hEvent": "$t"}, "expect": "TRUE"},
        {"WaitForSingleObject": {"hHandle": "$t", "dwMilliseconds": 0}, "expect": "WAIT_OBJECT_0"},
    ],
    [
        {
            "CreateThread": {"dwStackSize": 0, "lpStartAddress": "$h2", "dwCreationFlags": 0},
            "as": "t",
        },
        {"WaitForSingleObject": {"hHandle": "$t", "dwMilliseconds": "10ms"}},
        {"GetExitCodeThread": {"hThread": "$t", "lpExitCode": "$d"}},
    ],
    [
        {"GetCurrentThreadId": None, "as": "me"},
        {
            "OpenThread": {
                "dwDesiredAccess": "THREAD_SET_CONTEXT",
                "bInheritHandle": 0,
                "dwThreadId": "$me",
            },
            "as": "t",
        },
        {"QueueUserAPC": {"pfnAPC": "$h", "hThread": "$t", "dwData": 1}, "expect": "TRUE"},
        {"SleepEx": {"dwMilliseconds": 5, "bAlertable": True}, "expect": "WAIT_IO_COMPLETION"},
    ],
    [
        {
            "PostQueuedCompletionStatus": {
                "CompletionPort": "$port",
                "dwNumberOfBytesTransferred": 1,
                "dwCompletionKey": 2,
            }
        },
        {
            "GetQueuedCompletionStatus": {
                "CompletionPort": "$port",
                "lpNumberOfBytesTransferred": "$d",
                "lpCompletionKey": "$p",
                "lpOverlapped": "$p",
                "dwMilliseconds": 5,
            }
        },
        {"assert": {"that": "$p.value", "in": [0, 2]}},
    ],
    [
        {"InitializeCriticalSection": {"lpCriticalSection": "$cs"}},
        {"EnterCriticalSection": {"lpCriticalSection": "$cs"}},
        {"increment": "$n"},
        {"LeaveCriticalSection": {"lpCriticalSection": "$cs"}},
    ],
    [
        {"AcquireSRWLockShared": {"SRWLock": "$lock"}},
        {"InterlockedIncrement": {"Addend": "$n"}, "as": "x"},
        {"ReleaseSRWLockShared": {"SRWLock": "$lock"}},
    ],
    [
        {
            "WaitForMultipleObjects": {
                "nCount": 2,
                "lpHandles": ["$ev", "$mev"],
                "bWaitAll": False,
                "dwMilliseconds": "5ms",
            },
            "as": "x",
        },
        {
            "if": {"that": "$x", "equals": "WAIT_TIMEOUT"},
            "then": [{"SetEvent": {"hEvent": "$ev"}}],
            "else": [{"note": "woken"}],
        },
    ],
    [
        {
            "CreateNamedPipeW": {
                "lpName": "\\\\.\\pipe\\p",
                "dwOpenMode": "PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED",
                "dwPipeMode": 0,
                "nMaxInstances": 1,
                "nOutBufferSize": 64,
                "nInBufferSize": 64,
                "nDefaultTimeOut": 0,
            },
            "as": "t",
        },
        {
            "ConnectNamedPipe": {"hNamedPipe": "$t", "lpOverlapped": "$ov"},
            "expect": ["ERROR_IO_PENDING", "ERROR_PIPE_CONNECTED", "ERROR_SUCCESS"],
        },
        {
            "CreateFileW": {
                "lpFileName": "\\\\.\\pipe\\p",
                "dwDesiredAccess": "GENERIC_READ | GENERIC_WRITE",
                "dwShareMode": 0,
                "dwCreationDisposition": "OPEN_EXISTING",
                "dwFlagsAndAttributes": 0,
                "hTemplateFile": None,
            },
            "as": "x",
        },
        {
            "WriteFile": {
                "hFile": "$x",
                "lpBuffer": "$text",
                "nNumberOfBytesToWrite": 5,
                "lpNumberOfBytesWritten": "$d",
            }
        },
        {
            "ReadFile": {
                "hFile": "$t",
                "lpBuffer": "$buf",
                "nNumberOfBytesToRead": 8,
                "lpOverlapped": {"new": "OVERLAPPED"},
            }
        },
        {"CancelIoEx": {"hFile": "$t"}},
        {"CloseHandle": {"hObject": "$x"}},
    ],
    [
        {
            "until": "WAIT_OBJECT_0",
            "max": 3,
            "steps": [{"WaitForSingleObject": {"hHandle": "$ev", "dwMilliseconds": "2ms"}}],
        },
        {"ResetEvent": {"hEvent": "$mev"}},
    ],
)
KERNEL_RECIPES: tuple[list[dict[str, Any]], ...] = (
    [
        {"KeInitializeEvent": {"Event": "$ke", "Type": "NotificationEvent", "State": False}},
        {"KeInitializeDpc": {"Dpc": "$dpc", "DeferredRoutine": "$r", "DeferredContext": None}},
        {"KeInsertQueueDpc": {"Dpc": "$dpc", "SystemArgument1": None, "SystemArgument2": None}},
        {
            "KeWaitForSingleObject": {
                "Object": "$ke",
                "WaitReason": 0,
                "WaitMode": "KernelMode",
                "Alertable": False,
                "Timeout": None,
            }
        },
    ],
    [
        {"KeInitializeSpinLock": {"SpinLock": "$sl"}},
        {"KeAcquireSpinLock": {"SpinLock": "$sl", "OldIrql": "$irql"}},
        {"increment": "$kn"},
        {"KeReleaseSpinLock": {"SpinLock": "$sl", "NewIrql": "$irql.value"}},
    ],
    [
        {"ExInitializeWorkItem": {"Item": "$wi", "Routine": "$r", "Parameter": None}},
        {"ExQueueWorkItem": {"WorkItem": "$wi", "QueueType": "DelayedWorkQueue"}},
        {"KeSetEvent": {"Event": "$ke", "Increment": 0, "Wait": False}},
    ],
)


@cache
def steps(
    surface: tuple[str, ...], names: tuple[str, ...], routines: tuple[str, ...], depth: int
) -> st.SearchStrategy[list[Any]]:
    value = values(names)
    condition = conditions(names)
    call = calls(surface, names, routines)
    targets = [*BOUND, *(f"{n}.{f}" for n, fs in FIELDS.items() if n in names for f in fs)]
    if "arr" in names:
        targets.append("arr[1].Internal")
    counters = st.sampled_from(
        [f"${n}" for n in ("n", "d", "kn") if n in names]
        + [f"${n}.{f}" for n, fs in FIELDS.items() if n in names for f in fs if f != "hEvent"]
    )
    wrong_targets = st.sampled_from(
        ["ov.nope", "$n.value", "x[0]", ".x", "ev.value", "n"]
    ) | st.text(max_size=4)
    leaf = st.one_of(
        call,
        call,
        call,
        call,
        st.builds(
            lambda d: {"work": d},
            sometimes_wrong(
                st.sampled_from(DURATIONS)
                | st.lists(st.sampled_from(DURATIONS), min_size=2, max_size=2).map(
                    lambda pair: sorted(pair, key=DURATIONS.index)
                ),
                junk,
            ),
        ),
        st.builds(
            lambda k, v: {"set": {k: v}},
            sometimes_wrong(st.sampled_from(targets), wrong_targets),
            value,
        ),
        st.builds(
            lambda r: {"increment": r}, sometimes_wrong(counters, references(names) | junk_scalar)
        ),
        st.builds(
            lambda r: {"decrement": r}, sometimes_wrong(counters, references(names) | junk_scalar)
        ),
        st.builds(
            lambda c, m: {"assert": c, **({"message": m} if m else {})},
            condition,
            st.none() | st.text(max_size=5),
        ),
        st.builds(lambda v: {"return": v}, value),
        st.builds(lambda v: {"note": v}, sometimes_wrong(st.text(max_size=8), junk_scalar)),
    )
    leaf = sometimes_wrong(leaf, junk, 40)
    recipes = USER_RECIPES if surface == USER else KERNEL_RECIPES
    recipe = st.sampled_from(recipes)
    if depth == 0:
        return st.lists(leaf, max_size=3)
    inner = steps(surface, names, routines, depth - 1)
    count = sometimes_wrong(st.integers(0, 3), junk_scalar)  # bounded: a loop runs at most 3 times
    block = st.one_of(
        leaf,
        leaf,
        leaf,
        leaf,
        st.builds(
            lambda c, b, a: {"repeat": c, "steps": b, **({"as": a} if a else {})},
            count,
            inner,
            st.none() | st.just("i"),
        ),
        st.builds(
            # until CODE needs a call whose code can match: the body starts with one
            lambda c, first, b, m: {"until": c, "steps": [first, *b], "max": m},
            sometimes_wrong(st.sampled_from(CONSTANTS) | condition, junk_scalar),
            call,
            inner,
            sometimes_wrong(st.integers(1, 3), junk_scalar),
        ),
        st.builds(
            lambda c, t, e: {"if": c, "then": t, **({"else": e} if e is not None else {})},
            condition,
            inner,
            st.none() | inner,
        ),
    )
    chunks = st.one_of(block.map(lambda b: [b]), recipe)
    return st.lists(chunks, min_size=1 if depth == 2 else 0, max_size=5 if depth == 2 else 3).map(
        lambda parts: [step for part in parts for step in part]
    )


@cache
def program(kernel: bool, depth: int) -> st.SearchStrategy[list[Any]]:
    if kernel:
        block = steps(KERNEL, KERNEL_NAMES, KERNEL_ROUTINES, depth)
    else:
        block = steps(USER, USER_NAMES, USER_ROUTINES, depth)
    return block.map(lambda body: [PRELUDE, *body])


@cache
def declarations() -> st.SearchStrategy[dict[str, Any]]:
    typed_fields = [(t, f) for t, c in STRUCT_TYPES.items() for f in c._fields_]
    declaration = st.one_of(
        st.sampled_from(STRUCTS),
        st.sampled_from(STRUCTS).map(lambda t: {"type": t}),
        st.tuples(
            st.sampled_from(typed_fields), st.integers(0, 5) | st.sampled_from(CONSTANTS)
        ).map(lambda p: {"type": p[0][0], p[0][1]: p[1]}),
        st.tuples(st.sampled_from(STRUCTS), st.integers(1, 3)).map(
            lambda p: {"type": p[0], "count": p[1]}
        ),
        st.sampled_from([{"type": "buffer", "size": 8}, {"type": "buffer", "data": "hi"}]),
    )
    return st.dictionaries(
        st.sampled_from(["l1", "l2"]), sometimes_wrong(declaration, junk, 10), max_size=2
    )


@cache
def timed(fault: bool, drivers: bool) -> st.SearchStrategy[list[dict[str, Any]]]:
    arguments = {
        "set_event": st.sampled_from(["ev", "mev", "$ev"]),
        "reset_event": st.sampled_from(["ev", "mev"]),
        "close": st.sampled_from(["ev", "mev", "port"]),
        "post": st.fixed_dictionaries(
            {"port": st.just("port")},
            optional={
                "key": st.integers(0, 9),
                "bytes": st.integers(0, 9),
                "status": st.sampled_from(["STATUS_SUCCESS", "STATUS_CANCELLED"]),
            },
        ),
        "queue_apc": st.fixed_dictionaries(
            {"thread": st.sampled_from(THREADS), "handler": st.sampled_from(USER_ROUTINES)},
            optional={"data": st.integers(0, 9)},
        ),
        "unload_driver": st.just("d"),
    }
    actions = [a for a in ACTIONS if drivers or a != "kernel.unload_driver"]

    @st.composite
    def entry(draw: st.DrawFn) -> dict[str, Any]:
        action = draw(sometimes_wrong(st.sampled_from(actions), st.just("kernel.nope")))
        argument = arguments.get(action.split(".")[-1], junk)
        e: dict[str, Any] = {action: draw(sometimes_wrong(argument, junk, 20))}
        if fault and draw(st.booleans()):
            low, high = sorted(draw(st.lists(st.integers(0, 30), min_size=2, max_size=2)))
            e["between"] = [f"{low}ms", f"{high}ms"]
        else:
            e["at"] = draw(sometimes_wrong(st.sampled_from(DURATIONS), junk_scalar))
        if fault and draw(st.booleans()):
            e["probability"] = draw(
                sometimes_wrong(st.sampled_from([0, 0.5, 1, 0.25]), junk_scalar)
            )
        return e

    entries = st.lists(entry(), max_size=3)
    if fault:
        return entries
    return entries.map(  # the timeline is in time order
        lambda es: sorted(
            es, key=lambda e: DURATIONS.index(e["at"]) if e.get("at") in DURATIONS else -1
        )
    )


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {"version": 1, "name": "fuzz"}
    if draw(st.booleans()):
        doc["machine"] = {"processors": draw(sometimes_wrong(st.integers(1, 3), junk_scalar))}
    doc["devices"] = DEVICES
    doc["shared"] = SHARED
    doc["handlers"] = {
        "h": draw(
            st.fixed_dictionaries(
                {"steps": program(False, 1)},
                optional={"params": st.just(["dwData"]), "locals": declarations()},
            )
        ),
        "h2": {"params": ["lpParameter"], "steps": draw(program(False, 1))},
    }
    thread = st.fixed_dictionaries(
        {"steps": program(False, 2)},
        optional={"locals": declarations(), "blocks_forever": st.booleans()},
    )
    names = draw(st.lists(st.sampled_from(THREADS), min_size=1, max_size=2, unique=True))
    doc["threads"] = {name: draw(thread) for name in names}
    drivers = draw(st.integers(0, 3)) == 2
    if drivers:
        routine = {
            "params": ["Dpc", "DeferredContext", "SystemArgument1", "SystemArgument2"],
            "steps": draw(program(True, 1)),
        }
        doc["drivers"] = {
            "d": {
                "locals": DRIVER_GLOBALS,
                "routines": {"r": routine},
                "entry": draw(program(True, 1)),
            }
        }
        if draw(st.booleans()):
            doc["drivers"]["d"]["unload"] = draw(program(True, 0))
    if draw(st.booleans()):
        doc["timeline"] = draw(timed(False, drivers))
    if draw(st.booleans()):
        doc["faults"] = draw(timed(True, drivers))
    doc["run_until"] = draw(
        st.sampled_from([RUN_UNTIL, RUN_UNTIL, RUN_UNTIL, "all_done", "quiescent"])
    )
    if draw(st.integers(0, 4)) == 2:
        doc["expect"] = {
            "end": draw(st.sampled_from(["all_done", "time_limit", "quiescent"])),
            "exit_codes": {draw(st.sampled_from(names)): draw(st.integers(0, 3))},
            "violated": draw(
                st.lists(st.sampled_from(["scenario.assert", "kernel.lock_orphaned"]), max_size=1)
            ),
            "hold": draw(st.sampled_from(["all", ["kernel.lost_wakeup"], []])),
            "sometimes": draw(st.lists(st.sampled_from(["x", "done"]), max_size=1)),
        }
    if draw(st.integers(0, 6)) == 2:
        choice = sometimes_wrong(st.sampled_from([["thread", "main"], ["thread", "w"]]), junk)
        doc["schedule"] = draw(st.lists(st.tuples(st.integers(0, 2), choice).map(list), max_size=3))
    if draw(st.integers(0, 14)) == 7:
        doc[draw(st.sampled_from(sorted(doc)))] = draw(junk)  # a whole section of the wrong type
    return doc


@MORE
@given(documents(), st.integers(0, 3))
def test_built_documents_load_or_fail_and_replay_identically(
    document: dict[str, Any], seed: int
) -> None:
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    data = text.encode("utf-8")
    scenario = load_or_error(data)
    if scenario is not None:
        check_runs(scenario, data, FILE, seed)
