"""The holdout evaluation of a training run: the new model against its baselines and the champion.

Every candidate is scored on the same holdout (`HoldoutPlan`): the new model, a logistic
regression and a quick six-feature LightGBM fitted on the same rows, the risk profiles alone,
random scores and, when there is one, the current champion. Metrics come from the inspected
holdout declarations and, in a simulated world, from the truth of every one of them; the
promotion gate (`models.gate.full_gate`) refuses a model with a constant target that had
positives, one no better than the baselines, and one worse than the champion. Pure: the
champion is passed in, never looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from data_contracts.schemas import RISK_CATEGORIES
from models.baselines import (
    fit_logistic_baseline,
    fit_quick_baseline,
    profile_scores,
    random_scores,
)
from models.evaluation import (
    counted_categories,
    evaluate_scores,
    labels_from_inspections,
    labels_from_truth,
)
from models.gate import GateConfig, GateDecision, constant_targets, full_gate
from models.risk_model import RiskModel
from models.rules import ProfileSet, fire
from models.training import HoldoutPlan, TrainConfig, training_rows


@dataclass(frozen=True)
class Evaluation:
    """Holdout scores and metrics of every candidate, and the gate's verdict.

    `champion_version` names the champion that was compared (None: there was none); it is the
    caller's label, since the evaluation only sees the champion's model.
    """

    metrics: dict[str, dict[str, Any]]
    true_metrics: dict[str, dict[str, Any]] | None
    scores: dict[str, pd.DataFrame]
    labels: pd.DataFrame
    champion_version: str | None
    gate: GateDecision
    training_rows: int
    holdout_rows: int

    def gate_line(self) -> str:
        verdict = "passed" if self.gate.passed else "failed"
        return f"gate {verdict}: " + "; ".join(self.gate.reasons)


def evaluate_candidates(
    features: pd.DataFrame,
    inspections: pd.DataFrame,
    model: RiskModel,
    plan: HoldoutPlan,
    *,
    champion: RiskModel | None,
    truth: pd.DataFrame | None,
    seed: int,
    profiles: ProfileSet,
    targets: tuple[str, ...] = RISK_CATEGORIES,
    champion_version: str | None = None,
) -> Evaluation:
    """Score model, baselines and `champion` on the holdout; run the promotion gate.

    Args:
        features: every declaration's point-in-time features (training and holdout).
        inspections: the inspection results known by the end of the holdout (or later: only
            those dated before `plan.until` count).
        model: the new model, fitted before `plan.fit_until`.
        plan: the holdout and where fitting stopped.
        champion: the current champion's model, or None.
        truth: a simulated world's truth table, for true metrics; None for real data.
        seed: seed of the random baseline.
        profiles: the risk profiles of the profiles-only baseline.
        targets: what the model learned (decides which violations count as hits).
        champion_version: the champion's label, kept in the result.
    """
    holdout = plan.holdout(features)
    ids = holdout["declaration_id"]
    rows = training_rows(
        features, inspections, config=TrainConfig(until=plan.fit_until, targets=targets)
    )
    logistic = fit_logistic_baseline(
        rows.features, rows.labels, rows.weights, model.matrix, targets
    )
    quick = fit_quick_baseline(rows.features, rows.labels, rows.weights, targets, seed=seed)
    scores = {
        "model": model.predict(holdout),
        "logistic": logistic.predict(holdout),
        "quick_lightgbm": quick.predict(holdout),
        "profiles": profile_scores(fire(holdout, profiles), profiles),
        "random": random_scores(holdout.index, seed=seed),
    }
    if champion is not None:
        scores["champion"] = champion.predict(holdout)
    known = inspections[inspections["inspection_date"] < plan.until]
    labels = labels_from_inspections(
        known[known["declaration_id"].isin(ids)], counted=counted_categories(targets)
    )
    metrics = _metrics(scores, ids, labels)
    true_metrics = None
    if truth is not None:
        true_metrics = _metrics(
            scores, ids, labels_from_truth(truth[truth["declaration_id"].isin(ids)])
        )
    gate = full_gate(metrics, constant=constant_targets(model, rows.labels), config=GateConfig())
    return Evaluation(
        metrics,
        true_metrics,
        scores,
        labels.reindex(ids.to_numpy()),
        champion_version if champion is not None else None,
        gate,
        training_rows=len(rows.features),
        holdout_rows=len(holdout),
    )


def _metrics(
    scores: dict[str, pd.DataFrame], ids: pd.Series, labels: pd.DataFrame
) -> dict[str, dict[str, Any]]:
    return {
        name: evaluate_scores(frame.assign(declaration_id=ids.to_numpy()), labels)
        for name, frame in scores.items()
    }
