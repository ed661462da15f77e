"""Events: auto-reset releases exactly one waiter, manual-reset releases all, previous state."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import INFINITE, WAIT_OBJECT_0, WAIT_TIMEOUT
from emu.kernel import Kernel
from emu.kernel.chooser import RandomChooser
from emu.kernel.event import NotificationEvent, SynchronizationEvent, create_event
from emu.win32 import Api
from tests.support import run


def waiters_and_setter(manual: bool, sets: int, waiters: int = 3) -> tuple[list[str], Any]:
    woken: list[str] = []

    def waiter(name: str) -> Any:
        def program(api: Api) -> Generator[Any, None, None]:
            ev = yield from api.CreateEventW(None, manual, False, "e")
            if (yield from api.WaitForSingleObject(ev, 50)) == WAIT_OBJECT_0:
                woken.append(name)

        return program

    def setter(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, manual, False, "e")
        yield from api.SleepEx(1, False)
        for _ in range(sets):
            yield from api.SetEvent(ev)

    programs = {f"w{i}": waiter(f"w{i}") for i in range(waiters)}
    programs["setter"] = setter
    sim = run(programs)
    return woken, sim


def test_auto_reset_event_releases_exactly_one_waiter_per_set() -> None:
    # "The state of an auto-reset event object remains signaled until a single waiting thread
    # is released, at which time the system automatically sets the state to nonsignaled."
    woken, sim = waiters_and_setter(manual=False, sets=1)
    assert woken == ["w0"]  # option 0: the longest waiting
    consumes = [e for e in sim.events("event.state") if e.payload["op"] == "consume"]
    assert len(consumes) == 1


def test_two_sets_of_an_auto_reset_event_release_two_waiters() -> None:
    woken, _ = waiters_and_setter(manual=False, sets=2)
    assert woken == ["w0", "w1"]


def test_manual_reset_event_releases_every_waiter_and_stays_signalled() -> None:
    # "Any number of waiting threads, or threads that subsequently begin wait operations for
    # the specified event object, can be released while the object's state is signaled."
    woken, sim = waiters_and_setter(manual=True, sets=1)
    assert woken == ["w0", "w1", "w2"]
    last_state = sim.events("event.state")[-1]
    assert last_state.payload == {"op": "set", "signaled": 1}


def release_one_of_two(seed: int) -> tuple[list[str], list[str]]:
    woken: list[str] = []

    def waiter(name: str) -> Any:
        def program(api: Api) -> Generator[Any, None, None]:
            ev = yield from api.CreateEventW(None, False, False, "e")
            if (yield from api.WaitForSingleObject(ev, 50)) == WAIT_OBJECT_0:
                woken.append(name)

        return program

    def setter(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, False, False, "e")
        yield from api.SleepEx(1, False)
        yield from api.SetEvent(ev)

    sim = run({"a": waiter("a"), "b": waiter("b"), "setter": setter}, chooser=RandomChooser(seed))
    return woken, [e.payload["label"] for e in sim.events("choice")]


def test_which_waiter_an_auto_reset_event_releases_is_a_choice() -> None:
    # "If more than one thread is waiting, a waiting thread is selected. Do not assume a
    # first-in, first-out (FIFO) order."
    chosen = set()
    for seed in range(30):
        woken, labels = release_one_of_two(seed)
        assert len(woken) == 1
        chosen.add(woken[0])
        assert any(label.startswith("release@") for label in labels)
    assert chosen == {"a", "b"}


def test_set_and_reset_return_the_previous_state() -> None:
    # F5.29: Set on unsignalled -> 0, Set again -> 1, Reset -> 1, Reset again -> 0.
    k = Kernel()
    ev = create_event(k, manual_reset=True, initial=False)
    assert [ev.set(), ev.set(), ev.reset(), ev.reset()] == [0, 1, 1, 0]


def test_event_types_are_nts_two() -> None:
    # F5.28: manual reset is NotificationEvent, auto reset SynchronizationEvent.
    k = Kernel()
    assert isinstance(create_event(k, True, False), NotificationEvent)
    assert isinstance(create_event(k, False, False), SynchronizationEvent)


def test_an_auto_reset_event_signalled_before_the_wait_is_consumed_by_it() -> None:
    results: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, False, True, None)
        results.append((yield from api.WaitForSingleObject(ev, 0)))
        results.append((yield from api.WaitForSingleObject(ev, 0)))

    run(main)
    assert results == [WAIT_OBJECT_0, WAIT_TIMEOUT]


def test_every_state_change_is_traced_with_the_new_state() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, False, True, None)
        yield from api.WaitForSingleObject(ev, INFINITE)
        yield from api.SetEvent(ev)
        yield from api.ResetEvent(ev)

    sim = run(main)
    states = [(e.payload["op"], e.payload["signaled"]) for e in sim.events("event.state")]
    assert states == [("init", 1), ("consume", 0), ("set", 1), ("reset", 0)]
