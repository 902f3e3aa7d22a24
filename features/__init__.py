"""Point-in-time features for customs risk: one definition, a training path and a scoring path.

    features = build_training_features(declarations, inspections)       # training
    snapshots = build_snapshots(history, inspections, as_of)            # scoring
    batch_features = build_scoring_features(batch, snapshots)

Both return one row per declaration: `KEY_COLUMNS`, `CONTEXT_COLUMNS` (for reasons), then the
catalogued features in `model_feature_names()` order; `describe(name, row)` words a risk reason
("" when the value points to no risk), `sentence(name, row)` any value.
"""

from features.build import (
    CONTEXT_COLUMNS,
    KEY_COLUMNS,
    Snapshots,
    build_scoring_features,
    build_snapshots,
    build_training_features,
)
from features.catalogue import (
    CATALOGUE,
    Feature,
    categorical_feature_names,
    model_feature_names,
    sentence,
)
from features.indicators import describe, fallback_reasons
from features.tables import IMPORT_BANS, ImportBan
from features.text_model import DescriptionMismatch

__all__ = [
    "CATALOGUE",
    "CONTEXT_COLUMNS",
    "IMPORT_BANS",
    "KEY_COLUMNS",
    "DescriptionMismatch",
    "Feature",
    "ImportBan",
    "Snapshots",
    "build_scoring_features",
    "build_snapshots",
    "build_training_features",
    "categorical_feature_names",
    "describe",
    "fallback_reasons",
    "model_feature_names",
    "sentence",
]
