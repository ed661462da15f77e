"""Replay files a user hands emu (emu/explore/replay.py, replay_check.py, jsontext.py).

Whatever a replay file holds, ``emu run``, ``trace``, ``validate`` and ``explore`` give one line,
``file:line:column: message [in json.path]``, and exit 2: never a traceback. Each file of
``tests/explore/malformed/`` is broken in one way; its message is pinned in ``expected.txt``.
Inputs too big to keep in the corpus (100,000 nested brackets, a 5,000-digit number, a file
over the size limit) are made by the tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from emu.cli import main
from emu.errors import EmulatorFault, ScenarioError
from emu.explore import replay as replay_module
from emu.explore.declared import declared_verdict, open_target
from emu.explore.replay import decode_schedule, load_replay, write_replay
from emu.kernel.chooser import RandomChooser
from emu.scenario import load_scenario
from emu.sim.simulation import Simulation
from tests.explore.helpers import record

CORPUS = Path(__file__).parent / "malformed"
EXPECTED = {
    line.split(":", 1)[0]: line
    for line in (CORPUS / "expected.txt").read_text(encoding="utf-8").splitlines()
}
"""The exact message of each file, loaded from the corpus folder (one line per file)."""
NAMES = sorted(EXPECTED)


def test_the_corpus_is_large_and_fully_listed() -> None:
    assert len(NAMES) >= 30
    assert sorted(p.name for p in CORPUS.glob("*.replay.json")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_each_malformed_replay_gives_its_one_line(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CORPUS)
    with pytest.raises(ScenarioError) as info:
        open_target(name)
    message = str(info.value)
    assert message == EXPECTED[name]
    assert "\n" not in message
    line, column = message.split(":")[1:3]
    assert int(line) >= 1 and int(column) >= 1  # every replay error has a place in the file


@pytest.mark.parametrize("command", ["run", "validate", "explore"])
def test_each_command_gives_one_line_per_file_and_exits_2(
    command: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(CORPUS)
    extra = ["--quiet", "--out", str(tmp_path)] if command == "explore" else []
    assert main([command, *NAMES, *extra]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [EXPECTED[name] for name in NAMES]
    assert captured.out == ""


def test_trace_gives_the_one_line_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(CORPUS)
    for name in NAMES:
        assert main(["trace", name]) == 2
        captured = capsys.readouterr()
        assert (captured.err, captured.out) == (EXPECTED[name] + "\n", "")


def test_a_fresh_process_prints_no_traceback(tmp_path: Path) -> None:
    deep = tmp_path / "deep.replay.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "emu", "validate", *NAMES, str(deep)],
        cwd=CORPUS,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        *(EXPECTED[name] for name in NAMES),
        f"{deep}:1:65: nesting deeper than 64 levels",
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # Python's decoder would exhaust its stack on these brackets
        ("[" * 100_000 + "]" * 100_000, "1:65: nesting deeper than 64 levels"),
        ('{"format": "emu.replay", "n": [\n  ' + "9" * 5000 + "]}", "2:3: a number of more "),
        ('{"format": -Infinity}', "1:12: -Infinity is not a JSON number"),
        ("\ufeff[]", "1:1: expected a replay file"),  # a byte-order mark is not an error
    ],
)
def test_input_the_json_decoder_cannot_take_is_one_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "x.replay.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_replay(path)
    assert str(info.value).startswith(f"{path}:{message}")


def test_a_file_that_cannot_be_read_is_named_without_a_position(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.replay.json").mkdir()
    (tmp_path / "big.replay.json").write_bytes(b" " * ((1 << 20) + 1))
    monkeypatch.setattr(replay_module, "MAX_FILE_BYTES", 1 << 20)
    files = ["missing.replay.json", "folder.replay.json", "big.replay.json", "a\0b.replay.json"]
    files += ["line\nbreak.yaml", "nul\0.yaml"]
    assert main(["validate", *files]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "missing.replay.json: cannot read the file: No such file or directory",
        "folder.replay.json: cannot read the file: Is a directory",
        "big.replay.json: cannot read the file: it is larger than 1 MiB",
        "a\\x00b.replay.json: cannot read the file: its name holds a NUL byte",
        "line\\nbreak.yaml: cannot read the file: No such file or directory",
        "nul\\x00.yaml: cannot read the file: its name holds a NUL byte",
    ]


def test_an_error_inside_the_replays_scenario_is_at_the_scenarios_line(tmp_path: Path) -> None:
    replay = record(tmp_path)
    (tmp_path / "racing.yaml").write_text("version: 1\nname: racing\nthreads: [\n")
    with pytest.raises(ScenarioError) as info:
        open_target(replay)
    assert str(info.value).startswith(f"{tmp_path / 'racing.yaml'}:4:1: YAML syntax error")


def test_validate_checks_a_replay_and_its_scenario_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replay = record(tmp_path)
    schedule = json.loads(replay.read_text(encoding="utf-8"))["schedule"]
    choices = len(schedule["steps"]) // 2
    assert main(["validate", str(replay)]) == 0
    assert capsys.readouterr().out == (
        f"{replay}: ok (replay of {tmp_path / 'racing.yaml'}: {choices} choice(s), 32 "
        "event(s); scenario racing: 2 thread(s), 0 driver(s), 0 timeline event(s), 0 fault(s))\n"
    )
    scenario = tmp_path / "racing.yaml"
    scenario.write_text(scenario.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert main(["validate", str(replay)]) == 0
    assert "event(s); it changed since the recording; scenario racing" in capsys.readouterr().out


def test_a_bad_file_among_good_ones_stops_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Run the valid ones, report the invalid (one line), exit 2 at the end.
    replay = record(tmp_path)
    bad = str(CORPUS / "a-list.replay.json")
    for command in ("run", "explore"):
        extra = ["--schedules", "1", "--out", str(tmp_path / "out")] if command == "explore" else []
        assert main([command, "--quiet", bad, str(replay), *extra]) == 2
        captured = capsys.readouterr()
        assert captured.err.splitlines() == [
            f"{bad}:{EXPECTED['a-list.replay.json'].split(':', 1)[1]}"
        ]
        assert "-- PASS: racing" in captured.out or "-- FAIL: racing" in captured.out


def test_the_replay_reproduces_and_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replay = record(tmp_path)
    assert main(["run", "--quiet", str(replay)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("-- PASS: racing")


# -- writing -------------------------------------------------------------------------------------


def _write(path: Path, **changes: object) -> Path:
    fields: dict[str, object] = {
        "scenario_file": str(path.parent / "racing.yaml"),
        "scenario_sha256": None,
        "schedule": [(0, ("thread", "a"))],
        "events": [],
        "properties": [],
        "found_by": {},
    }
    fields.update(changes)
    return write_replay(path, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"schedule": [(0, 1.5)]},  # a key the format cannot hold
        {"schedule": [(0, ("thread", None))]},
        {"schedule": [(-1, "x")]},
        {"found_by": {"rate": float("nan")}},  # NaN is not JSON
        {"found_by": {"chooser": object()}},
    ],
)
def test_a_document_that_is_not_a_replay_is_emus_fault_and_writes_nothing(
    tmp_path: Path, changes: dict[str, object]
) -> None:
    path = tmp_path / "out" / "x.replay.json"
    with pytest.raises(EmulatorFault):
        _write(path, **changes)
    assert not path.exists()


def test_what_is_written_reads_back(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.replay.json", schedule=[(2, ("thread", "a")), (0, 7), (1, "none")])
    assert json.loads(path.read_text(encoding="utf-8"))["schedule"] == {
        "keys": [["thread", "a"], 7, "none"],
        "steps": [2, 0, 0, 1, 1, 2],
    }
    assert load_replay(path).schedule == [(2, ("thread", "a")), (0, 7), (1, "none")]


def test_a_failed_write_leaves_neither_half_a_replay_nor_a_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "x.replay.json"
    target.mkdir()  # the rename onto it fails
    with pytest.raises(OSError):
        _write(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.replay.json"]
    assert target.is_dir()


def test_a_long_schedule_is_written_in_rows_and_reads_back(tmp_path: Path) -> None:
    schedule = [(i % 3, ("thread", f"t{i % 5}")) for i in range(100)]
    path = _write(tmp_path / "x.replay.json", schedule=schedule)
    text = path.read_text(encoding="utf-8")
    assert "\n   0, 0, 1, 1, 2, 2, 0, 3, " in text  # rows of 32 numbers: 16 pairs a line
    assert load_replay(path).schedule == schedule
    # a found_by holding the placeholder text is written plainly, and still reads back
    odd = _write(tmp_path / "y.replay.json", schedule=schedule, found_by={"x": "\0steps\0"})
    assert load_replay(odd).schedule == schedule
    assert load_replay(odd).found_by == {"x": "\0steps\0"}


def test_a_replay_naming_a_file_that_is_not_a_scenario_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replay = record(tmp_path)
    document = json.loads(replay.read_text(encoding="utf-8"))
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    for target, expected in [
        ("image.png", f"{tmp_path / 'image.png'}:3:1: binary data (a NUL byte)"),
        # itself: JSON is YAML, and a scenario's first key is its version (replays are at 3)
        ("racing.replay.json", f"{replay}:1:37: unsupported scenario version 3: this emu reads"),
    ]:
        document["scenario"]["file"] = target
        replay.write_text(json.dumps(document), encoding="utf-8")
        assert main(["run", str(replay)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(expected) and err.count("\n") == 1, err


# -- retired versions, long schedules ------------------------------------------------------------

RETIRED = {
    1: "its trace checkpoints are digests of the JSON lines",
    2: "its trace checkpoints digest the events of trace schema 1",
}


def retired(version: int, scenario: object) -> str:
    return (
        f"replay format version {version} is no longer read ({RETIRED[version]}; version 3 "
        f"digests the events of trace schema 2): re-run emu explore {scenario} to record it "
        "again [in version]"
    )


@pytest.mark.parametrize("version", [1, 2])
def test_a_retired_version_is_refused_with_the_command_that_records_it_again(
    version: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    replay = record(tmp_path)
    text = replay.read_text(encoding="utf-8")
    assert '"version": 3,' in text
    replay.write_text(text.replace('"version": 3,', f'"version": {version},', 1), "utf-8")
    for command in ("run", "validate", "trace"):
        assert main([command, str(replay)]) == 2
        captured = capsys.readouterr()
        assert (captured.out, captured.err) == (
            "",
            f"{replay}:3:13: " + retired(version, tmp_path / "racing.yaml") + "\n",
        )
    # named from the working directory, as the command is typed there
    monkeypatch.chdir(tmp_path / "..")
    given = f"{tmp_path.name}/racing.replay.json"
    with pytest.raises(ScenarioError) as info:
        load_replay(given)
    scenario = f"{tmp_path.name}/racing.yaml"
    assert str(info.value) == f"{given}:3:13: " + retired(version, scenario)
    # and the command does record it again: a version-3 file that replays and verifies
    out = tmp_path / "again.replay.json"
    assert main(["explore", "--quiet", scenario, "--out", str(out)]) == 0
    capsys.readouterr()
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == 3
    assert main(["run", "--quiet", str(out)]) == 0


@pytest.mark.parametrize(
    ("bad", "found"),
    [
        (True, "true"),
        (1.0, "the number 1.0"),
        (-1, "the number -1"),
        (1_000_000, "the number 1000000"),
        ("0", "the string '0'"),
    ],
)
@pytest.mark.parametrize("at", [0, 1, 1_999])
def test_a_bad_step_in_a_long_schedule_is_found_at_its_place(
    bad: object, found: str, at: int
) -> None:
    # A valid list is taken whole; a bad value anywhere is still reported where it is.
    steps: list[object] = [0, 1] * 1_000
    steps[at] = bad
    schedule = {"keys": [["thread", "a"], ["thread", "b"]], "steps": steps}
    with pytest.raises(ScenarioError) as info:
        decode_schedule(schedule, "r.replay.json")
    message = str(info.value)
    assert message.endswith(f"found {found} [in schedule.steps[{at}]]"), message
    what = "an option index" if at % 2 == 0 else "a key number"
    assert f": expected {what}, " in message


LONG = """\
version: 1
name: long
limits: {{events: 1000000, steps_per_instant: 1000000}}
shared:
  n: {{type: LONG}}
