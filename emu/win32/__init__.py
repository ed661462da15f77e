"""The Win32 surface: one module per exporting DLL, named and behaving as Windows documents."""

from emu.win32.api import Api
from emu.win32.base import API_SPECS, ApiSpec
from emu.win32.process import Process
from emu.win32.types import CRITICAL_SECTION, DWORD, LONG, SRWLOCK

__all__ = ["API_SPECS", "CRITICAL_SECTION", "DWORD", "LONG", "SRWLOCK", "Api", "ApiSpec", "Process"]
