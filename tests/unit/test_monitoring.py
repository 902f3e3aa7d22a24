"""Population stability against the training reference, and the random-stream estimate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.monitoring import (
    FeatureReference,
    drift_level,
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
