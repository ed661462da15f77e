"""The Api object: every modelled export, no Python exception on bad input, no silent stubs."""

from __future__ import annotations

import inspect
import json
from collections.abc import Generator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import emu.win32.driver  # registers the kernel-mode exports too
from emu.errors import ProgramError, UnsupportedApi
from emu.kernel import Kernel
from emu.win32 import (
    API_SPECS,
    CRITICAL_SECTION,
    DWORD,
    LONG,
    OVERLAPPED,
    OVERLAPPED_ENTRY,
    PVOID,
    SRWLOCK,
    ULONG,
    ULONG_PTR,
    Api,
    Process,
)
from tests.support import run

USER_EXPORTS = sorted(name for name, spec in API_SPECS.items() if spec.dll == "kernel32")
KERNEL_EXPORTS = sorted(name for name, spec in API_SPECS.items() if spec.dll == "ntoskrnl")
EXPORTS = sorted(name for name, spec in API_SPECS.items() if spec.dll != "ntoskrnl")

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 4, 8, 0xFFFFFFFF, -1, -2, 0xFFFFFFFFFFFFFFFE]),
    st.text(max_size=5),
    st.floats(allow_nan=True),
    st.lists(st.integers(min_value=-10, max_value=20), max_size=4),
    st.sampled_from([DWORD, LONG, CRITICAL_SECTION, SRWLOCK, object]).map(lambda cls: cls()),
    st.just(lambda *a: None),
    st.sampled_from([dict, lambda: bytearray(3), lambda: memoryview(bytearray(3))]).map(
        lambda make: make()
    ),
    st.sampled_from([OVERLAPPED, OVERLAPPED_ENTRY, ULONG, ULONG_PTR, PVOID]).map(lambda c: c()),
    st.sampled_from(["x", None, [], 2**70, 0x103, -1]).map(
        lambda v: OVERLAPPED(Internal=v, InternalHigh=v, hEvent=v)
    ),
    st.sampled_from(["x", None, [], 2**70]).map(lambda v: DWORD(value=v)),
)


def test_every_export_is_a_method_with_a_c_prototype_docstring() -> None:
    from emu.win32.driver import KernelApi

    assert USER_EXPORTS and KERNEL_EXPORTS
    for name in sorted(API_SPECS):
        surface = KernelApi if API_SPECS[name].dll == "ntoskrnl" else Api
        method = getattr(surface, name)
        assert inspect.isgeneratorfunction(method), name
        doc = inspect.getdoc(method) or ""
        first = doc.splitlines()[0] if doc else ""
        base = name[:-1] if name.endswith(("A", "W")) and name[:-1] + "W" in EXPORTS else name
        assert base in first or name in first, f"{name}: docstring must open with its prototype"


def test_an_unmodelled_windows_api_raises_unsupported_never_succeeds() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.SuspendThread(-2)

    with pytest.raises(UnsupportedApi, match="SuspendThread: not modelled"):
        run(main)


def test_lowercase_names_are_plain_attribute_errors() -> None:
    api = Process(Kernel()).api
    with pytest.raises(AttributeError):
        api.nothing_here  # noqa: B018


def test_calling_the_api_outside_a_thread_is_a_program_error() -> None:
    api = Process(Kernel()).api
    with pytest.raises(ProgramError, match="outside a virtual thread"):
        next(api.SetEvent(4))


@pytest.mark.parametrize("name", EXPORTS)
@settings(max_examples=12)
@given(data=st.data())
def test_no_python_exception_escapes_on_bad_arguments(name: str, data: st.DataObject) -> None:
    params = API_SPECS[name].params
    args = [data.draw(junk, label=p) for p in params]
    outcome: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, False, False, None)
        del ev
        try:
            outcome.append((yield from getattr(api, name)(*args)))
        except UnsupportedApi:
            # An unmodelled mode (a file that is not a pipe, a message-mode pipe) is refused
            # loudly, never treated as success; it is not a bad argument.
            outcome.append("unsupported")

    sim = run(main, until=10_000_000)
    if name != "ExitThread":
        assert len(outcome) == 1 or sim.reason in ("quiescent", "time limit")
    for line in sim.k.trace.to_jsonl().splitlines():  # whatever the arguments, it serialises
        json.loads(line)


def _recorded_argument_names() -> list[tuple[str, str, list[str], list[str]]]:
    """(file, function, parameters, names recorded) for every ``args = (...)`` and every
    ``_done``/``_fail`` call with a literal tuple in the Win32 surface's source."""
    import ast
    from pathlib import Path

    found = []
    for path in sorted(Path(emu.win32.driver.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            params = [a.arg for a in function.args.args][1:]
            for node in ast.walk(function):
                recorded: ast.expr | None = None
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "args" for t in node.targets
                ):
                    recorded = node.value
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr.startswith(("_done", "_fail"))
                    and len(node.args) >= 3
                ):
                    recorded = node.args[2]
                if isinstance(recorded, ast.Tuple) and all(
                    isinstance(e, ast.Name) for e in recorded.elts
                ):
                    names = [e.id for e in recorded.elts if isinstance(e, ast.Name)]
                    found.append((path.name, function.name, params, names))
    return found


def test_recorded_arguments_line_up_with_the_prototype() -> None:
    # A timeline prints argument i under parameter i's name (and names its constants by it):
    # what an export records is its parameters in order, possibly without trailing ones.
    checked = 0
    for file, function, params, names in _recorded_argument_names():
        if function.startswith("_") or not params or params[0] == "name":
            continue  # shared helpers record the one handle they are given
        checked += 1
        assert len(names) <= len(params), f"{file}: {function} records {names}"
        for index, recorded in enumerate(names):  # a converted value (code) may stand in
            if recorded in params:
                assert params.index(recorded) == index, f"{file}: {function} records {names}"
    assert checked > 30


def test_the_api_event_holds_plain_values_whatever_the_arguments_and_result() -> None:
    # "Every call is traced as one api event at its return (name, arguments, result, and the
    # last error when the call failed)": plain values only (docs/trace.md), so a result that
    # is a WaitResult member is its int, a structure is its trace name, a callback its name;
    # arguments already plain are recorded as they are.
    box: dict[str, Any] = {}

    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, True, None)
        box["wait"] = yield from api.WaitForSingleObject(ev, 0)
        yield from api.SetEvent(True)  # a bool is no handle: recorded as the bool it is
        n, key, ov = DWORD(), ULONG_PTR(), PVOID()
        port = yield from api.CreateIoCompletionPort(-1, None, 0, 0)
        yield from api.GetQueuedCompletionStatus(port, n, key, ov, 0)
        yield from api.QueueUserAPC(main, -2, 1 << 70)

    sim = run(main)
    calls = {e[4][0]: e[4] for e in sim.k.trace.events if e[2] == "api"}
    assert type(box["wait"]) is not int and box["wait"] == 0  # the program gets the member
    assert calls["WaitForSingleObject"][1:3] == ((4, 0), 0)
    assert type(calls["WaitForSingleObject"][2]) is int
    assert calls["SetEvent"][1] == (True,) and type(calls["SetEvent"][1][0]) is bool
    gqcs = calls["GetQueuedCompletionStatus"][1]
    assert gqcs[0] == 8 and all(isinstance(v, str) for v in gqcs[1:4]) and gqcs[4] == 0
    assert calls["QueueUserAPC"][1] == ("main", -2, 1 << 70)
    for _name, args, result, error in calls.values():
        assert all(type(v) in (int, str, bool, type(None), tuple) for v in (*args, result, error))
