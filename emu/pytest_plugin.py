"""The pytest plugin (entry point ``pytest11``): scenario files as test items.

Every ``*.yaml`` file under a folder named ``scenarios`` that pytest collects becomes one test
item named after the scenario. The item runs the scenario to its declared verdict exactly as
``emu run`` does (a bug demonstration the canonical schedule does not show is explored within
its ``explore:`` budget). A failure shows the violations told as stories, with their
properties' sentences, points at the scenario's file, and names a replay file
(``emu run PATH`` reproduces it). An invalid file fails its item with the one-line
``file:line:column`` error. Options:

- ``--emu-allow-python``: let collected scenarios run Python programs from outside the
  project (as ``emu run --allow-python``);
- ``--emu-no-scenarios``: do not collect scenario files;
- ``--emu-replay-dir DIR``: where failing runs' replay files go (default ``.emu/replays``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emu.errors import EmuError, ScenarioError

SUFFIXES = (".yaml", ".yml")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("emu", "emu scenarios")
    group.addoption(
        "--emu-allow-python",
        action="store_true",
        help="allow collected scenarios to run Python programs from outside the project",
    )
    group.addoption("--emu-no-scenarios", action="store_true", help="do not collect scenario files")
    group.addoption(
        "--emu-replay-dir", default=None, help="where replay files of failing runs are written"
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    if parent.config.getoption("--emu-no-scenarios"):
        return None
    if file_path.suffix in SUFFIXES and "scenarios" in file_path.parts[:-1]:
        item: ScenarioFile = ScenarioFile.from_parent(parent, path=file_path)
        return item
    return None


class ScenarioFile(pytest.File):
    """A scenario file: one item, named after the scenario (or the file, if invalid)."""

    def collect(self) -> Iterator[ScenarioItem]:
        from emu.explore.declared import open_target  # noqa: PLC0415 - after collection starts

        allow = bool(self.config.getoption("--emu-allow-python"))
        try:
            target = open_target(self.path, allow_python=allow)
        except ScenarioError as exc:
            yield ScenarioItem.from_parent(self, name=self.path.stem, error="\n".join(exc.lines()))
            return
        yield ScenarioItem.from_parent(self, name=target.scenario.name, target=target)


class ScenarioFailure(Exception):
    """Raised by a failing item; its text is the report."""


class ScenarioItem(pytest.Item):
    def __init__(self, *, target: Any = None, error: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target = target
        self.error = error

    def runtest(self) -> None:
        from emu.explore.declared import declared_verdict  # noqa: PLC0415
        from emu.testing import failure_text, replay_dir, write_failure_replay  # noqa: PLC0415

        if self.error is not None:
            raise ScenarioFailure(self.error)
        try:
            outcome = declared_verdict(self.target)
        except EmuError as exc:
            raise ScenarioFailure(f"{self.path}: the run failed: {exc}") from None
        if outcome.ok:
            return
        folder = replay_dir(self.config.getoption("--emu-replay-dir"))
        path = write_failure_replay(outcome.assessment, folder, outcome.campaign)
        text = failure_text(outcome.assessment, path)
        if outcome.replay_problem is not None:
            text += f"\n   FAIL: {outcome.replay_problem}"
        raise ScenarioFailure(text)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if isinstance(excinfo.value, ScenarioFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario {self.name}"
