"""Score one batch: model probabilities, fired profiles, lanes within capacity, reasons.

With no usable model, profiles decide alone: their hits fill the red lane, the rest of the
capacity goes to the random stream, and `model_version` says 'profiles-only'.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_contracts.schemas import SCORE_COLUMNS
from models.baselines import profile_scores
from models.explain import Describe, merge_reasons, model_reasons, profile_reasons
from models.risk_model import RiskModel
from models.rules import ProfileSet, fire, fired_ids
from models.selection import SelectionConfig, capacity_for_budget, select, select_by_office

PROFILES_ONLY = "profiles-only"


def score_batch(
    features: pd.DataFrame,
    *,
    model: RiskModel | None,
    profiles: ProfileSet,
    describe: Describe,
    selection: SelectionConfig,
    capacity_per_office: pd.Series | None = None,
    model_version: str = PROFILES_ONLY,
    scored_at: pd.Timestamp,
) -> pd.DataFrame:
    """The canonical score table for `features` (one row per declaration, same order)."""
    features = features.reset_index(drop=True)
    fired = fire(features, profiles)
    probabilities = (
        model.predict(features) if model is not None else profile_scores(fired, profiles)
    )
    lanes = _select(features, fired, profiles, probabilities, model, selection, capacity_per_office)
    flagged = lanes["lane"].isin(["red", "yellow"]).to_numpy()
    reasons = pd.Series("", index=features.index, dtype="str")
    if flagged.any():
        rows = features.index[flagged]
        sources = [profile_reasons(fired.loc[rows], profiles)]
        if model is not None:
            sources.append(
                model_reasons(features.loc[rows], probabilities.loc[rows], model, describe)
            )
        reasons.loc[rows] = merge_reasons(*sources)
    table = pd.concat([features[["declaration_id"]], probabilities, lanes], axis=1).assign(
        rules_fired=fired_ids(fired),
        reasons=reasons,
        model_version=model_version if model is not None else PROFILES_ONLY,
        scored_at=scored_at,
    )
    return table[[column.name for column in SCORE_COLUMNS]]


def _select(
    features: pd.DataFrame,
    fired: pd.DataFrame,
    profiles: ProfileSet,
    probabilities: pd.DataFrame,
    model: RiskModel | None,
    selection: SelectionConfig,
    capacity_per_office: pd.Series | None,
) -> pd.DataFrame:
    red = [p.id for p in profiles.profiles if p.lane == "red"]
    yellow = [p.id for p in profiles.profiles if p.lane == "yellow"]
    risk = probabilities["risk_score"] if model is not None else pd.Series(np.nan, features.index)
    mandatory = fired[red].any(axis=1) if red else pd.Series(False, index=features.index)
    advisory = fired[yellow].any(axis=1) if yellow else pd.Series(False, index=features.index)
    if capacity_per_office is None:
        capacity = capacity_for_budget(len(features), selection.budget)
        return select(risk, mandatory, advisory, capacity=capacity, config=selection)
    pool = pd.DataFrame(
        {
            "risk_score": risk,
            "mandatory": mandatory,
            "advisory": advisory,
            "customs_office": features["customs_office"],
        }
    )
    return select_by_office(pool, capacity_per_office, config=selection)
