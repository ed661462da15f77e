"""Building and running simulations of compiled scenarios."""

from emu.sim.result import LostWakeup, Result, ThreadOutcome
from emu.sim.simulation import Simulation, make_chooser, run_scenario

__all__ = ["LostWakeup", "Result", "Simulation", "ThreadOutcome", "make_chooser", "run_scenario"]
