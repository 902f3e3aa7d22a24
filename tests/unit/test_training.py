"""Training on inspected rows only, inverse-propensity weights, calibration, serialisation."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from models.baselines import fit_logistic_baseline, profile_scores, random_scores
from models.gate import GateConfig, promotion_gate
from models.risk_model import RiskModel
from models.training import (
    TrainConfig,
    ipw_weights,
    labels_for,
    time_split,
    train_risk_model,
    training_rows,
)

FEATURES = ["signal", "kind", "noise"]


@cache
def world(n: int = 30_000, seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Declarations whose risk rises with `signal` and kind 'a'; a biased inspection policy."""
    rng = np.random.default_rng(seed)
    dates = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 400, n), "D")
    signal = rng.normal(size=n)
    kind = rng.choice(["a", "b", "c"], n)
    illicit = rng.random(n) < 1 / (1 + np.exp(-(-4.5 + 1.6 * signal + (kind == "a"))))
    category = np.where(illicit, rng.choice(["waste", "ods", "wildlife"], n), "none")
    features = pd.DataFrame(
        {
            "declaration_id": [f"D{i:06d}" for i in range(n)],
            "declaration_date": dates,
            "signal": signal,
            "kind": pd.Series(kind, dtype="str"),
            "noise": rng.random(n),
        }
    )
    # Two of the quick baseline's raw features: value (noise) and origin (the kind).
    features = features.assign(
        declared_value_usd=features["noise"] * 1000.0, origin_country=features["kind"]
    )
    targeted = signal > 1.2
    propensity = np.where(targeted, 0.5, 0.05)
    inspected = rng.random(n) < propensity
    inspections = pd.DataFrame(
        {
            "declaration_id": features["declaration_id"][inspected],
            "inspection_date": dates[inspected] + pd.Timedelta(days=12),
            "selection_propensity": propensity[inspected],
            "outcome": np.where(illicit[inspected], "violation", "clean"),
            "violation_category": category[inspected],
        }
    )
    return features, inspections, illicit


@cache
def trained() -> RiskModel:
    features, inspections, _ = world()
    return train_risk_model(
        features, inspections, feature_names=FEATURES, config=TrainConfig(num_boost_round=200)
    )


def test_model_ranks_better_than_chance_and_is_calibrated() -> None:
    features, _, illicit = world()
    scores = trained().predict(features)
    assert roc_auc_score(illicit, scores["risk_score"]) > 0.8
    # Inverse-propensity weights undo the policy's over-sampling of high-signal rows, so the
    # mean predicted risk lands near the true rate over all declarations.
    assert scores["risk_score"].mean() == pytest.approx(illicit.mean(), rel=0.35)


def test_round_trip_through_json_gives_identical_scores() -> None:
    features, _, _ = world()
    model = trained()
    again = RiskModel.from_dict(model.to_dict())
    pd.testing.assert_frame_equal(model.predict(features), again.predict(features))


def test_unknown_category_level_is_scored_not_rejected() -> None:
    features, _, _ = world()
    row = features.head(1).assign(kind="never-seen")
    assert trained().predict(row)["risk_score"].between(0, 1).all()


def test_contributions_follow_the_signal() -> None:
    features, _, _ = world()
    rows = features.head(500)
    contributions = trained().contributions(rows, "ods")
    assert list(contributions.columns) == FEATURES
    assert np.corrcoef(rows["signal"], contributions["signal"])[0, 1] > 0.7


def test_thin_category_falls_back_to_its_base_rate() -> None:
    features, inspections, _ = world()
    no_wildlife = inspections.assign(
        outcome=np.where(
            inspections["violation_category"] == "wildlife", "clean", inspections["outcome"]
        ),
        violation_category=inspections["violation_category"].replace("wildlife", "none"),
    )
    model = train_risk_model(
        features, no_wildlife, feature_names=FEATURES, config=TrainConfig(num_boost_round=20)
    )
    assert model.models["wildlife"].booster is None
    assert model.predict(features.head(3))["p_wildlife"].eq(0).all()


def test_until_excludes_later_declarations_and_results_not_yet_known() -> None:
    features, inspections, _ = world()
    model = train_risk_model(
        features,
        inspections,
        feature_names=FEATURES,
        config=TrainConfig(until="2024-06-01", num_boost_round=10),
    )
    assert model.trained_until < "2024-06-01"


