"""Driver programs: DriverEntry and DriverUnload as roles."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from emu.codes import STATUS_SUCCESS, STATUS_UNSUCCESSFUL
from emu.errors import ProgramError
from tests.support import run_driver


def make_driver(status: int, log: list[Any]) -> Any:
    def driver(kapi: Any) -> Any:
        def DriverUnload(DriverObject: Any) -> Generator[Any, None, None]:
            log.append(("unload", DriverObject.DriverName, (yield from kapi.KeGetCurrentIrql())))

        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            log.append(("entry", RegistryPath, (yield from kapi.KeGetCurrentIrql())))
            DriverObject.DriverUnload = DriverUnload
            return status

        return DriverEntry

    return driver


def test_driver_entry_runs_at_passive_level_and_unload_runs_its_routine() -> None:
    log: list[Any] = []
    sim = run_driver(make_driver(STATUS_SUCCESS, log), unload=True)
    assert log == [
        ("entry", "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\test", 0),
        ("unload", "test", 0),
    ]
    assert [e.payload["status"] for e in sim.events("driver.load")] == [STATUS_SUCCESS]
    assert len(sim.events("driver.unload")) == 1


def test_a_failed_driver_entry_is_never_unloaded() -> None:
    log: list[Any] = []
    sim = run_driver(make_driver(STATUS_UNSUCCESSFUL, log), unload=True)
    assert [entry[0] for entry in log] == ["entry"]
    assert sim.events("driver.unload") == []


def test_a_driver_is_unloaded_once_and_loaded_once() -> None:
    from emu.kernel import Kernel
    from emu.win32.driver import System

    log: list[Any] = []
    k = Kernel()
    system = System(k)
    system.load("test", make_driver(STATUS_SUCCESS, log))
    with pytest.raises(ProgramError, match="already loaded"):
        system.load("test", make_driver(STATUS_SUCCESS, log))
    k.run(finish=False)
    assert system.unload("test") is not None
    assert system.unload("test") is None
    k.run()
    assert [entry[0] for entry in log] == ["entry", "unload"]


def test_driver_entry_must_return_an_ntstatus() -> None:
    with pytest.raises(ProgramError, match="returned 'ok'; it returns an NTSTATUS"):
        run_driver(make_driver("ok", []))  # type: ignore[arg-type]
