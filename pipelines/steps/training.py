"""The parts of a training run that touch MLflow: holdout evaluation with the champion, logging.

`evaluate_candidates` scores the new model, its baselines (random, profiles only, logistic
regression) and the current champion on the same holdout; `log_training_run` writes one MLflow
run with parameters, metrics, charts, the catalogue, contract results, data fingerprints and the
gate's verdict, and registers the model.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from typing import Any

import mlflow
import pandas as pd

from data_contracts.schemas import RISK_CATEGORIES
from models.baselines import fit_logistic_baseline, profile_scores, random_scores
from models.evaluation import evaluate_scores, labels_from_inspections, labels_from_truth
from models.gate import GateConfig, GateDecision, promotion_gate
from models.risk_model import RiskModel
from models.rules import ProfileSet, fire
from models.training import TrainConfig, training_rows
from pipelines.reports import charts
from pipelines.settings import Settings
from pipelines.storage import tracking
from pipelines.storage.profiles import load_unit_profiles

EXPERIMENT = "gcrisk-training"


@dataclass(frozen=True)
class Plan:
    """The time split of a run: fit before `fit_until`, evaluate on [holdout_start, until)."""

    until: pd.Timestamp
    holdout_start: pd.Timestamp
    fit_until: datetime.date

    @classmethod
    def of(
        cls,
        features: pd.DataFrame,
        until: datetime.date | None,
        *,
        holdout_days: int,
        gap_days: int,
    ) -> Plan:
        end = (
            pd.Timestamp(until)
            if until is not None
            else features["declaration_date"].max() + pd.Timedelta(days=1)
        )
        holdout_start = end - pd.Timedelta(days=holdout_days)
        fit_until = (holdout_start - pd.Timedelta(days=gap_days)).date()
        return cls(until=end, holdout_start=holdout_start, fit_until=fit_until)

    def holdout(self, features: pd.DataFrame) -> pd.DataFrame:
        dates = features["declaration_date"]
        return features[(dates >= self.holdout_start) & (dates < self.until)].reset_index(drop=True)


@dataclass(frozen=True)
class Evaluation:
    """Holdout scores and metrics of every candidate, and the gate's verdict."""

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
    plan: Plan,
    *,
    settings: Settings,
    truth: pd.DataFrame | None,
    seed: int,
    targets: tuple[str, ...] = RISK_CATEGORIES,
) -> Evaluation:
    """Score model, baselines and champion on the holdout; run the promotion gate."""
    holdout = plan.holdout(features)
    ids = holdout["declaration_id"]
    rows = training_rows(
        features, inspections, config=TrainConfig(until=plan.fit_until, targets=targets)
    )
    logistic = fit_logistic_baseline(rows.features, rows.labels, rows.weights, model.matrix)
    profiles = load_unit_profiles(settings)
    scores = {
        "model": model.predict(holdout),
        "logistic": logistic.predict(holdout),
        "profiles": profile_scores(fire(holdout, profiles), profiles),
        "random": random_scores(holdout.index, seed=seed),
    }
    client = tracking.connect(settings.tracking_uri, settings.home / "mlartifacts")
    champion_version = tracking.version_for_alias(client, tracking.CHAMPION)
    if champion_version is not None:
        champion = tracking.load_risk_model(client, version=champion_version).model
        scores["champion"] = champion.predict(holdout)
    known = inspections[inspections["inspection_date"] < plan.until]
    counted = (
        ("waste", "ods", "wildlife", "other")
        if "any" in targets
        else (*RISK_CATEGORIES, *(t for t in targets if t not in RISK_CATEGORIES))
    )
    labels = labels_from_inspections(known[known["declaration_id"].isin(ids)], counted=counted)
    metrics = {
        name: evaluate_scores(frame.assign(declaration_id=ids.to_numpy()), labels)
        for name, frame in scores.items()
    }
    true_metrics = None
    if truth is not None:
        true_labels = labels_from_truth(truth[truth["declaration_id"].isin(ids)])
        true_metrics = {
            name: evaluate_scores(frame.assign(declaration_id=ids.to_numpy()), true_labels)
            for name, frame in scores.items()
        }
    gate = promotion_gate(metrics["model"], metrics.get("champion"), config=GateConfig())
    aligned = labels.reindex(ids.to_numpy())
    return Evaluation(
        metrics,
        true_metrics,
        scores,
        aligned,
        champion_version,
        gate,
        training_rows=len(rows.features),
        holdout_rows=len(holdout),
    )


