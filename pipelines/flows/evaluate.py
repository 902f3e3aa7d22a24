"""`evaluate-scores`: how well a scores file ranks, against the truth or inspection results.

Precision, recall, hits and lift at 1/2/5/10% budgets and PR-AUC, overall (`risk_score`) and per
category (`p_<category>`), over the declarations present in both files. The metric models here
are also those of a training run's summary (`pipelines.flows.train`).
"""

from __future__ import annotations

from pathlib import Path

from prefect import flow
from pydantic import BaseModel, Field, field_validator

from data_contracts.schemas import RISK_CATEGORIES, VIOLATION_CATEGORIES
from models.evaluation import evaluate_scores
from pipelines.steps.evaluation import read_labels, read_scores


class BudgetMetrics(BaseModel):
    """The top `k` of one budget: hits among them, precision, recall and lift."""

    k: int
    hits: int
    precision: float
    recall: float
    lift: float


class GroupMetrics(BaseModel):
    """Ranking metrics of one score against one label (overall, or one category)."""

    n: int
    positives: int
    base_rate: float
    pr_auc: float
    at_budget: dict[str, BudgetMetrics]


#: Metrics per group: `overall`, then one per risk category.
Metrics = dict[str, GroupMetrics]


class EvaluateConfig(BaseModel):
    """The scores to measure and what to measure them against."""

    scores: Path = Field(description="scores.parquet or .csv, as written by gcrisk score")
    truth: Path = Field(description="truth.parquet, or inspection results (CSV/Parquet)")
    count: tuple[str, ...] = Field(
        default=RISK_CATEGORIES,
        description="Violation categories an inspection result counts as a hit (a model of "
        "'other', e.g. revenue fraud, is measured with count=('other',))",
    )

    @field_validator("count")
    @classmethod
    def _known(cls, count: tuple[str, ...]) -> tuple[str, ...]:
        known = [c for c in VIOLATION_CATEGORIES if c != "none"]
        if not count or set(count) - set(known):
            raise ValueError(f"count must name categories from {', '.join(known)}")
        return count


class EvaluateSummary(BaseModel):
    """The metrics of one scores file."""

    scores: str
    truth: str
    metrics: Metrics


@flow(name="evaluate-scores", validate_parameters=True)
def evaluate_flow(config: EvaluateConfig) -> EvaluateSummary:
    """Read the scores and the labels, measure the ranking at every budget."""
    scores = read_scores(config.scores)
    labels = read_labels(config.truth, config.count)
    return EvaluateSummary(
        scores=str(config.scores),
        truth=str(config.truth),
        metrics=evaluate_scores(scores, labels),  # type: ignore[arg-type]
    )
