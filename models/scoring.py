"""Score one batch: model probabilities, fired profiles, lanes within capacity, reasons.

With no usable model, profiles decide alone: their hits fill the red lane, the rest of the
capacity goes to the random stream, and `model_version` says 'profiles-only'. A model whose
categories are all base rates (no booster) selects the same way: its constant risk would only
rank rows by their order in the file, so it keeps its probabilities but picks nothing as
'model'. (A learned category next to constant ones ranks alone: a constant factor in
P(at least one) changes no order.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_contracts.schemas import SCORE_COLUMNS
from models.baselines import profile_scores
from models.explain import Describe, flagged_reasons
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
        reasons.loc[rows] = flagged_reasons(
            features.loc[rows],
            fired.loc[rows],
            profiles,
            model,
            describe,
            probabilities=probabilities.loc[rows] if model is not None else None,
        )
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
    risk = probabilities["risk_score"] if model is not None else pd.Series(np.nan, features.index)
    pool = profile_flags(fired, profiles).assign(risk_score=risk, ranked=ranks(model))
    if capacity_per_office is not None:
        keys = features[["declaration_id", "customs_office", "declaration_date"]]
        pool = pd.concat([pool, keys], axis=1)
    return assign_lanes(pool, selection=selection, capacity_per_office=capacity_per_office)


def ranks(model: RiskModel | None) -> bool:
    """Whether the model's risk may rank rows: it learned at least one category."""
    return model is not None and bool(model.learned)


def profile_flags(fired: pd.DataFrame, profiles: ProfileSet) -> pd.DataFrame:
    """Per row, `mandatory` (a red-lane profile fired) and `advisory` (a yellow-lane one)."""

    def any_of(lane: str) -> pd.Series:
        ids = [p.id for p in profiles.profiles if p.lane == lane]
        return fired[ids].any(axis=1) if ids else pd.Series(False, index=fired.index)

    return pd.DataFrame({"mandatory": any_of("red"), "advisory": any_of("yellow")})


def assign_lanes(
    pool: pd.DataFrame,
    *,
    selection: SelectionConfig,
    capacity_per_office: pd.Series | None = None,
) -> pd.DataFrame:
    """Lanes of a whole batch from its `risk_score`, `mandatory` and `advisory` columns: a share
    of the batch, or with `capacity_per_office` (inspections per day) each office's quota on
    each declaration date (the pool then needs `customs_office` and `declaration_date`, and
    `declaration_id` makes the random stream independent of row order). A false `ranked`
    column (a model of base rates only) makes the risk rank nothing: profiles and random."""
    if "ranked" in pool and not pool["ranked"].all():
        pool = pool.assign(risk_score=pool["risk_score"].where(pool["ranked"]))
    if capacity_per_office is None:
        capacity = capacity_for_budget(len(pool), selection.budget)
        return select(
            pool["risk_score"],
            pool["mandatory"],
            pool["advisory"],
            capacity=capacity,
            config=selection,
        )
    return select_by_office(pool, capacity_per_office, config=selection)
