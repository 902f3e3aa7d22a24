"""Drift of a window: model features against the training reference, risk score between windows.

History-volume features (ages, prior counts) grow as the warehouse fills, so their drift
against the training period is expected: they are reported apart and never alert.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.monitoring import FeatureReference, drift_level, population_stability

HISTORY_VOLUME_SUFFIXES = (
    "_age_days",
    "_prior_declarations",
    "_prior_inspections",
    "_prior_violations",
    "_prior_declarants",
    "_reference_count",
)
DRIFT_COLUMNS = [
    "feature",
    "psi",
    "psi_present",
    "missing_training",
    "missing_window",
    "level",
    "history_volume",
]
#: Present values are compared on their own only when there are enough of them on both sides.
MIN_PRESENT_ROWS = 200
MIN_PRESENT_SHARE = 0.05


def is_history_volume(name: str) -> bool:
    """True for features that count history and so grow on their own."""
    return name.endswith(HISTORY_VOLUME_SUFFIXES)


def feature_drift(features: pd.DataFrame, reference: FeatureReference | None) -> pd.DataFrame:
    """Drift of every referenced feature in `features`, largest PSI first (empty without one).

    `psi` is the index over all bins (missing values are a bin of numeric features);
    `psi_present` compares only the values present, and the missing shares are given apart:
    features with a warm-up (missing until enough history exists) are missing less often later
    than in training, which is no shift of the world.
    """
    if reference is None or features.empty:
        return pd.DataFrame(columns=DRIFT_COLUMNS)
    rows = [
        _feature_row(reference, name, np.asarray(expected), features[name])
        for name, expected in reference.shares.items()
        if name in features
    ]
    table = pd.DataFrame(rows, columns=DRIFT_COLUMNS[:-1]).round(4)
    table["history_volume"] = [is_history_volume(name) for name in table["feature"]]
    return table.sort_values("psi", ascending=False, kind="stable").reset_index(drop=True)


def largest_drift(drift: pd.DataFrame, *, top: int = 5) -> pd.DataFrame:
    """The watched (not history-volume) features whose present values moved most."""
    watched = drift[~drift["history_volume"].astype(bool)]
    return watched.sort_values("psi_present", ascending=False, kind="stable").head(top)


def score_drift(current: pd.DataFrame, previous: pd.DataFrame) -> float:
    """PSI of risk_score in the window against deciles of the previous window (NaN if empty)."""
    if previous.empty or current.empty:
        return float("nan")
    reference = FeatureReference.fit(previous[["risk_score"]], categorical=[])
    return round(float(reference.psi(current[["risk_score"]]).iloc[0]), 4)


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
