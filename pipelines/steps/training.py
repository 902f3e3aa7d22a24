"""The steps of a training run: read the history, build features, check contracts, fit, evaluate
against the baselines and the champion, log and register.

The pure work is in `models` (`models.training`, `models.candidates`, `models.gate`); these
steps read the warehouse, look up the champion in the registry and write one MLflow run with
parameters, metrics, charts, the catalogue, contract results, data fingerprints and the gate's
verdict, then register the model (and promote it when asked and allowed).
"""

from __future__ import annotations

import datetime
import getpass
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd

from data_contracts.schemas import RISK_CATEGORIES
from models.candidates import Evaluation, evaluate_candidates
from models.gate import should_promote
from models.risk_model import RiskModel
from models.rules import ProfileSet
from models.training import HoldoutPlan, Refitted, TrainConfig, refit_on_all
from pipelines.reports import charts
from pipelines.runtime import get_logger, step
from pipelines.settings import Settings, WarehouseLocation
from pipelines.storage import tracking
from pipelines.storage.profiles import load_unit_profiles
from pipelines.storage.warehouse import Warehouse

EXPERIMENT = "gcrisk-training"
#: The reason recorded when `--promote` makes a model champion after its gate.
AUTOMATIC_REASON = "gate passed"


@dataclass(frozen=True)
class LoggedRun:
    """Where a training run was recorded and what it did to the registry."""

    run_id: str
    model_version: str
    champion_version: str | None
    promoted: bool


