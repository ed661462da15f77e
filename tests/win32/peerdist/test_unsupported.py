"""The PeerDist functions emu does not model raise UnsupportedApi, never a silent success."""

from __future__ import annotations

import pytest

from emu.errors import UnsupportedApi
from emu.kernel import Kernel
from emu.win32 import Process


@pytest.mark.parametrize(
    "name",
    [
        "PeerDistClientAddData",
        "PeerDistClientFlushContent",
        "PeerDistClientGetInformationByHandle",
        "PeerDistServerOpenContentInformationEx",
    ],
)
def test_not_modelled_raises(name: str) -> None:
    api = Process(Kernel()).api
    with pytest.raises(UnsupportedApi):
        getattr(api, name)
