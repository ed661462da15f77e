"""The loader: sections compiled in order, names checked, Python programs and the trust rule."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from emu.errors import ProgramError, ScenarioError
from emu.scenario import load_scenario, load_text
from emu.sim import run_scenario
from tests.scenario.helpers import exit_code, scenario_text

ROOT = Path(__file__).resolve().parents[2]


def error_of(body: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load_text(scenario_text(body), "t.yaml")
    return str(info.value)


def test_the_machine_processors_profile_and_expectation_are_compiled() -> None:
    scenario = load_text(
        scenario_text(
            """
            machine: {processors: 3, profile: default}
            threads:
              main: {steps: []}
            run_until: 250ms
            seed: 12
            expect: {end: time_limit, exit_codes: {main: 0}, violated: [kernel.irql_leak]}
            """
        )
    )
    assert (scenario.machine.processors, scenario.machine.profile) == (3, "default")
    assert scenario.run_until == 2_500_000
    assert scenario.seed == 12
    assert scenario.expect.end == "time_limit"
    assert scenario.expect.exit_codes == {"main": 0}
    assert scenario.expect.violated == ("kernel.irql_leak",)


def test_an_unknown_latency_is_refused_by_name_with_the_known_ones() -> None:
    message = error_of(
        """
        machine: {latency: {rcp: [50us, 2ms]}}
        threads: {main: {steps: []}}
        """
    )
    assert "unknown latency 'rcp'" in message
    assert "rpc" in message and "notify" in message


def test_names_cannot_shadow_each_other() -> None:
    assert "'ev' is already declared (as an event)" in error_of(
        """
        devices: {kernel: {events: {ev: {}}}}
        handlers:
          ev: {steps: []}
        threads: {main: {steps: []}}
        """
    )
    assert "would overwrite the structure $box" in error_of(
        """
        shared: {box: DWORD}
        threads:
          main:
            steps:
              - GetCurrentThreadId:
                as: box
        """
    )
    assert "parameter 'box' hides the shared name $box" in error_of(
        """
        shared: {box: DWORD}
        handlers:
          h: {params: [box], steps: []}
        threads: {main: {steps: []}}
        """
    )


def test_a_handler_does_not_see_a_threads_locals() -> None:
    message = error_of(
        """
        handlers:
          h:
            steps:
              - SetEvent: {hEvent: $ev}
        threads:
          main:
            steps:
              - CreateEventW: {bManualReset: TRUE, bInitialState: FALSE}
                as: ev
        """
    )
    assert message.startswith("t.yaml:7:28: unknown variable $ev in handler h")


def test_user_mode_functions_are_refused_in_a_driver() -> None:
    message = error_of(
        """
        drivers:
          d:
            entry:
              - SetEvent: {hEvent: 4}
        """
    )
    assert "SetEvent is a user-mode function: call it from a thread or a handler" in message


def test_timeline_references_to_handlers_and_drivers_are_checked() -> None:
    assert "no handler named 'on_ap' (did you mean 'on_apc'?)" in error_of(
        """
        handlers: {on_apc: {steps: []}}
        threads: {main: {steps: []}}
        timeline:
          - {at: 1ms, kernel.queue_apc: {thread: main, handler: on_ap}}
        """
    )
    assert "no driver named 'd' (drivers: none)" in error_of(
        """
        threads: {main: {steps: []}}
        timeline:
          - {at: 1ms, kernel.unload_driver: d}
        """
    )


def test_expected_exit_codes_name_threads() -> None:
    assert "no thread named 'mian' (did you mean 'main'?)" in error_of(
        """
        threads: {main: {steps: []}}
        expect: {exit_codes: {mian: 0}}
        """
    )


def test_a_variable_used_before_it_is_bound_is_a_program_error_with_its_position() -> None:
    # bound only in a branch the run does not take: not certain at load, an error at run time
    # (a use that no step before it can bind is refused at load: tests/scenario/test_steps.py)
    scenario = load_text(
        scenario_text(
            """
            threads:
              main:
                steps:
                  - if: {that: 1, equals: 2}
                    then:
                      - CreateEventW: {bManualReset: TRUE, bInitialState: FALSE}
                        as: ev
                  - SetEvent: {hEvent: $ev}
            """
        ),
        "t.yaml",
    )
    with pytest.raises(ProgramError, match=r"t\.yaml:11:28: \$ev is used before a step bound it"):
        run_scenario(scenario)


def test_a_project_python_program_runs_without_permission() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "kernel" / "pipe-echo.yaml")
    assert scenario.python == ("programs:echo_server",)


def write_module(folder: Path) -> Path:
    (folder / "mine.py").write_text(
        textwrap.dedent(
            """
            def main(api):
                yield from api.SwitchToThread()
                return 5

            NOT_A_FUNCTION = 3
            """
        ),
        encoding="utf-8",
    )
    path = folder / "s.yaml"
    path.write_text(scenario_text("threads:\n  main:\n    python: mine:main\n"), encoding="utf-8")
    return path


def test_a_python_program_from_outside_the_project_needs_permission(tmp_path: Path) -> None:
    path = write_module(tmp_path)
    with pytest.raises(ScenarioError, match="allow it explicitly with --allow-python"):
        load_scenario(path)
    result = run_scenario(load_scenario(path, allow_python=True))
    assert exit_code(result) == 5


def test_a_refused_module_is_never_imported(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    (tmp_path / "loud.py").write_text(
        f"open({str(marker)!r}, 'w').close()\ndef main(api):\n    return 0\n", encoding="utf-8"
    )
    path = tmp_path / "s.yaml"
    path.write_text(scenario_text("threads:\n  main:\n    python: loud:main\n"), encoding="utf-8")
    with pytest.raises(ScenarioError):
        load_scenario(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("mine:absent", "python program 'mine:absent': module 'mine' has no 'absent'"),
        ("mine:NOT_A_FUNCTION", "'NOT_A_FUNCTION' is not a function"),
        ("nowhere_at_all:main", "no module 'nowhere_at_all' beside the scenario or on sys.path"),
        ("not a reference", "'not a reference' is not a Python program: module:function"),
    ],
)
def test_bad_python_references(tmp_path: Path, reference: str, message: str) -> None:
    write_module(tmp_path)
    path = tmp_path / "bad.yaml"
    path.write_text(
        scenario_text(f"threads:\n  main:\n    python: '{reference}'\n"), encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, allow_python=True)
    assert message in str(info.value)


def test_a_module_that_fails_to_import_is_reported_as_the_scenarios_error(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("raise RuntimeError('no')\n", encoding="utf-8")
    path = tmp_path / "s.yaml"
    path.write_text(scenario_text("threads:\n  main:\n    python: broken:x\n"), encoding="utf-8")
    with pytest.raises(ScenarioError, match="importing 'broken' failed: RuntimeError: no"):
        load_scenario(path, allow_python=True)


def test_an_unreadable_file_is_one_line() -> None:
    # the whole file is concerned: no line and column
    with pytest.raises(ScenarioError, match=r"^nowhere\.yaml: cannot read the file: "):
        load_scenario("nowhere.yaml")


def test_a_scenario_has_a_seed_or_a_schedule_not_both() -> None:
    message = error_of(
        """
        threads: {main: {steps: []}}
        seed: 3
        schedule: []
        """
    )
    assert "a scenario replays a schedule: or draws a random one with seed:, not both" in message


def test_driver_arguments_and_windows_names_are_not_shared_by_two_declarations() -> None:
    assert "'DriverObject' is DriverEntry's argument: choose another name" in error_of(
        """
        drivers:
          d:
            locals: {DriverObject: DWORD}
            entry: []
        """
    )
    assert "two events are named 'X' (the first at line 6)" in error_of(
        """
        devices:
          kernel:
            events: {a: {name: X}, b: {name: X}}
        threads: {main: {steps: []}}
        """
    )


def _all_errors(text: str) -> list[str]:
    from emu.errors import ScenarioError
    from emu.scenario.loader import load_text

    try:
        load_text(text, "x.yaml")
    except ScenarioError as exc:
        return exc.lines()
    raise AssertionError("the scenario loaded")


def test_every_shape_error_in_a_file_is_reported_in_file_order() -> None:
    lines = _all_errors(
        "version: 1\nname: x\nthreads:\n  main:\n    steps: []\n  other:\n    stepz: []\n"
        "run_untl: all_done\nexpect: {end: done}\n"
    )
    assert [line.split(": ", 1)[0] for line in lines] == ["x.yaml:7:5", "x.yaml:8:1", "x.yaml:9:15"]
    assert "unknown key 'stepz' (did you mean 'steps'?)" in lines[0]
    assert "unknown section 'run_untl' (did you mean 'run_until'?)" in lines[1]


def test_a_misspelt_required_key_is_one_mistake() -> None:
    (line,) = _all_errors("version: 1\nnme: x\nthreads: {main: {steps: []}}\n")
    assert line.startswith("x.yaml:2:1: unknown section 'nme' (did you mean 'name'?)")


def test_every_thread_handler_and_timeline_entry_is_compiled_to_its_first_error() -> None:
    lines = _all_errors(
        "version: 1\nname: x\nthreads:\n"
        "  main:\n    steps:\n      - Sleepp: {dwMilliseconds: 1}\n"
        "  other:\n    steps:\n      - SetEvent: {hEvent: $nothere}\n"
        "timeline:\n  - {at: 1ms, kernel.set_evnt: x}\n"
    )
    assert len(lines) == 3
    assert lines[0].startswith("x.yaml:6:9: ") and "Sleepp" in lines[0]
    assert lines[1].startswith("x.yaml:9:28: ") and "nothere" in lines[1]
    assert lines[2].startswith("x.yaml:11:15: unknown action 'kernel.set_evnt'")


def test_run_until_words_have_a_did_you_mean() -> None:
    (line,) = _all_errors("version: 1\nname: x\nthreads: {main: {steps: []}}\nrun_until: all_dne\n")
    assert "'all_dne' is not a run_until word" in line and "(did you mean 'all_done'?)" in line


def test_past_the_limit_the_rest_are_counted() -> None:
    from emu.errors import ScenarioErrors

    threads = "".join(f"  t{i}:\n    stepz: []\n" for i in range(ScenarioErrors.LIMIT + 5))
    lines = _all_errors(f"version: 1\nname: x\nthreads:\n{threads}")
    assert len(lines) == ScenarioErrors.LIMIT + 1
    assert lines[-1] == "x.yaml: 5 more problems not shown"
