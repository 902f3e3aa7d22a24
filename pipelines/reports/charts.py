"""Charts logged with each training run: PR curves, precision at budget, calibration, importance.

Each function returns a matplotlib `Figure` built without pyplot, so no backend or display is
involved and nothing global changes; the caller logs or saves it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve

from data_contracts.schemas import RISK_CATEGORIES
from models.risk_model import RiskModel

GROUPS = ("overall", *RISK_CATEGORIES)
_SCORE_COLUMN = {"overall": "risk_score", **{c: f"p_{c}" for c in RISK_CATEGORIES}}


def pr_curves(candidates: dict[str, pd.DataFrame], labels: pd.DataFrame) -> Figure:
    """Precision-recall curves of every candidate, one panel per category."""
    figure = Figure(figsize=(4 * len(GROUPS), 3.6))
    axes = figure.subplots(1, len(GROUPS), sharey=True)
    for axis, group in zip(axes, GROUPS, strict=True):
        truth = labels["any" if group == "overall" else group].to_numpy(dtype=bool)
        for name, scores in candidates.items():
            if truth.any():
                precision, recall, _ = precision_recall_curve(truth, scores[_SCORE_COLUMN[group]])
                axis.plot(recall, precision, label=name)
        axis.set_title(group)
        axis.set_xlabel("recall")
    axes[0].set_ylabel("precision")
    for axis in axes:
        if axis.get_legend_handles_labels()[0]:
            axis.legend(loc="upper right", fontsize="small")
            break
    figure.tight_layout()
    return figure


def precision_at_budget(metrics: dict[str, dict[str, Any]], *, group: str = "overall") -> Figure:
    """Grouped bars: precision in the top k% for each candidate and budget."""
    names = list(metrics)
    budgets = list(metrics[names[0]][group]["at_budget"])
    figure = Figure(figsize=(7, 3.6))
    axis = figure.subplots()
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        values = [metrics[name][group]["at_budget"][b]["precision"] for b in budgets]
        axis.bar(np.arange(len(budgets)) + i * width, values, width, label=name)
    axis.set_xticks(np.arange(len(budgets)) + 0.4 - width / 2, budgets)
    axis.set_xlabel("inspection budget (share of declarations)")
    axis.set_ylabel(f"precision ({group})")
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


def calibration(scores: pd.DataFrame, labels: pd.DataFrame, *, bins: int = 10) -> Figure:
    """Reliability diagram: mean predicted probability against observed rate, per category."""
    figure = Figure(figsize=(4.5, 4.2))
    axis = figure.subplots()
    for group in GROUPS:
        predicted = scores[_SCORE_COLUMN[group]].to_numpy()
        observed = labels["any" if group == "overall" else group].to_numpy(dtype=float)
        edges = np.unique(np.quantile(predicted, np.linspace(0, 1, bins + 1)))
        which = np.clip(np.searchsorted(edges, predicted, side="right") - 1, 0, len(edges) - 2)
        frame = pd.DataFrame({"bin": which, "p": predicted, "y": observed}).groupby("bin").mean()
        axis.plot(frame["p"], frame["y"], marker="o", label=group)
    top = max(axis.get_xlim()[1], axis.get_ylim()[1])
    axis.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1)
    axis.set_xlabel("mean predicted probability")
    axis.set_ylabel("observed violation rate (inspected)")
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


def feature_importance(model: RiskModel, *, top: int = 20) -> tuple[Figure, pd.DataFrame]:
    """Total gain per feature and category; the chart shows the `top` features overall."""
    table = pd.DataFrame(index=model.feature_names)
    for name, category_model in model.models.items():
        booster = category_model.booster
        gains = booster.feature_importance("gain") if booster is not None else 0.0
        table[name] = gains
    table["total"] = table.sum(axis=1)
    table = table.sort_values("total", ascending=False)
    shown = table.head(top).iloc[::-1]
    figure = Figure(figsize=(7, 0.3 * len(shown) + 1.2))
    axis = figure.subplots()
    left = np.zeros(len(shown))
    for name in model.models:
        axis.barh(shown.index, shown[name], left=left, label=name)
        left += shown[name].to_numpy()
    axis.set_xlabel("total gain")
    axis.legend(fontsize="small")
    figure.tight_layout()
    return figure, table


def score_distributions(scores: pd.DataFrame) -> Figure:
    """Histograms of each category's probability, by lane (log-scaled counts)."""
    figure = Figure(figsize=(4 * len(GROUPS), 3.2))
    axes = figure.subplots(1, len(GROUPS), sharey=True)
    colours = {"red": "#b3261e", "yellow": "#d9a400", "green": "#3b7d3b"}
    for axis, group in zip(axes, GROUPS, strict=True):
        column = _SCORE_COLUMN[group]
        values = scores[column].to_numpy(dtype=float)
        top = float(np.nanmax(values)) if len(values) and np.isfinite(values).any() else 1.0
        bins = np.linspace(0.0, max(top, 1e-6), 30)
        for lane, colour in colours.items():
            chosen = scores["lane"].to_numpy() == lane
            axis.hist(values[chosen], bins=bins, color=colour, alpha=0.75, label=lane)
        axis.set_yscale("log")
        axis.set_title(column)
    axes[0].set_ylabel("declarations")
    axes[-1].legend(fontsize="small")
    figure.tight_layout()
    return figure
