"""BranchCache's codes have winerror.h's and peerdist.h's values (docs/sources.md F4.1, F4.6,
F4.7); each prints by its header name, the pages' misspellings are aliases; an operation that
fails with one completes with the NTSTATUS that carries it, which RtlNtStatusToDosError gives
back."""

from __future__ import annotations

from emu import codes
from emu.codes.ntmap import ntstatus_from_win32, win32_from_ntstatus
from emu.codes.peerdist import PEERDIST_ERROR_NOT_FOUND, peerdist_status_name
from emu.codes.winerror import win32_error_name, win32_message

WINERROR = {
    "PEERDIST_ERROR_CONTENTINFO_VERSION_UNSUPPORTED": 4050,
    "PEERDIST_ERROR_CANNOT_PARSE_CONTENTINFO": 4051,
    "PEERDIST_ERROR_MISSING_DATA": 4052,
    "PEERDIST_ERROR_NO_MORE": 4053,
    "PEERDIST_ERROR_NOT_INITIALIZED": 4054,
    "PEERDIST_ERROR_ALREADY_INITIALIZED": 4055,
    "PEERDIST_ERROR_SHUTDOWN_IN_PROGRESS": 4056,
    "PEERDIST_ERROR_INVALIDATED": 4057,
    "PEERDIST_ERROR_ALREADY_EXISTS": 4058,
    "PEERDIST_ERROR_OPERATION_NOTFOUND": 4059,
    "PEERDIST_ERROR_ALREADY_COMPLETED": 4060,
    "PEERDIST_ERROR_OUT_OF_BOUNDS": 4061,
    "PEERDIST_ERROR_VERSION_UNSUPPORTED": 4062,
    "PEERDIST_ERROR_INVALID_CONFIGURATION": 4063,
    "PEERDIST_ERROR_NOT_LICENSED": 4064,
    "PEERDIST_ERROR_SERVICE_UNAVAILABLE": 4065,
    "PEERDIST_ERROR_TRUST_FAILURE": 4066,
    "ERROR_ACCESS_DISABLED_BY_POLICY": 1260,
}


def test_each_code_has_its_header_value_and_prints_by_its_name() -> None:
    for name, value in WINERROR.items():
        assert getattr(codes, name) == value, name
        assert win32_error_name(value) == name
        assert win32_message(value), name


def test_the_pages_misspellings_are_aliases() -> None:
    # "PEERDIST_ERROR_OPERATION_NOT_FOUND" (the cancel pages) is winerror.h's ..._NOTFOUND;
    # "PEERDIST_ERROR_NOT_FOUND" (PeerDistServerOpenContentInformation) is in no header: emu
    # returns ERROR_NOT_FOUND for it (docs/rules.md).
    assert codes.PEERDIST_ERROR_OPERATION_NOT_FOUND == 4059
    assert PEERDIST_ERROR_NOT_FOUND == codes.ERROR_NOT_FOUND == 1168


def test_the_status_enum_and_versions() -> None:
    assert (
        codes.PEERDIST_STATUS_DISABLED,
        codes.PEERDIST_STATUS_UNAVAILABLE,
        codes.PEERDIST_STATUS_AVAILABLE,
    ) == (0, 1, 2)
    assert [peerdist_status_name(v) for v in (0, 1, 2, 7)] == [
        "DISABLED",
        "UNAVAILABLE",
        "AVAILABLE",
        "7",
    ]
    assert codes.PEERDIST_VERSION == 2
    assert codes.PEERDIST_READ_TIMEOUT_LOCAL_CACHE_ONLY == 0
    assert codes.PEERDIST_READ_TIMEOUT_DEFAULT == 0xFFFFFFFE


def test_a_win32_code_travels_in_an_ntstatus_and_back() -> None:
    for value in WINERROR.values():
        status = ntstatus_from_win32(value)
        assert status == 0xC0070000 | value
        assert win32_from_ntstatus(status) == value
    assert ntstatus_from_win32(0) == 0
