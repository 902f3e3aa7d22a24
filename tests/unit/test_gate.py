"""The promotion gate: refuses constant models and models no better than the baselines (the
first model too), compares with the champion, and can be overridden only with a reason."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.gate import (
    GateConfig,
    baseline_gate,
    constant_gate,
    constant_targets,
    forced,
    full_gate,
)
from models.risk_model import CategoryModel, Matrix, RiskModel


def metrics(recall: float, pr_auc: float, *, positives: int = 30) -> dict[str, Any]:
    """Holdout metrics as `evaluate_scores` gives them, the same in every group."""
    group = {"positives": positives, "pr_auc": pr_auc, "at_budget": {"5%": {"recall": recall}}}
    return {name: group for name in ("overall", "waste", "ods", "wildlife")}


def candidates(model: dict[str, Any], **others: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        "model": model,
        "logistic": metrics(0.30, 0.20),
        "quick_lightgbm": metrics(0.35, 0.18),
        **others,
    }


def test_a_model_better_than_both_baselines_passes_and_the_table_shows_all_numbers() -> None:
    decision = full_gate(candidates(metrics(0.45, 0.30)), constant={}, config=GateConfig())
    assert decision.passed
    row = decision.table["overall recall at 5% vs baselines"]
    assert row == {
        "model": 0.45,
        "logistic": 0.30,
        "quick_lightgbm": 0.35,
        "best_baseline": 0.35,
        "difference": 0.1,
        "tolerance": 0.0871,  # one standard error of 0.35 over 30 positives
    }
    assert decision.table["overall PR-AUC vs baselines"]["best_baseline"] == 0.20
    assert "no champion yet: judged against the baselines only" in decision.reasons


@pytest.mark.parametrize(
    ("model", "why"),
    [
        (metrics(0.35, 0.20), "not better than the baselines"),  # ties the best on both
        (metrics(0.0, 0.0, positives=0), "holds no violation"),  # the KCS-without-target case
        (metrics(0.50, 0.10), "PR-AUC 0.100 is below the logistic baseline's 0.200"),
        (metrics(0.20, 0.25), "recall at 5% 0.200 is below the quick_lightgbm baseline's 0.350"),
    ],
)
def test_a_first_model_no_better_than_the_baselines_is_refused(
    model: dict[str, Any], why: str
) -> None:
    decision = full_gate(candidates(model), constant={}, config=GateConfig())
    assert not decision.passed
    assert any(why in reason for reason in decision.reasons), decision.reasons


def test_the_baseline_tolerance_allows_holdout_noise_on_one_metric() -> None:
    within = baseline_gate(metrics(0.50, 0.195), candidates(metrics(0, 0)), config=GateConfig())
    assert within.passed
    # With many holdout positives the noise is small, and only the configured tolerance is left.
    many = metrics(0.50, 0.195, positives=100_000)
    strict = baseline_gate(many, candidates(metrics(0, 0)), config=GateConfig(baseline_tolerance=0))
    assert not strict.passed
    # With few, a recall 0.034 below the logistic one is within one standard error.
    few = baseline_gate(
        metrics(0.483, 0.2708, positives=58),
        {"logistic": metrics(0.517, 0.2706), "quick_lightgbm": metrics(0.276, 0.106)},
        config=GateConfig(),
    )
    assert few.passed, few.reasons


def test_a_constant_category_with_training_positives_is_refused_first_model_included() -> None:
    x = pd.DataFrame({"a": np.arange(4.0)})
    model = RiskModel(
        Matrix(["a"]),
        {
            "waste": CategoryModel(booster=None, base_rate=0.01),
            "ods": CategoryModel(booster=None, base_rate=0.0),
        },
    )
    labels = pd.DataFrame({"waste": [True, True, False, False], "ods": [False] * 4}, index=x.index)
    constant = constant_targets(model, labels)
    assert constant == {"waste": 2}  # ods has no positive: a constant is all it could be
    decision = full_gate(candidates(metrics(0.45, 0.30)), constant=constant, config=GateConfig())
    assert not decision.passed
    assert decision.reasons[0].startswith("waste: no booster, a constant base rate")
    assert decision.table["waste: constant (base rate)"] == {"training_positives": 2.0}
    assert constant_gate({}).passed


def test_a_model_worse_than_the_champion_is_refused_even_when_it_beats_the_baselines() -> None:
    decision = full_gate(
        candidates(metrics(0.45, 0.30), champion=metrics(0.50, 0.30)),
        constant={},
        config=GateConfig(),
    )
    assert not decision.passed
    assert decision.table["overall"]["champion"] == 0.50


def test_forcing_keeps_the_verdict_and_records_the_reason() -> None:
    refused = full_gate(candidates(metrics(0.1, 0.1)), constant={}, config=GateConfig())
    assert not refused.allows_promotion
    overridden = forced(refused, "  analyst  accepts: first model for a pilot ")
    assert not overridden.passed
    assert overridden.allows_promotion
    assert overridden.forced == "analyst accepts: first model for a pilot"
    assert overridden.reasons[-1] == (
        "promotion forced (gate failed): analyst accepts: first model for a pilot"
    )
    assert overridden.to_dict()["forced"] == overridden.forced
    with pytest.raises(ValueError, match="needs a reason"):
        forced(refused, "   ")
