"""The code tables carry the real Windows values (docs/sources.md F5.1-F5.3, F1.5)."""

from __future__ import annotations

import pytest

import emu.codes as c


@pytest.mark.parametrize(
    ("name", "value"),
    [
        # F5.1
        ("WAIT_OBJECT_0", 0),
        ("WAIT_ABANDONED_0", 0x80),
        ("WAIT_IO_COMPLETION", 0xC0),
        ("WAIT_TIMEOUT", 0x102),
        ("WAIT_FAILED", 0xFFFFFFFF),
        ("INFINITE", 0xFFFFFFFF),
        # F5.2
        ("STATUS_SUCCESS", 0),
        ("STATUS_ABANDONED_WAIT_0", 0x80),
        ("STATUS_USER_APC", 0xC0),
        ("STATUS_TIMEOUT", 0x102),
        ("STATUS_PENDING", 0x103),
        ("STATUS_NO_YIELD_PERFORMED", 0x40000024),
        ("STATUS_CANCELLED", 0xC0000120),
        ("STATUS_INVALID_HANDLE", 0xC0000008),
        ("STATUS_INVALID_PARAMETER", 0xC000000D),
        ("STATUS_PIPE_BROKEN", 0xC000014B),
        # F5.3
        ("ERROR_INVALID_HANDLE", 6),
        ("ERROR_INVALID_PARAMETER", 87),
        ("ERROR_ABANDONED_WAIT_0", 735),
        ("ERROR_OPERATION_ABORTED", 995),
        ("ERROR_IO_INCOMPLETE", 996),
        ("ERROR_IO_PENDING", 997),
        ("ERROR_NOT_FOUND", 1168),
        # scm.md F1.5
        ("ERROR_ACCESS_DENIED", 5),
        ("ERROR_CALL_NOT_IMPLEMENTED", 120),
        ("ERROR_SERVICE_NOT_ACTIVE", 1062),
        ("ERROR_SERVICE_MARKED_FOR_DELETE", 1072),
        ("ERROR_REQUEST_ABORTED", 1235),
        ("ERROR_ALREADY_REGISTERED", 1242),
        ("ERROR_SERVICE_NOTIFY_CLIENT_LAGGING", 1294),
        ("ERROR_SERVICE_DISABLED", 1058),
        ("ERROR_SERVICE_ALREADY_RUNNING", 1056),
        ("ERROR_SERVICE_REQUEST_TIMEOUT", 1053),
        ("ERROR_GEN_FAILURE", 31),
        ("STILL_ACTIVE", 259),
        ("MAXIMUM_WAIT_OBJECTS", 64),
        ("THREAD_SET_CONTEXT", 0x10),
        ("SYNCHRONIZE", 0x00100000),
        ("EVENT_MODIFY_STATE", 0x2),
        ("EVENT_ALL_ACCESS", 0x1F0003),
    ],
)
def test_real_values(name: str, value: int) -> None:
    assert getattr(c, name) == value


@pytest.mark.parametrize(
    ("status", "error"),
    [
        # F5.3: RtlNtStatusToDosError as Wine's conformance test asserts it on Windows.
        (c.STATUS_SUCCESS, c.ERROR_SUCCESS),
        (c.STATUS_CANCELLED, c.ERROR_OPERATION_ABORTED),
        (c.STATUS_INVALID_HANDLE, c.ERROR_INVALID_HANDLE),
        (c.STATUS_OBJECT_TYPE_MISMATCH, c.ERROR_INVALID_HANDLE),
        (c.STATUS_INVALID_PARAMETER, c.ERROR_INVALID_PARAMETER),
        (c.STATUS_INVALID_PARAMETER_1, c.ERROR_INVALID_PARAMETER),
        (c.STATUS_INVALID_PARAMETER_MIX, c.ERROR_INVALID_PARAMETER),
        (c.STATUS_ACCESS_DENIED, c.ERROR_ACCESS_DENIED),
        (c.STATUS_UNSUCCESSFUL, c.ERROR_GEN_FAILURE),
        (c.STATUS_PENDING, c.ERROR_IO_PENDING),
        (c.STATUS_NOT_FOUND, c.ERROR_NOT_FOUND),
        (c.STATUS_PIPE_BROKEN, c.ERROR_BROKEN_PIPE),
        (c.STATUS_CONNECTION_RESET, c.ERROR_NETNAME_DELETED),  # F2.34 (Wine test_tcp_reset)
        (c.STATUS_ABANDONED_WAIT_0, c.ERROR_WAIT_NO_CHILDREN),
        (c.STATUS_USER_APC, c.ERROR_USER_APC),
        (c.STATUS_OBJECT_NAME_COLLISION, c.ERROR_ALREADY_EXISTS),
        (c.STATUS_ACCESS_VIOLATION, c.ERROR_NOACCESS),
        (c.STATUS_INVALID_CID, c.ERROR_INVALID_PARAMETER),
    ],
)
def test_ntstatus_to_win32(status: int, error: int) -> None:
    assert c.win32_from_ntstatus(status) == error


