"""`train-models`: the analyst's retraining job, tracked and registered in MLflow.

Reads the warehouse, builds point-in-time features, trains on the past, and evaluates the new
model, its baselines and the current champion on the same holdout: the last `holdout_days`
before `until`, after a gap for late results. One MLflow run records it all; the model is
registered as `shipment-risk` with alias `challenger`, and becomes `champion` only with
`promote` and a passed gate (or when there is no champion yet).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field, field_validator

from models.risk_model import RiskModel
from pipelines.cluster.client import ClusterTaskRunner
from pipelines.runtime import get_logger, step
from pipelines.settings import Settings
from pipelines.steps.training import Evaluation, Plan, evaluate_candidates, log_training_run
from pipelines.storage import io
from pipelines.storage.warehouse import Warehouse


class TrainFlowConfig(BaseModel):
    """Options of a retraining run."""

    until: datetime.date | None = Field(
        default=None, description="Train on declarations and results dated before this day"
    )
    promote: bool = Field(default=False, description="Make the new model champion if it passes")
    holdout_days: int = Field(default=90, gt=0, description="Days held out for evaluation")
    gap_days: int = Field(default=30, ge=0, description="Days between training and holdout")
    truth: Path | None = Field(
        default=None, description="Simulated worlds only: truth.parquet for true recall"
    )
    seed: int = Field(default=0, ge=0, description="Seed of the boosters and random baseline")
    targets: tuple[str, ...] = Field(
        default=("waste", "ods", "wildlife"),
        description="What the model learns: risk categories, 'other' (e.g. revenue) or 'any'",
    )
    disabled_features: tuple[str, ...] = Field(
        default=(),
        description="Catalogue features the model leaves out, e.g. the disabled_features of the "
        "mapping the data came through (its source cannot fill them)",
    )

    @field_validator("disabled_features")
    @classmethod
    def _known_features(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        from features.catalogue import model_feature_names

        unknown = sorted(set(names) - set(model_feature_names()))
        if unknown:
            raise ValueError(f"not model features of the catalogue: {', '.join(unknown)}")
        return tuple(dict.fromkeys(names))

    def feature_names(self) -> tuple[list[str], list[str]]:
        """The model's features and its categorical ones, without the disabled features."""
        from features.catalogue import categorical_feature_names, model_feature_names

        kept = [name for name in model_feature_names() if name not in self.disabled_features]
        return kept, [name for name in categorical_feature_names() if name in kept]


class TrainSummary(BaseModel):
    """What the run produced."""

    run_id: str
    model_version: str
    champion_version: str | None
    promoted: bool
    gate: dict[str, Any]
    metrics: dict[str, Any]
    training_rows: int
    holdout_rows: int


@step(name="read-history", retries=2)
def read_history(warehouse: Path, until: datetime.date | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Declarations dated before `until` and the results known before it."""
    with Warehouse(warehouse, read_only=True) as store:
        declarations = store.read_declarations(until=until)
        inspections = store.read_inspections(until=until)
    get_logger().info(
        "read %d declarations and %d inspection results", len(declarations), len(inspections)
    )
    if declarations.empty or inspections.empty:
        raise ValueError("the warehouse holds no declarations or inspection results to learn from")
    return declarations, inspections


@step(name="build-training-features")
def build_features(declarations: pd.DataFrame, inspections: pd.DataFrame) -> pd.DataFrame:
    """Every declaration's features as of its own date."""
    from features import build_training_features

    features = build_training_features(declarations, inspections)
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
    plan: Plan,
    config: TrainFlowConfig,
    scheduler: str = "",
) -> RiskModel:
    """Train the calibrated boosters on what was known before the holdout's gap.

    With a Dask `scheduler` (GCRISK_DASK_SCHEDULER) the same rows and matrix are boosted by
    `lightgbm.dask`, from wherever this step runs (a Dask worker under DaskTaskRunner).
    """
    from models.training import TrainConfig, train_risk_model

    feature_names, categorical = config.feature_names()
    options: dict[str, Any] = {
        "feature_names": feature_names,
        "categorical": categorical,
        "config": TrainConfig(until=plan.fit_until, seed=config.seed, targets=config.targets),
    }
    if scheduler:
        from pipelines.cluster.client import cluster_client
        from pipelines.cluster.training import train_on_cluster

        with cluster_client(scheduler) as client:
            model = train_on_cluster(features, inspections, client=client, **options)
    else:
        model = train_risk_model(features, inspections, **options)
    fitted = [name for name, m in model.models.items() if m.booster is not None]
    get_logger().info("trained boosters for %s (until %s)", ", ".join(fitted), plan.fit_until)
    return model


@step(name="evaluate-candidates")
def evaluate(
    features: pd.DataFrame,
    inspections: pd.DataFrame,
    model: RiskModel,
    plan: Plan,
    config: TrainFlowConfig,
    settings: Settings,
) -> Evaluation:
    """Model, baselines and champion on the same holdout; the gate's verdict."""
    truth = pd.read_parquet(config.truth) if config.truth is not None else None
    evaluation = evaluate_candidates(
        features,
        inspections,
        model,
        plan,
        settings=settings,
        truth=truth,
        seed=config.seed,
        targets=config.targets,
    )
    get_logger().info("%s", evaluation.gate_line())
    return evaluation


@step(name="log-training-run", retries=2)
def log_run(
    model: RiskModel,
    evaluation: Evaluation,
    plan: Plan,
    config: TrainFlowConfig,
    settings: Settings,
    fingerprints: dict[str, str],
    contracts: dict[str, Any],
) -> TrainSummary:
    """One MLflow run with parameters, metrics, artifacts and the registered model."""
    logged = log_training_run(
        model=model,
        evaluation=evaluation,
        plan=plan,
        params=config.model_dump(mode="json"),
        promote=config.promote,
        settings=settings,
        fingerprints=fingerprints,
        contracts=contracts,
    )
    return TrainSummary(**logged)


@flow(name="train-models", validate_parameters=True)
def train_flow(config: TrainFlowConfig) -> TrainSummary:
    """Train, evaluate against baselines and the champion on one holdout, log and register."""
    settings = Settings()
    declarations, inspections = read_history(settings.warehouse_path, config.until)
    contracts = check_contracts(declarations, inspections)
    features = build_features(declarations, inspections)
    plan = Plan.of(
        features, config.until, holdout_days=config.holdout_days, gap_days=config.gap_days
    )
    model = fit_model(features, inspections, plan, config, settings.dask_scheduler)
    evaluation = evaluate(features, inspections, model, plan, config, settings)
    fingerprints = {
        "declarations": io.frame_fingerprint(declarations),
        "inspections": io.frame_fingerprint(inspections),
    }
    return log_run(model, evaluation, plan, config, settings, fingerprints, contracts)


# With GCRISK_DASK_SCHEDULER set when the run starts, fit-model runs on a Dask worker.
train_flow = train_flow.with_options(task_runner=ClusterTaskRunner())
