"""`score-batch`: the risk unit's daily job.

Validate a batch (bad rows to quarantine), upsert it into the warehouse, build its features from
snapshots of everything known before the batch, score it with the champion (or profiles alone
when there is none), select within capacity, explain, and write scores, report and summary.
"""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field

from data_contracts.privacy import key_fingerprint
from features import Snapshots
from models.scoring import PROFILES_ONLY
from models.selection import SelectionConfig
from pipelines.cluster.wiring import score_staged, with_cluster
from pipelines.runtime import get_logger, step
from pipelines.settings import Settings
from pipelines.steps.intake import (
    ValidationSummary,
    check_pseudonym_key,
    load_warehouse,
    pseudonymise_ids,
    read_received,
    validate_table,
)
from pipelines.steps.scoring import (
    batch_snapshots,
    build_batch_features,
    capacity_per_office,
    decision_run,
    empty_scores,
    log_scoring_run,
    read_capacity,
    score_features,
    store_scores,
    write_score_outputs,
)
from pipelines.storage import io
from pipelines.storage.decisions import DecisionRun
from pipelines.storage.tracking import Champion, load_champion
from pipelines.storage.warehouse import utc_now


class ScoreConfig(BaseModel):
    """One batch to score and how much the unit can inspect."""

    file: Path = Field(description="Batch of declarations, CSV (UTF-8) or Parquet")
    out: Path = Field(description="Folder for scores, quarantine, summary and report")
    budget: float = Field(default=0.05, gt=0, le=1, description="Red-lane share of the batch")
    exploration: float = Field(default=0.10, ge=0, le=1, description="Random share of capacity")
    capacity: Path | None = Field(
        default=None, description="CSV of office, inspections_per_day (replaces --budget)"
    )
    today: datetime.date | None = Field(default=None, description="Reference day for dates")
    seed: int = Field(default=0, ge=0, description="Seed of the random exploration stream")

    def selection(self) -> SelectionConfig:
        """How lanes are chosen: red-lane budget, random share and seed."""
        return SelectionConfig(budget=self.budget, exploration=self.exploration, seed=self.seed)


class ScoreSummary(BaseModel):
    """The counts and versions written to summary.json."""

    file: str
    rows_in: int
    rows_scored: int
    rows_quarantined: int
    lanes: dict[str, int]
    selection_reasons: dict[str, int]
    categories: dict[str, int]
    rules_fired: dict[str, int]
    model_version: str
    model_fingerprint: str
    data_fingerprint: str
    as_of: str
    banner: str | None
    drift: dict[str, float]
    outputs: dict[str, str]
    decision_run_id: str
    mlflow_run_id: str | None = None


_NOTHING_VALID = (
    "No valid declarations in this batch: all {rows} rows were quarantined, nothing was scored."
)


@step(name="load-champion", retries=1)
def champion_model(settings: Settings) -> Champion:
    """The champion model, or a reason why lanes come from profiles alone."""
    champion = load_champion(settings)
    if champion.model is None:
        get_logger().warning("no usable champion: %s", champion.banner)
    else:
        get_logger().info("scoring with shipment-risk version %s", champion.version)
    return champion


@step(name="build-scoring-features")
def batch_features(warehouse: Path, batch: pd.DataFrame) -> pd.DataFrame:
    """Join the batch to the warehouse's state as of its earliest day."""
    features = build_batch_features(warehouse, batch)
    get_logger().info("built features for %d declarations", len(features))
    return features


@step(name="score-and-select")
def score(
    features: pd.DataFrame,
    batch: pd.DataFrame,
    champion: Champion,
    config: ScoreConfig,
    daily_capacity: pd.Series | None,
) -> pd.DataFrame:
    """Probabilities, profiles, lanes within capacity and reasons."""
    selection = config.selection()
    capacity = None if daily_capacity is None else capacity_per_office(daily_capacity, batch)
    scores = score_features(features, batch, champion, selection, capacity)
    lanes = scores["lane"].value_counts().to_dict()
    get_logger().info("scored %d declarations: %s", len(scores), lanes)
    return scores


@step(name="stage-batch-for-cluster")
def stage_for_cluster(
    warehouse: Path, batch: pd.DataFrame, folder: Path
) -> tuple[Snapshots, list[Path]]:
    """History snapshots as of the batch's first day, and the batch as Parquet files."""
    from pipelines.cluster.wiring import stage_batch

    snapshots = batch_snapshots(warehouse, batch)
    files = stage_batch(batch, folder)
    get_logger().info("staged %d declarations in %d files", len(batch), len(files))
    return snapshots, files


