"""No argument combination of the four NETIO functions raises, in either mode.

Hypothesis draws each argument from junk (None, booleans, integers of any width, strings,
floats, lists, bytes), real values (a callback, a HANDLE variable, a live and a cancelled
handle, a row with junk or real members) and structures of the wrong type. Whatever it draws,
the call returns a code its mode documents for that function (or nothing, for the VOID
InitializeIpInterfaceEntry), a failed NotifyIpInterfaceChange leaves NULL in a HANDLE variable,
and the trace serialises.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any, Final

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emu.codes import ERROR_FILE_NOT_FOUND
from emu.codes.netio import NETIO_FAMILIES
from emu.devices.nic import MIB_IPINTERFACE_ROW
from emu.devices.nic.interfaces import FIRST_INDEX, net_luid
from emu.win32.types import DWORD, HANDLE
from tests.win32.netio.helpers import MODES, codes_of, sim_in


def on_change(CallerContext: Any, Row: Any, NotificationType: Any) -> None:
    if Row is not None:
        Row.InterfaceIndex  # noqa: B018 - a read of the identity the row carries


class Live:
    """Marker: the handle of a registration the program made first (value or variable)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __repr__(self) -> str:
        return f"Live({self.what})"


class Make:
    """Marker: a structure to build inside the run (structures belong to one simulation)."""

    def __init__(self, kind: type, values: dict[str, Any]) -> None:
        self.kind = kind
        self.values = values

    def __repr__(self) -> str:
        return f"{self.kind.__name__}({self.values})"


JUNK: Final = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.sampled_from([0, 1, 2, 5, 23, -1, 0xFFFF, 0xFFFFFFFF, 2**64 - 1]),
    st.text(max_size=4),
    st.floats(allow_nan=True),
    st.lists(st.integers(min_value=-3, max_value=3), max_size=2),
    st.binary(max_size=3),
)
FAMILY: Final = st.one_of(st.sampled_from(sorted(NETIO_FAMILIES)), JUNK)
KEY: Final = st.one_of(
    st.sampled_from([0, FIRST_INDEX, FIRST_INDEX + 1, FIRST_INDEX + 2, 99]),
    st.sampled_from([net_luid(1), net_luid(2), net_luid(3), net_luid(99)]),
    JUNK,
)
ROW: Final = st.one_of(
    st.builds(
        lambda f, luid, index, rest: Make(
            MIB_IPINTERFACE_ROW,
            {"Family": f, "InterfaceLuid": luid, "InterfaceIndex": index, **rest},
        ),
        FAMILY,
        KEY,
        KEY,
        st.dictionaries(st.sampled_from(["NlMtu", "Metric", "Connected"]), JUNK, max_size=2),
    ),
    st.builds(lambda v: Make(HANDLE, {"value": v}), JUNK),
    st.just(Make(DWORD, {})),
    JUNK,
)
CALLBACK: Final = st.one_of(st.just(on_change), JUNK)
HANDLE_OUT: Final = st.one_of(
    st.builds(lambda v: Make(HANDLE, {"value": v}), JUNK),
    st.just(Make(DWORD, {})),
    JUNK,
)
HANDLE_IN: Final = st.one_of(
    st.sampled_from([Live("value"), Live("cancelled"), Live("variable")]),
    st.sampled_from([0x1C0A50, 0x1C0AB0, 0x1C0A51]),
    JUNK,
)


def build(value: Any) -> Any:
    return value.kind(**value.values) if isinstance(value, Make) else value


def documented(mode: str, name: str) -> set[Any]:
    codes = codes_of(mode)
    if name == "NotifyIpInterfaceChange":
        return {codes.success, codes.invalid_parameter}
    if name == "CancelMibChangeNotify2":
        return {codes.success, codes.invalid_parameter, codes.invalid_handle}
    if name == "GetIpInterfaceEntry":
        found = {codes.success, codes.invalid_parameter, codes.not_found}
        return found | ({ERROR_FILE_NOT_FOUND} if mode == "user" else set())
    return {None}


def check(mode: str, name: str, args: dict[str, Any]) -> None:
    outcome: list[Any] = []

    def body(api: Any) -> Generator[Any, None, None]:
        live = HANDLE()
        assert (yield from api.NotifyIpInterfaceChange(0, on_change, None, False, live)) == 0
        gone = HANDLE()
        assert (yield from api.NotifyIpInterfaceChange(2, on_change, None, False, gone)) == 0
        assert (yield from api.CancelMibChangeNotify2(gone.value)) == 0
        built = {}
        lives = {"value": live.value, "cancelled": gone.value, "variable": live}
        for key, value in args.items():
            built[key] = lives[value.what] if isinstance(value, Live) else build(value)
        outcome.append((yield from getattr(api, name)(**built)))
        outcome.append(built)
        yield from api.CancelMibChangeNotify2(live.value)

    sim = sim_in(mode, body, until=50_000_000)
    result, built = outcome
    assert result in documented(mode, name)
    cell = built.get("NotificationHandle")
    if name == "NotifyIpInterfaceChange" and isinstance(cell, HANDLE):
        assert (cell.peek("value") != 0) is (result == 0)
    for line in sim.k.trace.to_jsonl().splitlines():
        json.loads(line)


@pytest.mark.parametrize("mode", MODES)
@given(
    family=FAMILY,
    callback=CALLBACK,
    context=JUNK,
    initial=JUNK,
    out=HANDLE_OUT,
)
def test_notify_never_raises(
    mode: str, family: Any, callback: Any, context: Any, initial: Any, out: Any
) -> None:
    args = {
        "Family": family,
        "Callback": callback,
        "CallerContext": context,
        "InitialNotification": initial,
        "NotificationHandle": out,
    }
    check(mode, "NotifyIpInterfaceChange", args)


@pytest.mark.parametrize("mode", MODES)
@given(handle=HANDLE_IN)
def test_cancel_never_raises(mode: str, handle: Any) -> None:
    check(mode, "CancelMibChangeNotify2", {"NotificationHandle": handle})


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["GetIpInterfaceEntry", "InitializeIpInterfaceEntry"])
@given(row=ROW)
def test_row_functions_never_raise(mode: str, name: str, row: Any) -> None:
    check(mode, name, {"Row": row})