@step(name="read-history", retries=2)
def read_history(
    warehouse: WarehouseLocation, until: datetime.date | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Declarations dated before `until` and the results known before it, each result with the
    selection reason and propensity of the decision that selected it (the decision record)."""
    with Warehouse(warehouse, read_only=True) as store:
        declarations = store.read_declarations(until=until)
        inspections = store.read_inspections_as_decided(until=until)
    get_logger().info(
        "read %d declarations and %d inspection results", len(declarations), len(inspections)
    )
    if declarations.empty or inspections.empty:
        raise ValueError("the warehouse holds no declarations or inspection results to learn from")
    return declarations, inspections


@step(name="read-permit-register", retries=2)
def read_register(warehouse: WarehouseLocation, until: datetime.date | None) -> pd.DataFrame:
    """The permit register as it stood before `until` (permits recorded before it; all if None).

    Empty when nothing was ingested with `gcrisk ingest permits`: the permit checks are neutral.
    """
    with Warehouse(warehouse, read_only=True) as store:
        register = store.read_permits()
    if until is not None:
        register = register[register["recorded_on"] < pd.Timestamp(until)].reset_index(drop=True)
    get_logger().info("read %d permits from the register", len(register))
    return register


@step(name="build-training-features")
def build_features(
    declarations: pd.DataFrame, inspections: pd.DataFrame, permits: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Every declaration's features as of its own date (permits as the register knew them)."""
    from features import build_training_features

    features = build_training_features(declarations, inspections, permits=permits)
    get_logger().info("built %d columns for %d declarations", features.shape[1], len(features))
    return features


@step(name="check-contracts")
def check_contracts(declarations: pd.DataFrame, inspections: pd.DataFrame) -> dict[str, Any]:
    """Re-check the training data against its contracts, for the record of the run."""
    from data_contracts import validate

    return {
        "declarations": validate(declarations, "declarations").summary(),
        "inspections": validate(inspections, "inspections").summary(),
    }


@step(name="fit-model", on_cluster=True)
def fit_model(
    features: pd.DataFrame,
    inspections: pd.DataFrame,
    feature_names: list[str],
    categorical: list[str],
    config: TrainConfig,
    scheduler: str = "",
) -> RiskModel:
    """Train the calibrated boosters on what was known before `config.until` (the holdout's gap).

    With a Dask `scheduler` (GCRISK_DASK_SCHEDULER) the same rows and matrix are boosted by
    `lightgbm.dask`, from wherever this step runs (a Dask worker under DaskTaskRunner).
    """
    from models.training import train_risk_model

    options: dict[str, Any] = {
        "feature_names": feature_names,
        "categorical": categorical,
        "config": config,
    }
    if scheduler:
        from pipelines.cluster.client import cluster_client
        from pipelines.cluster.training import train_on_cluster

        with cluster_client(scheduler) as client:
            model = train_on_cluster(features, inspections, client=client, **options)
    else:
        model = train_risk_model(features, inspections, **options)
    fitted = [name for name, m in model.models.items() if m.booster is not None]
    get_logger().info("trained boosters for %s (until %s)", ", ".join(fitted), config.until)
    return model


@step(name="refit-on-every-row")
def refit_model(
    features: pd.DataFrame, inspections: pd.DataFrame, model: RiskModel, config: TrainConfig
) -> Refitted:
    """The evaluated model's recipe retrained on every labelled row before `config.until` (the
    gate's holdout included): what is registered once the gate allows it."""
    refitted = refit_on_all(features, inspections, model, config=config)
    get_logger().info(
        "refitted on %d labelled declarations before %s", refitted.training_rows, config.until
    )
    return refitted


@step(name="evaluate-candidates")
def evaluate(
    features: pd.DataFrame,
    inspections: pd.DataFrame,
    model: RiskModel,
    plan: HoldoutPlan,
    *,
    settings: Settings,
    truth: Path | None,
    seed: int,
    targets: tuple[str, ...] = RISK_CATEGORIES,
) -> Evaluation:
    """Model, baselines and the registered champion on the same holdout; the gate's verdict."""
    client = tracking.connect(settings.tracking_uri, settings.home / "mlartifacts")
    champion_version = tracking.version_for_alias(client, tracking.CHAMPION)
    champion = None
    if champion_version is not None:
        champion = tracking.load_risk_model(client, version=champion_version).model
    evaluation = evaluate_candidates(
        features,
        inspections,
        model,
        plan,
        champion=champion,
        truth=pd.read_parquet(truth) if truth is not None else None,
        seed=seed,
        profiles=load_unit_profiles(settings),
        targets=targets,
    )
    evaluation = replace(evaluation, champion_version=champion_version)
    get_logger().info("%s", evaluation.gate_line())
    return evaluation


@step(name="log-training-run", retries=2)
def log_run(
    model: RiskModel,
    evaluation: Evaluation,
    plan: HoldoutPlan,
    *,
    params: dict[str, Any],
    promote: bool,
    settings: Settings,
    fingerprints: dict[str, str],
    contracts: dict[str, Any],
    registered: Refitted | None = None,
) -> LoggedRun:
    """One MLflow run with parameters, metrics, artifacts and the registered model, promoted
    to champion when asked and the promotion rule allows it."""
    promoted = should_promote(evaluation.gate, asked=promote)
    return log_training_run(
        model=model,
        evaluation=evaluation,
        plan=plan,
        params=params,
        promoted=promoted,
        settings=settings,
        fingerprints=fingerprints,
        contracts=contracts,
        registered=registered,
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
    plan: HoldoutPlan,
    params: dict[str, Any],
    promoted: bool,
    settings: Settings,
    fingerprints: dict[str, str],
    contracts: dict[str, Any] | None = None,
    registered: Refitted | None = None,
) -> LoggedRun:
    """Log one run, register the model as challenger and, if `promoted`, as champion (the
    promotion recorded on the registry with the reason "gate passed", or the person's reason
    for a forced gate). `registered` (the model refitted on every row) is what the registry
    gets when given; the metrics are always those of the evaluated `model`."""
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
        mlflow.log_params(
            {
                "registered_model": "refitted on every row" if registered else "evaluated",
                "registered_training_rows": (
                    registered.training_rows if registered else evaluation.training_rows
                ),
            }
        )
        version = tracking.log_risk_model(registered.model if registered else model)
        tracking.set_alias(client, tracking.CHALLENGER, version)
        if promoted:
            tracking.set_alias(client, tracking.CHAMPION, version)
            # Compiled now, so the next batch or service start loads the native code.
            tracking.native(registered.model if registered else model, settings.home / "compiled")
            tracking.record_promotion(
                client,
                version,
                by=getpass.getuser(),
                reason=(
                    f"gate overridden: {evaluation.gate.forced}"
                    if evaluation.gate.forced
                    else AUTOMATIC_REASON
                ),
                previous=evaluation.champion_version,
            )
        mlflow.set_tags({"model_version": version, "promoted": str(promoted).lower()})
    return LoggedRun(
        run_id=run.info.run_id,
        model_version=version,
        champion_version=version if promoted else evaluation.champion_version,
        promoted=promoted,
    )


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
