"""CreateThread, ExitThread, GetExitCodeThread, ResumeThread, OpenThread, QueueUserAPC."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

from emu.codes import (
    CREATE_SUSPENDED,
    ERROR_ACCESS_DENIED,
    ERROR_INVALID_HANDLE,
    ERROR_INVALID_PARAMETER,
    ERROR_NOACCESS,
    GENERIC_ALL,
    GENERIC_READ,
    GENERIC_WRITE,
    INFINITE,
    MAXIMUM_ALLOWED,
    STILL_ACTIVE,
    SYNCHRONIZE,
    THREAD_QUERY_INFORMATION,
    WAIT_OBJECT_0,
)
from emu.kernel.chooser import RandomChooser
from emu.win32 import DWORD, Api
from tests.support import run


def test_create_thread_runs_the_routine_with_its_parameter_and_gives_a_waitable_handle() -> None:
    log: list[Any] = []

    def main(api: Api) -> Generator[Any, None, None]:
        def worker(param: str) -> Generator[Any, None, int]:
            log.append(param)
            yield from api.SleepEx(1, False)
            return 42

        tid = DWORD()
        handle = yield from api.CreateThread(None, 0, worker, "hello", 0, tid)
        log.append(tid.value > 0)
        code = DWORD()
        yield from api.GetExitCodeThread(handle, code)
        # "If the specified thread has not terminated ... the status returned is STILL_ACTIVE."
        log.append(code.value == STILL_ACTIVE)
        # "The thread object remains in the signaled state" once the thread terminated.
        log.append((yield from api.WaitForSingleObject(handle, INFINITE)))
        log.append((yield from api.WaitForSingleObject(handle, 0)))
        yield from api.GetExitCodeThread(handle, code)
        log.append(code.value)

    run(main)
    assert log == [True, True, "hello", WAIT_OBJECT_0, WAIT_OBJECT_0, 42]


def test_plain_function_start_routines_are_wrapped() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        handle = yield from api.CreateThread(None, 0, lambda p: p * 2, 21, 0, None)
        yield from api.WaitForSingleObject(handle, INFINITE)
        code = DWORD()
        yield from api.GetExitCodeThread(handle, code)
        log.append(code.value)

    run(main)
    assert log == [42]


def test_exit_thread_ends_the_thread_with_its_code() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        def worker(param: int) -> Generator[Any, None, int]:
            yield from api.ExitThread(7)
            log.append(-1)  # never reached
            return 0

        handle = yield from api.CreateThread(None, 0, worker, 0, 0, None)
        yield from api.WaitForSingleObject(handle, INFINITE)
        code = DWORD()
        yield from api.GetExitCodeThread(handle, code)
        log.append(code.value)

    run(main)
    assert log == [7]


def test_create_suspended_waits_for_resume_thread() -> None:
    log: list[str] = []

    def main(api: Api) -> Generator[Any, None, None]:
        def worker(param: int) -> None:
            log.append("worker ran")

        handle = yield from api.CreateThread(None, 0, worker, 0, CREATE_SUSPENDED, None)
        yield from api.SleepEx(5, False)
        log.append("resuming")
        # "the return value is the thread's previous suspend count"
        log.append(str((yield from api.ResumeThread(handle))))
        log.append(str((yield from api.ResumeThread(handle))))
        yield from api.WaitForSingleObject(handle, INFINITE)

    run(main)
    assert log == ["resuming", "1", "0", "worker ran"]


def test_a_thread_never_resumed_is_reported_blocked_at_the_end() -> None:
    def main(api: Api) -> Generator[Any, None, None]:
        yield from api.CreateThread(None, 0, lambda p: 0, 0, CREATE_SUSPENDED, None)

    sim = run(main)
    blocked = sim.events("actor.blocked")
    assert [(e.objects[0], e.payload["state"]) for e in blocked] == [("<lambda>", "SUSPENDED")]


def test_create_thread_failures_return_null_with_error_invalid_parameter() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        for routine, flags in ((None, 0), ("not code", 0), (lambda p: 0, 0x1)):
            log.append((yield from api.CreateThread(None, 0, routine, 0, flags, None)))
            log.append((yield from api.GetLastError()))

    run(main)
    assert log == [0, ERROR_INVALID_PARAMETER] * 3


def test_get_exit_code_thread_needs_query_access() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        me = yield from api.GetCurrentThreadId()
        weak = yield from api.OpenThread(SYNCHRONIZE, False, me)
        strong = yield from api.OpenThread(THREAD_QUERY_INFORMATION, False, me)
        code = DWORD()
        log.append((yield from api.GetExitCodeThread(weak, code)))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.GetExitCodeThread(strong, code)))

    run(main)
    assert log == [0, ERROR_ACCESS_DENIED, 1]


def test_open_thread_of_an_unknown_id_fails() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        log.append((yield from api.OpenThread(SYNCHRONIZE, False, 999_999)))
        log.append((yield from api.GetLastError()))

    run(main)
    assert log == [0, ERROR_INVALID_PARAMETER]


def test_queue_user_apc_failures() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        ev = yield from api.CreateEventW(None, True, False, None)
        me = yield from api.GetCurrentThreadId()
        no_context = yield from api.OpenThread(SYNCHRONIZE, False, me)
        cases = [
            (lambda d: None, 0xBAD0),  # names nothing
            (lambda d: None, ev),  # an event, not a thread
            (lambda d: None, no_context),  # "must have the THREAD_SET_CONTEXT access right"
            (None, -2),  # no routine (assumption: rejected up front)
        ]
        for routine, handle in cases:
            log.append((yield from api.QueueUserAPC(routine, handle, 0)))
            log.append((yield from api.GetLastError()))

    run(main)
    assert log == [
        0,
        ERROR_INVALID_HANDLE,
        0,
        ERROR_INVALID_HANDLE,
        0,
        ERROR_ACCESS_DENIED,
        0,
        ERROR_INVALID_PARAMETER,
    ]


def test_switch_to_thread_lets_a_ready_thread_run_first() -> None:
    log: list[str] = []

    def a(api: Api) -> Generator[Any, None, None]:
        log.append(f"switched={(yield from api.SwitchToThread())}")
        log.append("a")

    def b(api: Api) -> Generator[Any, None, None]:
        log.append("b")
        log.append(f"switched={(yield from api.SwitchToThread())}")

    def alone(api: Api) -> Generator[Any, None, None]:
        log.append(f"alone={(yield from api.SwitchToThread())}")

    run({"a": a, "b": b})
    # b switches back to a (ready since its own switch), which finishes first.
    assert log == ["b", "switched=1", "a", "switched=1"]
    run(alone)
    # "If there are no other threads ready to execute ... the return value is zero."
    assert log[-1] == "alone=0"


def test_thread_ids_are_multiples_of_four() -> None:
    ids: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        ids.append((yield from api.GetCurrentThreadId()))
        ids.append((yield from api.GetCurrentThread()))

    run(main)
    assert ids[0] % 4 == 0 and ids[1] == 0xFFFFFFFFFFFFFFFE


def test_a_threads_exit_races_get_exit_code_thread_both_ways() -> None:
    # Returning from the start routine is a scheduling point: a thread that signalled its
    # parent may not have terminated yet when the parent asks for its exit code.
    def outcome(seed: int) -> int:
        seen: list[int] = []

        def main(api: Api) -> Generator[Any, None, None]:
            ev = yield from api.CreateEventW(None, True, False, None)

            def child(param: int) -> Generator[Any, None, int]:
                yield from api.SetEvent(ev)
                return 7

            handle = yield from api.CreateThread(None, 0, child, 0, 0, None)
            yield from api.WaitForSingleObject(ev, INFINITE)
            code = DWORD()
            yield from api.GetExitCodeThread(handle, code)
            seen.append(code.value)

        run(main, processors=2, chooser=RandomChooser(seed))
        return seen[0]

    assert {outcome(seed) for seed in range(40)} == {7, STILL_ACTIVE}


def test_generic_rights_are_mapped_for_threads() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        me = yield from api.GetCurrentThreadId()
        for access in (GENERIC_WRITE, GENERIC_ALL, MAXIMUM_ALLOWED, GENERIC_READ):
            handle = yield from api.OpenThread(access, False, me)
            log.append((yield from api.QueueUserAPC(lambda d: None, handle, 0)))
        yield from api.SleepEx(0, True)

    run(main)
    # GENERIC_WRITE maps to THREAD_SET_CONTEXT among others; GENERIC_READ does not.
    assert log == [1, 1, 1, 0]


def test_get_exit_code_thread_checks_the_handle_before_the_pointer() -> None:
    log: list[int] = []

    def main(api: Api) -> Generator[Any, None, None]:
        log.append((yield from api.GetExitCodeThread(0xBAD0, None)))
        log.append((yield from api.GetLastError()))
        log.append((yield from api.GetExitCodeThread(-2, None)))
        log.append((yield from api.GetLastError()))

    run(main)
    assert log == [0, ERROR_INVALID_HANDLE, 0, ERROR_NOACCESS]
