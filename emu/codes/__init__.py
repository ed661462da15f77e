"""Windows codes with their real values: NTSTATUS, Win32 errors, wait results, access rights.

Data only, below every other layer. Plain int constants named as the headers name them (the hot
paths compare ints; users import ``WAIT_IO_COMPLETION`` as they would include winbase.h), and an
IntEnum per table (``NTSTATUS``, ``Win32Error``, ``WaitResult``) to print a value by name.
Winsock's constants and error codes are in ``winsock``, NETIO's in ``netio``, BranchCache's in
``peerdist`` (its PEERDIST_ERROR_* codes with the other Win32 errors).
"""

from emu.codes.access import *  # noqa: F403
from emu.codes.files import *  # noqa: F403
from emu.codes.netio import *  # noqa: F403
from emu.codes.ntmap import *  # noqa: F403
from emu.codes.ntstatus import *  # noqa: F403
from emu.codes.peerdist import *  # noqa: F403
from emu.codes.services import *  # noqa: F403
from emu.codes.wait import *  # noqa: F403
from emu.codes.winerror import *  # noqa: F403
from emu.codes.winsock import *  # noqa: F403
