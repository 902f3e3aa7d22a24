"""Backtest of one risk profile on history: how often it fires, and how often it is right.

A *hit* is an environmental violation (waste, ODS or wildlife) found by the inspection; the
`expected_hit_rate` of a profile means the same thing.

Three hit rates, from the weakest to the strongest claim:

- **inspected**: hits among the fired declarations that have a result. Biased: whoever chose
  those inspections (rules, officers, the model) chose them for a reason.
- **random stream (inverse-propensity)**: only the fired declarations inspected by the random
  stream (`selection_reason == 'random'`), each weighted by 1/`selection_propensity`, the
  number of declarations it stands for. The weighted share of hits (a Hajek estimator) estimates
  the hit rate the profile would have if every declaration it fires on were inspected.
- its **95% interval** is a Wilson score interval on that weighted share with the Kish effective
  sample size n_eff = (sum w)^2 / sum w^2 (equal weights: n_eff is the number of results). It
  is closed-form, so it needs no seed and is the same on every run.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
from pydantic import BaseModel

from data_contracts.schemas import RISK_CATEGORIES

#: Average days in a month: fires per month are fires per day times this.
DAYS_PER_MONTH = 365.25 / 12
Z_95 = 1.959964


class MonthVolume(BaseModel):
    """Declarations and fires of one calendar month."""

    month: str
    declarations: int
    fires: int


class RandomStreamEstimate(BaseModel):
    """The inverse-propensity hit rate from the random stream, with its Wilson interval."""

    random_results: int
    random_hits: int
    effective_n: float
    hit_rate: float | None
    low: float | None
    high: float | None


class Overlap(BaseModel):
    """Share of this profile's fires that another profile (or the model's red lane) also has."""

    other: str
    both: int
    share: float | None


class Backtest(BaseModel):
    """The numbers of one profile's backtest over [since, until)."""

    profile: str
    since: dt.date
    until: dt.date
    declarations: int
    fires: int
    fires_per_month: float
    months: list[MonthVolume]
    results: int
    hits: int
    inspected_hit_rate: float | None
    random_stream: RandomStreamEstimate
    overlaps: list[Overlap]
    scored_fires: int
    model_red: Overlap


def hits(results: pd.DataFrame) -> pd.Series:
    """Whether each inspection result is an environmental violation."""
    violation = results["outcome"].astype("str").eq("violation")
    return violation & results["violation_category"].isin(RISK_CATEGORIES)


def fires_per_month(fires: int, days: int) -> float:
    """Fires scaled to an average month over a window of `days` days."""
    return fires / (days / DAYS_PER_MONTH) if days > 0 else float("nan")


def monthly_volume(dates: pd.Series, fired: pd.Series) -> list[MonthVolume]:
    """Declarations and fires per calendar month, in month order."""
    frame = pd.DataFrame({"month": dates.dt.strftime("%Y-%m").to_numpy(), "fired": fired})
    grouped = frame.groupby("month", sort=True)["fired"].agg(["size", "sum"])
    return [
        MonthVolume(month=str(month), declarations=int(row["size"]), fires=int(row["sum"]))
        for month, row in grouped.iterrows()
    ]


def wilson_interval(share: float, n: float, *, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion `share` observed on `n` (possibly fractional) rows."""
    if n <= 0:
        return float("nan"), float("nan")
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n))
    return round(max(0.0, centre - half), 6), round(min(1.0, centre + half), 6)


def random_stream_estimate(fired_results: pd.DataFrame) -> RandomStreamEstimate:
    """Inverse-propensity hit rate of the random-stream results among the fired declarations.

    Args:
        fired_results: results of fired declarations, with `selection_reason`,
            `selection_propensity` and a boolean `hit`.
    """
    random = fired_results[fired_results["selection_reason"].astype("str").eq("random")]
    if random.empty:
        return RandomStreamEstimate(
            random_results=0, random_hits=0, effective_n=0.0, hit_rate=None, low=None, high=None
        )
    weights = 1.0 / random["selection_propensity"].astype("float64").to_numpy()
    hit = random["hit"].to_numpy(dtype=float)
    share = float(np.sum(weights * hit) / np.sum(weights))
    effective = float(np.sum(weights) ** 2 / np.sum(weights**2))
    low, high = wilson_interval(share, effective)
    return RandomStreamEstimate(
        random_results=len(random),
        random_hits=int(hit.sum()),
        effective_n=round(effective, 2),
        hit_rate=share,
        low=low,
        high=high,
    )


def overlap(this: pd.Series, other: pd.Series, name: str) -> Overlap:
    """Rows fired by both over rows fired by `this` (None when `this` never fires)."""
    both = int((this & other).sum())
    fired = int(this.sum())
    return Overlap(other=name, both=both, share=both / fired if fired else None)


def backtest(
    rows: pd.DataFrame,
    fired: pd.DataFrame,
    profile_id: str,
    results: pd.DataFrame,
    *,
    model_red: pd.Series,
    scored: pd.Series,
    since: dt.date,
    until: dt.date,
) -> Backtest:
    """Volume, hit rates and overlaps of `profile_id` on the declarations of [since, until).

    Args:
        rows: the window's declarations (`declaration_id`, `declaration_date`).
        fired: one boolean column per profile, aligned with `rows` (`rules.fire`).
        results: inspection results (`declaration_id`, `selection_reason`,
            `selection_propensity`, `outcome`, `violation_category`), any declarations.
        model_red: ids of declarations whose decision in force is red by the model.
        scored: ids of declarations that have a decision in force at all.
    """
    this = pd.Series(fired[profile_id].to_numpy(dtype=bool), index=rows.index)
    ids = rows["declaration_id"]
    fired_ids = ids[this]
    mine = results[results["declaration_id"].isin(fired_ids)].assign(hit=lambda f: hits(f))
    found = int(mine["hit"].sum())
    red = ids.isin(model_red)
    return Backtest(
        profile=profile_id,
        since=since,
        until=until,
        declarations=len(rows),
        fires=int(this.sum()),
        fires_per_month=fires_per_month(int(this.sum()), (until - since).days),
        months=monthly_volume(rows["declaration_date"], this),
        results=len(mine),
        hits=found,
        inspected_hit_rate=found / len(mine) if len(mine) else None,
        random_stream=random_stream_estimate(mine),
        overlaps=[
            overlap(this, fired[name].astype(bool), name)
            for name in fired.columns
            if name != profile_id
        ],
        scored_fires=int(fired_ids.isin(scored).sum()),
        model_red=overlap(this, red, "model red lane"),
    )
