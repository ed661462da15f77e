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
from emu.win32.ws2_32.types import INT, SOCKADDR_IN, WSABUF, WSADATA

__all__ = [
    "API_SPECS",
    "CRITICAL_SECTION",
    "DWORD",
    "INT",
    "LONG",
    "OVERLAPPED",
    "OVERLAPPED_ENTRY",
    "PVOID",
    "SOCKADDR_IN",
    "SRWLOCK",
    "ULONG",
    "ULONG_PTR",
    "WSABUF",
    "WSADATA",
    "Api",
    "ApiSpec",
    "Process",
]
