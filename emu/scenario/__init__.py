"""The YAML scenario format: safe loading, validation, and compilation into a ``Scenario``."""

from emu.scenario.loader import load_bytes, load_scenario, load_text
from emu.scenario.model import Expectation, Machine, ProgramSpec, Scenario, TimedAction

__all__ = [
    "Expectation",
    "Machine",
    "ProgramSpec",
    "Scenario",
    "TimedAction",
    "load_bytes",
    "load_scenario",
    "load_text",
]
