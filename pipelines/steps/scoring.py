"""The steps of batch scoring, and their I/O: champion, snapshots, scores, outputs, MLflow.

The score flow calls these steps in order; each step logs what it did. The pandas path
(`batch_features`, `score`) and the Dask path (`score_on_cluster`) take the same
`ScoringInputs`, assembled once by `scoring_inputs`.
"""

from __future__ import annotations

import datetime
import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from data_contracts.coercion import TableError
from data_contracts.schemas import PANDAS_DTYPES, SCORE_COLUMNS
from models.officer import officer_view
from models.risk_model import RiskModel
from models.rules import ProfilesInUse
from models.scoring import ScoringInputs, score_batch
from models.selection import SelectionConfig
from pipelines.cluster.staging import score_staged, stage_batch, staging_folder
from pipelines.reports.scoring import render_score_report
from pipelines.runtime import get_logger, step
from pipelines.settings import Settings, WarehouseLocation
from pipelines.steps.intake import ValidationSummary
from pipelines.steps.score_summary import ScoreSummary
from pipelines.storage import io, tracking
from pipelines.storage.decisions import DecisionRun
from pipelines.storage.profiles import load_unit_profiles
from pipelines.storage.tracking import Champion, load_champion
from pipelines.storage.warehouse import Warehouse, utc_now

if TYPE_CHECKING:
    from features import Snapshots

SCORING_EXPERIMENT = "gcrisk-scoring"
_NOTHING_VALID = (
    "No valid declarations in this batch: all {rows} rows were quarantined, nothing was scored."
)


@step(name="load-profiles")
def profiles_in_use(settings: Settings, batch: pd.DataFrame) -> ProfilesInUse:
    """The unit's profiles on the batch's first day: those that may select (active, approved,
    in their window), those that fire in shadow only (drafts, unapproved), and those about to
    expire; retired and out-of-window ones stay silent."""
    unit = load_unit_profiles(settings)
    day = batch["declaration_date"].min().date() if len(batch) else utc_now().date()
    chosen = unit.in_use(day)
    get_logger().info(
        "%d of %d profiles select on %s (%s), %d in shadow",
        len(chosen.selecting.ids),
        len(unit.ids),
        day,
        chosen.selecting.fingerprint,
        len(chosen.shadow.ids),
    )
    for line in chosen.warnings():
        get_logger().warning(line)
    return chosen


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
def batch_features(warehouse: WarehouseLocation, batch: pd.DataFrame) -> pd.DataFrame:
    """Join the batch to the warehouse's state as of its earliest day."""
    features = build_batch_features(warehouse, batch)
    get_logger().info("built features for %d declarations", len(features))
    return features


@step(name="score-and-select")
def score(
    features: pd.DataFrame,
    batch: pd.DataFrame,
    champion: Champion,
    selection: SelectionConfig,
    capacity: pd.Series | None,
    profiles: ProfilesInUse,
) -> pd.DataFrame:
    """Probabilities, profiles, lanes within capacity and reasons."""
    inputs = scoring_inputs(champion, selection, capacity, profiles)
    scores = score_features(features, batch, inputs)
    lanes = scores["lane"].value_counts().to_dict()
    get_logger().info("scored %d declarations: %s", len(scores), lanes)
    return scores


@step(name="stage-batch-for-cluster")
def stage_for_cluster(
    warehouse: WarehouseLocation, batch: pd.DataFrame, folder: Path
) -> tuple[Snapshots, list[Path]]:
    """History snapshots as of the batch's first day, and the batch as Parquet files."""
    snapshots = batch_snapshots(warehouse, batch)
    files = stage_batch(batch, folder)
    get_logger().info("staged %d declarations in %d files", len(batch), len(files))
    return snapshots, files


#: `score` on the Dask cluster of GCRISK_DASK_SCHEDULER (same functions, same table), as a step
#: that DaskTaskRunner sends to a worker.
score_distributed = step(name="score-and-select-on-dask", on_cluster=True)(score_staged)


def score_on_cluster(
    batch: pd.DataFrame,
    champion: Champion,
    selection: SelectionConfig,
    capacity: pd.Series | None,
    settings: Settings,
    profiles: ProfilesInUse,
) -> tuple[pd.DataFrame, pd.Series]:
    """Stage the batch, score it on the cluster, remove the staged files; scores and drift."""
    inputs = scoring_inputs(champion, selection, capacity, profiles)
    folder = staging_folder(settings, "score")
    try:
        snapshots, files = stage_for_cluster(settings.warehouse, batch, folder)
        scored = score_distributed(files, snapshots, inputs, scheduler=settings.dask_scheduler)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    lanes = scored.table["lane"].value_counts().to_dict()
    # Logged here, not on the worker: a worker's buffered logs may not reach the API before
    # the run's LocalCluster closes.
    get_logger().info(
        "scored %d declarations on Dask (%s): %s", len(scored.table), scored.ran_on, lanes
    )
    return scored.table, scored.drift