#: `score` on the Dask cluster of GCRISK_DASK_SCHEDULER (same functions, same table), as a step
#: that DaskTaskRunner sends to a worker.
score_distributed = step(name="score-and-select-on-dask", on_cluster=True)(score_staged)


@step(name="write-score-outputs", retries=2)
def write_outputs(
    scores: pd.DataFrame,
    features: pd.DataFrame,
    batch: pd.DataFrame,
    quarantine: pd.DataFrame,
    validation: ValidationSummary,
    champion: Champion,
    config: ScoreConfig,
    settings: Settings,
    run: DecisionRun,
    started: datetime.datetime,
    drift: pd.Series | None = None,
) -> dict[str, Any]:
    """scores.parquet/.csv, quarantine.parquet, report.html; the decision record."""
    notes = () if len(batch) else (_NOTHING_VALID.format(rows=validation.rows_in),)
    summary = write_score_outputs(
        scores,
        features,
        batch,
        quarantine,
        validation,
        champion,
        out=config.out,
        notes=notes,
        drift=drift,
    )
    store_scores(settings.warehouse_path, scores, run, started)
    get_logger().info("wrote %d scores to %s and the decision record", len(scores), config.out)
    return {**summary, "decision_run_id": run.run_id}


def _score_on_cluster(
    batch: pd.DataFrame,
    champion: Champion,
    config: ScoreConfig,
    daily_capacity: pd.Series | None,
    settings: Settings,
) -> tuple[pd.DataFrame, pd.Series]:
    """Stage the batch, score it on the cluster, remove the staged files; scores and drift."""
    from pipelines.cluster.wiring import staging_folder

    selection = config.selection()
    capacity = None if daily_capacity is None else capacity_per_office(daily_capacity, batch)
    folder = staging_folder(settings, "score")
    try:
        snapshots, files = stage_for_cluster(settings.warehouse_path, batch, folder)
        scored = score_distributed(
            files, snapshots, champion, selection, capacity, scheduler=settings.dask_scheduler
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lanes = scored.table["lane"].value_counts().to_dict()
    # Logged here, not on the worker: a worker's buffered logs may not reach the API before
    # the run's LocalCluster closes.
    get_logger().info(
        "scored %d declarations on Dask (%s): %s", len(scored.table), scored.ran_on, lanes
    )
    return scored.table, scored.drift


@flow(name="score-batch", validate_parameters=True)
def score_flow(config: ScoreConfig) -> ScoreSummary:
    """Validate, featurise, score and select one batch; write scores, quarantine and report."""
    settings = Settings()
    started = utc_now()
    fingerprint = key_fingerprint(settings.key_bytes())
    check_pseudonym_key(settings.warehouse_path, fingerprint)
    # A bad capacity file is refused before the batch touches the warehouse.
    daily_capacity = read_capacity(config.capacity) if config.capacity else None
    frame = read_received(config.file)
    result = validate_table(frame, "declarations", config.today, source=config.file)
    del frame  # the received text: ~1 GB at a million rows, not needed past validation
    validation = ValidationSummary.of(result, file=config.file, kind="declarations")
    result = pseudonymise_ids(result, settings.key_bytes())
    load_warehouse(
        settings.warehouse_path,
        "declarations",
        result,
        source=str(config.file.resolve()),
        at=started,
        key_fingerprint=fingerprint,
    )
    champion = champion_model(settings)
    run = decision_run(config.file, champion, config.selection(), config.capacity)
    drift = None
    if len(result.valid) and settings.uses_dask:
        # Features stay on the cluster; the drift comes back summed from its partitions.
        features, (scores, drift) = (
            pd.DataFrame(),
            _score_on_cluster(result.valid, champion, config, daily_capacity, settings),
        )
    elif len(result.valid):
        features = batch_features(settings.warehouse_path, result.valid)
        scores = score(features, result.valid, champion, config, daily_capacity)
    else:  # everything quarantined: empty outputs, and the summary says why
        features, scores = pd.DataFrame(), empty_scores()
    summary = write_outputs(
        scores,
        features,
        result.valid,
        result.quarantine,
        validation,
        champion,
        config,
        settings,
        run,
        started,
        drift,
    )
    summary["mlflow_run_id"] = log_scoring_run(summary, settings)
    io.write_json(summary, config.out / "summary.json")
    return ScoreSummary(**summary)


# A deployment's flow-run process imports this module with its own environment: with
# GCRISK_DASK_SCHEDULER set, the on-cluster step runs on a Dask worker (prefect-dask).
score_flow = with_cluster(score_flow)

__all__ = ["PROFILES_ONLY", "ScoreConfig", "ScoreSummary", "score_flow"]
