"""The simulated customs world: traders, trade, illicit modus operandi, inspections and truth.

`simulate(WorldConfig(...))` returns a `World` with canonical declarations, the legacy policy's
inspections, the hidden truth and a JSON-ready `summary()`. Pure code: no file I/O.
"""

from simulation.config import DriftEvent, WorldConfig
from simulation.scenarios import SCENARIOS, Scenario
from simulation.world import World, simulate

__all__ = ["SCENARIOS", "DriftEvent", "Scenario", "World", "WorldConfig", "simulate"]
