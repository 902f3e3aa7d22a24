"""What an officer filters the batch by, and the measure that gives a scheme away.

A `Pattern` is read off the scenario's own tactic (its declared codes, origins, hubs and
destinations), so the exercise and the simulated scheme can never disagree. Legitimate trade
uses the same codes and routes too, which is why a filter alone is not an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import SCENARIOS


@dataclass(frozen=True)
class Pattern:
    """Declared codes, origins, hubs (consigned from or transited) and destinations."""

    codes: tuple[str, ...]
    origins: tuple[str, ...] = ()
    via: tuple[str, ...] = ()
    destinations: tuple[str, ...] = ()

    @classmethod
    def of_scenario(cls, name: str) -> Pattern:
        """The pattern of a scenario's planted tactic."""
        tactic = SCENARIOS[name].tactic
        return cls(
            codes=tactic.declared_codes,
            origins=tactic.origins,
            via=tuple(hub for hub in tactic.transit if hub),
            destinations=tactic.destinations,
        )

    def same_codes(self, frame: pd.DataFrame) -> pd.Series:
        """Rows declared under one of the pattern's HS6 codes."""
        return frame["hs_code"].astype("str").str[:6].isin(self.codes)

    def matches(self, frame: pd.DataFrame) -> pd.Series:
        """Rows that fit every part of the pattern."""
        fits = self.same_codes(frame)
        if self.origins:
            fits &= frame["origin_country"].isin(self.origins)
        if self.via:
            transit = frame["transit_countries"].astype("str").str.split("|")
            passes = transit.map(lambda hops: bool(set(hops) & set(self.via))).astype(bool)
            fits &= frame["consignment_country"].isin(self.via) | passes
        if self.destinations:
            fits &= frame["destination_country"].isin(self.destinations)
        return fits.fillna(False).astype(bool)


def _per_kg(frame: pd.DataFrame) -> pd.Series:
    return frame["customs_value_usd"] / frame["net_weight_kg"].clip(lower=0.1)


def _per_container(frame: pd.DataFrame) -> pd.Series:
    containers = frame["container_count"].astype("float64").replace(0.0, np.nan)
    return frame["gross_weight_kg"] / containers


def _per_unit(frame: pd.DataFrame) -> pd.Series:
    quantity = frame["quantity"].where(frame["quantity"] > 0)
    return frame["net_weight_kg"] / quantity


@dataclass(frozen=True)
class Measure:
    """A number per declaration that an officer can compute from the declaration alone."""

    label: str
    compute: Callable[[pd.DataFrame], pd.Series]

    def values(self, frame: pd.DataFrame) -> pd.Series:
        """The measure per row (NaN where it cannot be computed)."""
        return self.compute(frame).astype("float64").replace([np.inf, -np.inf], np.nan)


MEASURES: dict[str, Measure] = {
    "unit_value": Measure("declared value per net kg (USD)", _per_kg),
    "weight_per_container": Measure("gross weight per container (kg)", _per_container),
    "kg_per_unit": Measure("net kg per declared cubic metre", _per_unit),
}


def median(values: pd.Series) -> float:
    """Median of the finite values (NaN when there are none)."""
    finite = values.dropna()
    return float(finite.median()) if len(finite) else float("nan")