def flatten(metrics: dict[str, dict[str, Any]], *, prefix: str = "") -> dict[str, float]:
    """MLflow metric names like `model.overall.precision_at_5pct`."""
    flat = {}
    for candidate, groups in metrics.items():
        for group, values in groups.items():
            base = f"{prefix}{candidate}.{group}"
            flat[f"{base}.pr_auc"] = float(values["pr_auc"])
            for budget, at in values["at_budget"].items():
                tag = budget.replace("%", "pct")
                for name in ("precision", "recall", "lift"):
                    flat[f"{base}.{name}_at_{tag}"] = float(at[name])
    return flat


def _log_profile_set(profiles: ProfileSet) -> None:
    """The profile set the run's baseline used: its hash (param) and `ID@version` label (tag)."""
    mlflow.log_param("profile_set.fingerprint", profiles.fingerprint)
    mlflow.set_tag("profile_set.version", profiles.version_label)


def log_training_run(
    *,
    model: RiskModel,
    evaluation: Evaluation,
    plan: Plan,
    params: dict[str, Any],
    promote: bool,
    settings: Settings,
    fingerprints: dict[str, str],
    contracts: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Log one run, register the model as challenger, and promote it when asked and allowed."""
    from features.catalogue import CATALOGUE

    client = tracking.connect(settings.tracking_uri, settings.home / "mlartifacts")
    experiment = tracking.experiment_id(EXPERIMENT, settings.home / "mlartifacts")
    run_name = f"train-until-{plan.until.date()}"
    with mlflow.start_run(experiment_id=experiment, run_name=run_name) as run:
        mlflow.log_params(
            {
                **params,
                "fit_until": str(plan.fit_until),
                "holdout_start": str(plan.holdout_start.date()),
                "features": len(model.feature_names),
                "training_rows": evaluation.training_rows,
                "holdout_rows": evaluation.holdout_rows,
                # The booster options in force (the flow uses TrainConfig's defaults).
                **{
                    f"train.{name}": value
                    for name, value in TrainConfig(until=plan.fit_until).model_dump().items()
                    if name not in ("until", "seed")
                },
            }
        )
        mlflow.log_metrics(flatten(evaluation.metrics))
        if evaluation.true_metrics is not None:
            mlflow.log_metrics(flatten(evaluation.true_metrics, prefix="true."))
        _log_charts(model, evaluation)
        mlflow.log_dict(
            {"features": [asdict(entry) for entry in CATALOGUE]}, "feature_catalogue.json"
        )
        mlflow.log_dict(evaluation.metrics, "metrics/holdout_inspected.json")
        if evaluation.true_metrics is not None:
            mlflow.log_dict(evaluation.true_metrics, "metrics/holdout_truth.json")
        mlflow.log_dict(contracts or {}, "data_contracts.json")
        mlflow.log_dict(fingerprints, "training_data_fingerprint.json")
        mlflow.log_dict(evaluation.gate.to_dict(), "gate.json")
        mlflow.set_tags(
            {
                "gate": "passed" if evaluation.gate.passed else "failed",
                **{f"fingerprint.{k}": v for k, v in fingerprints.items()},
            }
        )
        _log_profile_set(load_unit_profiles(settings))
        version = tracking.log_risk_model(model)
        tracking.set_alias(client, tracking.CHALLENGER, version)
        promoted = promote and (evaluation.gate.passed or evaluation.champion_version is None)
        if promoted:
            tracking.set_alias(client, tracking.CHAMPION, version)
        mlflow.set_tags({"model_version": version, "promoted": str(promoted).lower()})
    return {
        "run_id": run.info.run_id,
        "model_version": version,
        "champion_version": version if promoted else evaluation.champion_version,
        "promoted": promoted,
        "gate": evaluation.gate.to_dict(),
        "metrics": evaluation.metrics,
        "training_rows": evaluation.training_rows,
        "holdout_rows": evaluation.holdout_rows,
    }


def _log_charts(model: RiskModel, evaluation: Evaluation) -> None:
    labels = evaluation.labels
    inspected = labels.notna().all(axis=1).to_numpy()
    observed = labels[inspected].astype(bool)
    candidates = {name: frame[inspected] for name, frame in evaluation.scores.items()}
    mlflow.log_figure(charts.pr_curves(candidates, observed), "charts/pr_curves.png")
    mlflow.log_figure(
        charts.precision_at_budget(evaluation.metrics), "charts/precision_at_budget.png"
    )
    if evaluation.true_metrics is not None:
        mlflow.log_figure(
            charts.precision_at_budget(evaluation.true_metrics),
            "charts/precision_at_budget_truth.png",
        )
    mlflow.log_figure(charts.calibration(candidates["model"], observed), "charts/calibration.png")
    figure, table = charts.feature_importance(model)
    mlflow.log_figure(figure, "charts/feature_importance.png")
    mlflow.log_table(table.reset_index(names="feature"), "feature_importance.json")
