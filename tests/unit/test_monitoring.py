"""Population stability, feature and score drift, the random-stream estimate, and alerts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.alerts import Thresholds, alerts, notes
from models.drift import feature_drift, is_history_volume, largest_drift, score_drift
from models.monitoring import (
    FeatureReference,
    drift_level,
    missed_estimate,
    missed_violation_estimate,
    population_stability,
)


def frame(n: int, *, shift: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.normal(shift, 1.0, n),
            "route": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
        }
    )


def test_same_distribution_is_stable_and_a_shift_is_major() -> None:
    reference = FeatureReference.fit(frame(20_000), categorical=["route"])
    same = reference.psi(frame(20_000, seed=1))
    shifted = reference.psi(frame(20_000, shift=1.0, seed=2))
    assert same.max() < 0.01
    assert shifted["amount"] > 0.25 and drift_level(shifted["amount"]) == "major"
    assert drift_level(shifted["route"]) == "stable"


def test_new_levels_and_missing_values_count_as_drift() -> None:
    reference = FeatureReference.fit(frame(5_000), categorical=["route"])
    batch = frame(5_000, seed=3)
    batch.loc[:2_000, "route"] = "never-seen"
    batch.loc[:2_000, "amount"] = np.nan
    psi = reference.psi(batch)
    assert psi["route"] > 0.25 and psi["amount"] > 0.25


def test_reference_survives_a_round_trip() -> None:
    reference = FeatureReference.fit(frame(1_000), categorical=["route"])
    again = FeatureReference.from_dict(reference.to_dict())
    pd.testing.assert_series_equal(reference.psi(frame(500)), again.psi(frame(500)))


def test_bin_counts_of_parts_add_up_to_the_psi_of_the_whole() -> None:
    reference = FeatureReference.fit(frame(5_000), categorical=["route"])
    batch = frame(3_000, shift=0.3, seed=4)
    batch.loc[::7, "amount"] = np.nan
    parts = [batch.iloc[:1_000], batch.iloc[1_000:1_001], batch.iloc[1_001:]]
    summed = {
        name: sum(reference.counts(part[name], name) for part in parts) for name in reference.shares
    }
    assert summed["amount"].sum() == len(batch) and summed["amount"][-1] == 429
    pd.testing.assert_series_equal(reference.psi_of_counts(summed), reference.psi(batch))


def test_population_stability_is_zero_for_equal_shares() -> None:
    assert population_stability(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == 0.0


def test_random_stream_estimates_missed_violations() -> None:
    # 10 random inspections at propensity 0.01 stand for 1,000 untargeted declarations; two
    # hits there mean about 200 violations among them, 198 of which nobody inspected.
    reasons = pd.Series(["random"] * 10 + ["model"] * 5)
    violation = pd.Series([True, True] + [False] * 8 + [True] * 3 + [False] * 2)
    propensity = pd.Series([0.01] * 10 + [1.0] * 5)
    estimate = missed_violation_estimate(
        reasons, violation, propensity, batch_rows=1005, targeted_hits=3
    )
    assert estimate["estimated_missed"] == pytest.approx(198.0)
    assert estimate["estimated_missed_share"] == pytest.approx(198 / 203, abs=1e-3)


def test_missed_estimate_scales_for_results_still_outstanding() -> None:
    # Ten random rows at propensity 0.1, five with a result (one hit): each result stands for
    # 1 / (0.1 * 0.5) = 20 untargeted declarations, so about 20 violations, 19 of them missed.
    # Four targeted rows, two with a result (one hit): about two targeted hits.
    rows = pd.DataFrame(
        {
            "selection_reason": ["random"] * 10 + ["model"] * 4 + [""] * 6,
            "selection_propensity": [0.1] * 10 + [1.0] * 4 + [0.1] * 6,
            "outcome": ["violation"]
            + ["clean"] * 4
            + [None] * 5
            + ["violation", "clean"]
            + [None] * 8,
            "violation_category": ["waste"]
            + ["none"] * 4
            + [None] * 5
            + ["ods", "none"]
            + [None] * 8,
        }
    )
    estimate = missed_estimate(rows)
    assert estimate.random_inspections == 5
    assert estimate.estimated_missed == pytest.approx(19.0)
    assert estimate.estimated_missed_share == pytest.approx(19 / 22, abs=1e-4)


def test_score_drift_is_small_for_the_same_scores_and_large_for_shifted_ones() -> None:
    rng = np.random.default_rng(5)
    before = pd.DataFrame({"risk_score": rng.beta(1, 30, 5_000)})
    same = pd.DataFrame({"risk_score": rng.beta(1, 30, 5_000)})
    shifted = pd.DataFrame({"risk_score": rng.beta(3, 30, 5_000)})
    assert score_drift(same, before) < 0.05
    assert score_drift(shifted, before) > 0.25
    assert np.isnan(score_drift(same, before.head(0)))


def test_warm_up_missingness_and_each_threshold_decide_alerts() -> None:
    drift = pd.DataFrame(
        {
            "feature": ["warm_up", "went_missing", "shifted", "trader_age_days"],
            "psi": [0.9, 0.9, 0.4, 3.0],
            "psi_present": [0.01, 0.01, 0.4, 3.0],
            "missing_training": [0.12, 0.0, 0.0, 0.0],
            "missing_window": [0.0, 0.3, 0.0, 0.0],
            "level": ["major"] * 4,
            "history_volume": [False, False, False, True],
        }
    )
    found = alerts(drift, 0.3, 0.6, Thresholds(feature_psi=0.25, score_psi=0.25))
    assert [alert.split(":")[0] for alert in found] == [
        "feature shifted",
        "feature went_missing",
        "risk score",
        "targeting misses an estimated 60% of environmental violations (alert above 50%)",
    ]
    strict = Thresholds(feature_psi=1.0, score_psi=1.0, missed_share=0.7)
    assert alerts(drift, 0.3, 0.6, strict) == [
        "feature went_missing: missing in 30% of the window against 0% in the training data"
    ]


def test_without_random_results_the_estimate_is_absent_and_noted() -> None:
    rows = pd.DataFrame(
        {
            "selection_reason": ["model", "random"],
            "selection_propensity": [1.0, 0.1],
            "outcome": ["violation", None],
            "violation_category": ["waste", None],
        }
    )
    estimate = missed_estimate(rows)
    assert estimate.model_dump() == {
        "random_inspections": 0.0,
        "estimated_missed": None,
        "estimated_missed_share": None,
        "random_selected": 1.0,
        "random_result_share": 0.0,
        "targeted_result_share": 1.0,
    }
    assert alerts(feature_drift(pd.DataFrame(), None), float("nan"), None, Thresholds()) == []
    assert notes(feature_drift(pd.DataFrame(), None), estimate) == [
        "No usable champion: feature drift not computed.",
        "No random-stream results in the window: missed share not estimated.",
    ]


def test_feature_drift_compares_present_values_apart_from_the_missing_share() -> None:
    training = frame(5_000).assign(trader_age_days=np.arange(5_000.0))
    training.loc[:2_000, "amount"] = np.nan  # warm-up: missing in training, present later
    reference = FeatureReference.fit(training, categorical=["route"])
    window = frame(5_000, seed=6).assign(trader_age_days=np.arange(5_000.0) + 4_000)
    drift = feature_drift(window, reference).set_index("feature")
    assert drift.loc["amount", "psi"] > 0.25 > drift.loc["amount", "psi_present"]
    assert drift.loc["amount", "missing_window"] == 0.0
    assert np.isnan(drift.loc["route", "missing_training"])
    assert drift["history_volume"].to_dict() == {
        name: is_history_volume(name) for name in drift.index
    }
    assert drift.loc["trader_age_days", "level"] == "major"
    assert feature_drift(window, None).empty


def test_largest_drift_ranks_watched_features_by_present_psi() -> None:
    drift = pd.DataFrame(
        {
            "feature": ["a", "b", "trader_age_days", "c"],
            "psi_present": [0.1, 0.3, 9.0, 0.2],
            "history_volume": [False, False, True, False],
        }
    )
    assert largest_drift(drift)["feature"].tolist() == ["b", "c", "a"]
    assert largest_drift(drift, top=1)["feature"].tolist() == ["b"]