def test_unmapped_statuses_follow_rtl_rules() -> None:
    assert c.win32_from_ntstatus(0x20001234) == 0x20001234  # customer code passes through
    assert c.win32_from_ntstatus(0x80070005) == 5  # a wrapped HRESULT gives its low word
    assert c.win32_from_ntstatus(0xC0DEC0DE) == c.ERROR_MR_MID_NOT_FOUND


def test_dequeue_calls_report_wait_outcomes_with_their_own_last_errors() -> None:
    # F5.3 / F5.8 / F5.13 / F5.22
    assert c.WAIT_LAST_ERROR == {
        c.STATUS_TIMEOUT: c.WAIT_TIMEOUT,
        c.STATUS_USER_APC: c.WAIT_IO_COMPLETION,
        c.STATUS_ABANDONED_WAIT_0: c.ERROR_ABANDONED_WAIT_0,
    }


def test_codes_print_by_name() -> None:
    assert c.NTSTATUS(0x102).name == "STATUS_TIMEOUT"
    assert c.Win32Error(997).name == "ERROR_IO_PENDING"
    assert c.WaitResult(0xC0).name == "WAIT_IO_COMPLETION"
    assert c.ntstatus_name(0) == "STATUS_SUCCESS"
    assert c.ntstatus_name(2) == "STATUS_WAIT_2"
    assert c.ntstatus_name(0x81) == "STATUS_ABANDONED_WAIT_1"
    assert c.ntstatus_name(0xDEADBEEF) == "0xDEADBEEF"
    assert c.wait_result_name(0) == "WAIT_OBJECT_0"
    assert c.wait_result_name(3) == "WAIT_OBJECT_0+3"
    assert c.wait_result_name(0x82) == "WAIT_ABANDONED_0+2"
    assert c.win32_error_name(0) == "ERROR_SUCCESS"
    assert c.win32_error_name(54321) == "54321"
    # the name table gives every code the canonical name its enum member has
    assert all(c.win32_error_name(int(m)) == c.Win32Error(int(m)).name for m in c.Win32Error)


def test_message_texts() -> None:
    assert c.win32_message(c.ERROR_INVALID_HANDLE) == "The handle is invalid."
    assert c.win32_message(c.ERROR_IO_PENDING) == "Overlapped I/O operation is in progress."
    assert c.win32_message(c.WAIT_TIMEOUT) == "The wait operation timed out."
    assert c.NTSTATUS_MESSAGES[c.STATUS_CANCELLED] == "The I/O request was canceled."
    assert c.win32_message(123456) == ""
    # Every named Win32 error but WAIT_IO_COMPLETION (192 has no text of its own) has one.
    missing = [m.name for m in c.Win32Error if not c.win32_message(m) and m != 192]
    assert missing == []
    missing_nt = [m.name for m in c.NTSTATUS if m not in c.NTSTATUS_MESSAGES and 0 < m < 0x80]
    assert all(name.startswith("STATUS_WAIT_") for name in missing_nt)


def test_nt_success_and_error() -> None:
    assert c.nt_success(c.STATUS_SUCCESS) and c.nt_success(c.STATUS_NO_YIELD_PERFORMED)
    assert not c.nt_success(c.STATUS_CANCELLED)
    assert c.nt_error(c.STATUS_CANCELLED) and not c.nt_error(c.STATUS_TIMEOUT)
