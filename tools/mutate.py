"""Mutation testing for emu: plant one small bug at a time in a copy of the repository and
see whether the tests notice.

    python -m tools.mutate                       # 100 mutants of emu/kernel, devices, properties
    python -m tools.mutate --module emu/kernel/iocp.py --limit 30
    python -m tools.mutate --list --limit 20     # which mutants, without running anything
    python -m tools.mutate --facts               # docs/facts.md: each fact's planted bug

The repository is copied to a temporary folder (never /work/main or whatever tree it runs
from: others may be running tests there), and every test run imports the copy's ``emu``
(checked before anything runs). For each mutant, the tests of its module (``TESTS``: the file
mirroring it, then the wider suites that exercise it, the shipped scenarios among them) run
with ``-x`` under a time limit; a failure, an error or a timeout kills the mutant. Tests that
already fail on the unmutated copy are deselected (and listed), so a tree with work in
progress still gives a meaningful result.

Mutants are drawn with a seeded ``random.Random`` from every mutant of the selected modules
(``tools.mutants``), so the same ``--seed`` and ``--limit`` give the same mutants anywhere.
See docs/mutation.md for when to run it and what the last run found.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tools.fact_plants import PLANTS
from tools.facts_table import fact_rows, pytest_ids
from tools.mutants import Mutant, mutants_of

ROOT: Final = Path(__file__).resolve().parents[1]
DEFAULT_MODULES: Final = ("emu/kernel", "emu/devices", "emu/properties")
SHIPPED: Final = "tests/scenario/test_shipped.py"
KERNEL_TESTS: Final = (
    "tests/kernel",
    "tests/win32/kernel32",
    "tests/win32/ntoskrnl",
    "tests/win32/test_api.py",
    "tests/win32/test_driver.py",
    "tests/properties/test_kernel_checks.py",
    "tests/stateful/test_io_properties.py",
    SHIPPED,
)
SCM_TESTS: Final = (
    "tests/devices/test_scm.py",
    "tests/devices/test_scm_notify.py",
    "tests/win32/advapi32",
    "tests/scenario/test_scm_scenarios.py",
    SHIPPED,
)
TESTS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    # (module path prefix, the tests run against its mutants, after its mirror file)
    ("emu/kernel/", KERNEL_TESTS),
    ("emu/devices/npfs", ("tests/devices/test_npfs.py", "tests/win32/kernel32", SHIPPED)),
    ("emu/devices/scm", SCM_TESTS),
    ("emu/properties/", ("tests/properties", "tests/test_rules_doc.py", SHIPPED)),
)
IGNORED: Final = shutil.ignore_patterns(
    ".git", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".hypothesis", "*.pyc"
)
FAILED: Final = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)


@dataclass(slots=True)
class Outcome:
    name: str  # where and what (a mutant) or the fact (a plant)
    module: str
    operator: str
    status: str  # killed, survived, timeout, error
    seconds: float
    detail: str = ""


# -- the copy -----------------------------------------------------------------------------------


def make_copy(keep: bool) -> Path:
    base = Path(tempfile.mkdtemp(prefix="emu-mutate-"))
    copy = base / "repo"
    shutil.copytree(ROOT, copy, ignore=IGNORED)
    if not keep:
        print(f"copy: {copy} (removed at the end; --keep keeps it)")
    else:
        print(f"copy: {copy} (kept)")
    return copy


def environment(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # a mutant of the same size and second stays fresh
    env.pop("PYTEST_ADDOPTS", None)
    return env


def check_import(copy: Path, env: dict[str, str]) -> None:
    """The copy's emu must be the one imported, not an editable install of the original."""
    found = subprocess.run(
        [sys.executable, "-c", "import emu; print(emu.__file__)"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(found).resolve().is_relative_to(copy.resolve()):
        sys.exit(
            f"mutate: the tests would import {found}, not the copy's emu: run from a virtualenv "
            "where emu is not installed in editable mode (python -m venv /tmp/mut && "
            "/tmp/mut/bin/pip install simpy pyyaml pytest hypothesis jsonschema)"
        )


# -- tests --------------------------------------------------------------------------------------


def suite_of(module: str, root: Path = ROOT) -> list[str]:
    """The mirror file of a module (tests/<package>/test_<name>.py) first, then its suites:
    those that exist in ``root`` (the copy, which does not change while mutants run)."""
    parts = Path(module).with_suffix("").parts  # ("emu", "kernel", "iocp")
    mirror = Path("tests", *parts[1:-1], f"test_{parts[-1]}.py")
    chosen = [mirror.as_posix()] if (root / mirror).is_file() else []
    for prefix, suites in TESTS:
        if module.startswith(prefix):
            chosen += [s for s in suites if s not in chosen and (root / s).exists()]
            break
    return chosen


def pytest_command(tests: Sequence[str], deselect: Sequence[str]) -> list[str]:
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-rfE"]
    for test in deselect:
        command += ["--deselect", test]
    return [*command, *tests]


def run_tests(
    copy: Path, env: dict[str, str], tests: Sequence[str], deselect: Sequence[str], limit: float
) -> tuple[str, float, str]:
    """(killed | survived | timeout | error, seconds, the first failure)."""
    start = time.monotonic()
    try:
        done = subprocess.run(
            pytest_command(tests, deselect),
            check=False,
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=limit,
        )
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - start, f"no result within {limit:.0f} s"
    seconds = time.monotonic() - start
    failed = FAILED.findall(done.stdout)
    if done.returncode == 0:
        return "survived", seconds, ""
    if done.returncode in (1, 2) and failed:
        return "killed", seconds, failed[0]
    if done.returncode == 1:
        return "killed", seconds, "a test failed"
    tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["?"]
    return "error", seconds, f"pytest exit {done.returncode}: {tail[0]}"


def baseline(
    copy: Path, env: dict[str, str], groups: list[tuple[str, ...]], limit: float
) -> list[str]:
    """Tests failing on the unmutated copy, to deselect (a mutant cannot be judged by them)."""
    failing: list[str] = []
    for tests in groups:
        command = [c for c in pytest_command(tests, failing) if c != "-x"]
        done = subprocess.run(
            command,
            check=False,
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=limit * 4,
        )
        if done.returncode not in (0, 1):
            sys.exit(f"mutate: the unmutated copy does not run {' '.join(tests)}:\n{done.stdout}")
        failing += [t for t in FAILED.findall(done.stdout) if t not in failing]
    return failing


# -- choosing mutants ---------------------------------------------------------------------------


def module_files(selected: Sequence[str]) -> list[str]:
    files: list[str] = []
    for item in selected:
        path = ROOT / item
        found = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for file in found:
            rel = file.relative_to(ROOT).as_posix()
            if file.name != "__init__.py" and rel not in files:
                files.append(rel)
    return sorted(files)


def choose(files: Sequence[str], limit: int, seed: int, match: Sequence[str] = ()) -> list[Mutant]:
    """``limit`` mutants of ``files`` drawn with ``seed``; with ``match``, only from those whose
    ``where  describe`` line (as ``--list`` prints it) matches one of the regular expressions."""
    every = [m for f in files for m in mutants_of(f, (ROOT / f).read_text(encoding="utf-8"))]
    total = len(every)
    if match:
        patterns = [re.compile(p) for p in match]
        every = [m for m in every if any(p.search(f"{m.where}  {m.describe}") for p in patterns)]
    picked = random.Random(seed).sample(range(len(every)), min(limit, len(every)))
    matching = f", {len(every)} matching" if match else ""
    print(
        f"{total} mutants in {len(files)} modules{matching}; {len(picked)} drawn with seed {seed}"
    )
    return [every[i] for i in sorted(picked)]


# -- running ------------------------------------------------------------------------------------


def run_mutants(args: argparse.Namespace) -> list[Outcome]:
    modules = module_files(args.module or DEFAULT_MODULES)
    mutants = choose(modules, args.limit, args.seed, args.match or ())
    if args.list:
        for m in mutants:
            print(f"{m.where}  {m.describe}")
        return []
    copy = make_copy(args.keep)
    env = environment(copy)
    check_import(copy, env)

    def tests_of(m: Mutant) -> list[str]:
        return list(args.tests) if args.tests else suite_of(m.path, copy)

    groups = sorted({tuple(tests_of(m)) for m in mutants})
    deselect = baseline(copy, env, groups, args.timeout)
    for test in deselect:
        print(f"deselected (fails unmutated): {test}")
    outcomes: list[Outcome] = []
    try:
        for number, m in enumerate(mutants, 1):
            target = copy / m.path
            original = target.read_text(encoding="utf-8")
            target.write_text(m.apply(original), encoding="utf-8")
            try:
                status, seconds, detail = run_tests(copy, env, tests_of(m), deselect, args.timeout)
            finally:
                target.write_text(original, encoding="utf-8")
            outcomes.append(Outcome(m.where, m.path, m.operator, status, seconds, m.describe))
            line = f"[{number}/{len(mutants)}] {status.upper():8} {m.where}  {m.describe}"
            print(f"{line}  ({seconds:.1f} s){'  ' + detail if detail else ''}")
    finally:
        if not args.keep:
            shutil.rmtree(copy.parent, ignore_errors=True)
    return outcomes


def run_plants(args: argparse.Namespace) -> list[Outcome]:
    rows = fact_rows((ROOT / "docs" / "facts.md").read_text(encoding="utf-8"))
    plants = [p for p in PLANTS if not args.fact or p.fact in args.fact]
    copy = make_copy(args.keep)
    env = environment(copy)
    check_import(copy, env)
    outcomes: list[Outcome] = []
    try:
        for number, plant in enumerate(plants, 1):
            tests = pytest_ids(rows[plant.fact])
            target = copy / plant.path
            original = target.read_text(encoding="utf-8")
            if original.count(plant.old) != 1:
                status, seconds, detail = "error", 0.0, f"{plant.path}: the planted text is gone"
            else:
                target.write_text(original.replace(plant.old, plant.new), encoding="utf-8")
                try:
                    status, seconds, detail = run_tests(copy, env, tests, [], args.timeout)
                finally:
                    target.write_text(original, encoding="utf-8")
            outcomes.append(Outcome(plant.fact, plant.path, "plant", status, seconds, plant.bug))
            print(
                f"[{number}/{len(plants)}] {status.upper():8} {plant.fact:6} {plant.bug}"
                f"  ({seconds:.1f} s){'  ' + detail if status != 'survived' else ''}"
            )
    finally:
        if not args.keep:
            shutil.rmtree(copy.parent, ignore_errors=True)
    return outcomes


def summary(outcomes: list[Outcome], facts: bool) -> int:
    if not outcomes:
        return 0
    counts = Counter(o.status for o in outcomes)
    total = len(outcomes)
    killed = counts["killed"] + counts["timeout"]
    print(f"\n{total} {'plants' if facts else 'mutants'}: {killed} killed", end="")
    print(f" ({counts['timeout']} by timeout), {counts['survived']} survived", end="")
    print(f", {counts['error']} errors; score {100 * killed / total:.0f}%")
    if not facts:
        for package in DEFAULT_MODULES:
            mine = [o for o in outcomes if o.module.startswith(package)]
            if mine:
                dead = sum(o.status in ("killed", "timeout") for o in mine)
                print(f"  {package}: {dead}/{len(mine)} killed")
        by_operator = Counter(o.operator for o in outcomes if o.status == "survived")
        if by_operator:
            print(
                "  survivors by operator: "
                + ", ".join(f"{k} {v}" for k, v in sorted(by_operator.items()))
            )
    survivors = [o for o in outcomes if o.status in ("survived", "error")]
    if survivors:
        print("\nsurvivors:" if not facts else "\nplants not killed:")
        for o in survivors:
            print(f"  {o.status:8} {o.name}  {o.detail}")
    seconds = sum(o.seconds for o in outcomes)
    print(f"\ntest time {seconds / 60:.1f} min")
    return 1 if facts and survivors else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.mutate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--module",
        action="append",
        help="a module or folder (repeatable; default: emu/kernel, emu/devices, emu/properties)",
    )
    parser.add_argument("--limit", type=int, default=100, help="mutants to run (default 100)")
    parser.add_argument("--seed", type=int, default=1, help="the seed of the draw (default 1)")
    parser.add_argument(
        "--timeout", type=float, default=300.0, help="seconds per mutant (default 300)"
    )
    parser.add_argument(
        "--match",
        action="append",
        help="draw only from mutants whose 'where  describe' line (as --list prints it) matches "
        "this regular expression (repeatable: any of them); e.g. to rerun earlier survivors",
    )
    parser.add_argument(
        "--tests",
        action="append",
        help="run these tests (a file, folder or test id; repeatable) against every mutant "
        "instead of its module's suites: a quick triage; a survivor still needs the full suites",
    )
    parser.add_argument("--list", action="store_true", help="list the drawn mutants, run nothing")
    parser.add_argument(
        "--facts",
        action="store_true",
        help="plant each fact's bug (tools/fact_plants.py) and run its tests",
    )
    parser.add_argument("--fact", action="append", help="with --facts: only this fact (repeatable)")
    parser.add_argument("--json", type=Path, help="write the outcomes to this file")
    parser.add_argument("--keep", action="store_true", help="keep the copy of the repository")
    args = parser.parse_args(argv)
    outcomes = run_plants(args) if args.facts else run_mutants(args)
    if args.json is not None:
        records = [_as_dict(o) for o in outcomes]
        args.json.write_text(json.dumps(records, indent=1), encoding="utf-8")
    return summary(outcomes, args.facts)


def _as_dict(outcome: Outcome) -> dict[str, object]:
    return {
        "name": outcome.name,
        "module": outcome.module,
        "operator": outcome.operator,
        "status": outcome.status,
        "seconds": round(outcome.seconds, 1),
        "detail": outcome.detail,
    }


if __name__ == "__main__":
    sys.exit(main())
