"""Arguments by name (emu/timeline/argnames.py): the constants the headers name."""

from __future__ import annotations

from emu.codes import (
    FILE_FLAG_OVERLAPPED,
    GENERIC_READ,
    GENERIC_WRITE,
    OPEN_EXISTING,
    SERVICE_ALL_ACCESS,
    SERVICE_NOTIFY_RUNNING,
    SERVICE_NOTIFY_STOPPED,
    SERVICE_QUERY_STATUS,
)
from emu.kernel.trace import TraceEvent
from emu.timeline.argnames import arg_name
from emu.timeline.render import describe_call


def test_flag_sets_print_their_bits_by_name() -> None:
    assert arg_name("CreateFileW", "dwDesiredAccess", GENERIC_READ | GENERIC_WRITE) == (
        "GENERIC_READ|GENERIC_WRITE"
    )
    assert arg_name("CreateFileA", "dwFlagsAndAttributes", FILE_FLAG_OVERLAPPED) == (
        "FILE_FLAG_OVERLAPPED"
    )
    mask = SERVICE_NOTIFY_STOPPED | SERVICE_NOTIFY_RUNNING
    assert arg_name("NotifyServiceStatusChangeW", "dwNotifyMask", mask) == (
        "SERVICE_NOTIFY_STOPPED|SERVICE_NOTIFY_RUNNING"
    )
    # the widest combination first, then unnamed bits in hex
    assert arg_name("OpenServiceW", "dwDesiredAccess", SERVICE_ALL_ACCESS) == "SERVICE_ALL_ACCESS"
    assert arg_name("OpenService", "dwDesiredAccess", SERVICE_QUERY_STATUS | 0x4000000) == (
        "SERVICE_QUERY_STATUS|0x4000000"
    )
    assert arg_name("CreateFileW", "dwShareMode", 0) == "0"


def test_access_masks_are_named_by_the_object_they_open() -> None:
    assert arg_name("OpenSCManagerW", "dwDesiredAccess", 0x1) == "SC_MANAGER_CONNECT"
    assert arg_name("OpenServiceW", "dwDesiredAccess", 0x1) == "SERVICE_QUERY_CONFIG"
    assert arg_name("OpenThread", "dwDesiredAccess", 0x10) == "THREAD_SET_CONTEXT"


def test_enumerations_print_one_name_or_the_number() -> None:
    assert arg_name("CreateFileW", "dwCreationDisposition", OPEN_EXISTING) == "OPEN_EXISTING"
    assert arg_name("CreateFileW", "dwCreationDisposition", 9) == "9"
    assert arg_name("ControlService", "dwControl", 1) == "SERVICE_CONTROL_STOP"
    assert arg_name("KeInitializeEvent", "Type", 1) == "SynchronizationEvent"
    assert arg_name("KeLowerIrql", "NewIrql", 2) == "DISPATCH_LEVEL"
    assert arg_name("SetEvent", "hEvent", 4) is None


def test_a_call_prints_as_c_source_with_named_constants() -> None:
    payload = {
        "name": "CreateFileW",
        "args": [
            r"\\.\pipe\x",
            GENERIC_READ | GENERIC_WRITE,
            0,
            None,
            3,
            FILE_FLAG_OVERLAPPED,
            None,
        ],
        "result": 12,
        "error": None,
    }
    event = TraceEvent(7, 0, "client", "api", (), payload, -1, (), 2)
    assert describe_call(event) == (
        r'CreateFileW("\\.\pipe\x", GENERIC_READ|GENERIC_WRITE, 0, NULL, OPEN_EXISTING, '
        "FILE_FLAG_OVERLAPPED, NULL) -> 0xC"
    )
