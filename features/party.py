"""Party history family: trader and declarant age, activity, inspections and violations before t."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _age_days(day: np.ndarray, first_day: np.ndarray) -> np.ndarray:
    """Days since the first earlier declaration; 0 for a party never seen before."""
    return np.where(np.isnan(first_day), 0, day - np.nan_to_num(first_day)).astype(np.int64)


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(whole > 0, part / np.maximum(whole, 1), np.nan)


def party_features(prepared: pd.DataFrame, state: pd.DataFrame) -> pd.DataFrame:
    """History of the trader and the declarant, all strictly before the declaration's day."""
    day = prepared["day"].to_numpy()
    trader = state["trader__n"].to_numpy()
    inspections = state["trader_inspections__n"].to_numpy()
    violations = state["trader_inspections__violations"].to_numpy()
    return pd.DataFrame(
        {
            "trader_is_new": trader == 0,
            "trader_age_days": _age_days(day, state["trader__first_day"].to_numpy()),
            "trader_prior_declarations": trader,
            "trader_prior_inspections": inspections,
            "trader_prior_violations": violations,
            "trader_prior_hit_rate": _share(violations, inspections),
            "trader_heading_share": _share(state["trader_heading__n"].to_numpy(), trader),
            "trader_first_in_chapter": (trader > 0) & (state["trader_chapter__n"].to_numpy() == 0),
            "trader_prior_declarants": state["trader_declarants__n"].to_numpy(),
            "declarant_age_days": _age_days(day, state["declarant__first_day"].to_numpy()),
            "declarant_prior_declarations": state["declarant__n"].to_numpy(),
            "declarant_prior_inspections": state["declarant_inspections__n"].to_numpy(),
            "declarant_prior_violations": state["declarant_inspections__violations"].to_numpy(),
        }
    )
