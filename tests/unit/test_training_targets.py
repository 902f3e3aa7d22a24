"""Training targets beyond the risk categories ('other', 'any'), and drift screening."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from models.risk_model import RiskModel
from models.screening import feature_shift, stable_features
from models.training import TrainConfig, labels_for, train_risk_model

FEATURES = ["signal", "age", "noise"]


def world(n: int = 6_000, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every row inspected; 'other' violations rise with `signal`; `age` grows with the date."""
    rng = np.random.default_rng(seed)
    day = np.sort(rng.integers(0, 360, n))
    signal = rng.normal(size=n)
    violation = rng.random(n) < 1 / (1 + np.exp(-(-1.5 + 1.8 * signal)))
    features = pd.DataFrame(
        {
            "declaration_id": [f"D{i:05d}" for i in range(n)],
            "declaration_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(day, "D"),
            "signal": signal,
            "age": day + rng.random(n),
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


def test_labels_keep_the_risk_categories_and_add_other_targets() -> None:
    inspections = pd.DataFrame(
        {
            "declaration_id": ["a", "b", "c"],
            "outcome": ["violation", "violation", "clean"],
            "violation_category": ["other", "waste", "none"],
        }
    )
    labels = labels_for(inspections, pd.Index(["a", "b", "c"]), ("other", "any"))
    assert list(labels.columns) == ["waste", "ods", "wildlife", "other", "any"]
    assert labels["other"].tolist() == [True, False, False]
    assert labels["any"].tolist() == [True, True, False]
    assert labels["waste"].tolist() == [False, True, False]


@pytest.mark.parametrize("targets", [(), ("none",), ("other", "other"), ("fraud",)])
def test_unknown_or_repeated_targets_are_refused(targets: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError, match="targets must be distinct names"):
        TrainConfig(targets=targets)


def test_an_other_target_model_ranks_and_round_trips() -> None:
    features, inspections = world()
    config = TrainConfig(targets=("other",), valid_days=60, gap_days=0, num_boost_round=80)
    model = train_risk_model(features, inspections, feature_names=FEATURES, config=config)
    assert list(model.models) == ["other"]
    predicted = model.predict(features)
    assert list(predicted.columns) == ["p_waste", "p_ods", "p_wildlife", "p_other", "risk_score"]
    assert (predicted[["p_waste", "p_ods", "p_wildlife"]].to_numpy() == 0).all()
    np.testing.assert_allclose(predicted["risk_score"], predicted["p_other"])
    assert np.corrcoef(predicted["p_other"], features["signal"])[0, 1] > 0.8
    again = RiskModel.from_dict(model.to_dict())
    pd.testing.assert_frame_equal(again.predict(features), predicted)
    assert (model.contributions(features.head(3), "waste").to_numpy() == 0).all()


def test_drift_screening_drops_a_feature_that_grows_with_time() -> None:
    features, inspections = world()
    config = TrainConfig(targets=("other",), valid_days=60, gap_days=0)
    shift = feature_shift(features, inspections, feature_names=FEATURES, config=config)
    assert shift["age"] > 1.0 > 0.1 > max(shift["signal"], shift["noise"])
    kept = stable_features(features, inspections, feature_names=FEATURES, config=config)
    assert kept == ["signal", "noise"]
