"""`score-batch`: the risk unit's daily job.

Validate a batch (bad rows to quarantine), upsert it into the warehouse, build its features from
snapshots of everything known before the batch, score it with the champion (or profiles alone
when there is none), select within capacity, explain, and write scores, report and summary.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field

from data_contracts.privacy import key_fingerprint
from models.scoring import PROFILES_ONLY
from models.selection import SelectionConfig
from pipelines.cluster.client import ClusterTaskRunner
from pipelines.settings import Settings
from pipelines.steps.intake import (
    ValidationSummary,
    check_pseudonym_key,
    load_warehouse,
    pseudonymise_ids,
    read_received,
    validate_table,
)
from pipelines.steps.score_summary import ScoreSummary
from pipelines.steps.scoring import (
    batch_features,
    capacity_per_office,
    champion_model,
    decision_run,
    empty_scores,
    log_scoring_run,
    profiles_in_use,
    read_capacity,
    score,
    score_on_cluster,
    write_outputs,
)
from pipelines.storage import io
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


# A deployment's flow-run process reads GCRISK_DASK_SCHEDULER when the run starts: with it set,
# the on-cluster step runs on a Dask worker (prefect-dask).
@flow(name="score-batch", validate_parameters=True, task_runner=ClusterTaskRunner())
def score_flow(config: ScoreConfig) -> ScoreSummary:
    """Validate, featurise, score and select one batch; write scores, quarantine and report."""
    settings = Settings()
    started = utc_now()
    fingerprint = key_fingerprint(settings.key_bytes())
    check_pseudonym_key(settings.warehouse, fingerprint)
    # A bad capacity file is refused before the batch touches the warehouse.
    daily_capacity = read_capacity(config.capacity) if config.capacity else None
    frame = read_received(config.file)
    result = validate_table(frame, "declarations", config.today, source=config.file)
    del frame  # the received text: ~1 GB at a million rows, not needed past validation
    validation = ValidationSummary.of(result, file=config.file, kind="declarations")
    # Every office of the batch needs a quota: checked before the batch is loaded.
    capacity = None if daily_capacity is None else capacity_per_office(daily_capacity, result.valid)
    result = pseudonymise_ids(result, settings.key_bytes())
    load_warehouse(
        settings.warehouse,
        "declarations",
        result,
        source=str(config.file.resolve()),
        at=started,
        key_fingerprint=fingerprint,
    )
    champion = champion_model(settings)
    profiles = profiles_in_use(settings, result.valid)
    selection = config.selection()
    run = decision_run(config.file, champion, selection, config.capacity, profiles)
    drift = None
    if len(result.valid) and settings.uses_dask:
        # Features stay on the cluster; the drift comes back summed from its partitions.
        features = pd.DataFrame()
        scores, drift = score_on_cluster(
            result.valid, champion, selection, capacity, settings, profiles
        )
    elif len(result.valid):
        features = batch_features(settings.warehouse, result.valid)
        scores = score(features, result.valid, champion, selection, capacity, profiles)
    else:  # everything quarantined: empty outputs, and the summary says why
        features, scores = pd.DataFrame(), empty_scores()
    summary = write_outputs(
        scores,
        features,
        result.valid,
        result.quarantine,
        validation,
        champion,
        config.out,
        settings,
        run,
        started,
        drift,
        tuple(profiles.warnings()),
    )
    summary = summary.model_copy(update={"mlflow_run_id": log_scoring_run(summary, settings)})
    io.write_json(summary.model_dump(), config.out / "summary.json")
    return summary


__all__ = ["PROFILES_ONLY", "ScoreConfig", "ScoreSummary", "score_flow"]
