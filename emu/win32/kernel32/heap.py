"""LocalFree (winbase.h): releasing memory the system allocated for the program.

Some functions hand the program a block the system allocated and document that the program
frees it with LocalFree (the ``pszServiceNames`` list of a SERVICE_NOTIFY). emu's blocks are
``Struct``s: LocalFree ends their lifetime, so a later access is recorded as use after free,
and a checker can see whether the program ever freed what it was given.

"If the function succeeds, the return value is NULL. If the function fails, the return value
is equal to a handle to the local memory object": NULL (0) on success; LocalFree(NULL) does nothing;
freeing a block twice, or something that is not a block, fails with ERROR_INVALID_HANDLE.
"""

from __future__ import annotations

from typing import Any, Final

from emu.codes.winerror import ERROR_INVALID_HANDLE
from emu.win32.base import HANDLE, ApiCall, Win32Base, export
from emu.win32.winsvc import MULTI_SZ

SYSTEM_BLOCKS: Final = (MULTI_SZ,)
"""The kinds of block a function hands the program to free with LocalFree; a structure the
program made itself is not one (it ends with ``api.free``)."""


class HeapApi(Win32Base):
    __slots__ = ()

    @export("kernel32", HANDLE)
    def LocalFree(self, hMem: Any) -> ApiCall[Any]:
        """HLOCAL LocalFree(HLOCAL hMem);

        "Frees the specified local memory object and invalidates its handle."
        """
        t = self._caller()
        name = "LocalFree"
        args = (hMem,)
        if hMem is None or hMem == 0:
            return self._done(t, name, args, 0)
        if not isinstance(hMem, SYSTEM_BLOCKS) or not hMem.alive:
            return self._fail(t, name, args, hMem, ERROR_INVALID_HANDLE)
        hMem.bind(self.k)
        hMem.end_lifetime("freed with LocalFree")
        return self._done(t, name, args, 0)
        yield  # type: ignore[unreachable]  # every export is a generator
