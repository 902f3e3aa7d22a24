"""Score one batch: model probabilities, fired profiles, lanes within capacity, reasons.

`score_batch` runs four pure phases in order, and the Dask path (`pipelines.cluster.scoring`)
runs the same phases on its partitions: `predict_and_flag` (probabilities, selection pool, fired
profiles), `assign_lanes` (once over the whole batch), `explain_flagged` (reasons of the red and
yellow rows) and `assemble` (the canonical score table).

With no usable model, profiles decide alone: their hits fill the red lane, the rest of the
capacity goes to the random stream, and `model_version` says 'profiles-only'. A model whose
categories are all base rates (no booster) selects the same way: its constant risk would only
rank rows by their order in the file, so it keeps its probabilities but picks nothing as
'model'. (A learned category next to constant ones ranks alone: a constant factor in
P(at least one) changes no order.)
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from data_contracts.schemas import SCORE_COLUMNS
from models.baselines import profile_scores
from models.explain import Describe, flagged_reasons
from models.risk_model import RiskModel
from models.rules import NO_PROFILES, ProfileSet, fire, fired_ids
from models.selection import SelectionConfig, capacity_for_budget, select, select_by_office

PROFILES_ONLY = "profiles-only"
#: Lanes whose rows get reasons.
FLAGGED_LANES = ("red", "yellow")


@dataclass(frozen=True)
class ScoringInputs:
    """Everything `score_batch` takes besides the features (and the Dask path alike)."""

    model: RiskModel | None
    profiles: ProfileSet
    describe: Describe
    selection: SelectionConfig
    capacity_per_office: pd.Series | None
    model_version: str
    scored_at: pd.Timestamp
    shadow: ProfileSet = NO_PROFILES

    def arguments(self) -> dict[str, Any]:
        """The inputs as keyword arguments of `score_batch` (not copied)."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


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
    shadow: ProfileSet = NO_PROFILES,
) -> pd.DataFrame:
    """The canonical score table for `features` (one row per declaration, same order).

    `shadow` profiles (drafts, unapproved) fire into `shadow_fired` and nothing else: they
    never change a lane, a reason or a probability.
    """
    features = features.reset_index(drop=True)
    probabilities, pool, fired = predict_and_flag(features, model, profiles)
    lanes = assign_lanes(pool, selection=selection, capacity_per_office=capacity_per_office)
    reasons = explain_flagged(
        features,
        fired,
        probabilities,
        flagged_rows(lanes),
        model=model,
        profiles=profiles,
        describe=describe,
    )
    return assemble(
        row_scores(features, probabilities, fired, shadow),
        lanes,
        reasons,
        model_version=model_version if model is not None else PROFILES_ONLY,
        scored_at=scored_at,
    )


def predict_and_flag(
    features: pd.DataFrame, model: RiskModel | None, profiles: ProfileSet
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per row of `features`: the probabilities, the selection pool and the fired profiles.

    The probabilities (`p_<category>`, `risk_score`) come from the model, or from the profiles
    alone without one. The pool is what selection reads: `mandatory` and `advisory` (a red- or
    yellow-lane profile fired), `risk_score` (NaN without a model, so profiles and the random
    stream choose), `ranked` (false for a model of base rates only) and the `declaration_id`,
    `customs_office` and `declaration_date` the features carry (capacity per office and day).
    """
    fired = fire(features, profiles)
    probabilities = (
        model.predict(features) if model is not None else profile_scores(fired, profiles)
    )
    risk = probabilities["risk_score"] if model is not None else pd.Series(np.nan, features.index)
    pool = profile_flags(fired, profiles).assign(risk_score=risk, ranked=ranks(model))
    keys = [c for c in ("declaration_id", "customs_office", "declaration_date") if c in features]
    return probabilities, pd.concat([pool, features[keys]], axis=1), fired


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


def flagged_rows(lanes: pd.DataFrame) -> pd.Series:
    """True for the rows in a lane that gets reasons (red or yellow)."""
    return lanes["lane"].isin(FLAGGED_LANES)


def explain_flagged(
    features: pd.DataFrame,
    fired: pd.DataFrame,
    probabilities: pd.DataFrame,
    flagged: pd.Series | np.ndarray,
    *,
    model: RiskModel | None,
    profiles: ProfileSet,
    describe: Describe,
) -> pd.Series:
    """Plain-language reasons of the `flagged` rows (profiles, then the model's), '' elsewhere."""
    flagged = np.asarray(flagged, dtype=bool)
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
    return reasons


def row_scores(
    features: pd.DataFrame,
    probabilities: pd.DataFrame,
    fired: pd.DataFrame,
    shadow: ProfileSet = NO_PROFILES,
) -> pd.DataFrame:
    """What is known of each row before selection: `declaration_id`, the probabilities,
    `rules_fired` (the fired selecting profiles' ids joined by '|') and `shadow_fired` (the
    same for the `shadow` profiles, fired here for the record only)."""
    return pd.concat([features[["declaration_id"]], probabilities], axis=1).assign(
        rules_fired=fired_ids(fired), shadow_fired=fired_ids(fire(features, shadow))
    )


def assemble(
    scored: pd.DataFrame,
    lanes: pd.DataFrame,
    reasons: pd.Series,
    *,
    model_version: str,
    scored_at: pd.Timestamp,
) -> pd.DataFrame:
    """The canonical score table from `row_scores`, the lanes and the reasons (same rows)."""
    table = pd.concat([scored, lanes], axis=1).assign(
        reasons=reasons, model_version=model_version, scored_at=scored_at
    )
    return table[[column.name for column in SCORE_COLUMNS]]
