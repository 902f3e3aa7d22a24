"""What the labels support, the champion refitted on every row up to `until`, and the quick
six-feature baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from models.baselines import QUICK_FEATURES, fit_quick_baseline
from models.training import (
    TrainConfig,
    refit_on_all,
    target_support,
    train_risk_model,
    training_rows,
)

FEATURES = ["signal", "noise"]


def world(n: int = 8_000, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every row inspected; 'other' violations rise with `signal`, over one year."""
    rng = np.random.default_rng(seed)
    day = np.sort(rng.integers(0, 365, n))
    signal = rng.normal(size=n)
    violation = rng.random(n) < 1 / (1 + np.exp(-(-2.0 + 1.5 * signal)))
    features = pd.DataFrame(
        {
            "declaration_id": [f"D{i:05d}" for i in range(n)],
            "declaration_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(day, "D"),
            "signal": signal,
            "noise": rng.random(n),
        }
    )
    inspections = pd.DataFrame(
        {
            "declaration_id": features["declaration_id"],
            "inspection_date": features["declaration_date"] + pd.Timedelta(days=7),
            "selection_propensity": 1.0,
            "outcome": np.where(violation, "violation", "clean"),
            "violation_category": np.where(violation, "other", "none"),
        }
    )
    return features, inspections


def test_the_support_check_names_thin_targets_and_the_one_the_labels_support() -> None:
    _, inspections = world()
    other = int(inspections["violation_category"].eq("other").sum())
    support = target_support(inspections, ("waste", "ods", "wildlife"), min_positives=8)
    assert support.thin == ("waste", "ods", "wildlife")
    assert support.supported == ("other",)
    assert support.warning() == (
        "too few positives to learn (fewer than 8): waste has 0, ods has 0, wildlife has 0; "
        f"labels hold 0 waste, 0 ods, 0 wildlife violations and {other:,} 'other': "
        "train with --target other"
    )
    assert target_support(inspections, ("other",), min_positives=8).warning() is None
    few = inspections.assign(outcome="clean")
    assert (
        target_support(few, ("other",), min_positives=8)
        .warning()
        .endswith("no target has enough labels to learn from")
    )


def test_the_refit_learns_from_every_labelled_row_up_to_until_with_the_same_rounds() -> None:
    features, inspections = world()
    early = TrainConfig(until=pd.Timestamp("2024-09-01").date(), targets=("other",))
    model = train_risk_model(features, inspections, feature_names=FEATURES, config=early)
    until = pd.Timestamp("2024-12-01").date()
    refitted = refit_on_all(
        features, inspections, model, config=early.model_copy(update={"until": until})
    )
    # Rows dated before `until` whose result was on record before it (7 days later here).
    known = inspections["inspection_date"] < pd.Timestamp(until)
    assert refitted.training_rows == int(known.sum())
    assert refitted.training_rows > len(training_rows(features, inspections, config=early).labels)
    newest = features.loc[known.to_numpy(), "declaration_date"].max()
    assert refitted.model.trained_until == str(newest.date()) > model.trained_until
    old, new = model.models["other"], refitted.model.models["other"]
    assert new.booster is not None and old.booster is not None
    assert new.booster.current_iteration() == old.booster.current_iteration()
    assert new.slope == old.slope
    later = features[features["declaration_date"] >= pd.Timestamp(until)]
    truth = inspections.set_index("declaration_id").loc[later["declaration_id"], "outcome"]
    auc = roc_auc_score(truth.eq("violation"), refitted.model.predict(later)["risk_score"])
    assert auc > 0.8


def test_the_quick_baseline_learns_from_six_raw_features_only() -> None:
    rng = np.random.default_rng(2)
    n = 4_000
    frame = pd.DataFrame(
        {
            "declared_value_usd": rng.lognormal(8, 1, n),
            "declared_net_weight_kg": rng.lognormal(6, 1, n),
            "hs_chapter": rng.choice([38, 84, 44], n),
            "hs6": rng.choice([382478, 841821, 440399], n),
            "origin_country": rng.choice(["CN", "DE", "VN"], n),
            "trader_prior_violations": rng.integers(0, 3, n),  # not raw: never used
        }
    )
    frame["unit_value_usd_per_kg"] = frame["declared_value_usd"] / frame["declared_net_weight_kg"]
    risky = (frame["origin_country"].eq("VN") & frame["hs_chapter"].eq(44)).to_numpy()
    y = rng.random(n) < np.where(risky, 0.3, 0.02)
    labels = pd.DataFrame({"waste": y, "ods": False, "wildlife": False, "other": False})
    quick = fit_quick_baseline(frame, labels, np.ones(n), ("waste", "ods", "wildlife", "other"))
    assert quick.matrix.feature_names == list(QUICK_FEATURES)
    assert quick.models["ods"] == 0.0  # no positive: a base rate
    scores = quick.predict(frame)
    assert roc_auc_score(y, scores["p_waste"]) > 0.75
    assert scores["risk_score"].to_numpy() == pytest.approx(scores["p_waste"].to_numpy())
