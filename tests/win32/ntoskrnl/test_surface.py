"""The kernel-mode surface: no Python exception on bad input, prototypes in the docstrings."""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emu.codes import STATUS_SUCCESS
from emu.win32 import API_SPECS
from emu.win32.driver import KernelApi
from emu.win32.ntos_types import KDPC, KEVENT, KIRQL, KSPIN_LOCK, LARGE_INTEGER, WORK_QUEUE_ITEM
from tests.support import run_driver

KERNEL_EXPORTS = sorted(name for name, spec in API_SPECS.items() if spec.dll == "ntoskrnl")

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.sampled_from([0, 1, 2, 15, 16, -1]),
    st.text(max_size=3),
    st.floats(allow_nan=True),
    st.sampled_from([KEVENT, KSPIN_LOCK, KDPC, KIRQL, LARGE_INTEGER, WORK_QUEUE_ITEM, object]).map(
        lambda cls: cls()
    ),
    st.just(lambda *a: None),
    st.sampled_from([list, dict, bytearray]).map(lambda make: make()),  # unhashable
    st.sampled_from(["x", None, 1.5, [], 2**70]).map(lambda v: LARGE_INTEGER(QuadPart=v)),
    st.sampled_from(["x", None, [], -1]).map(lambda v: KIRQL(value=v)),
)


def test_every_kernel_export_is_on_the_kernel_api() -> None:
    assert "KeWaitForSingleObject" in KERNEL_EXPORTS
    for name in KERNEL_EXPORTS:
        assert hasattr(KernelApi, name)


@pytest.mark.parametrize("name", KERNEL_EXPORTS)
@settings(max_examples=12)
@given(data=st.data())
def test_no_python_exception_escapes_on_bad_arguments(name: str, data: st.DataObject) -> None:
    args = [data.draw(junk, label=p) for p in API_SPECS[name].params]

    def driver(kapi: Any) -> Any:
        def DriverEntry(DriverObject: Any, RegistryPath: str) -> Generator[Any, None, int]:
            yield from getattr(kapi, name)(*args)
            return STATUS_SUCCESS

        return DriverEntry

    sim = run_driver(driver, until=10_000_000)
    for line in sim.k.trace.to_jsonl().splitlines():
        json.loads(line)
