"""`monitor-targeting`: is the model still looking at the world it was trained on?

For a window of scored declarations: drift of every model feature against the champion's
training reference, drift of the risk score against the previous window of the same length,
and the random stream's estimate of the share of environmental violations targeting misses.
Alerts when a threshold is crossed; writes monitor.json and monitor.html; logs an MLflow run.
"""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field

from pipelines.reports.monitoring import render_monitor_report
from pipelines.runtime import get_logger, step
from pipelines.settings import Settings
from pipelines.steps.monitoring import (
    Thresholds,
    Window,
    alerts,
    feature_drift,
    log_monitoring_run,
    missed_estimate,
    read_window,
    score_drift,
    window_features,
)
from pipelines.storage import io
from pipelines.storage.tracking import load_champion


class MonitorConfig(BaseModel):
    """Which days to watch and when to raise an alert."""

    since: datetime.date | None = Field(
        default=None, description="First day of the window (default: last `days` scored days)"
    )
    days: int = Field(default=30, gt=0, le=366, description="Length of the window in days")
    out: Path | None = Field(
        default=None, description="Folder for monitor.json/.html (default $GCRISK_HOME/monitor/DAY)"
    )
    feature_psi_alert: float = Field(default=0.25, gt=0, description="Feature PSI alert level")
    score_psi_alert: float = Field(default=0.25, gt=0, description="Risk-score PSI alert level")
    missed_share_alert: float = Field(
        default=0.5, ge=0, le=1, description="Alert above this estimated missed share"
    )
    today: datetime.date | None = Field(default=None, description="Day naming the default out")

    def out_dir(self, settings: Settings) -> Path:
        day = self.today or datetime.date.today()
        return self.out or settings.home / "monitor" / day.isoformat()


class MonitorSummary(BaseModel):
    """What monitor.json holds."""

    window: dict[str, str]
    rows: int
    previous_rows: int
    model_versions: list[str]
    champion_version: str
    feature_drift: list[dict[str, Any]]  # missing shares are None for categorical features
    score_psi: float | None
    missed: dict[str, float | None]
    thresholds: dict[str, float]
    alerts: list[str]
    notes: list[str]
    outputs: dict[str, str]
    mlflow_run_id: str | None = None


@step(name="read-window", retries=2)
def scored_window(warehouse: Path, config: MonitorConfig) -> Window:
    """The window's scored rows (with results) and the previous window's."""
    window = read_window(warehouse, config.since, config.days)
    get_logger().info(
        "window %s: %d scored declarations (%d in the previous window)",
        window.label(),
        len(window.current),
        len(window.previous),
    )
    return window


@step(name="feature-drift")
def drift_of_features(
    warehouse: Path, window: Window, settings: Settings
) -> tuple[pd.DataFrame, str]:
    """PSI of every model feature against the champion's reference, and the champion version."""
    champion = load_champion(settings)
    if champion.model is None:
        return feature_drift(pd.DataFrame(), None), champion.version
    features = window_features(warehouse, window)
    return feature_drift(features, champion.model), champion.version


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


@flow(name="monitor-targeting", validate_parameters=True)
def monitor_flow(config: MonitorConfig) -> MonitorSummary:
    """Feature and score drift, missed-violation estimate, alerts; report and MLflow run."""
    settings = Settings()
    thresholds = Thresholds(
        config.feature_psi_alert, config.score_psi_alert, config.missed_share_alert
    )
    window = scored_window(settings.warehouse_path, config)
    drift, champion_version = drift_of_features(settings.warehouse_path, window, settings)
    score_psi = score_drift(window.current, window.previous)
    missed = missed_estimate(window.current)
    notes = []
    if drift.empty:
        notes.append("No usable champion: feature drift not computed.")
    if not missed.get("random_inspections"):
        notes.append("No random-stream results in the window: missed share not estimated.")
    out = config.out_dir(settings)
    summary = MonitorSummary(
        window=window.label(),
        rows=len(window.current),
        previous_rows=len(window.previous),
        model_versions=sorted(window.current["model_version"].astype("str").unique()),
        champion_version=champion_version,
        feature_drift=drift.astype(object).where(drift.notna(), None).to_dict(orient="records"),
        score_psi=_finite(score_psi),
        missed={k: _finite(v) for k, v in missed.items()},
        thresholds=thresholds.__dict__,
        alerts=alerts(drift, score_psi, missed, thresholds),
        notes=notes,
        outputs={name: str(out / name) for name in ("monitor.html", "monitor.json")},
    )
    return write_monitor(summary, drift, window, settings, out)


@step(name="write-monitor", retries=2)
def write_monitor(
    summary: MonitorSummary, drift: pd.DataFrame, window: Window, settings: Settings, out: Path
) -> MonitorSummary:
    """monitor.html, the MLflow run, then monitor.json (its presence marks success)."""
    payload = summary.model_dump(mode="json")
    page = render_monitor_report(
        payload, drift, window.current["risk_score"], window.previous["risk_score"]
    )
    io.write_text(page, out / "monitor.html")
    summary = summary.model_copy(update={"mlflow_run_id": log_monitoring_run(payload, settings)})
    io.write_json(summary.model_dump(mode="json"), out / "monitor.json")
    for alert in summary.alerts:
        get_logger().info("alert: %s", alert)
    return summary
