"""The handle table against a model: values, LIFO reuse, counts, bad values never raise."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from emu.kernel import Kernel
from emu.kernel.event import create_event
from emu.kernel.objects import KernelObject


class HandleTableMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.k = Kernel()
        self.open: dict[int, KernelObject] = {}
        self.free: list[int] = []
        self.next_value = 4

    @rule()
    def insert(self) -> None:
        obj = create_event(self.k, True, False)
        expected = self.free.pop() if self.free else self.next_value
        if expected == self.next_value:
            self.next_value += 4
        handle = self.k.handles.insert(obj, 0)
        assert handle == expected
        self.open[handle] = obj

    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        if not self.open:
            return
        handle = data.draw(st.sampled_from(sorted(self.open)))
        obj = self.open.pop(handle)
        entry = self.k.handles.remove(handle)
        assert entry is not None and entry.obj is obj
        assert not obj.alive  # its only handle is gone
        self.free.append(handle)

    @rule(value=st.one_of(st.integers(-10, 200), st.none(), st.text(max_size=2)))
    def lookup(self, value: Any) -> None:
        entry = self.k.handles.get(value)
        # The two low-order tag bits of a kernel handle are ignored.
        untagged = value & 0xFFFFFFFFFFFFFFFC if isinstance(value, int) else None
        if untagged in self.open:
            assert entry is not None and entry.obj is self.open[untagged]
        else:
            assert entry is None

    @invariant()
    def counts_match(self) -> None:
        assert self.k.handles.statistics()["open"] == len(self.open)


TestHandleTable = HandleTableMachine.TestCase
