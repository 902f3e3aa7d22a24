"""The I/O side of batch scoring: champion loading, snapshots, outputs, report, MLflow.

Kept apart from the flow so the flow reads top to bottom; each function here is one step's work.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from data_contracts.schemas import RISK_CATEGORIES
from models.monitoring import drift_level
from models.risk_model import RiskModel
from models.rules import packaged_profiles
from models.scoring import PROFILES_ONLY, score_batch
from models.selection import SelectionConfig
from pipelines import charts, io, report, tracking
from pipelines.settings import Settings
from pipelines.warehouse import Warehouse, utc_now

SCORING_EXPERIMENT = "gcrisk-scoring"
RED_LIST_LIMIT = 500


@dataclass(frozen=True)
class Champion:
    """The model to score with, or why there is none (then profiles decide alone)."""

    model: RiskModel | None
    version: str
    fingerprint: str
    banner: str | None = None


def load_champion(settings: Settings) -> Champion:
    """Load `shipment-risk@champion`; any failure falls back to profiles with a banner."""
    try:
        client = tracking.connect(settings.tracking_uri, settings.home / "mlartifacts")
        if tracking.version_for_alias(client, tracking.CHAMPION) is None:
            return Champion(None, PROFILES_ONLY, "", _fallback("no champion model is registered"))
        loaded = tracking.load_risk_model(client, alias=tracking.CHAMPION)
    except Exception as error:  # any load failure must not stop the daily job
        return Champion(
            None,
            PROFILES_ONLY,
            "",
            _fallback(f"the champion could not be loaded ({type(error).__name__}: {error})"),
        )
    text = json.dumps(loaded.model.to_dict(), sort_keys=True)
    return Champion(loaded.model, loaded.version, hashlib.sha256(text.encode()).hexdigest()[:16])


def _fallback(why: str) -> str:
    return f"Profiles only: {why}. Lanes come from the risk profiles and the random stream."


def build_batch_features(warehouse: Path, batch: pd.DataFrame) -> pd.DataFrame:
    """Features of the batch from snapshots of the warehouse as of the batch's first day."""
    from features import build_scoring_features, build_snapshots

    as_of = batch["declaration_date"].min()
    with Warehouse(warehouse, read_only=True) as store:
        history = store.read_declarations(until=as_of.date())
        known = store.read_inspections(until=as_of.date())
    snapshots = build_snapshots(history, known, as_of)
    return build_scoring_features(batch, snapshots)


def capacity_per_office(path: Path, batch: pd.DataFrame) -> pd.Series:
    """Inspections available per office: its daily capacity times the days in the batch."""
    table = io.read_table(path)
    missing = {"office", "inspections_per_day"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: capacity file needs columns office, inspections_per_day")
    per_day = pd.to_numeric(table["inspections_per_day"], errors="coerce")
    if per_day.isna().any() or (per_day < 0).any():
        raise ValueError(f"{path}: inspections_per_day must be whole numbers >= 0")
    days = batch.groupby("customs_office")["declaration_date"].nunique()
    daily = pd.Series(per_day.to_numpy(), index=table["office"].astype("str"))
    return (daily.reindex(days.index).fillna(0) * days).astype(int)


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
) -> dict[str, Any]:
    """Write every output but summary.json; store the scores; return the summary fields."""
    drift = _drift(features, champion.model)
    summary = _summary(scores, validation, champion, batch, drift, out=out)
    io.write_parquet(scores, out / "scores.parquet")
    io.write_csv(scores, out / "scores.csv")
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
        "data_fingerprint": _fingerprint(batch),
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


def _fingerprint(frame: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(frame.sort_index(axis=1), index=False).sort_values()
    return hashlib.sha256(hashed.to_numpy().tobytes()).hexdigest()[:16]


def render_score_report(
    scores: pd.DataFrame, batch: pd.DataFrame, summary: dict[str, Any], drift: pd.Series
) -> str:
    """The batch report: counts, the red list with reasons, distributions, drift."""
    counts = {
        "rows in": summary["rows_in"],
        "rows scored": summary["rows_scored"],
        "rows quarantined": summary["rows_quarantined"],
        **{f"{lane} lane": n for lane, n in summary["lanes"].items()},
        **{f"selected by {reason}": n for reason, n in summary["selection_reasons"].items()},
        "model version": summary["model_version"],
    }
    red = (
        scores[scores["lane"] == "red"]
        .merge(
            batch[
                [
                    "declaration_id",
                    "declaration_date",
                    "customs_office",
                    "hs_code",
                    "goods_description",
                    "origin_country",
                ]
            ],
            on="declaration_id",
            how="left",
        )
        .sort_values("risk_score", ascending=False)
    )
    red_table = red[
        [
            "declaration_id",
            "declaration_date",
            "customs_office",
            "hs_code",
            "origin_country",
            "goods_description",
            "risk_score",
            "selection_reason",
            "rules_fired",
            "reasons",
        ]
    ].head(RED_LIST_LIMIT)
    red_table = red_table.assign(declaration_date=red_table["declaration_date"].dt.date)
    note = (
        f'<p class="muted">Showing {len(red_table)} of {len(red)} red-lane declarations, '
        "highest risk first.</p>"
    )
    sections = [
        ("Counts", report.key_values(counts)),
        ("Red lane", note + report.table(red_table, numeric=["risk_score"])),
        (
            "Score distributions",
            report.figure_tag(charts.score_distributions(scores), alt="score distributions"),
        ),
        ("Drift", _drift_section(drift)),
    ]
    return report.page(
        "gcrisk — batch scoring report",
        sections,
        banner=summary["banner"],
        subtitle=f"{summary['file']} · as of {summary['as_of']} · model {summary['model_version']}",
    )


def _drift_section(drift: pd.Series) -> str:
    if drift.empty:
        return '<p class="muted">No training reference (profiles only): drift not computed.</p>'
    frame = pd.DataFrame(
        {
            "feature": drift.index,
            "psi": drift.to_numpy(),
            "level": [drift_level(v) for v in drift.to_numpy()],
        }
    ).head(25)
    shifted = int((drift >= 0.1).sum())
    intro = (
        f"<p>{shifted} of {len(drift)} model features moved (PSI ≥ 0.1) against the "
        "training data. PSI below 0.1 is stable, 0.1–0.25 moderate, above 0.25 major.</p>"
    )
    return intro + report.table(frame, numeric=["psi"])


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
