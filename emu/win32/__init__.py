"""The Win32 surface: one module per exporting DLL, named and behaving as Windows documents."""

from emu.win32.api import Api
from emu.win32.base import API_SPECS, ApiSpec
from emu.win32.process import Process
from emu.win32.types import (
    CRITICAL_SECTION,
    DWORD,
    LONG,
    OVERLAPPED,
    OVERLAPPED_ENTRY,
    PVOID,
    SRWLOCK,
    ULONG,
    ULONG_PTR,
)

__all__ = [
    "API_SPECS",
    "CRITICAL_SECTION",
    "DWORD",
    "LONG",
    "OVERLAPPED",
    "OVERLAPPED_ENTRY",
    "PVOID",
    "SRWLOCK",
    "ULONG",
    "ULONG_PTR",
    "Api",
    "ApiSpec",
    "Process",
]
