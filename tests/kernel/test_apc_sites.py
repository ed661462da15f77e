"""emu.kernel.apc_sites: the documented places other than alertable waits where user APCs run,
declared by the subsystems that own them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emu.kernel import apc
from emu.kernel.apc_sites import APC_SITES, ApcSite, apc_site, register_apc_site


@pytest.fixture
def scratch() -> Iterator[dict[str, ApcSite]]:
    """The table as it was, restored after the test (declarations are process-wide)."""
    saved = dict(APC_SITES)
    yield saved
    APC_SITES.clear()
    APC_SITES.update(saved)


def test_a_declared_place_is_found_by_its_at_text(scratch: dict[str, ApcSite]) -> None:
    at = register_apc_site("a test place", ("TestWaitA", "TestWaitB"), "note", "a source")
    assert at == "a test place"
    assert apc_site(at) == ApcSite(at, ("TestWaitA", "TestWaitB"), "note", "a source")
    assert apc_site("nowhere") is None


def test_declaring_a_place_again_is_harmless_only_with_the_same_content(
    scratch: dict[str, ApcSite],
) -> None:
    register_apc_site("a test place", ("TestWait",), "note", "a source")
    register_apc_site("a test place", ("TestWait",), "note", "a source")
    with pytest.raises(ValueError, match="declared twice with different content"):
        register_apc_site("a test place", ("OtherWait",), "note", "a source")


def test_a_place_needs_its_text_and_a_function(scratch: dict[str, ApcSite]) -> None:
    with pytest.raises(ValueError, match="needs its at text and at least one API"):
        register_apc_site("", ("TestWait",), "note", "a source")
    with pytest.raises(ValueError, match="needs its at text and at least one API"):
        register_apc_site("a test place", (), "note", "a source")


def test_the_scm_declares_the_rpc_wait_of_its_functions() -> None:
    # "certain functions in the Windows API, including NotifyServiceStatusChange and other SCM
    # functions, use remote procedure calls (RPC); these functions might perform an alertable
    # wait operation" (NotifyServiceStatusChange, MS doc, Remarks).
    from emu.win32.advapi32.scbase import AT_RPC

    site = apc_site(AT_RPC)
    assert site is not None
    assert "NotifyServiceStatusChangeW" in site.apis
    assert "CloseServiceHandle" in site.apis
    assert "SleepEx" not in site.apis
    # the kernel's own places are not declarations: they are the kernel's
    assert apc_site(apc.AT_WAIT) is None
    assert apc_site(apc.AT_START) is None
