"""The work of the monitor flow: the window, feature and score drift, missed violations, alerts.

Feature drift compares the champion's training reference (`RiskModel.reference`) with the
features of the declarations scored in the window. Those features are rebuilt from the
warehouse with snapshots as of the window's first day rather than stored at scoring time: the
warehouse already holds everything they are made of, the rebuild is one vectorised snapshot
pass, and nothing has to keep a second, wide copy of every scored row in step with the
catalogue. For a window of one batch they are the very features it was scored with; for a
longer window later batches see the state as of the window start, which moves only the
history-volume features, reported apart for that reason.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data_contracts.schemas import RISK_CATEGORIES
from models.monitoring import (
    PSI_MAJOR,
    FeatureReference,
    drift_level,
    missed_violation_estimate,
    population_stability,
)
from models.risk_model import RiskModel
from pipelines.settings import Settings
from pipelines.storage import tracking
from pipelines.storage.warehouse import Warehouse, WarehouseError

MONITORING_EXPERIMENT = "gcrisk-monitoring"
#: Features that count history (ages, prior counts): they grow as the warehouse fills, so
#: their drift against the training period is expected and never raises an alert.
HISTORY_VOLUME_SUFFIXES = (
    "_age_days",
    "_prior_declarations",
    "_prior_inspections",
    "_prior_violations",
    "_prior_declarants",
    "_reference_count",
)
_SCORED_ROWS = """
SELECT s.declaration_id, CAST(d.declaration_date AS TIMESTAMP) AS declaration_date,
       s.risk_score, s.selected, s.selection_reason, s.selection_propensity, s.model_version,
       i.outcome, i.violation_category
