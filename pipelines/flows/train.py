"""`train-models`: the analyst's retraining job, tracked and registered in MLflow.

Reads the warehouse, builds point-in-time features, trains on the past, and evaluates the new
model, its baselines and the current champion on the same holdout: the last `holdout_days`
before `until`, after a gap for late results. One MLflow run records it all; the model is
registered as `shipment-risk` with alias `challenger`, and becomes `champion` only with
`promote` and a passed gate (or when there is no champion yet), the promotion recorded on the
registry with the reason "gate passed".
"""

from __future__ import annotations

import datetime
from pathlib import Path

from prefect import flow
from pydantic import BaseModel, Field, field_validator, model_validator

from models.training import HoldoutPlan, TrainConfig, known_targets
from pipelines.cluster.client import ClusterTaskRunner
from pipelines.flows.evaluate import Metrics
from pipelines.settings import Settings
from pipelines.steps.training import (
    build_features,
    check_contracts,
    evaluate,
    fit_model,
    log_run,
    read_history,
)
from pipelines.storage import io

__all__ = ["GateSummary", "TrainFlowConfig", "TrainSummary", "fit_model", "train_flow"]


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
        description="Catalogue features the model leaves out (besides the mapping's)",
    )
    mapping: str | None = Field(
        default=None,
        description="Also leave out the disabled_features of this mapping (a shipped name such "
        "as kcs, or a YAML file): its source cannot fill them",
    )

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, targets: tuple[str, ...]) -> tuple[str, ...]:
        return known_targets(targets)

    @field_validator("disabled_features")
    @classmethod
    def _known_features(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        from features.catalogue import model_feature_names

        unknown = sorted(set(names) - set(model_feature_names()))
        if unknown:
            raise ValueError(f"not model features of the catalogue: {', '.join(unknown)}")
        return tuple(dict.fromkeys(names))

    @model_validator(mode="after")
    def _mapping_loads(self) -> TrainFlowConfig:
        self.left_out()  # a mapping that does not load or names unknown features is refused
        return self

    def left_out(self) -> tuple[str, ...]:
        """Every feature the model leaves out: `disabled_features`, then the mapping's."""
        from data_contracts.mappings import MappingError
        from pipelines.steps.mapping import load_mapping

        if self.mapping is None:
            return self.disabled_features
        try:
            from_mapping = load_mapping(self.mapping).disabled_features
        except MappingError as error:
            raise ValueError(str(error)) from None
        return tuple(dict.fromkeys((*self.disabled_features, *from_mapping)))

    def feature_names(self) -> tuple[list[str], list[str]]:
        """The model's features and its categorical ones, without the left-out features."""
        from features.catalogue import categorical_feature_names, model_feature_names

        left_out = self.left_out()
        kept = [name for name in model_feature_names() if name not in left_out]
        return kept, [name for name in categorical_feature_names() if name in kept]

    def params(self) -> dict[str, object]:
        """The options as logged with the run (the mapping resolved into disabled_features)."""
        logged = self.model_dump(mode="json", exclude={"mapping"})
        return {**logged, "disabled_features": list(self.left_out())}


class GateSummary(BaseModel):
    """The promotion gate's verdict, its reasons and the numbers behind them."""

    passed: bool
    reasons: list[str]
    table: dict[str, dict[str, float]]


class TrainSummary(BaseModel):
    """What the run produced."""

    run_id: str
    model_version: str
    champion_version: str | None
    promoted: bool
    gate: GateSummary
    metrics: dict[str, Metrics]
    training_rows: int
    holdout_rows: int


# A deployment's flow-run process reads GCRISK_DASK_SCHEDULER when the run starts: with it set,
# fit-model runs on a Dask worker.
@flow(name="train-models", validate_parameters=True, task_runner=ClusterTaskRunner())
def train_flow(config: TrainFlowConfig) -> TrainSummary:
    """Train, evaluate against baselines and the champion on one holdout, log and register."""
    settings = Settings()
    declarations, inspections = read_history(settings.warehouse_path, config.until)
    contracts = check_contracts(declarations, inspections)
    features = build_features(declarations, inspections)
    plan = HoldoutPlan.of(
        features["declaration_date"],
        config.until,
        holdout_days=config.holdout_days,
        gap_days=config.gap_days,
    )
    feature_names, categorical = config.feature_names()
    fit_config = TrainConfig(until=plan.fit_until, seed=config.seed, targets=config.targets)
    model = fit_model(
        features, inspections, feature_names, categorical, fit_config, settings.dask_scheduler
    )
    evaluation = evaluate(
        features,
        inspections,
        model,
        plan,
        settings=settings,
        truth=config.truth,
        seed=config.seed,
        targets=config.targets,
    )
    fingerprints = {
        "declarations": io.frame_fingerprint(declarations),
        "inspections": io.frame_fingerprint(inspections),
    }
    logged = log_run(
        model,
        evaluation,
        plan,
        params=config.params(),
        promote=config.promote,
        settings=settings,
        fingerprints=fingerprints,
        contracts=contracts,
    )
    gate = evaluation.gate
    return TrainSummary(
        run_id=logged.run_id,
        model_version=logged.model_version,
        champion_version=logged.champion_version,
        promoted=logged.promoted,
        gate=GateSummary(passed=gate.passed, reasons=gate.reasons, table=gate.table),
        metrics=evaluation.metrics,
        training_rows=evaluation.training_rows,
        holdout_rows=evaluation.holdout_rows,
    )
