"""Holdout evaluation of a new model against its baselines and a champion (`models.candidates`)."""

from __future__ import annotations

import datetime
from functools import cache

import numpy as np
import pandas as pd

from models.candidates import evaluate_candidates
from models.evaluation import counted_categories
from models.risk_model import RiskModel
from models.rules import ProfileSet
from models.training import HoldoutPlan, TrainConfig, train_risk_model
from tests.unit.test_training import FEATURES, world

UNTIL = datetime.date(2025, 1, 1)


@cache
def fitted() -> tuple[HoldoutPlan, RiskModel]:
    features, inspections, _ = world()
    plan = HoldoutPlan.of(features["declaration_date"], UNTIL, holdout_days=90, gap_days=14)
    config = TrainConfig(until=plan.fit_until, num_boost_round=60, valid_days=60)
    return plan, train_risk_model(features, inspections, feature_names=FEATURES, config=config)


def truth_of(features: pd.DataFrame, illicit: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "declaration_id": features["declaration_id"],
            "is_illicit": illicit,
            "category": np.where(illicit, "waste", "none"),
        }
    )


def test_every_candidate_is_scored_on_the_same_holdout() -> None:
    features, inspections, illicit = world()
    plan, model = fitted()
    evaluation = evaluate_candidates(
        features,
        inspections,
        model,
        plan,
        champion=None,
        truth=truth_of(features, illicit),
        seed=0,
        profiles=ProfileSet(()),
    )
    assert list(evaluation.metrics) == ["model", "logistic", "quick_lightgbm", "profiles", "random"]
    holdout = plan.in_holdout(features["declaration_date"])
    assert evaluation.holdout_rows == holdout.sum()
    assert all(len(frame) == holdout.sum() for frame in evaluation.scores.values())
    # Training rows: inspected, dated before the fit cut, with their result known by then.
    cut = pd.Timestamp(plan.fit_until)
    known = inspections[inspections["inspection_date"] < cut]
    expected = features["declaration_id"][features["declaration_date"] < cut].isin(
        known["declaration_id"]
    )
    assert evaluation.training_rows == expected.sum()
    # Labels exist only for the holdout declarations inspected before `until`.
    inspected = evaluation.labels.notna().all(axis=1)
    seen = inspections[inspections["inspection_date"] < plan.until]["declaration_id"]
    assert inspected.sum() == features[holdout]["declaration_id"].isin(seen).sum()
    model_auc = evaluation.true_metrics["model"]["overall"]["pr_auc"]  # type: ignore[index]
    random_auc = evaluation.true_metrics["random"]["overall"]["pr_auc"]  # type: ignore[index]
    assert model_auc > 2 * random_auc
    # The first model is judged too, against the baselines. Risk is linear in `signal` here,
    # so the logistic regression is the right model and the short booster is not better.
    assert evaluation.champion_version is None
    assert "no champion yet: judged against the baselines only" in evaluation.gate.reasons
    assert not evaluation.gate.passed
    assert any("below the logistic baseline" in reason for reason in evaluation.gate.reasons)


def test_a_champion_is_compared_and_a_much_worse_model_fails_the_gate() -> None:
    features, inspections, _ = world()
    plan, model = fitted()
    # A "model" that knows nothing: every category falls back to its base rate.
    blind = train_risk_model(
        features,
        inspections,
        feature_names=FEATURES,
        config=TrainConfig(until=plan.fit_until, min_positives=10**9),
    )
    evaluation = evaluate_candidates(
        features,
        inspections,
        blind,
        plan,
        champion=model,
        truth=None,
        seed=0,
        profiles=ProfileSet(()),
        champion_version="7",
    )
    assert "champion" in evaluation.metrics and evaluation.true_metrics is None
    assert evaluation.champion_version == "7"
    assert not evaluation.gate.passed
    assert any(reason.startswith("overall:") for reason in evaluation.gate.reasons)
    # Constant targets that had positives, and no better than the baselines: refused on both.
    assert evaluation.gate_line().startswith("gate failed: waste: no booster, a constant")
    assert any("not better than the baselines" in r for r in evaluation.gate.reasons)
    same = evaluate_candidates(
        features,
        inspections,
        model,
        plan,
        champion=model,
        truth=None,
        seed=0,
        profiles=ProfileSet(()),
    )
    assert not any("fell from" in reason for reason in same.gate.reasons)  # equal to the champion
    assert same.metrics["model"] == same.metrics["champion"]


def test_what_counts_as_a_hit_follows_the_targets() -> None:
    assert counted_categories(("waste", "ods", "wildlife")) == ("waste", "ods", "wildlife")
    assert counted_categories(("waste", "other")) == ("waste", "ods", "wildlife", "other")
    assert counted_categories(("any",)) == ("waste", "ods", "wildlife", "other")
