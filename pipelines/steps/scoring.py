"""The I/O side of batch scoring: champion loading, snapshots, outputs, report, MLflow.

Kept apart from the flow so the flow reads top to bottom; each function here is one step's work.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from data_contracts.coercion import TableError
from data_contracts.schemas import PANDAS_DTYPES, RISK_CATEGORIES, SCORE_COLUMNS
from models.officer import officer_view
from models.risk_model import RiskModel
from models.rules import packaged_profiles
from models.scoring import score_batch
from models.selection import SelectionConfig
from pipelines.reports.scoring import render_score_report
from pipelines.settings import Settings
from pipelines.storage import io, tracking
from pipelines.storage.tracking import Champion
from pipelines.storage.warehouse import Warehouse, utc_now

if TYPE_CHECKING:
    from features import Snapshots

SCORING_EXPERIMENT = "gcrisk-scoring"


def batch_snapshots(warehouse: Path, batch: pd.DataFrame) -> Snapshots:
    """History state of the warehouse as of the batch's first day (nothing from that day on)."""
    from features import build_snapshots

    as_of = batch["declaration_date"].min()
    with Warehouse(warehouse, read_only=True) as store:
        history = store.read_declarations(until=as_of.date())
        known = store.read_inspections(until=as_of.date())
    return build_snapshots(history, known, as_of)


def build_batch_features(warehouse: Path, batch: pd.DataFrame) -> pd.DataFrame:
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


def empty_scores() -> pd.DataFrame:
    """A score table with no rows, in canonical columns and dtypes."""
    return pd.DataFrame(
        {column.name: pd.Series(dtype=PANDAS_DTYPES[column.type]) for column in SCORE_COLUMNS}
    )


def score_features(
    features: pd.DataFrame,
    batch: pd.DataFrame,
    champion: Champion,
    selection: SelectionConfig,
    capacity: pd.Series | None,
) -> pd.DataFrame:
    """The score table of a batch (features joined back to their office for capacity)."""
    from features import describe

    offices = batch.set_index("declaration_id")["customs_office"]
    enriched = features.assign(
        customs_office=offices.reindex(features["declaration_id"]).to_numpy()
    )
    return score_batch(
        enriched,
        model=champion.model,
        profiles=packaged_profiles(),
        describe=describe,
        selection=selection,
        capacity_per_office=capacity,
        model_version=champion.version,
        scored_at=pd.Timestamp(utc_now().replace(tzinfo=None)),
    )


def write_score_outputs(
    scores: pd.DataFrame,
    features: pd.DataFrame,
    batch: pd.DataFrame,
    quarantine: pd.DataFrame,
    validation: Any,
    champion: Champion,
    *,
    out: Path,
    notes: tuple[str, ...] = (),
    drift: pd.Series | None = None,
) -> dict[str, Any]:
    """Write every output but summary.json; return the summary fields.

    The banner of the report and summary joins the champion's fallback notice and `notes`.
    `drift` (PSI by feature) is computed from `features` unless given (the cluster sums it).
    """
    drift = _drift(features, champion.model) if drift is None else drift
    summary = _summary(scores, validation, champion, batch, drift, out=out)
    summary["banner"] = " ".join(text for text in (champion.banner, *notes) if text) or None
    io.write_parquet(scores, out / "scores.parquet")
    io.write_csv(officer_view(scores), out / "scores.csv")
    io.write_parquet(quarantine, out / "quarantine.parquet")
    page = render_score_report(scores, batch, summary, drift)
    io.write_text(page, out / "report.html")
    return summary


def store_scores(warehouse: Path, scores: pd.DataFrame) -> None:
    """Upsert the batch's scores into the warehouse `scores` table (a rerun replaces them)."""
    with Warehouse(warehouse) as store:
        store.upsert("scores", scores)


def _drift(features: pd.DataFrame, model: RiskModel | None) -> pd.Series:
    if model is None or model.reference is None or features.empty:
        return pd.Series(dtype="float64")
    return model.reference.psi(features).round(4)


def _summary(
    scores: pd.DataFrame,
    validation: Any,
    champion: Champion,
    batch: pd.DataFrame,
    drift: pd.Series,
    *,
    out: Path,
) -> dict[str, Any]:
    red = scores[scores["lane"] == "red"]
    categories = red[[f"p_{c}" for c in RISK_CATEGORIES]].idxmax(axis=1).str.removeprefix("p_")
    fired = scores["rules_fired"].str.split("|").explode()
    return {
        "file": validation.file,
        "rows_in": validation.rows_in,
        "rows_scored": len(scores),
        "rows_quarantined": validation.rows_quarantined,
        "lanes": {lane: int((scores["lane"] == lane).sum()) for lane in ("red", "yellow", "green")},
        "selection_reasons": _counts(scores.loc[scores["selected"], "selection_reason"]),
        "categories": _counts(categories),
        "rules_fired": _counts(fired[fired != ""]),
        "model_version": champion.version,
        "model_fingerprint": champion.fingerprint,
        "data_fingerprint": io.frame_fingerprint(batch),
        "as_of": str(batch["declaration_date"].min().date()) if len(batch) else "",
        "banner": champion.banner,
        "drift": {name: float(value) for name, value in drift.items()},
        "outputs": {
            name: str(out / name)
            for name in (
                "scores.parquet",
                "scores.csv",
                "quarantine.parquet",
                "report.html",
                "summary.json",
            )
        },
    }


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.value_counts().sort_index().items()}


def log_scoring_run(summary: dict[str, Any], settings: Settings) -> str | None:
    """Record the batch's counts and drift in MLflow (never ids or free text)."""
    import mlflow

    tracking.connect(settings.tracking_uri, settings.home / "mlartifacts")
    experiment = tracking.experiment_id(SCORING_EXPERIMENT, settings.home / "mlartifacts")
    with mlflow.start_run(experiment_id=experiment, run_name=f"score-{summary['as_of']}") as run:
        mlflow.log_params(
            {
                "model_version": summary["model_version"],
                "as_of": summary["as_of"],
                "data_fingerprint": summary["data_fingerprint"],
            }
        )
        mlflow.log_metrics(
            {
                "rows_in": summary["rows_in"],
                "rows_scored": summary["rows_scored"],
                "rows_quarantined": summary["rows_quarantined"],
                **{f"lane_{lane}": n for lane, n in summary["lanes"].items()},
                **{f"psi.{name}": value for name, value in summary["drift"].items()},
            }
        )
        mlflow.log_dict(summary, "summary.json")
    return str(run.info.run_id)
