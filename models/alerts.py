"""When the monitor speaks up: alerts on crossed thresholds, and notes on what it could not tell."""

from __future__ import annotations

import math

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from models.monitoring import PSI_MAJOR, MissedEstimate

#: A rise in the missing share this large (10 points) is an alert: a field stopped arriving.
MISSING_RISE_ALERT = 0.10


class Thresholds(BaseModel):
    """When the monitor raises an alert."""

    model_config = ConfigDict(frozen=True)

    feature_psi: float = Field(default=PSI_MAJOR, gt=0, description="Feature PSI alert level")
    score_psi: float = Field(default=PSI_MAJOR, gt=0, description="Risk-score PSI alert level")
    missed_share: float = Field(default=0.5, ge=0, le=1, description="Missed share alert level")


def alerts(
    drift: pd.DataFrame, score_psi: float, missed_share: float | None, thresholds: Thresholds
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
    if math.isfinite(score_psi) and score_psi >= thresholds.score_psi:
        found.append(
            f"risk score: PSI {score_psi:.2f} against the previous window "
            f"(alert at {thresholds.score_psi:g})"
        )
    if missed_share is not None and missed_share > thresholds.missed_share:
        found.append(
            f"targeting misses an estimated {missed_share:.0%} of environmental violations "
            f"(alert above {thresholds.missed_share:.0%})"
        )
    return found


def notes(drift: pd.DataFrame, missed: MissedEstimate) -> list[str]:
    """What the monitor could not compute, and why."""
    found = []
    if drift.empty:
        found.append("No usable champion: feature drift not computed.")
    if not missed.random_inspections:
        found.append("No random-stream results in the window: missed share not estimated.")
    return found
