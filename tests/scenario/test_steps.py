"""The step language: each keyword and the call step, run on small scenarios."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from emu.codes import ERROR_INVALID_HANDLE
from emu.errors import ScenarioError
from emu.scenario import load_text
from emu.scenario.frame import Frame
from emu.scenario.steps import _reader
from tests.scenario.helpers import exit_code, messages, rules, run_yaml, scenario_text


def test_a_call_binds_its_result_and_a_failed_expectation_is_a_violation() -> None:
    result = run_yaml(
        """
        threads:
          main:
            steps:
              - SetEvent: {hEvent: 0x1234}
                expect: ERROR_SUCCESS
              - GetLastError:
                as: err
              - return: $err
        """
    )
    # The program goes on after a failed expectation, as C code that ignored it would.
    assert exit_code(result) == ERROR_INVALID_HANDLE
    assert rules(result) == ["scenario.expect"]
    assert messages(result) == [
        "thread main: SetEvent returned FALSE, last error ERROR_INVALID_HANDLE; expected "
        "ERROR_SUCCESS (t.yaml:7:9)"
    ]


def test_error_codes_match_the_last_error_the_call_set_for_bool_and_handle_functions() -> None:
    result = run_yaml(
        """
        threads:
          main:
            steps:
              - CreateEventW: {bManualReset: TRUE, bInitialState: FALSE, lpName: "x"}
                expect: ERROR_SUCCESS
              - CreateEventW: {bManualReset: TRUE, bInitialState: FALSE, lpName: "x"}
                expect: ERROR_ALREADY_EXISTS      # succeeded, and set this error
              - CreateEventW: {bManualReset: TRUE, bInitialState: FALSE, lpName: "x"}
                expect: ERROR_SUCCESS             # fails: it set ERROR_ALREADY_EXISTS
              - SetEvent: {hEvent: 0x40}
                expect: [ERROR_INVALID_HANDLE, ERROR_ACCESS_DENIED]
              - SetEvent: {hEvent: 0x40}
                expect: FALSE                     # a value: compared with the return
        """
    )
    assert rules(result) == ["scenario.expect"]
    assert "last error ERROR_ALREADY_EXISTS; expected ERROR_SUCCESS" in messages(result)[0]


def test_codes_of_wait_functions_are_compared_with_the_return_value() -> None:
    result = run_yaml(
        """
        threads:
          main:
            steps:
              - SleepEx: {dwMilliseconds: 1ms, bAlertable: TRUE}
                expect: 0
              - CreateEventW: {bManualReset: FALSE, bInitialState: TRUE}
                as: ev
              - WaitForSingleObjectEx: {hHandle: $ev, dwMilliseconds: 0, bAlertable: TRUE}
                expect: WAIT_OBJECT_0
              - WaitForSingleObjectEx: {hHandle: $ev, dwMilliseconds: 0, bAlertable: TRUE}
                expect: WAIT_OBJECT_0
        """
    )
    assert messages(result) == [
        "thread main: WaitForSingleObjectEx returned WAIT_TIMEOUT; expected WAIT_OBJECT_0 "
        "(t.yaml:13:9)"
    ]


def test_repeat_runs_its_steps_a_count_of_times_with_the_index_bound() -> None:
    result = run_yaml(
        """
        shared:
          total: LONG
        threads:
          main:
            steps:
              - repeat: 4
                as: i
                steps:
                  - InterlockedExchangeAdd: {Addend: $total, Value: $i}
              - return: $total.value
        """
    )
    assert exit_code(result) == 0 + 1 + 2 + 3


def test_until_repeats_until_the_last_call_returns_the_code() -> None:
    result = run_yaml(
        """
        devices:
          kernel:
            events: {ev: {}}
        threads:
          main:
            steps:
              - until: WAIT_OBJECT_0
                steps:
                  - WaitForSingleObject: {hHandle: $ev, dwMilliseconds: 1ms}
              - return: 0
        timeline:
          - {at: 5500us, kernel.set_event: ev}
        """
    )
    assert exit_code(result) == 0
    assert result.end_time == 55_000  # the sixth 1 ms poll is woken by the set


def test_until_stops_at_its_bound_and_says_so() -> None:
    result = run_yaml(
        """
        threads:
          main:
            steps:
              - until: {that: 1, equals: 2}
                max: 3
                steps:
                  - SwitchToThread
        """
    )
    assert rules(result) == ["scenario.loop_bound"]
    assert messages(result) == [
        "thread main: the until loop at t.yaml:7:9 ran 3 times without its condition holding"
    ]
    assert len([e for e in result.events if e.kind == "api"]) == 3


def test_if_takes_one_branch_and_set_binds_variables_and_fields() -> None:
    result = run_yaml(
        """
        shared:
          box: DWORD
        threads:
          main:
            steps:
              - set: {x: 5, box.value: 9}
              - if: {that: $x, at_least: 5}
                then:
                  - set: {y: 1}
                else:
                  - set: {y: 2}
              - if: {that: $box.value, in: [1, 2]}
                then:
                  - set: {y: 100}
              - return: $y
        """
    )
    assert exit_code(result) == 1
    writes = [e.payload for e in result.events if e.kind == "mem.write"]
    assert writes == [{"field": "value", "value": 9, "by": "program"}]


def test_increment_is_a_read_a_scheduling_point_and_a_write_so_updates_can_be_lost() -> None:
    body = """
        machine: {processors: 2}
        shared:
          n: LONG
        handlers:
          bump:
            steps:
              - increment: $n
        threads:
          main:
            locals: {handles: {type: DWORD, count: 1}}
            steps:
              - CreateThread: {dwStackSize: 0, lpStartAddress: $bump, dwCreationFlags: 0}
                as: a
              - CreateThread: {dwStackSize: 0, lpStartAddress: $bump, dwCreationFlags: 0}
                as: b
              - WaitForMultipleObjects:
                  {nCount: 2, lpHandles: [$a, $b], bWaitAll: TRUE, dwMilliseconds: INFINITE}
                expect: WAIT_OBJECT_0
              - return: $n.value
        """
    assert exit_code(run_yaml(body)) == 2
    finals = {exit_code(run_yaml(body, seed=seed)) for seed in range(40)}
    assert finals == {1, 2}  # a lost update is reachable


def test_assert_records_a_violation_with_the_values_it_compared() -> None:
    result = run_yaml(
        """
        threads:
          main:
            steps:
              - set: {x: 3}
              - assert: {that: $x, less_than: 2}
                message: x stays small
              - assert: {that: $x, equals: 3}
        """
    )
    assert messages(result) == [
        "thread main: x stays small: assertion failed, $x less_than 2: 3 < 2 (t.yaml:8:17)"
    ]


def test_return_ends_the_program_with_its_exit_code_and_note_writes_to_the_trace() -> None:
    result = run_yaml(
        """
        threads:
          main:
            steps:
              - note: about to leave
              - return: 42
              - note: never written
        """
    )
    assert exit_code(result) == 42
    notes = [e.payload["text"] for e in result.events if e.kind == "scenario.note"]
    assert notes == ["about to leave"]


def test_work_spends_cpu_time_and_a_range_is_a_latency_choice() -> None:
    fixed = run_yaml("threads:\n  main:\n    steps:\n      - work: 3ms\n")
    assert fixed.end_time == 30_000
    ranged = "threads:\n  main:\n    steps:\n      - work: [1ms, 4ms]\n"
    assert run_yaml(ranged).end_time == 10_000  # option 0: the lower bound
    times = {run_yaml(ranged, seed=seed).end_time for seed in range(20)}
    assert times == {10_000, 40_000}
    latency = [e for e in run_yaml(ranged, seed=1).events if e.kind == "choice"]
    assert [e.payload["point"] for e in latency] == ["latency"]


def test_handler_parameters_are_positional_missing_ones_null() -> None:
    result = run_yaml(
        """
        handlers:
          routine:
            params: [first, second]
            steps:
              - if: {that: $second, equals: null}
                then:
                  - return: $first
              - return: 0
        threads:
          main:
            steps:
              - CreateThread:
                  {dwStackSize: 0, lpStartAddress: $routine, lpParameter: 11, dwCreationFlags: 0}
                as: t
              - WaitForSingleObject: {hHandle: $t, dwMilliseconds: INFINITE}
              - GetExitCodeThread: {hThread: $t, lpExitCode: {new: DWORD}}
        """
    )
    assert next(t for t in result.k.actors if t.name == "routine").exit_code == 11


def test_arrays_buffers_and_flags_reach_the_api_as_c_would_pass_them() -> None:
    result = run_yaml(
        """
        threads:
          main:
            locals:
              reply: {type: buffer, size: 5}
              n: DWORD
            steps:
              - CreateNamedPipeW:
                  lpName: '\\\\.\\pipe\\p'
                  dwOpenMode: PIPE_ACCESS_DUPLEX
                  dwPipeMode: 0
                  nMaxInstances: 1
                  nOutBufferSize: 0
                  nInBufferSize: 0
                  nDefaultTimeOut: 0
                as: server
                expect: ERROR_SUCCESS
              - CreateFileW:
                  lpFileName: '\\\\.\\pipe\\p'
                  dwDesiredAccess: GENERIC_READ | GENERIC_WRITE
                  dwShareMode: 0
                  dwCreationDisposition: OPEN_EXISTING
                  dwFlagsAndAttributes: 0
                  hTemplateFile: null
                as: client
                expect: ERROR_SUCCESS
              - WriteFile:
                  {hFile: $client, lpBuffer: "hello", nNumberOfBytesToWrite: 5,
                   lpNumberOfBytesWritten: $n}
                expect: TRUE
              - ReadFile:
                  {hFile: $server, lpBuffer: $reply, nNumberOfBytesToRead: 5,
                   lpNumberOfBytesRead: $n}
                expect: TRUE
              - return: $n.value
        """
    )
    assert exit_code(result) == 5
    assert rules(result) == []


def test_until_tests_a_call_of_the_round_and_ignores_void_calls() -> None:
    result = run_yaml(
        """
        threads:
          main:
            steps:
              - SleepEx: {dwMilliseconds: 0, bAlertable: FALSE}   # returns 0 before the loop
              - until: 0
                max: 3
                steps:
                  - Sleep: {dwMilliseconds: 1}                     # VOID: not a code
                  - SwitchToThread                                 # returns FALSE (0)
              - until: 0
                max: 2
                steps:
                  - note: no call in this round
                  - if: {that: 1, equals: 2}
                    then:
                      - SwitchToThread
        """
    )
    # The first loop ends after one round (SwitchToThread returned 0); the second never sees a
    # call of its own rounds, whatever was called before it.
    assert rules(result) == ["scenario.loop_bound"]
    assert result.end_time == 10_000


def test_loops_are_bounded_and_count_toward_the_step_limit() -> None:
    from emu.errors import ScenarioError

    with pytest.raises(ScenarioError, match="repeat takes a count: an integer from 0 to 1,000,000"):
        run_yaml("threads:\n  main:\n    steps:\n      - repeat: 1000001\n        steps: []\n")
    result = run_yaml(
        """
        threads:
          main:
            steps:
              - repeat: 200000
                steps: []
        """
    )
    assert result.end_reason == "step limit"
    assert rules(result) == ["kernel.step_limit"]


def test_a_driver_routine_writes_the_drivers_globals() -> None:
    # A driver's variables are its globals: what a DPC routine stores, DriverUnload reads.
    result = run_yaml(
        """
        drivers:
          d:
            locals: {dpc: KDPC}
            routines:
              r:
                params: [Dpc, Context, A1, A2]
                steps:
                  - set: {x: 2}
            entry:
              - set: {x: 1}
              - KeInitializeDpc: {Dpc: $dpc, DeferredRoutine: $r, DeferredContext: null}
              - KeInsertQueueDpc: {Dpc: $dpc, SystemArgument1: null, SystemArgument2: null}
            unload:
              - assert: {that: $x, equals: 2}
        timeline:
          - {at: 1ms, kernel.unload_driver: d}
        """
    )
    assert [e.kind for e in result.events if e.kind == "driver.unload"] == ["driver.unload"]
    assert rules(result) == []


def test_conditions_compare_as_c_does_null_is_zero_and_buffers_match_text() -> None:
    # `ov == 0` is `ov == NULL` in C; a buffer compares its bytes with the text's bytes.
    result = run_yaml(
        """
        threads:
          main:
            locals:
              ov: PVOID
              reply: {type: buffer, data: "data"}
            steps:
              - assert: {that: $ov.value, equals: 0}
              - assert: {that: $reply, equals: "data"}
              - assert: {that: $reply, not_equals: "nope"}
        """
    )
    assert rules(result) == []


# -- what a static check can know is refused at load (emu validate), not at run time ------------


def load_error(body: str) -> str:
    """The one-line error of loading ``body``."""
    with pytest.raises(ScenarioError) as info:
        load_text(scenario_text(body), "t.yaml")
    return str(info.value)


def loads(body: str) -> None:
    load_text(scenario_text(body), "t.yaml")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("done", "the text 'done'"),
        ('"3"', "the text '3'"),
        ("1.5", "1.5"),
        ("10ms", "the text '10ms'"),
    ],
)
def test_a_return_value_that_is_not_an_integer_is_refused_at_load(value: str, shown: str) -> None:
    message = load_error(f"threads: {{main: {{steps: [{{return: {value}}}]}}}}\n")
    assert message == (
        "t.yaml:3:35: return takes an integer (an exit code or a status, such as 0, "
        f"STATUS_SUCCESS or $rc), not {shown} [in threads.main.steps[0].return]"
    )


def test_a_structure_or_a_handler_returned_is_refused_at_load() -> None:
    assert "return takes an integer (an exit code or a status), not a structure" in load_error(
        "threads: {main: {steps: [{return: {new: OVERLAPPED}}]}}\n"
    )
    assert "not the OVERLAPPED $ov" in load_error(
        "threads: {main: {locals: {ov: OVERLAPPED}, steps: [{return: $ov}]}}\n"
    )
    assert "not the handler $h" in load_error(
        "handlers: {h: {steps: []}}\nthreads: {main: {steps: [{return: $h}]}}\n"
    )


def test_integer_return_values_load_and_run() -> None:
    # The situation that must not fire: numbers, constants, TRUE, NULL, flags, a variable
    # and a structure's field.
    for value in ("7", "STATUS_SUCCESS", "TRUE", "null", "[0x1, 0x4]", "$rc", "$ov.Offset"):
        loads(
            "threads:\n  main:\n    locals: {ov: OVERLAPPED}\n    steps:\n"
            f"      - GetLastError:\n        as: rc\n      - return: {value}\n"
        )
    assert exit_code(run_yaml("threads: {main: {steps: [{return: [0x1, 0x4]}]}}\n")) == 5


def test_a_variable_no_earlier_step_binds_is_refused_at_load() -> None:
    assert load_error(
        """
        threads:
          main:
            steps:
              - set: {copy: $rc}
              - GetLastError:
                as: rc
        """
    ) == (
        "t.yaml:7:21: $rc is used before any step binds it: no earlier step of thread main has "
        "as: rc or set: {rc: ...} [in threads.main.steps[0].set.copy]"
    )
    # A call's arguments are read before its as: binds.
    assert "$ev is used before any step binds it" in load_error(
        """
        threads:
          main:
            steps:
              - SetEvent: {hEvent: $ev}
                as: ev
        """
    )
    # In a handler: its locals are fresh each call, only its params are bound on entry.
    assert "no earlier step of handler h has as: n" in load_error(
        """
        handlers:
          h:
            params: [p]
            steps:
              - set: {m: $p}
              - return: $n
              - set: {n: 1}
        threads: {main: {steps: []}}
        """
    )


def test_a_variable_an_earlier_step_may_bind_is_not_refused() -> None:
    # The situations that must not fire: a binding inside a branch (it may run), in a loop body
    # later in the text (an earlier round ran it), an until condition after its body, a
    # repeat's as:, and a driver's globals (another routine may store them).
    loads(
        """
        threads:
          main:
            steps:
              - if: {that: 1, equals: 1}
                then:
                  - set: {a: 1}
              - set: {b: $a}
              - repeat: 2
                steps:
                  - if: {that: $c, equals: 1}
                    then: []
                  - set: {c: 1}
              - until: {that: $d, equals: 1}
                steps:
                  - set: {d: 1}
              - repeat: 1
                as: i
                steps:
                  - set: {e: $i}
        """
    )
    loads(
        """
        drivers:
          d:
            entry:
              - set: {x: $g}
              - set: {g: 1}
        """
    )


def test_a_field_of_a_value_that_is_never_a_structure_is_refused_at_load() -> None:
    body = """
        devices: {kernel: {events: {ready: {}}}}
        threads:
          main:
            locals: {buf: {type: buffer, size: 8}}
            steps:
              - CreateEventW: {bManualReset: TRUE, bInitialState: FALSE}
                as: ev
              - set: {n: 4}
              - repeat: 1
                as: i
                steps: []
              - assert: {that: %s, equals: 0}
        """
    expected = {
        "$ev.Internal": "$ev holds a HANDLE (CreateEventW's return), not a structure: it has no "
        "field 'Internal'",
        "$n.value": "$n holds the constant 4, not a structure: it has no field 'value'",
        "$i[0]": "$i holds a number (the iteration), not an array: it has no element [0]",
        "$ready.X": "$ready holds a handle to an event, not a structure: it has no field 'X'",
        "$buf.X": "$buf is a buffer, not a structure: it has no field 'X'",
    }
    for reference, message in expected.items():
        assert message in load_error(body % f'"{reference}"')
    assert "$n holds the constant 4, not a structure: it has no field 'value'" in load_error(
        "threads: {main: {steps: [{set: {n: 4}}, {set: {n.value: 1}}]}}\n"
    )


def test_a_field_of_a_value_that_may_be_a_structure_is_not_refused() -> None:
    # The situations that must not fire: one binding stores a structure (or a copy of a
    # name that may hold one), a handler's parameter (a pointer to a structure, perhaps).
    loads(
        """
        handlers:
          done:
            params: [code, bytes, ov]
            steps:
              - set: {x: $ov.Internal}
        threads:
          main:
            locals: {ov: OVERLAPPED}
            steps:
              - set: {s: 0}
              - set: {s: {new: OVERLAPPED}}
              - set: {t: $ov}
              - set: {u: $s.Offset, v: $t.Offset}
        """
    )


@pytest.mark.parametrize("count", range(9))
def test_a_calls_arguments_are_read_in_parameter_order_once_each(count: int) -> None:
    # Every arity (those spelled out and the general case) reads each argument once, in order.
    frame = Frame(None, {}, "thread main")
    read: list[int] = []

    def argument(index: int) -> Callable[[Frame], int]:
        def value(f: Frame) -> int:
            assert f is frame
            read.append(index)
            return index * 10

        return value

    assert _reader([argument(i) for i in range(count)])(frame) == tuple(
        i * 10 for i in range(count)
    )
    assert read == list(range(count))
