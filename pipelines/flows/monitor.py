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

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field

from data_contracts.editions import edition_mix
from models.alerts import Thresholds, alerts, notes, profile_alerts
from models.drift import largest_drift, score_drift
from models.monitoring import MissedEstimate, ProfileActivity, missed_estimate
from pipelines.settings import Settings
from pipelines.steps.monitoring import (
    Window,
    activity_of_profiles,
    drift_of_features,
    profile_warnings,
    scored_window,
    write_monitor,
)


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

    def thresholds(self) -> Thresholds:
        """The alert levels of this run."""
        return Thresholds(
            feature_psi=self.feature_psi_alert,
            score_psi=self.score_psi_alert,
            missed_share=self.missed_share_alert,
        )

    def out_dir(self, settings: Settings) -> Path:
        day = self.today or datetime.date.today()
        return self.out or settings.home / "monitor" / day.isoformat()


class MonitorWindow(BaseModel):
    """The days watched and the days before them, first and last day of each."""

    start: str
    end: str
    previous_start: str
    previous_end: str


class FeatureDrift(BaseModel):
    """Drift of one model feature (missing shares are None for categorical features)."""

    feature: str
    psi: float
    psi_present: float
    missing_training: float | None
    missing_window: float | None
    level: str
    history_volume: bool


class EditionMix(BaseModel):
    """Scored declarations by the HS edition of their code, in the window and the one before
    (`data_contracts.editions`: HS 2017 only, HS 2022 only, both, neither)."""

    current: dict[str, int]
    previous: dict[str, int]

    @classmethod
    def of(cls, window: Window) -> EditionMix:
        return cls(
            current=edition_mix(window.current["hs_code"]),
            previous=edition_mix(window.previous["hs_code"]),
        )

    def notes(self) -> list[str]:
        """A note when the window holds HS 2017-only codes (read as their HS 2022 sets)."""
        old = self.current.get("hs2017_only", 0)
        if not old:
            return []
        total = sum(self.current.values())
        return [
            f"{old:,} of {total:,} scored declarations carry HS 2017-only codes (dated before "
            "2022): features read them as their HS 2022 subheadings"
        ]


class MonitorSummary(BaseModel):
    """What monitor.json holds (and, for the command line, the features that moved most)."""

    window: MonitorWindow
    rows: int
    previous_rows: int
    model_versions: list[str]
    champion_version: str
    feature_drift: list[FeatureDrift]
    largest_drift: list[FeatureDrift] = Field(
        default_factory=list, exclude=True, description="Watched features, most moved first"
    )
    score_psi: float | None
    missed: MissedEstimate
    profiles: list[ProfileActivity] = Field(
        default_factory=list, description="Each selecting profile's volume and hit rate"
    )
    hs_editions: EditionMix
    thresholds: Thresholds
    alerts: list[str]
    notes: list[str]
    outputs: dict[str, str]
    mlflow_run_id: str | None = None


def drift_rows(drift: pd.DataFrame) -> list[FeatureDrift]:
    """The rows of a drift table, NaN as None."""
    records = drift.astype(object).where(drift.notna(), None).to_dict(orient="records")
    return [FeatureDrift.model_validate(record) for record in records]


@flow(name="monitor-targeting", validate_parameters=True)
def monitor_flow(config: MonitorConfig) -> MonitorSummary:
    """Feature and score drift, missed-violation estimate, alerts; report and MLflow run."""
    settings = Settings()
    window = scored_window(settings.warehouse, config.since, config.days)
    drift, champion_version = drift_of_features(settings.warehouse, window, settings)
    score_psi = score_drift(window.current, window.previous)
    missed = missed_estimate(window.current)
    activity = activity_of_profiles(settings.warehouse, window, settings, config.days)
    editions = EditionMix.of(window)
    out = config.out_dir(settings)
    summary = MonitorSummary(
        window=MonitorWindow.model_validate(window.label()),
        rows=len(window.current),
        previous_rows=len(window.previous),
        model_versions=sorted(window.current["model_version"].astype("str").unique()),
        champion_version=champion_version,
        feature_drift=drift_rows(drift),
        largest_drift=drift_rows(largest_drift(drift)),
        score_psi=score_psi if math.isfinite(score_psi) else None,
        missed=missed,
        thresholds=config.thresholds(),
        profiles=activity,
        hs_editions=editions,
        alerts=alerts(drift, score_psi, missed.estimated_missed_share, config.thresholds())
        + profile_alerts(activity)
        + profile_warnings(window, settings),
        notes=notes(drift, missed) + editions.notes(),
        outputs={name: str(out / name) for name in ("monitor.html", "monitor.json")},
    )
    run_id = write_monitor(summary.model_dump(mode="json"), drift, window, settings, out)
    return summary.model_copy(update={"mlflow_run_id": run_id})
