"""Outcome family: how often earlier inspections of the same code, origin and route found something.

Each rate counts the inspection results recorded before the declaration's day and is shrunk
towards the rate one level up (route -> origin and chapter -> HS6 -> heading -> flow), so a key
inspected twice does not jump to 0% or 50% and a key never inspected takes its parent's rate.
The rates describe where the old policy found violations, so they inherit its selection; the
model weighs them like any other feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Inspections a key needs before its own rate counts as much as its parent's.
PSEUDO_INSPECTIONS = 10.0
#: Root prior: one violation in twenty inspections, until a flow has its own history.
ROOT_VIOLATIONS, ROOT_INSPECTIONS = 1.0, 20.0


def shrunk_rate(violations: np.ndarray, inspections: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """(violations + m * parent) / (inspections + m): the key's rate pulled to its parent's."""
    return (violations + PSEUDO_INSPECTIONS * parent) / (inspections + PSEUDO_INSPECTIONS)


def _rate(state: pd.DataFrame, name: str, parent: np.ndarray) -> np.ndarray:
    return shrunk_rate(
        state[f"{name}__violations"].to_numpy(float), state[f"{name}__n"].to_numpy(float), parent
    )


def outcome_features(state: pd.DataFrame) -> pd.DataFrame:
    """Smoothed violation rates of earlier inspections per HS6, origin x chapter and route."""
    flow = (state["flow_inspections__violations"].to_numpy(float) + ROOT_VIOLATIONS) / (
        state["flow_inspections__n"].to_numpy(float) + ROOT_INSPECTIONS
    )
    heading = _rate(state, "heading_inspections", flow)
    hs6 = _rate(state, "hs6_inspections", heading)
    origin = _rate(state, "origin_chapter_inspections", hs6)
    return pd.DataFrame(
        {
            "hs6_prior_violation_rate": hs6,
            "origin_chapter_prior_violation_rate": origin,
            "route_prior_violation_rate": _rate(state, "route_inspections", origin),
        }
    )
