"""The JSON Schema of the scenario format (``emu schema``), built from the same definitions the
loader checks against: the section shapes (``emu.scenario.format``), the functions emu models
(``API_SPECS``, with their parameter names), the step keywords (``emu.scenario.steps``) and the
device actions (``emu.scenario.devices``). Editors that read JSON Schema (VS Code's YAML
extension, for example) then validate and complete scenario files; meaning (a ``$name`` that is
never bound, a time out of order) is still the loader's to check.
"""

from __future__ import annotations

from typing import Any, Final

from emu.scenario.conditions import OPERATORS
from emu.scenario.devices import DEVICE_KINDS
from emu.scenario.format import VERSION, top_shape
from emu.scenario.programs import surfaces
from emu.scenario.shape import DURATION_PATTERN
from emu.scenario.steps import optional_param, param_name
from emu.win32.base import ApiSpec

SCHEMA_ID: Final = f"https://emu.invalid/schema/scenario-v{VERSION}.json"
_DURATION: Final = {"type": "string", "pattern": DURATION_PATTERN}


def _condition() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "a comparison: {that: VALUE, <operator>: VALUE}",
        "properties": {"that": {}, **{op: {} for op in OPERATORS}},
        "required": ["that"],
        "minProperties": 2,
        "maxProperties": 2,
        "additionalProperties": False,
    }


def _call(spec: ApiSpec) -> dict[str, Any]:
    params: dict[str, Any] = {param_name(p): {} for p in spec.params}
    required = [param_name(p) for p in spec.params if not optional_param(p)]
    arguments: dict[str, Any] = {
        "type": "object",
        "properties": params,
        "required": required,
        "additionalProperties": False,
    }
    value = arguments if required else {"anyOf": [{"type": "null"}, arguments]}
    return {
        "type": "object",
        "description": f"{spec.name} ({spec.dll})",
        "properties": {spec.name: value, "as": {"type": "string"}, "expect": {}},
        "required": [spec.name],
        "additionalProperties": False,
    }


def _keyword(name: str, value: dict[str, Any], mode: str, **modifiers: Any) -> dict[str, Any]:
    steps = {"$ref": f"#/$defs/{mode}_steps"}
    properties: dict[str, Any] = {name: value}
    for key, schema in modifiers.items():
        properties[key] = steps if schema == "steps" else schema
    return {
        "type": "object",
        "properties": properties,
        "required": [name],
        "additionalProperties": False,
    }


def _steps(mode: str, surface: dict[str, ApiSpec]) -> dict[str, Any]:
    no_arguments = sorted(n for n, s in surface.items() if all(optional_param(p) for p in s.params))
    keywords = [
        _keyword(
            "work",
            {
                "anyOf": [
                    _DURATION,
                    {"type": "array", "items": _DURATION, "minItems": 2, "maxItems": 2},
                ]
            },
            mode,
        ),
        _keyword(
            "repeat",
            {"type": "integer", "minimum": 0},
            mode,
            steps="steps",
            **{"as": {"type": "string"}},
        ),
        _keyword("until", {}, mode, steps="steps", max={"type": "integer", "minimum": 1}),
        _keyword("if", _condition(), mode, then="steps", **{"else": "steps"}),
        _keyword("set", {"type": "object"}, mode),
        _keyword("increment", {"type": "string", "pattern": r"^\$"}, mode),
        _keyword("decrement", {"type": "string", "pattern": r"^\$"}, mode),
        _keyword("assert", _condition(), mode, message={"type": "string"}),
        _keyword("return", {}, mode),
        _keyword("note", {"type": "string"}, mode),
        _keyword("free", {"type": "string", "pattern": r"^\$"}, mode),
    ]
    calls = [_call(surface[name]) for name in sorted(surface)]
    return {
        "type": "array",
        "items": {"anyOf": [{"enum": no_arguments}, *keywords, *calls]},
    }


def _timed(fault: bool) -> dict[str, Any]:
    actions = {
        f"{kind.name}.{action}": spec.shape.json()
        for kind in DEVICE_KINDS.values()
        for action, spec in kind.actions.items()
    }
    timing: dict[str, Any] = {"at": _DURATION}
    if fault:
        timing["between"] = {"type": "array", "items": _DURATION, "minItems": 2, "maxItems": 2}
        timing["probability"] = {"type": "number", "minimum": 0, "maximum": 1}
    entry = {
        "type": "object",
        "properties": {**timing, **actions},
        "additionalProperties": False,
        "minProperties": 2,
    }
    if not fault:
        entry["required"] = ["at"]
    return {"type": "array", "items": entry}


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of scenario files."""
    user, kernel = surfaces()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"emu scenario, format version {VERSION}",
        **top_shape().json(),
        "$defs": {
            "user_steps": _steps("user", user),
            "kernel_steps": _steps("kernel", kernel),
            "timeline": _timed(False),
            "faults": _timed(True),
        },
    }
