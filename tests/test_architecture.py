"""The layer rule of ARCHITECTURE.md: every import inside emu/ points downward (or sideways).

codes, errors  <  kernel  <  devices  <  win32  <  scenario, sim  <  properties, explore,
timeline  <  cli, pytest_plugin, testing, demo
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "emu"

LAYERS: dict[str, int] = {
    "codes": 0,
    "errors": 0,
    "kernel": 1,
    "devices": 2,
    "win32": 3,
    "scenario": 4,
    "sim": 4,
    "properties": 5,
    "explore": 5,
    "timeline": 5,
    "cli": 6,
    "cli_scenarios": 6,
    "cli_explore": 6,
    "cli_functions": 6,
    "pytest_plugin": 6,
    "testing": 6,
    "demo": 6,
    "__main__": 6,
}


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return [name for name in found if name == "emu" or name.startswith("emu.")]


def test_every_module_belongs_to_a_layer() -> None:
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.name == "__init__.py" and len(relative.parts) == 1:
            continue
        top = relative.parts[0].removesuffix(".py")
        assert top in LAYERS, f"{relative}: add its layer to ARCHITECTURE.md and this test"


def test_imports_point_downward() -> None:
    violations: list[str] = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        top = relative.parts[0].removesuffix(".py")
        if top == "__init__":
            continue
        mine = LAYERS[top]
        for module in imports_of(path):
            target = layer_of(module)
            if target in ("", top):
                continue
            if LAYERS[target] > mine:
                violations.append(f"{relative} ({top}) imports {module} ({target})")
    assert violations == []


def test_the_kernel_imports_no_device_and_no_win32_module() -> None:
    for path in (ROOT / "kernel").rglob("*.py"):
        for module in imports_of(path):
            assert layer_of(module) in ("codes", "errors", "kernel"), (path.name, module)


def test_the_architecture_document_states_the_rule() -> None:
    text = (ROOT.parent / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for layer in LAYERS:
        assert f"`{layer}`" in text, f"ARCHITECTURE.md does not place {layer}"
