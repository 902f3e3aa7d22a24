"""Ranking metrics at a budget."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.evaluation import evaluate_scores, labels_from_inspections, ranking_metrics, top_k


def test_top_k_takes_the_highest_with_stable_ties() -> None:
    assert top_k(np.array([0.1, 0.9, 0.5, 0.9]), 0.5).tolist() == [False, True, False, True]
    assert top_k(np.array([0.3, 0.3, 0.3]), 0.34).tolist() == [True, True, False]


def test_precision_recall_and_lift_at_budget() -> None:
    scores = np.linspace(1, 0, 100)
    labels = np.zeros(100, dtype=bool)
    labels[[0, 1, 2, 50, 99]] = True
    metrics = ranking_metrics(scores, labels, budgets=(0.05,))
    at5 = metrics["at_budget"]["5%"]  # type: ignore[index]
    assert at5 == {"k": 5, "hits": 3, "precision": 0.6, "recall": 0.6, "lift": 12.0}
    assert metrics["positives"] == 5


def test_evaluate_scores_on_inspection_labels_uses_the_inspected_only() -> None:
    scores = pd.DataFrame(
        {
            "declaration_id": ["a", "b", "c", "d"],
            "risk_score": [0.9, 0.8, 0.1, 0.2],
            "p_waste": [0.9, 0.0, 0.0, 0.0],
            "p_ods": [0.0, 0.8, 0.0, 0.0],
            "p_wildlife": [0.0, 0.0, 0.1, 0.2],
        }
    )
    inspections = pd.DataFrame(
        {
            "declaration_id": ["a", "c", "d"],
            "outcome": ["violation", "clean", "violation"],
            "violation_category": ["waste", "none", "other"],
        }
    )
    result = evaluate_scores(scores, labels_from_inspections(inspections), budgets=(0.33,))
    assert result["overall"]["n"] == 3  # type: ignore[index]
    # An 'other' violation (revenue fraud) is not an environmental hit.
    assert result["overall"]["positives"] == 1  # type: ignore[index]
    assert result["waste"]["at_budget"]["33%"]["precision"] == 1.0  # type: ignore[index]


def test_a_model_of_other_targets_counts_their_violations_as_hits() -> None:
    from models.evaluation import counted_categories, score_targets

    targets = score_targets(["declaration_id", "p_waste", "p_ods", "p_wildlife", "p_other"])
    assert targets == ("waste", "ods", "wildlife", "other")
    assert counted_categories(targets) == ("waste", "ods", "wildlife", "other")
    assert counted_categories(("waste", "ods", "wildlife")) == ("waste", "ods", "wildlife")
    assert counted_categories(("any",)) == ("waste", "ods", "wildlife", "other")
