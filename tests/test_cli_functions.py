"""``emu functions`` and ``emu properties``: the modelled functions with their DLL, prototype
and properties; the catalogue, by API in any of its forms."""

from __future__ import annotations

import json

import pytest

from emu.cli import main
from emu.cli_functions import entries, matching
from emu.properties.catalogue import for_api
from emu.win32.base import API_SPECS, api_family


def test_every_export_is_listed_once_in_its_family() -> None:
    listed = [form for entry in entries() for form in entry.forms]
    assert sorted(listed) == sorted(API_SPECS)
    assert len(listed) == len(set(listed))


def test_a_and_w_forms_share_a_family() -> None:
    assert api_family("NotifyServiceStatusChangeW") == "NotifyServiceStatusChange"
    assert api_family("NotifyServiceStatusChangeA") == "NotifyServiceStatusChange"
    assert api_family("NotifyServiceStatusChange") == "NotifyServiceStatusChange"
    assert api_family("SleepEx") == "SleepEx"
    assert api_family("WaitForSingleObjectEx") == "WaitForSingleObjectEx"
    (entry,) = matching("CreateEventA")
    assert entry.forms == ("CreateEvent", "CreateEventA", "CreateEventW")


def test_prototypes_are_the_c_declarations() -> None:
    (entry,) = matching("NotifyServiceStatusChange")
    assert entry.prototype == (
        "DWORD NotifyServiceStatusChangeW(SC_HANDLE hService, DWORD dwNotifyMask, "
        "PSERVICE_NOTIFYW pNotifyBuffer);"
    )
    assert entry.dll == "advapi32" and entry.mode == "user"
    assert "scm.no_apc_after_close" in entry.properties
    for every in entries():
        assert every.prototype.endswith(");"), every.name
        assert every.name in every.prototype or f"{every.name}W(" in every.prototype


def test_patterns_are_substrings_or_globs_and_dll_filters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert {e.name for e in matching("*Ex")} >= {"SleepEx", "WaitForSingleObjectEx"}
    assert all(e.name.lower().endswith("ex") for e in matching("*Ex"))
    assert {e.name for e in matching("servicestatus")} == {
        "NotifyServiceStatusChange",
        "QueryServiceStatus",
        "QueryServiceStatusEx",
    }
    kernel = matching(None, "ntoskrnl.dll")
    assert kernel and all(e.mode == "kernel" for e in kernel)
    assert main(["functions", "KeWait*"]) == 0
    out = capsys.readouterr().out
    assert "KeWaitForSingleObject  [ntoskrnl; driver (kernel mode)]" in out
    assert out.rstrip().endswith("1 function")


def test_the_netio_functions_serve_drivers_and_applications(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # netio.sys exports them to drivers, iphlpapi.dll to applications: one entry, both modes.
    netio = {e.name: e.mode for e in matching(None, "netio")}
    assert netio == dict.fromkeys(
        (
            "CancelMibChangeNotify2",
            "GetIpInterfaceEntry",
            "InitializeIpInterfaceEntry",
            "NotifyIpInterfaceChange",
        ),
        "both",
    )
    assert main(["functions", "NotifyIpInterface*"]) == 0
    assert "NotifyIpInterfaceChange  [netio; drivers and user mode]" in capsys.readouterr().out


def test_json_and_no_match(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["functions", "--json", "SleepEx"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["prototype"] == "DWORD SleepEx(DWORD dwMilliseconds, BOOL bAlertable);"
    assert main(["functions", "CreateMutex"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("no modelled function matching 'CreateMutex'")
    assert "UnsupportedApi" in err


# -- emu properties ----------------------------------------------------------------------------


def test_properties_lists_the_catalogue_with_sentences(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["properties", "--api", "QueueUserAPC"]) == 0
    out = capsys.readouterr().out
    assert "kernel.apc_fifo  [guarantee; post-hoc checker]" in out
    assert '"After the thread is in an alertable state, the thread handles all pending APCs' in out
    assert main(["properties", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in rows} >= {"kernel.lost_update", "kernel.wait_at_dispatch"}
    assert main(["properties", "--api", "NoSuchApi"]) == 2


def _listed_ids(out: str) -> list[str]:
    return [line.split("  [", 1)[0] for line in out.splitlines() if "  [" in line]


def test_properties_api_takes_plain_a_and_w_names_alike(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # NotifyServiceStatusChange stands for ...A and ...W: the three names list the same entries.
    listings = []
    for name in (
        "NotifyServiceStatusChange",
        "NotifyServiceStatusChangeA",
        "NotifyServiceStatusChangeW",
    ):
        assert main(["properties", "--api", name]) == 0
        out = capsys.readouterr().out
        listings.append(_listed_ids(out))
        assert out.splitlines()[-1].endswith(
            " concern NotifyServiceStatusChange (its forms: NotifyServiceStatusChangeA, "
            "NotifyServiceStatusChangeW)"
        )
    assert listings[0] == listings[1] == listings[2]
    assert {"scm.callback_never_runs", "scm.reregister_after_callback"} <= set(listings[0])
    # The catalogue names the W form; the A form finds it too (and CreateEventA, CreateEventW's).
    assert main(["properties", "--api", "CreateEventA"]) == 0
    assert _listed_ids(capsys.readouterr().out) == [p.id for p in for_api("CreateEventW")] != []


def test_properties_api_of_a_modelled_function_no_property_concerns_is_empty(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["properties", "--api", "GetCurrentThreadId"]) == 0
    assert capsys.readouterr().out == "0 properties concern GetCurrentThreadId\n"


def test_properties_api_of_an_unknown_name_suggests_the_nearest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A name emu does not model: exit 2, one line, the nearest modelled names (one per family).
    assert main(["properties", "--api", "NotifyServiceStatus"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        "emu properties: --api NotifyServiceStatus: not a function emu models (did you mean "
        "'NotifyServiceStatusChange', "
    )
    assert "NotifyServiceStatusChangeW" not in captured.err
    assert main(["properties", "--api", "queueuserapc"]) == 2
    assert "(did you mean 'QueueUserAPC'?)" in capsys.readouterr().err
    assert main(["properties", "--api", "QueryServiceStatusW"]) == 2  # Windows has no such name