@step(name="write-score-outputs", retries=2)
def write_outputs(
    scores: pd.DataFrame,
    features: pd.DataFrame,
    batch: pd.DataFrame,
    quarantine: pd.DataFrame,
    validation: ValidationSummary,
    champion: Champion,
    out: Path,
    settings: Settings,
    run: DecisionRun,
    started: datetime.datetime,
    drift: pd.Series | None = None,
    warnings: tuple[str, ...] = (),
) -> ScoreSummary:
    """scores.parquet/.csv, quarantine.parquet, report.html and the decision record; the
    summary (with `warnings` for the analyst)."""
    notes = () if len(batch) else (_NOTHING_VALID.format(rows=validation.rows_in),)
    summary = write_score_outputs(
        scores,
        features,
        batch,
        quarantine,
        validation,
        champion,
        out=out,
        notes=notes,
        warnings=warnings,
        drift=drift,
        decision_run_id=run.run_id,
    )
    store_scores(settings.warehouse, scores, run, started)
    get_logger().info("wrote %d scores to %s and the decision record", len(scores), out)
    return summary


def batch_snapshots(warehouse: WarehouseLocation, batch: pd.DataFrame) -> Snapshots:
    """History state of the warehouse as of the batch's first day (nothing from that day on),
    with the permit register (each permit counts from the day after its `recorded_on`)."""
    from features import build_snapshots

    as_of = batch["declaration_date"].min()
    with Warehouse(warehouse, read_only=True) as store:
        history = store.read_declarations(until=as_of.date())
        known = store.read_inspections(until=as_of.date())
        permits = store.read_permits()
    return build_snapshots(history, known, as_of, permits=permits)


def build_batch_features(warehouse: WarehouseLocation, batch: pd.DataFrame) -> pd.DataFrame:
    """Features of the batch from snapshots of the warehouse as of the batch's first day."""
    from features import build_scoring_features

    return build_scoring_features(batch, batch_snapshots(warehouse, batch))


def read_capacity(path: Path) -> pd.Series:
    """Inspections per day by office, from a CSV or Parquet file of office, inspections_per_day.

    Raises:
        TableError: the file is unreadable, lacks a column, repeats an office or has a capacity
            that is not a whole number >= 0 (the message names the file).
    """
    table = io.read_table(path)
    missing = {"office", "inspections_per_day"} - set(table.columns)
    if missing:
        raise TableError(f"{path}: capacity file needs columns office, inspections_per_day")
    offices = table["office"].astype("str").str.strip()
    if offices.duplicated().any():
        repeated = ", ".join(sorted(offices[offices.duplicated()].unique()))
        raise TableError(f"{path}: office listed more than once: {repeated}")
    per_day = pd.to_numeric(table["inspections_per_day"], errors="coerce")
    if per_day.isna().any() or (per_day < 0).any() or (per_day % 1 != 0).any():
        raise TableError(f"{path}: inspections_per_day must be whole numbers >= 0")
    return pd.Series(per_day.to_numpy(), index=offices.to_numpy(), name="inspections_per_day")


def capacity_per_office(daily: pd.Series, batch: pd.DataFrame) -> pd.Series:
    """Inspections per declaration date for each office of the batch: each day of a multi-day
    batch has the office's own quota (selection runs per office and day, never pooled).

    Raises:
        TableError: an office of the batch is not in the capacity file (the message names
            them; list an office with 0 to give it no inspections).
    """
    offices = pd.Index(batch["customs_office"].astype("str").unique()).sort_values()
    unlisted = offices.difference(daily.index)
    if len(unlisted):
        names = ", ".join(unlisted[:10]) + (
            f" and {len(unlisted) - 10} more" if len(unlisted) > 10 else ""
        )
        raise TableError(
            f"capacity file has no inspections_per_day for {len(unlisted)} office(s) of the "
            f"batch: {names} (list them, with 0 for no inspections)"
        )
    return daily.reindex(offices).astype(int)


def scoring_inputs(
    champion: Champion,
    selection: SelectionConfig,
    capacity: pd.Series | None,
    profiles: ProfilesInUse,
) -> ScoringInputs:
    """What scoring takes on either path: the champion (or profiles alone), the selecting and
    shadow `profiles`, lanes by `selection` within `capacity` (inspections per day by office,
    from `capacity_per_office`), stamped now."""
    from features import describe

    return ScoringInputs(
        model=champion.model,
        profiles=profiles.selecting,
        shadow=profiles.shadow,
        describe=describe,
        selection=selection,
        capacity_per_office=capacity,
        model_version=champion.version,
        scored_at=pd.Timestamp(utc_now()),
    )


