"""`train-models`: the analyst's retraining job, tracked and registered in MLflow.

Reads the warehouse, builds point-in-time features, trains on the past, and evaluates the new
model, its baselines and the current champion on the same holdout: the last `holdout_days`
before `until`, after a gap for late results. One MLflow run records it all; the model is
registered as `shipment-risk` with alias `challenger` (refitted on every labelled row before
`until` once the gate allows it), and becomes `champion` only with `promote` and a passed gate,
first model included, or a person's `force_reason`; the promotion is recorded on the registry
with the reason "gate passed" or the forced one.
"""

from __future__ import annotations

import datetime
from dataclasses import replace
from pathlib import Path

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field, field_validator, model_validator

from data_contracts.schemas import RISK_CATEGORIES
from models.gate import forced
from models.training import HoldoutPlan, TrainConfig, known_targets, target_support
from pipelines.cluster.client import ClusterTaskRunner
from pipelines.flows.evaluate import Metrics
from pipelines.runtime import get_logger
from pipelines.settings import Settings
from pipelines.steps.intake import DeclaredSource, declared_source
from pipelines.steps.training import (
    build_features,
    check_contracts,
    evaluate,
    fit_model,
    log_run,
    read_history,
    read_register,
    refit_model,
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
    targets: tuple[str, ...] | None = Field(
        default=None,
        description="What the model learns: risk categories, 'other' (e.g. revenue) or 'any'; "
        "default: the target the ingested data's mapping declares, else waste, ods, wildlife",
    )
    force_reason: str | None = Field(
        default=None,
        description="Promote even if the gate fails (with promote), for this written reason",
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
    def _known_targets(cls, targets: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if targets is None else known_targets(targets)

    @field_validator("force_reason")
    @classmethod
    def _a_real_reason(cls, reason: str | None) -> str | None:
        if reason is not None and not reason.strip():
            raise ValueError("a forced promotion needs a written reason")
        return reason

    def resolved_targets(self, declared: DeclaredSource | None) -> tuple[str, ...]:
        """The targets asked for, else those the data's mapping declared, else the categories."""
        if self.targets is not None:
            return self.targets
        if declared is not None and declared.target:
            return known_targets(tuple(declared.target))
        return RISK_CATEGORIES

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

    def left_out(self, declared: DeclaredSource | None = None) -> tuple[str, ...]:
        """Every feature the model leaves out: `disabled_features`, then the mapping's (the
        `mapping` option's, else the one the ingested data declared)."""
        from data_contracts.mappings import MappingError
        from pipelines.steps.mapping import load_mapping

        if self.mapping is None:
            declared_features = declared.disabled_features if declared is not None else []
            return tuple(dict.fromkeys((*self.disabled_features, *declared_features)))
        try:
            from_mapping = load_mapping(self.mapping).disabled_features
        except MappingError as error:
            raise ValueError(str(error)) from None
        return tuple(dict.fromkeys((*self.disabled_features, *from_mapping)))

    def feature_names(self, declared: DeclaredSource | None = None) -> tuple[list[str], list[str]]:
        """The model's features and its categorical ones, without the left-out features."""
        from features.catalogue import categorical_feature_names, model_feature_names

        left_out = self.left_out(declared)
        kept = [name for name in model_feature_names() if name not in left_out]
        return kept, [name for name in categorical_feature_names() if name in kept]

    def params(self, declared: DeclaredSource | None = None) -> dict[str, object]:
        """The options as logged with the run (targets and left-out features resolved)."""
        logged = self.model_dump(mode="json", exclude={"mapping", "force_reason"})
        return {
            **logged,
            "targets": list(self.resolved_targets(declared)),
            "disabled_features": list(self.left_out(declared)),
            "forced": self.force_reason is not None,
        }


class GateSummary(BaseModel):
    """The promotion gate's verdict, its reasons and the numbers behind them."""

    passed: bool
    reasons: list[str]
    table: dict[str, dict[str, float]]
    forced: str = ""


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
    targets: list[str]
    warnings: list[str]
    registered_training_rows: int


# A deployment's flow-run process reads GCRISK_DASK_SCHEDULER when the run starts: with it set,
# fit-model runs on a Dask worker.
@flow(name="train-models", validate_parameters=True, task_runner=ClusterTaskRunner())
def train_flow(config: TrainFlowConfig) -> TrainSummary:
    """Train, evaluate against baselines and the champion on one holdout, log and register."""
    settings = Settings()
    declared = declared_source(settings.warehouse)
    targets = config.resolved_targets(declared)
    declarations, inspections = read_history(settings.warehouse, config.until)
    contracts = check_contracts(declarations, inspections)
    permits = read_register(settings.warehouse, config.until)
    features = build_features(declarations, inspections, permits)
    plan = HoldoutPlan.of(
        features["declaration_date"],
        config.until,
        holdout_days=config.holdout_days,
        gap_days=config.gap_days,
    )
    fit_config = TrainConfig(until=plan.fit_until, seed=config.seed, targets=targets)
    support = target_support(
        inspections[inspections["inspection_date"] < pd.Timestamp(plan.fit_until)],
        targets,
        min_positives=fit_config.min_positives,
    )
    warning = support.warning()
    warnings = [warning] if warning is not None else []
    for line in warnings:
        get_logger().warning("%s", line)
    feature_names, categorical = config.feature_names(declared)
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
        targets=targets,
    )
    if config.force_reason is not None:
        evaluation = replace(evaluation, gate=forced(evaluation.gate, config.force_reason))
    registered = None
    if evaluation.gate.allows_promotion:
        every_row = TrainConfig(until=plan.until.date(), seed=config.seed, targets=targets)
        registered = refit_model(features, inspections, model, every_row)
    fingerprints = {
        "declarations": io.frame_fingerprint(declarations),
        "inspections": io.frame_fingerprint(inspections),
    }
    logged = log_run(
        model,
        evaluation,
        plan,
        params=config.params(declared),
        promote=config.promote,
        settings=settings,
        fingerprints=fingerprints,
        contracts=contracts,
        registered=registered,
    )
    gate = evaluation.gate
    return TrainSummary(
        run_id=logged.run_id,
        model_version=logged.model_version,
        champion_version=logged.champion_version,
        promoted=logged.promoted,
        gate=GateSummary(
            passed=gate.passed, reasons=gate.reasons, table=gate.table, forced=gate.forced
        ),
        metrics=evaluation.metrics,
        training_rows=evaluation.training_rows,
        holdout_rows=evaluation.holdout_rows,
        targets=list(targets),
        warnings=warnings,
        registered_training_rows=(
            registered.training_rows if registered else evaluation.training_rows
        ),
    )