FROM scores s JOIN declarations d USING (declaration_id)
LEFT JOIN inspections i USING (declaration_id)
WHERE d.declaration_date >= ? AND d.declaration_date < ?
ORDER BY s.declaration_id"""
_LATEST = "SELECT max(d.declaration_date) FROM scores s JOIN declarations d USING (declaration_id)"


class NothingToMonitor(WarehouseError):
    """No scored declarations in the warehouse, or none in the chosen window."""


@dataclass(frozen=True)
class Thresholds:
    """When the monitor raises an alert."""

    feature_psi: float = PSI_MAJOR
    score_psi: float = PSI_MAJOR
    missed_share: float = 0.5


@dataclass(frozen=True)
class Window:
    """The days watched, the same number of days before them, and their scored rows."""

    start: pd.Timestamp
    end: pd.Timestamp
    previous_start: pd.Timestamp
    current: pd.DataFrame
    previous: pd.DataFrame

    def label(self) -> dict[str, str]:
        last = self.end - pd.Timedelta(days=1)
        return {
            "start": str(self.start.date()),
            "end": str(last.date()),
            "previous_start": str(self.previous_start.date()),
            "previous_end": str((self.start - pd.Timedelta(days=1)).date()),
        }


def read_window(warehouse: Path, since: datetime.date | None, days: int) -> Window:
    """Scored rows (with results) of [start, start + days) and of the `days` before it.

    Without `since` the window ends with the latest scored declaration day.

    Raises:
        NothingToMonitor: nothing scored at all, or nothing in the window.
    """
    with Warehouse(warehouse, read_only=True) as store:
        db = store.connection
        if since is None:
            latest = db.execute(_LATEST).fetchone()
            if latest is None or latest[0] is None:
                raise NothingToMonitor(
                    f"{warehouse}: no scored declarations yet (run `gcrisk score` first)"
                )
            end = pd.Timestamp(latest[0]) + pd.Timedelta(days=1)
            start = end - pd.Timedelta(days=days)
        else:
            start = pd.Timestamp(since)
            end = start + pd.Timedelta(days=days)
        previous_start = start - pd.Timedelta(days=days)
        rows = db.execute(_SCORED_ROWS, [previous_start, end]).df()
    rows["declaration_date"] = rows["declaration_date"].astype("datetime64[us]")
    current = rows[rows["declaration_date"] >= start].reset_index(drop=True)
    if current.empty:
        raise NothingToMonitor(
            f"{warehouse}: no scored declarations from {start.date()} to "
            f"{(end - pd.Timedelta(days=1)).date()}"
        )
    previous = rows[rows["declaration_date"] < start].reset_index(drop=True)
    return Window(start, end, previous_start, current, previous)


def window_features(warehouse: Path, window: Window) -> pd.DataFrame:
    """Features of the window's scored declarations, as of the window's first scored day."""
    from pipelines.steps.scoring import build_batch_features

    with Warehouse(warehouse, read_only=True) as store:
        declarations = store.read_ids("declarations", window.current["declaration_id"])
    return build_batch_features(warehouse, declarations)


def is_history_volume(name: str) -> bool:
    """True for features that count history and so grow on their own."""
    return name.endswith(HISTORY_VOLUME_SUFFIXES)


def feature_drift(features: pd.DataFrame, model: RiskModel | None) -> pd.DataFrame:
    """Drift of every model feature against the training reference (empty without one).

    `psi` is the index over all bins (missing values are a bin of numeric features);
    `psi_present` compares only the values present, and the missing shares are given apart:
    features with a warm-up (missing until enough history exists) are missing less often later
    than in training, which is no shift of the world.
    """
    columns = [*_DRIFT_COLUMNS, "history_volume"]
    if model is None or model.reference is None or features.empty:
        return pd.DataFrame(columns=columns)
    reference = model.reference
    rows = [
        _feature_row(reference, name, np.asarray(expected), features[name])
        for name, expected in reference.shares.items()
        if name in features
    ]
    table = pd.DataFrame(rows, columns=_DRIFT_COLUMNS).round(4)
    table["history_volume"] = [is_history_volume(name) for name in table["feature"]]
    return table.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)


_DRIFT_COLUMNS = ["feature", "psi", "psi_present", "missing_training", "missing_window", "level"]
#: A rise in the missing share this large (10 points) is an alert: a field stopped arriving.
MISSING_RISE_ALERT = 0.10
#: Present values are compared on their own only when there are enough of them on both sides.
MIN_PRESENT_ROWS = 200
MIN_PRESENT_SHARE = 0.05


def _feature_row(
    reference: FeatureReference, name: str, expected: np.ndarray, values: pd.Series
) -> tuple[str, float, float, float, float, str]:
    actual = reference.distribution(values, name)
    psi = population_stability(expected, actual)
    if name not in reference.edges:  # categorical: unknown and missing share one bin
        return name, psi, psi, float("nan"), float("nan"), drift_level(psi)
    present_rows = (1.0 - actual[-1]) * len(values)
    if present_rows < MIN_PRESENT_ROWS or 1.0 - expected[-1] < MIN_PRESENT_SHARE:
        present = psi  # too few values to compare on their own: the missing share is the signal
    else:
        present = population_stability(_normalised(expected[:-1]), _normalised(actual[:-1]))
    return name, psi, present, float(expected[-1]), float(actual[-1]), drift_level(present)


def _normalised(shares: np.ndarray) -> np.ndarray:
    total = shares.sum()
    return shares / total if total else shares


def score_drift(current: pd.DataFrame, previous: pd.DataFrame) -> float:
    """PSI of risk_score in the window against deciles of the previous window (NaN if empty)."""
    if previous.empty or current.empty:
        return float("nan")
    reference = FeatureReference.fit(previous[["risk_score"]], categorical=[])
    return round(float(reference.psi(current[["risk_score"]]).iloc[0]), 4)


def missed_estimate(current: pd.DataFrame) -> dict[str, float]:
    """Share of environmental violations targeting missed, from the random stream's results.

    Each stream's hits are scaled by the share of its selected rows that already have a result,
    so results still outstanding do not read as clean.
    """
    reason = current["selection_reason"].astype("str")
    has_result = current["outcome"].notna().to_numpy()
    hit = (
        current["outcome"].eq("violation") & current["violation_category"].isin(RISK_CATEGORIES)
    ).to_numpy()
    random, targeted = reason.eq("random").to_numpy(), reason.isin(["rule", "model"]).to_numpy()
    coverage = {
        "random": _share(has_result[random]),
        "targeted": _share(has_result[targeted]),
    }
    targeted_hits = (
        hit[targeted & has_result].sum() / coverage["targeted"] if coverage["targeted"] else 0
    )
    sampled = random & has_result
    estimate = missed_violation_estimate(
        pd.Series(np.where(sampled, "random", ""), dtype="str"),
        pd.Series(hit),
        current["selection_propensity"] * (coverage["random"] or 1.0),
        batch_rows=len(current),
        targeted_hits=round(float(targeted_hits)),
    )
    return {
        **estimate,
        "random_selected": float(random.sum()),
        "random_result_share": round(coverage["random"], 4),
        "targeted_result_share": round(coverage["targeted"], 4),
    }


def _finite(value: Any) -> bool:
    return value is not None and bool(np.isfinite(float(value)))


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if len(mask) else 0.0


def alerts(
    drift: pd.DataFrame, score_psi: float, missed: dict[str, float], thresholds: Thresholds
) -> list[str]:
    """One sentence per crossed threshold (history-volume features never alert).

    A feature alerts on the PSI of its present values, or when it is missing far more often
    than in training; missing less often (a warm-up) is not an alert.
    """
    watched = drift[~drift["history_volume"].astype(bool)]
    found = [
        f"feature {row.feature}: PSI {row.psi_present:.2f} against the training data "
        f"(alert at {thresholds.feature_psi:g})"
        for row in watched.itertuples()
        if row.psi_present >= thresholds.feature_psi
    ]
    found += [
        f"feature {row.feature}: missing in {row.missing_window:.0%} of the window against "
        f"{row.missing_training:.0%} in the training data"
        for row in watched.itertuples()
        if row.missing_window - row.missing_training >= MISSING_RISE_ALERT
    ]
    if np.isfinite(score_psi) and score_psi >= thresholds.score_psi:
        found.append(
            f"risk score: PSI {score_psi:.2f} against the previous window "
            f"(alert at {thresholds.score_psi:g})"
        )
    share = missed.get("estimated_missed_share", float("nan"))
    if np.isfinite(share) and share > thresholds.missed_share:
        found.append(
            f"targeting misses an estimated {share:.0%} of environmental violations "
            f"(alert above {thresholds.missed_share:.0%})"
        )
    return found


def log_monitoring_run(summary: dict[str, Any], settings: Settings) -> str:
    """Record the window's drift, missed-violation estimate and alerts in MLflow."""
    import mlflow

    tracking.connect(settings.tracking_uri, settings.home / "mlartifacts")
    experiment = tracking.experiment_id(MONITORING_EXPERIMENT, settings.home / "mlartifacts")
    window = summary["window"]
    name = f"monitor-{window['start']}-to-{window['end']}"
    with mlflow.start_run(experiment_id=experiment, run_name=name) as run:
        mlflow.log_params({**window, "champion_version": summary["champion_version"]})
        metrics = {
            "rows": summary["rows"],
            "previous_rows": summary["previous_rows"],
            "alerts": len(summary["alerts"]),
            "score_psi": summary["score_psi"],
            **{f"missed.{k}": v for k, v in summary["missed"].items()},
            **{f"psi.{row['feature']}": row["psi"] for row in summary["feature_drift"]},
            **{
                f"psi_present.{row['feature']}": row["psi_present"]
                for row in summary["feature_drift"]
            },
        }
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if _finite(v)})
        mlflow.log_dict(summary, "monitor.json")
    return str(run.info.run_id)
