"""Python programs named by a scenario (``python: module:function``), and the trust rule.

A scenario file is data, but a Python reference runs code. The rule: a module found inside the
emu package or the project's ``scenarios/`` folder is part of the project and runs; any other
module is refused unless the caller allows Python (``--allow-python``), because loading it
executes it. The module is located without importing it, so a refused module never runs.

A module is looked up first next to the scenario file (``programs.py`` beside
``server.yaml``, loaded under a name derived from its path, so two folders may both have a
``programs.py``; a module edited during a session is not reloaded), then through the import
system (``sys.path`` and its finders); ``emu.*`` always means the installed emu. The trust check
looks at where the top-level package lives, before anything is imported. The function must
exist and be callable; it is called once per run (a thread's factory) or per invocation (a
handler), never at load.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import emu
from emu.scenario.nodes import Node, Scalar

EMU_DIR: Final = Path(emu.__file__).resolve().parent
PROJECT_SCENARIOS: Final = EMU_DIR.parent / "scenarios"
_REF: Final = re.compile(
    r"([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*):([A-Za-z_][A-Za-z0-9_]*)\Z"
)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def trusted(path: Path) -> bool:
    """Whether a module file belongs to the project (emu itself or its scenarios)."""
    return _inside(path, EMU_DIR) or (
        PROJECT_SCENARIOS.is_dir() and _inside(path, PROJECT_SCENARIOS)
    )


def _beside(folder: Path, module: str) -> Path | None:
    base = folder.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _local_name(local: Path, module: str) -> str:
    """The name a module found beside a scenario is loaded under (unique per file)."""
    digest = hashlib.sha1(str(local).encode(), usedforsecurity=False).hexdigest()[:12]
    return f"_emu_scenario_{digest}_{module.replace('.', '_')}"


def program_modules(scenario_file: str, refs: tuple[str, ...]) -> list[ModuleType]:
    """The modules (already loaded) of a scenario's ``python:`` references, emu's own modules
    left out: what a run's programs may keep module-level state in."""
    folder = Path(scenario_file).resolve().parent
    found: dict[str, ModuleType] = {}
    for ref in refs:
        module_name = ref.split(":", 1)[0]
        if module_name.split(".", 1)[0] == "emu":
            continue
        local = _beside(folder, module_name)
        name = _local_name(local, module_name) if local is not None else module_name
        module = sys.modules.get(name)
        if module is not None:
            found.setdefault(name, module)
    return list(found.values())


def _on_sys_path(module: str) -> Path | None:
    """Where the top-level package (or module) of ``module`` lives, found without importing
    anything: ``find_spec`` of a top-level name consults the import system's finders (an
    editable install's among them) but runs no module code."""
    top = module.split(".", maxsplit=1)[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.origin and spec.origin not in ("built-in", "frozen"):
        return Path(spec.origin)
    locations = list(spec.submodule_search_locations or [])
    return Path(locations[0]) if locations else None


class PythonRefs:
    """Resolves the ``python:`` references of one scenario file."""

    def __init__(self, scenario_file: str, allow_python: bool) -> None:
        self.folder = Path(scenario_file).resolve().parent
        self.allow = allow_python
        self.used: list[str] = []

    def resolve(self, node: Node) -> Callable[..., Any]:
        if not isinstance(node, Scalar) or not isinstance(node.value, str):
            node.fail("python takes module:function (for example programs:server)")
        text = node.value.strip()
        match = _REF.match(text)
        if match is None:
            node.fail(f"{text!r} is not module:function (for example programs:server)")
        module_name, function = match.groups()
        # emu's own modules always come from the installed package, never a copy beside.
        own = module_name.split(".", maxsplit=1)[0] == "emu"
        local = None if own else _beside(self.folder, module_name)
        path = local or _on_sys_path(module_name)
        if path is None:
            node.fail(
                f"python program {text!r}: no module {module_name!r} beside the scenario or "
                "on sys.path"
            )
        if not trusted(path) and not self.allow:
            node.fail(
                f"python program {text!r} is outside the project (the emu package and its "
                "scenarios/ folder); loading it runs its code, so allow it explicitly with "
                "--allow-python"
            )
        module = self._import(node, module_name, local)
        target = getattr(module, function, None)
        if target is None:
            node.fail(f"python program {text!r}: module {module_name!r} has no {function!r}")
        if not callable(target):
            node.fail(f"python program {text!r}: {function!r} is not a function")
        self.used.append(text)
        return target  # type: ignore[no-any-return]

    def _import(self, node: Node, module_name: str, local: Path | None) -> Any:
        try:
            if local is None:
                return importlib.import_module(module_name)
            unique = _local_name(local, module_name)
            if unique in sys.modules:
                return sys.modules[unique]
            spec = importlib.util.spec_from_file_location(unique, local)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[unique] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[unique]
                raise
            return module
        except Exception as exc:  # the module's own error, reported as the scenario's
            node.fail(f"importing {module_name!r} failed: {type(exc).__name__}: {exc}")
