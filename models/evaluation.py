"""Ranking metrics for a fixed inspection capacity: precision, recall and lift at a budget.

A unit inspects the top *k* declarations of a period, so the metrics that matter are measured on
the top *k* (Fraud Detection Handbook): precision (hit rate) among them, the share of all
violations they contain (recall), and lift over a random choice of the same size.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from data_contracts.schemas import RISK_CATEGORIES

BUDGETS: tuple[float, ...] = (0.01, 0.02, 0.05, 0.10)


def budget_label(budget: float) -> str:
    """'5%' for 0.05."""
    return f"{budget * 100:g}%"


def top_k(scores: np.ndarray, budget: float) -> np.ndarray:
    """Boolean mask of the ceil(budget * n) highest scores; ties broken by position (stable)."""
    n = len(scores)
    k = min(n, int(np.ceil(budget * n))) if n else 0
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")
    mask = np.zeros(n, dtype=bool)
    mask[order[:k]] = True
    return mask


def ranking_metrics(
    scores: np.ndarray, labels: np.ndarray, *, budgets: tuple[float, ...] = BUDGETS
) -> dict[str, object]:
    """Precision, recall, hits and lift at each budget, plus PR-AUC, for one score and label."""
    scores = np.nan_to_num(np.asarray(scores, dtype=float), nan=-np.inf)
    labels = np.asarray(labels, dtype=bool)
    positives = int(labels.sum())
    base_rate = positives / len(labels) if len(labels) else 0.0
    at_budget = {}
    for budget in budgets:
        selected = top_k(scores, budget)
        hits = int(labels[selected].sum())
        k = int(selected.sum())
        precision = hits / k if k else 0.0
        at_budget[budget_label(budget)] = {
            "k": k,
            "hits": hits,
            "precision": round(precision, 4),
            "recall": round(hits / positives, 4) if positives else 0.0,
            "lift": round(precision / base_rate, 2) if base_rate else 0.0,
        }
    pr_auc = float(average_precision_score(labels, scores)) if 0 < positives < len(labels) else 0.0
    return {
        "n": len(labels),
        "positives": positives,
        "base_rate": round(base_rate, 5),
        "pr_auc": round(pr_auc, 4),
        "at_budget": at_budget,
    }


def labels_from_truth(truth: pd.DataFrame) -> pd.DataFrame:
    """Per-declaration labels (`any`, and one per category) from a simulated truth table."""
    category = truth["category"].astype("str")
    labels = {"any": truth["is_illicit"].astype(bool).to_numpy()}
    for name in RISK_CATEGORIES:
        labels[name] = (category == name).to_numpy()
    return pd.DataFrame(labels, index=truth["declaration_id"].astype("str"))


def counted_categories(targets: tuple[str, ...]) -> tuple[str, ...]:
    """The violation categories a hit counts for a model of `targets`: the risk categories, plus
    any other target it learnt ('other'), or every category for the 'any' target."""
    if "any" in targets:
        return ("waste", "ods", "wildlife", "other")
    return (*RISK_CATEGORIES, *(t for t in targets if t not in RISK_CATEGORIES))


def score_targets(columns: list[str] | pd.Index) -> tuple[str, ...]:
    """The targets a scores table holds: every `p_<target>` column."""
    return tuple(str(c)[2:] for c in columns if str(c).startswith("p_"))


def labels_from_inspections(
    inspections: pd.DataFrame, *, counted: tuple[str, ...] = RISK_CATEGORIES
) -> pd.DataFrame:
    """Per-declaration labels from inspection results (only inspected declarations have one).

    `any` is a violation of one of the `counted` categories: by default the environmental ones,
    so a revenue offence ('other') is not a hit; a model trained on 'other' counts it.
    """
    violation = inspections["outcome"].astype("str") == "violation"
    category = inspections["violation_category"].astype("str")
    labels = {"any": (violation & category.isin(counted)).to_numpy()}
    for name in RISK_CATEGORIES:
        labels[name] = (violation & (category == name)).to_numpy()
    return pd.DataFrame(labels, index=inspections["declaration_id"].astype("str"))


def evaluate_scores(
    scores: pd.DataFrame, labels: pd.DataFrame, *, budgets: tuple[float, ...] = BUDGETS
) -> dict[str, object]:
    """Metrics of `risk_score` against `any` and of each `p_<category>` against its category.

    Only declarations present in both frames are evaluated; with inspection labels this is the
    inspected subset, with the simulated truth it is every declaration of the period.
    """
    joined = scores.set_index(scores["declaration_id"].astype("str")).join(labels, how="inner")
    result: dict[str, object] = {
        "overall": ranking_metrics(
            joined["risk_score"].to_numpy(), joined["any"].to_numpy(), budgets=budgets
        )
    }
    for name in RISK_CATEGORIES:
        column = f"p_{name}"
        if column in joined:
            result[name] = ranking_metrics(
                joined[column].to_numpy(), joined[name].to_numpy(), budgets=budgets
            )
    return result
