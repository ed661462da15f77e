"""The named-pipe file system device."""

from __future__ import annotations

from emu.codes import STATUS_INSTANCE_NOT_AVAILABLE, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_SUCCESS
from emu.devices.npfs import NamedPipeFileSystem, PipeState
from emu.kernel import Kernel


def test_instances_listen_connect_and_go_away_with_their_server_end() -> None:
    k = Kernel()
    npfs = NamedPipeFileSystem(k)
    status, server = npfs.create("\\\\.\\pipe\\P", 2, False, True, True, True)
    assert status == STATUS_SUCCESS and server is not None
    assert server.state is PipeState.LISTENING
    # Names are case-insensitive.
    status, client = npfs.open("\\\\.\\PIPE\\p", True, True, True)
    assert status == STATUS_SUCCESS and client is not None
    assert server.state is PipeState.CONNECTED and client.peer() is server
    npfs.create("\\\\.\\pipe\\P", 2, False, True, True, True)
    assert (
        npfs.create("\\\\.\\pipe\\P", 2, False, True, True, True)[0]
        == STATUS_INSTANCE_NOT_AVAILABLE
    )
    npfs.close(server)
    assert client.state is PipeState.CLOSING
    assert npfs.describe() == {"\\\\.\\pipe\\p": 1}


def test_opening_an_unknown_pipe() -> None:
    npfs = NamedPipeFileSystem(Kernel())
    assert npfs.open("\\\\.\\pipe\\none", True, True, True) == (STATUS_OBJECT_NAME_NOT_FOUND, None)
