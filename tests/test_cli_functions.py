"""``emu functions``: the modelled functions with their DLL, prototype and properties."""

from __future__ import annotations

import json

import pytest

from emu.cli import main
from emu.cli_functions import entries, matching
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


def test_json_and_no_match(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["functions", "--json", "SleepEx"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["prototype"] == "DWORD SleepEx(DWORD dwMilliseconds, BOOL bAlertable);"
    assert main(["functions", "CreateMutex"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("no modelled function matching 'CreateMutex'")
    assert "UnsupportedApi" in err
