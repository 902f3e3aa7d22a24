"""The steps of the monitor flow: read the window, rebuild its features, write and log the result.

Feature drift compares the champion's training reference (`RiskModel.reference`) with the
features of the declarations scored in the window. Those features are rebuilt from the
warehouse with snapshots as of the window's first day rather than stored at scoring time: the
warehouse already holds everything they are made of, the rebuild is one vectorised snapshot
pass, and nothing has to keep a second, wide copy of every scored row in step with the
catalogue. For a window of one batch they are the very features it was scored with; for a
longer window later batches see the state as of the window start, which moves only the
history-volume features, reported apart for that reason (`models.drift`).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.drift import feature_drift
from models.monitoring import ProfileActivity, profile_activity
from pipelines.reports.monitoring import render_monitor_report
from pipelines.runtime import get_logger, step
from pipelines.settings import Settings, WarehouseLocation
from pipelines.storage import io, tracking
from pipelines.storage.profiles import load_unit_profiles
from pipelines.storage.tracking import load_champion
from pipelines.storage.warehouse import Warehouse, WarehouseError

MONITORING_EXPERIMENT = "gcrisk-monitoring"
_SCORED_ROWS = """
SELECT s.declaration_id, CAST(d.declaration_date AS TIMESTAMP) AS declaration_date, d.hs_code,
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


def read_window(warehouse: WarehouseLocation, since: datetime.date | None, days: int) -> Window:
    """Scored rows (with results) of [start, start + days) and of the `days` before it.

    Without `since` the window ends with the latest scored declaration day.

    Raises:
        NothingToMonitor: nothing scored at all, or nothing in the window.
    """
    with Warehouse(warehouse, read_only=True) as store:
        if since is None:
            latest = store.first_row(_LATEST)
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
        rows = store.query(_SCORED_ROWS, [previous_start, end])
    rows["declaration_date"] = rows["declaration_date"].astype("datetime64[us]")
    current = rows[rows["declaration_date"] >= start].reset_index(drop=True)
    if current.empty:
        raise NothingToMonitor(
            f"{warehouse}: no scored declarations from {start.date()} to "
            f"{(end - pd.Timedelta(days=1)).date()}"
        )
    previous = rows[rows["declaration_date"] < start].reset_index(drop=True)
    return Window(start, end, previous_start, current, previous)


def window_features(warehouse: WarehouseLocation, window: Window) -> pd.DataFrame:
    """Features of the window's scored declarations, as of the window's first scored day."""
    from pipelines.steps.scoring import build_batch_features

    with Warehouse(warehouse, read_only=True) as store:
        declarations = store.read_ids("declarations", window.current["declaration_id"])
    return build_batch_features(warehouse, declarations)


@step(name="read-window", retries=2)
def scored_window(warehouse: WarehouseLocation, since: datetime.date | None, days: int) -> Window:
    """The window's scored rows (with results) and the previous window's."""
    window = read_window(warehouse, since, days)
    get_logger().info(
        "window %s: %d scored declarations (%d in the previous window)",
        window.label(),
        len(window.current),
        len(window.previous),
    )
    return window


@step(name="feature-drift")
def drift_of_features(
    warehouse: WarehouseLocation, window: Window, settings: Settings
) -> tuple[pd.DataFrame, str]:
    """PSI of every model feature against the champion's reference, and the champion version."""
    champion = load_champion(settings)
    if champion.model is None:
        return feature_drift(pd.DataFrame(), None), champion.version
    features = window_features(warehouse, window)
    return feature_drift(features, champion.model.reference), champion.version


def profile_warnings(window: Window, settings: Settings) -> list[str]:
    """The unit's profiles that expire within 30 days of the window's last day."""
    last_day = (window.end - pd.Timedelta(days=1)).date()
    return load_unit_profiles(settings).in_use(last_day).warnings()


@step(name="profile-activity", retries=2)
def activity_of_profiles(
    warehouse: WarehouseLocation, window: Window, settings: Settings, days: int
) -> list[ProfileActivity]:
    """Fires, results and hits of every profile selecting on the window's last day."""
    last_day = (window.end - pd.Timedelta(days=1)).date()
    profiles = load_unit_profiles(settings).selecting(last_day)
    with Warehouse(warehouse, read_only=True) as store:
        fired = store.read_ids("scores", window.current["declaration_id"])
    rows = window.current.merge(
        fired[["declaration_id", "rules_fired"]], on="declaration_id", how="left"
    )
    expectations = {
        p.id: (p.expected_volume_per_month, p.expected_hit_rate) for p in profiles.profiles
    }
    return profile_activity(rows, expectations, days=days)


@step(name="write-monitor", retries=2)
def write_monitor(
    summary: dict[str, Any], drift: pd.DataFrame, window: Window, settings: Settings, out: Path
) -> str:
    """monitor.html, the MLflow run, then monitor.json (its presence marks success).

    Returns:
        The MLflow run id, also written into monitor.json.
    """
    page = render_monitor_report(
        summary, drift, window.current["risk_score"], window.previous["risk_score"]
    )
    io.write_text(page, out / "monitor.html")
    run_id = log_monitoring_run(summary, settings)
    io.write_json({**summary, "mlflow_run_id": run_id}, out / "monitor.json")
    for alert in summary["alerts"]:
        get_logger().info("alert: %s", alert)
    return run_id


def _finite(value: Any) -> bool:
    return value is not None and bool(np.isfinite(float(value)))


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
