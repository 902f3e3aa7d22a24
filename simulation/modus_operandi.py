"""The modus operandi of the default world, from `misdeclaration_pairs.csv`, `routes.csv`,
`risk_indicators.csv` and `magnitudes.csv`, one module per regime."""

from __future__ import annotations

from simulation.ods_tactics import ODS
from simulation.tactics import Tactic
from simulation.waste_tactics import WASTE
from simulation.wildlife_tactics import WILDLIFE

TACTICS: tuple[Tactic, ...] = ODS + WASTE + WILDLIFE
