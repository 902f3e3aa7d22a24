"""The pure phases of batch scoring, which `score_batch` and the Dask partitions both run."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from data_contracts.schemas import SCORE_COLUMNS
from features import build_scoring_features, build_snapshots, describe
from models.baselines import profile_scores
from models.rules import ProfileSet, fire, fired_ids, packaged_profiles
from models.scoring import (
    PROFILES_ONLY,
    ScoringInputs,
    assemble,
    assign_lanes,
    explain_flagged,
    flagged_rows,
    predict_and_flag,
    profile_flags,
    row_scores,
    score_batch,
)
from models.selection import SelectionConfig
from tests.unit.simulation_worlds import small_world
from tests.unit.test_model_behaviour import trained

SCORED_AT = pd.Timestamp("2026-01-01 06:00")
SELECTION = SelectionConfig(budget=0.05, seed=3)


@cache
def batch_features() -> pd.DataFrame:
    """Features of the small world's last month, joined to their office, from what was known
    before it."""
    world = small_world()
    declarations, inspections = world.declarations, world.inspections
    as_of = declarations["declaration_date"].max().to_period("M").start_time
    history = declarations[declarations["declaration_date"] < as_of]
    known = inspections[inspections["inspection_date"] < as_of]
    batch = declarations[declarations["declaration_date"] >= as_of].reset_index(drop=True)
    features = build_scoring_features(batch, build_snapshots(history, known, as_of))
    offices = batch.set_index("declaration_id")["customs_office"]
    return features.assign(customs_office=offices.reindex(features["declaration_id"]).to_numpy())


def test_without_a_model_profiles_give_the_probabilities_and_the_pool_has_no_risk() -> None:
    features, profiles = batch_features(), packaged_profiles()
    probabilities, pool, fired = predict_and_flag(features, None, profiles)
    pd.testing.assert_frame_equal(probabilities, profile_scores(fired, profiles))
    # Selection must not rank by profile scores: only profiles and the random stream choose.
    assert pool["risk_score"].isna().all()
    pd.testing.assert_frame_equal(
        pool[["mandatory", "advisory"]], profile_flags(fired, profiles), check_names=False
    )
    assert pool["customs_office"].tolist() == features["customs_office"].tolist()
    assert fired.any(axis=None), "the small world should fire some profiles"


def test_with_a_model_the_pool_ranks_by_the_models_risk() -> None:
    state = trained()
    features = build_scoring_features(state.batch, state.snapshots)
    probabilities, pool, _ = predict_and_flag(features, state.model, packaged_profiles())
    pd.testing.assert_frame_equal(probabilities, state.model.predict(features))
    assert pool["risk_score"].tolist() == probabilities["risk_score"].tolist()
    assert "customs_office" not in pool  # these features carry no office


def test_reasons_only_for_the_flagged_rows() -> None:
    features, profiles = batch_features(), packaged_profiles()
    probabilities, _, fired = predict_and_flag(features, None, profiles)
    hit = fired.any(axis=1).to_numpy()
    # Flag half of the rows on which a profile fired, and no others.
    flagged = hit & (np.arange(len(features)) % 2 == 0)
    reasons = explain_flagged(
        features, fired, probabilities, flagged, model=None, profiles=profiles, describe=describe
    )
    assert reasons.index.equals(features.index) and reasons.dtype == "str"
    assert (reasons[flagged] != "").all()
    assert (reasons[~flagged] == "").all()  # fired but not flagged: no reason either
    nothing = explain_flagged(
        features,
        fired,
        probabilities,
        np.zeros(len(features), dtype=bool),
        model=None,
        profiles=profiles,
        describe=describe,
    )
    assert (nothing == "").all()


def test_flagged_rows_are_the_red_and_yellow_lanes() -> None:
    lanes = pd.DataFrame({"lane": ["red", "green", "yellow", "green"]})
    assert flagged_rows(lanes).tolist() == [True, False, True, False]


def test_score_batch_is_the_phases_in_order_and_explains_red_and_yellow_rows_only() -> None:
    features, profiles = batch_features(), packaged_profiles()
    inputs = ScoringInputs(
        model=None,
        profiles=profiles,
        describe=describe,
        selection=SELECTION,
        capacity_per_office=None,
        model_version="ignored without a model",
        scored_at=SCORED_AT,
    )
    table = score_batch(features, **inputs.arguments())
    probabilities, pool, fired = predict_and_flag(features, None, profiles)
    lanes = assign_lanes(pool, selection=SELECTION)
    reasons = explain_flagged(
        features,
        fired,
        probabilities,
        flagged_rows(lanes),
        model=None,
        profiles=profiles,
        describe=describe,
    )
    composed = assemble(
        row_scores(features, probabilities, fired),
        lanes,
        reasons,
        model_version=PROFILES_ONLY,
        scored_at=SCORED_AT,
    )
    pd.testing.assert_frame_equal(table, composed)
    assert list(table.columns) == [column.name for column in SCORE_COLUMNS]
    assert (table["model_version"] == PROFILES_ONLY).all()
    # The table keeps the profile scores as risk (the pool's NaN is for selection only).
    assert table["risk_score"].notna().all()
    green = table["lane"] == "green"
    assert (table.loc[green, "reasons"] == "").all()
    assert (table.loc[~green & (table["rules_fired"] != ""), "reasons"] != "").all()
    assert table["declaration_id"].tolist() == features["declaration_id"].tolist()


def test_shadow_profiles_fire_into_shadow_fired_and_change_nothing_else() -> None:
    features, profiles = batch_features(), packaged_profiles()
    fired = fire(features, profiles)
    busiest = fired.sum().sort_values(ascending=False).index[:2].tolist()
    shadow = ProfileSet(tuple(profiles.get(pid) for pid in busiest))
    selecting = ProfileSet(tuple(p for p in profiles.profiles if p.id not in busiest))
    arguments = {"model": None, "describe": describe, "selection": SELECTION}
    alone = score_batch(features, profiles=selecting, scored_at=SCORED_AT, **arguments)
    logged = score_batch(
        features, profiles=selecting, shadow=shadow, scored_at=SCORED_AT, **arguments
    )
    pd.testing.assert_frame_equal(
        logged.drop(columns="shadow_fired"), alone.drop(columns="shadow_fired")
    )
    assert (alone["shadow_fired"] == "").all()
    assert logged["shadow_fired"].tolist() == fired_ids(fired[busiest]).tolist()
    assert (logged["shadow_fired"] != "").sum() == fired[busiest].any(axis=1).sum() > 0


def test_scoring_inputs_are_score_batchs_keyword_arguments_uncopied() -> None:
    profiles = packaged_profiles()
    capacity = pd.Series({"A": 3})
    inputs = ScoringInputs(None, profiles, describe, SELECTION, capacity, "7", SCORED_AT)
    arguments = inputs.arguments()
    assert set(arguments) == {
        "model",
        "profiles",
        "describe",
        "selection",
        "capacity_per_office",
        "model_version",
        "scored_at",
        "shadow",
    }
    assert arguments["profiles"] is profiles and arguments["capacity_per_office"] is capacity
