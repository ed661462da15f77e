"""No argument values make a PeerDist function raise: Hypothesis draws every argument of every
exported function from junk (None, booleans, integers of any width, strings, floats, bytes,
lists), real handles of the run (the session, a stream, content information, content, closed
ones) and structures of the wrong type; the result is always an int code and the trace
serialises."""

from __future__ import annotations

import inspect
import json
from typing import Any, Final

from hypothesis import given
from hypothesis import strategies as st

import emu.win32.api  # noqa: F401 - registers every export
from emu.win32.base import API_SPECS
from tests.win32.peerdist.helpers import Gen, logged
from tests.win32.peerdist.test_bad_arguments import Ref, make, world

NAMES: Final = sorted(n for n, spec in API_SPECS.items() if spec.dll == "peerdist")
REFS: Final = [
    Ref(n)
    for n in (
        "h", "hso", "hi", "hc", "hcr", "closed", "event", "ov", "ovoff", "status", "info",
        "badinfo", "box", "dw", "tag", "shorttag", "buf", "options",
    )
]  # fmt: skip
VALUE: Final = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.sampled_from([0, 1, 2, 3, 0x3E0000, 0x3E0010, 0xFFFFFFFF, 2**64 - 1, -1]),
    st.text(max_size=4),
    st.floats(allow_nan=True),
    st.binary(max_size=6),
    st.lists(st.integers(min_value=-3, max_value=3), max_size=2),
    st.sampled_from(REFS),
)


def arity(name: str) -> int:
    from emu.win32.api import Api

    return len(inspect.signature(getattr(Api, name)).parameters) - 1


CALL: Final = st.sampled_from(NAMES).flatmap(
    lambda name: st.tuples(
        st.just(name), st.lists(VALUE, min_size=arity(name), max_size=arity(name))
    )
)


@given(st.lists(CALL, min_size=1, max_size=4))
def test_arbitrary_arguments_give_int_codes(calls: list[tuple[str, list[Any]]]) -> None:
    def body(api: Any, log: list[Any]) -> Gen:
        handles = yield from world(api)
        for name, args in calls:
            real = [make(a, handles) if isinstance(a, Ref) else a for a in args]
            log.append((yield from getattr(api, name)(*real)))

    log, sim = logged(body)
    assert len(log) == len(calls)
    assert all(type(code) is int or isinstance(code, int) for code in log), log
    for event in sim.events():
        json.dumps(event.payload, default=str)