def empty_scores() -> pd.DataFrame:
    """A score table with no rows, in canonical columns and dtypes."""
    return pd.DataFrame(
        {column.name: pd.Series(dtype=PANDAS_DTYPES[column.type]) for column in SCORE_COLUMNS}
    )


def score_features(
    features: pd.DataFrame, batch: pd.DataFrame, inputs: ScoringInputs
) -> pd.DataFrame:
    """The score table of a batch (features joined back to their office for capacity)."""
    offices = batch.set_index("declaration_id")["customs_office"]
    enriched = features.assign(
        customs_office=offices.reindex(features["declaration_id"]).to_numpy()
    )
    return score_batch(enriched, **inputs.arguments())


def write_score_outputs(
    scores: pd.DataFrame,
    features: pd.DataFrame,
    batch: pd.DataFrame,
    quarantine: pd.DataFrame,
    validation: ValidationSummary,
    champion: Champion,
    *,
    out: Path,
    notes: tuple[str, ...] = (),
    warnings: tuple[str, ...] = (),
    drift: pd.Series | None = None,
    decision_run_id: str,
) -> ScoreSummary:
    """Write every output but summary.json; return the summary.

    The banner of the report and summary joins the champion's fallback notice and `notes`.
    `drift` (PSI by feature) is computed from `features` unless given (the cluster sums it).
    """
    drift = _drift(features, champion.model) if drift is None else drift
    summary = ScoreSummary.of(
        scores,
        validation,
        champion,
        batch,
        drift,
        out=out,
        notes=notes,
        warnings=warnings,
        decision_run_id=decision_run_id,
    )
    io.write_parquet(scores, out / "scores.parquet")
    io.write_csv(officer_view(scores), out / "scores.csv")
    io.write_parquet(quarantine, out / "quarantine.parquet")
    page = render_score_report(scores, batch, summary.model_dump(), drift)
    io.write_text(page, out / "report.html")
    return summary


def decision_run(
    batch_file: Path,
    champion: Champion,
    selection: SelectionConfig,
    capacity_file: Path | None,
    profiles: ProfilesInUse,
) -> DecisionRun:
    """A new scoring run's id and everything its lanes depend on, for the decision record."""
    return DecisionRun(
        run_id=uuid.uuid4().hex,
        batch_file=str(batch_file.resolve()),
        batch_sha256=io.file_sha256(batch_file),
        model_fingerprint=champion.fingerprint,
        profile_set_hash=profiles.selecting.fingerprint,
        shadow_profiles=profiles.shadow.version_label,
        budget=selection.budget,
        exploration=selection.exploration,
        seed=selection.seed,
        capacity_file=str(capacity_file.resolve()) if capacity_file is not None else None,
        capacity_sha256=io.file_sha256(capacity_file) if capacity_file is not None else None,
    )


def store_scores(
    warehouse: WarehouseLocation, scores: pd.DataFrame, run: DecisionRun, started: datetime.datetime
) -> None:
    """Append the batch's decisions to the warehouse's decision record (never replaced: the
    `scores` view keeps the decision in force for each declaration)."""
    with Warehouse(warehouse) as store:
        store.append_decisions(scores, run, started_at=started)


def _drift(features: pd.DataFrame, model: RiskModel | None) -> pd.Series:
    if model is None or model.reference is None or features.empty:
        return pd.Series(dtype="float64")
    return model.reference.psi(features).round(4)


def log_scoring_run(summary: ScoreSummary, settings: Settings) -> str | None:
    """Record the batch's counts and drift in MLflow (never ids or free text)."""
    import mlflow

    tracking.connect(settings.tracking_uri, settings.home / "mlartifacts")
    experiment = tracking.experiment_id(SCORING_EXPERIMENT, settings.home / "mlartifacts")
    with mlflow.start_run(experiment_id=experiment, run_name=f"score-{summary.as_of}") as run:
        mlflow.log_params(
            {
                "model_version": summary.model_version,
                "as_of": summary.as_of,
                "data_fingerprint": summary.data_fingerprint,
            }
        )
        mlflow.log_metrics(
            {
                "rows_in": summary.rows_in,
                "rows_scored": summary.rows_scored,
                "rows_quarantined": summary.rows_quarantined,
                **{f"lane_{lane}": n for lane, n in summary.lanes.items()},
                **{f"psi.{name}": value for name, value in summary.drift.items()},
            }
        )
        # The run's own id is not known before the run: the logged summary has none.
        mlflow.log_dict(summary.model_dump(exclude={"mlflow_run_id"}), "summary.json")
    return str(run.info.run_id)