threads:
  a:
    steps:
      - repeat: {n}
        steps:
          - InterlockedIncrement: {{Addend: $n}}
  b:
    steps:
      - repeat: {n}
        steps:
          - InterlockedIncrement: {{Addend: $n}}
"""


def test_a_long_schedule_round_trips_and_verifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario_file = tmp_path / "long.yaml"
    scenario_file.write_text(LONG.format(n=5_000), encoding="utf-8")
    recorded = Simulation(load_scenario(scenario_file), chooser=RandomChooser(2)).run()
    events = recorded.k.trace.events
    assert len(recorded.schedule) >= 9_000 and len(events) > 25_000
    path = write_replay(
        tmp_path / "long.replay.json",
        scenario_file=str(scenario_file),
        scenario_sha256=None,
        schedule=recorded.schedule,
        events=events,
        properties=[],
        found_by={},
    )
    replay = load_replay(path)
    assert replay.schedule == recorded.schedule
    counts = [count for count, _ in replay.checkpoints]
    assert counts == [*range(1024, len(events), 1024), len(events)]
    outcome = declared_verdict(open_target(path))
    assert outcome.replay_problem is None and outcome.ok
    assert outcome.assessment.result.k.trace.to_jsonl() == recorded.k.trace.to_jsonl()
    # one checkpoint tampered with: the run fails there, naming it
    document = json.loads(path.read_text(encoding="utf-8"))
    document["trace"]["checkpoints"][10][1] = "0" * 16
    path.write_text(json.dumps(document), encoding="utf-8")
    assert main(["run", "--quiet", str(path)]) == 1
    assert "the trace differs from the recorded one by event 11264 (in events 10240 to 11263: " in (
        capsys.readouterr().out
    )
