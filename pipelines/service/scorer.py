"""Score a handful of declarations: the batch path's features, model, profiles and reasons.

A `Scorer` is immutable: one warehouse state, one champion, one profile set and the online
selector seeded for that champion. A new champion or a new state makes a new `Scorer`, built in
the background and swapped in whole (`ServiceModel`), so a request that started on the old one
finishes on it.

Features come from `features.online.OnlineFeatures`, built once per snapshot: the values of
`features.build_scoring_features` without its fixed cost of pandas operations on a few rows
(hash lookups in the snapshot tables instead of joins), tested equal on the same rows.
Probabilities, fired profiles, reasons and the score table come from the same `models.scoring`
phases as `score_batch`; only the lanes differ (online thresholds, see `selection`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features import describe
from features.online import OnlineFeatures
from models.rules import ProfilesInUse
from models.scoring import (
    PROFILES_ONLY,
    assemble,
    explain_flagged,
    flagged_rows,
    predict_and_flag,
    ranks,
    row_scores,
)
from models.selection import SelectionConfig
from pipelines.service.selection import OnlineSelector, ScoreWindow
from pipelines.service.snapshots import WarehouseState
from pipelines.storage.tracking import Champion
from pipelines.storage.warehouse import utc_now

#: Columns a service result has beyond the canonical score columns.
ONLINE_COLUMNS = ("draw", "threshold_model", "threshold_yellow")


@dataclass(frozen=True)
class Scorer:
    """Everything one request is scored with."""

    state: WarehouseState
    champion: Champion
    profiles: ProfilesInUse
    selector: OnlineSelector
    online: OnlineFeatures = field(repr=False)

    @property
    def model_version(self) -> str:
        return self.champion.version if self.champion.model is not None else PROFILES_ONLY

    def features(self, batch: pd.DataFrame) -> pd.DataFrame:
        """The batch path's features of `batch` (canonical declarations)."""
        return self.online.features(batch)

    def score(self, batch: pd.DataFrame) -> pd.DataFrame:
        """Score table of `batch` with its online lanes, draws and thresholds (same order)."""
        features = self.features(batch).assign(customs_office=batch["customs_office"].to_numpy())
        model, profiles = self.champion.model, self.profiles.selecting
        probabilities, pool, fired = predict_and_flag(features, model, profiles)
        lanes = self.selector.lanes(pool, ranked=ranks(model))
        reasons = explain_flagged(
            features,
            fired,
            probabilities,
            flagged_rows(lanes),
            model=model,
            profiles=profiles,
            describe=describe,
        )
        table = assemble(
            row_scores(features, probabilities, fired, self.profiles.shadow),
            lanes,
            reasons,
            model_version=self.model_version,
            scored_at=pd.Timestamp(utc_now()),
        )
        return table.assign(**{name: lanes[name].to_numpy() for name in ONLINE_COLUMNS})


def score_together(requests: Sequence[tuple[Scorer, pd.DataFrame]]) -> list[pd.DataFrame]:
    """Each request's score table (`Scorer.score` of its batch); the requests on one scorer
    are scored as one batch, then split (thresholds are then those of the batch)."""
    tables: dict[int, pd.DataFrame] = {}
    groups: dict[int, list[int]] = {}
    for position, (scorer, _) in enumerate(requests):
        groups.setdefault(id(scorer), []).append(position)
    for positions in groups.values():
        batches = [requests[position][1] for position in positions]
        whole = batches[0] if len(batches) == 1 else pd.concat(batches, ignore_index=True)
        table = requests[positions[0]][0].score(whole)
        bounds = np.cumsum([0, *(len(batch) for batch in batches)])
        for position, start, stop in zip(positions, bounds[:-1], bounds[1:], strict=True):
            tables[position] = table.iloc[start:stop].reset_index(drop=True)
    return [tables[position] for position in range(len(requests))]


def make_scorer(
    state: WarehouseState,
    champion: Champion,
    profiles: ProfilesInUse,
    *,
    selection: SelectionConfig,
    daily_capacity: pd.Series | None,
) -> Scorer:
    """A scorer whose score window is seeded with the champion's scores of the recent rows."""
    selector = OnlineSelector(
        selection,
        daily_volume=state.daily_volume,
        daily_capacity=daily_capacity,
        window=ScoreWindow(),
    )
    if len(state.recent):
        _, pool, _ = predict_and_flag(state.recent, champion.model, profiles.selecting)
        selector.window.add(
            state.recent["customs_office"].astype("str").to_numpy(),
            pool["risk_score"].to_numpy(dtype=float),
            pool["mandatory"].to_numpy(dtype=bool),
        )
    return Scorer(state, champion, profiles, selector, OnlineFeatures.of(state.snapshots))
