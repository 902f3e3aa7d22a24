"""Plain-language reasons: fired profiles first, then the model's own strongest contributions.

The model's reasons come from LightGBM's per-row contributions (`pred_contrib`) for the category
with the highest probability; each feature that pushed the risk up is turned into a sentence by
the feature catalogue, so an officer reads "declared value per kg is 6% of the usual for HS
290345", not a column name.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from data_contracts.schemas import RISK_CATEGORIES
from models.risk_model import RiskModel
from models.rules import ProfileSet

Describe = Callable[[str, pd.Series], str]


def profile_reasons(fired: pd.DataFrame, profiles: ProfileSet) -> pd.Series:
    """Per row, the titles of the profiles that fired, as a list (may be empty)."""
    titles = np.array([f"profile {p.id}: {p.title}" for p in profiles.profiles], dtype=object)
    hits = fired[profiles.ids].to_numpy(dtype=bool)
    return pd.Series([list(titles[row]) for row in hits], index=fired.index, dtype=object)


def model_reasons(
    features: pd.DataFrame,
    scores: pd.DataFrame,
    model: RiskModel,
    describe: Describe,
    *,
    per_row: int = 3,
) -> pd.Series:
    """Per row, sentences for the features that raised the top category's risk the most."""
    top_category = scores[[f"p_{c}" for c in RISK_CATEGORIES]].to_numpy().argmax(axis=1)
    reasons = pd.Series([[] for _ in range(len(features))], index=features.index, dtype=object)
    for position, category in enumerate(RISK_CATEGORIES):
        rows = features.index[top_category == position]
        if len(rows) == 0:
            continue
        chosen = features.loc[rows]
        names = _strongest(model.contributions(chosen, category), per_row)
        # One dict per row, made once: a per-row `.loc` costs 50 times the sentence itself.
        records = chosen.to_dict(orient="records")
        reasons.loc[rows] = pd.Series(
            [
                [describe(name, record) for name in picked if name]
                for picked, record in zip(names, records, strict=True)
            ],
            index=rows,
            dtype=object,
        )
    return reasons


def _strongest(contributions: pd.DataFrame, k: int) -> np.ndarray:
    """Per row, the names of the up to `k` largest positive contributions ('' pads the rest)."""
    values = contributions.to_numpy()
    names = np.array([*contributions.columns, ""], dtype=object)
    order = np.argsort(-values, axis=1, kind="stable")[:, :k]
    positive = np.take_along_axis(values, order, axis=1) > 0
    return names[np.where(positive, order, len(names) - 1)]


def merge_reasons(*sources: pd.Series, limit: int = 3) -> pd.Series:
    """Join reason lists in priority order, dropping repeats, keeping the first `limit`."""
    index = sources[0].index
    merged = []
    for parts in zip(*(source.reindex(index) for source in sources), strict=True):
        seen: list[str] = []
        for part in parts:
            for reason in part if isinstance(part, list) else []:
                if reason and reason not in seen:
                    seen.append(reason)
        merged.append("; ".join(seen[:limit]))
    return pd.Series(merged, index=index, dtype="str")