def test_weights_and_split_helpers() -> None:
    weights = ipw_weights(pd.Series([1.0, 0.5, 0.001]), max_weight=10)
    assert weights.mean() == pytest.approx(1.0)
    assert weights[2] / weights[0] == pytest.approx(10.0)
    dates = pd.Series(pd.date_range("2024-01-01", periods=100, freq="D"))
    split = time_split(dates, valid_days=20, gap_days=10)
    assert split.valid.sum() == 20 and split.fit.sum() == 70
    assert dates[split.fit].max() < dates[split.valid].min() - pd.Timedelta(days=9)


def test_labels_count_only_environmental_categories() -> None:
    inspections = pd.DataFrame(
        {
            "declaration_id": ["a", "b", "c"],
            "outcome": ["violation", "violation", "clean"],
            "violation_category": ["ods", "other", "none"],
        }
    )
    labels = labels_for(inspections, pd.Index(["a", "b", "c", "d"]))
    assert labels["ods"].tolist() == [True, False, False, False]
    assert not labels[["waste", "wildlife"]].to_numpy().any()


def test_baselines_are_beaten_or_matched_by_the_model() -> None:
    features, inspections, illicit = world()
    model = trained()
    rows = training_rows(features, inspections, config=TrainConfig())
    logistic = fit_logistic_baseline(rows.features, rows.labels, rows.weights, model.matrix)
    auc = {
        "model": roc_auc_score(illicit, model.predict(features)["risk_score"]),
        "logistic": roc_auc_score(illicit, logistic.predict(features)["risk_score"]),
        "random": roc_auc_score(illicit, random_scores(features.index)["risk_score"]),
    }
    assert auc["logistic"] > 0.75
    assert abs(auc["random"] - 0.5) < 0.05
    assert auc["model"] > auc["random"] + 0.25


def test_profile_scores_rank_red_hits_first() -> None:
    from models.rules import load_profiles

    text = """
id: {id}
version: 1
status: active
category: {category}
title: t
rationale: r
owner: o
valid_from: 2020-01-01
lane: {lane}
condition:
  all:
    - {{field: x, op: eq, value: 1}}
"""
    profiles = load_profiles(
        {
            "a.yaml": text.format(id="ODS-01", category="ods", lane="red"),
            "b.yaml": text.format(id="ODS-02", category="ods", lane="yellow"),
        }
    )
    fired = pd.DataFrame({"ODS-01": [True, False, False], "ODS-02": [True, True, False]})
    scores = profile_scores(fired, profiles)
    assert scores["p_ods"].tolist() == [1.0, 0.51, 0.0]
    assert scores["p_waste"].eq(0).all()


def metrics(overall: float, waste: float, ods: float, wildlife: float) -> dict[str, object]:
    return {
        group: {"at_budget": {"5%": {"recall": value}}}
        for group, value in {
            "overall": overall,
            "waste": waste,
            "ods": ods,
            "wildlife": wildlife,
        }.items()
    }


def test_gate_passes_first_model_and_equal_or_better_challengers() -> None:
    config = GateConfig()
    assert promotion_gate(metrics(0.3, 0.3, 0.3, 0.3), None, config=config).passed
    decision = promotion_gate(
        metrics(0.40, 0.3, 0.3, 0.28), metrics(0.40, 0.3, 0.3, 0.3), config=config
    )
    assert decision.passed
    assert decision.table["wildlife"]["difference"] == pytest.approx(-0.02)


def test_gate_rejects_worse_overall_or_clearly_worse_category() -> None:
    config = GateConfig()
    worse_overall = promotion_gate(
        metrics(0.35, 0.3, 0.3, 0.3), metrics(0.40, 0.3, 0.3, 0.3), config=config
    )
    assert not worse_overall.passed
    assert "overall" in worse_overall.reasons[0]
    worse_ods = promotion_gate(
        metrics(0.45, 0.3, 0.2, 0.3), metrics(0.40, 0.3, 0.3, 0.3), config=config
    )
    assert not worse_ods.passed
    assert worse_ods.reasons[0].startswith("ods:")
