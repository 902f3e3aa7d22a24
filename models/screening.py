"""Drift screening: leave out features whose distribution moves within the training data itself.

Counts and ages (a trader's earlier declarations, days since first seen) grow with the length of
the history: a model fitted on the first months of a data set meets larger values in every later
batch and extrapolates from its last split. Comparing the fit window with the validation window
of a training run (the same time split `train_risk_model` uses) shows which features move like
that, before any label of the scored period exists; those would drift in production too.
"""

from __future__ import annotations

import pandas as pd

from models.monitoring import PSI_MODERATE, FeatureReference
from models.training import TrainConfig, time_split, training_rows


def feature_shift(
    features: pd.DataFrame,
    inspections: pd.DataFrame,
    *,
    feature_names: list[str],
    config: TrainConfig,
    categorical: list[str] | None = None,
) -> pd.Series:
    """PSI of each feature between the fit and validation windows of the labelled rows."""
    rows = training_rows(features, inspections, config=config).features
    split = time_split(
        rows["declaration_date"], valid_days=config.valid_days, gap_days=config.gap_days
    )
    named = [name for name in categorical or [] if name in feature_names]
    reference = FeatureReference.fit(rows.loc[split.fit, feature_names], categorical=named)
    return reference.psi(rows.loc[split.valid, feature_names]).reindex(feature_names).fillna(0.0)


def stable_features(
    features: pd.DataFrame,
    inspections: pd.DataFrame,
    *,
    feature_names: list[str],
    config: TrainConfig,
    categorical: list[str] | None = None,
    max_psi: float = PSI_MODERATE,
) -> list[str]:
    """The features whose PSI between the fit and validation windows is at most `max_psi`."""
    shift = feature_shift(
        features,
        inspections,
        feature_names=feature_names,
        config=config,
        categorical=categorical,
    )
    return [name for name in feature_names if shift[name] <= max_psi]
