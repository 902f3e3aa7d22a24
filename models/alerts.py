"""When the monitor speaks up: alerts on crossed thresholds, and notes on what it could not tell."""

from __future__ import annotations

import math

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from models.monitoring import PSI_MAJOR, MissedEstimate, ProfileActivity

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


#: A profile's volume alerts outside [LOW, HIGH] x its expected fires per month ...
PROFILE_VOLUME_BAND = (0.5, 2.0)
#: ... once the window should hold this many fires (fewer, and a quiet window is chance:
#: P(Poisson(10) < 5) is about 3%).
PROFILE_MIN_EXPECTED_FIRES = 10.0
#: A profile's hit rate alerts below this share of its expected hit rate ...
PROFILE_HIT_RATE_FLOOR = 0.5
#: ... once this many of its fires have a result.
PROFILE_MIN_RESULTS = 20


def profile_alerts(activity: list[ProfileActivity]) -> list[str]:
    """One sentence per selecting profile whose volume or hit rate left its expected band.

    Volume: fires per month outside [0.5x, 2x] the expected volume, when at least 10 fires
    were expected in the window. Hit rate: below half the expected hit rate, when at least 20
    of the window's fires have a result. A profile without an expectation never alerts.
    """
    low, high = PROFILE_VOLUME_BAND
    found = []
    for row in activity:
        volume, rate = row.expected_volume_per_month, row.expected_hit_rate
        enough_fires = (row.expected_fires or 0.0) >= PROFILE_MIN_EXPECTED_FIRES
        if (
            volume is not None
            and enough_fires
            and not low * volume <= row.fires_per_month <= high * volume
        ):
            found.append(
                f"profile {row.profile}: {row.fires_per_month:.1f} fires per month against "
                f"{volume:g} expected (alert outside {low:g}x to {high:g}x)"
            )
        observed = row.hit_rate if row.results >= PROFILE_MIN_RESULTS else None
        if rate is not None and observed is not None and observed < PROFILE_HIT_RATE_FLOOR * rate:
            found.append(
                f"profile {row.profile}: hit rate {observed:.1%} on {row.results} results "
                f"against {rate:.1%} expected (alert below {PROFILE_HIT_RATE_FLOOR:g}x)"
            )
    return found
