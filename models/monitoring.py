"""Drift and missed-violation estimates: population stability and the random stream.

A `FeatureReference` keeps, for every model feature, the bins of its training distribution and
the share of rows in each, so that any later batch can be compared with it without the training
data (population stability index, PSI = sum((a - e) * ln(a / e))).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from data_contracts.schemas import RISK_CATEGORIES

#: Common reading of PSI: below 0.1 stable, 0.1-0.25 moderate shift, above 0.25 major shift.
PSI_MODERATE = 0.1
PSI_MAJOR = 0.25
_FLOOR = 1e-4


@dataclass(frozen=True)
class FeatureReference:
    """Training-time bins and shares of each feature (numeric: quantile edges; other: levels)."""

    edges: dict[str, list[float]] = field(default_factory=dict)
    levels: dict[str, list[str]] = field(default_factory=dict)
    shares: dict[str, list[float]] = field(default_factory=dict)

    @classmethod
    def fit(
        cls, frame: pd.DataFrame, *, categorical: list[str], bins: int = 10
    ) -> FeatureReference:
        edges, levels, shares = {}, {}, {}
        for name in frame.columns:
            if name in categorical:
                counts = frame[name].astype("str").value_counts(normalize=True)
                top = counts.head(30)
                levels[name] = [str(level) for level in top.index]
            else:
                values = frame[name].astype("float64").dropna().to_numpy()
                quantiles = np.quantile(values, np.linspace(0, 1, bins + 1)) if len(values) else []
                edges[name] = [float(edge) for edge in np.unique(quantiles)[1:-1]]
            reference = cls(edges, levels, {})
            shares[name] = [float(s) for s in reference.distribution(frame[name], name)]
        return cls(edges, levels, shares)

    def counts(self, values: pd.Series, name: str) -> np.ndarray:
        """Rows of `values` in each bin of feature `name` (last bins: other level / missing).

        Counts add up over parts of a batch, so a cluster can bin each partition and sum.
        """
        if name in self.levels:
            text = values.astype("str")
            codes = pd.Categorical(
                text.where(text.isin(self.levels[name])), categories=self.levels[name]
            ).codes
            slots = np.where(codes < 0, len(self.levels[name]), codes)
            return np.bincount(slots, minlength=len(self.levels[name]) + 1)
        numbers = values.astype("float64").to_numpy()
        missing = np.isnan(numbers)
        slots = np.searchsorted(np.asarray(self.edges[name]), numbers[~missing], side="right")
        counts = np.bincount(slots, minlength=len(self.edges[name]) + 1)
        return np.append(counts, missing.sum())

    def distribution(self, values: pd.Series, name: str) -> np.ndarray:
        """Share of `values` in each bin of feature `name` (last bins: other level / missing)."""
        return _shares(self.counts(values, name))

    def psi(self, frame: pd.DataFrame) -> pd.Series:
        """PSI of every referenced feature present in `frame`, largest first."""
        return self.psi_of_counts(
            {name: self.counts(frame[name], name) for name in self.shares if name in frame}
        )

    def psi_of_counts(self, counts: Mapping[str, np.ndarray]) -> pd.Series:
        """PSI of each feature from its bin counts (as `counts` gives), largest first."""
        values = {
            name: population_stability(np.asarray(self.shares[name]), _shares(np.asarray(rows)))
            for name, rows in counts.items()
        }
        return pd.Series(values, dtype="float64").sort_values(ascending=False)

    def to_dict(self) -> dict[str, Any]:
        return {"edges": self.edges, "levels": self.levels, "shares": self.shares}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureReference:
        return cls(dict(data["edges"]), dict(data["levels"]), dict(data["shares"]))


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else counts.astype(float)


def population_stability(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI between two distributions over the same bins (shares floored to avoid log 0)."""
    e = np.clip(expected, _FLOOR, None)
    a = np.clip(actual, _FLOOR, None)
    return float(np.sum((a - e) * np.log(a / e)))


def drift_level(psi: float) -> str:
    """'stable', 'moderate' or 'major'."""
    if psi >= PSI_MAJOR:
        return "major"
    return "moderate" if psi >= PSI_MODERATE else "stable"


def missed_violation_estimate(
    selection_reason: pd.Series,
    violation: pd.Series,
    propensity: pd.Series,
    *,
    batch_rows: int,
    targeted_hits: int,
) -> dict[str, float]:
    """Estimate from the random stream how many violations targeting left uninspected.

    Random-stream rows are a uniform sample of the declarations nobody targeted, each standing for
    1/propensity of them (Horvitz-Thompson). Their hits estimate the violations among all
    untargeted declarations; those the random stream did not find were missed. Inspections
    themselves miss some violations, so this is a lower bound of what goes through.
    """
    random_rows = selection_reason.astype("str").eq("random")
    sampled = int(random_rows.sum())
    if sampled == 0:
        return {
            "random_inspections": 0.0,
            "estimated_missed": float("nan"),
            "estimated_missed_share": float("nan"),
        }
    hits = violation[random_rows].astype(float).to_numpy()
    weights = 1.0 / propensity[random_rows].astype(float).to_numpy()
    untargeted = float(np.sum(hits * weights))
    missed = untargeted - float(hits.sum())
    total = untargeted + targeted_hits
    return {
        "random_inspections": float(sampled),
        "random_hit_rate": float(hits.mean()),
        "estimated_missed": round(missed, 1),
        "estimated_missed_share": round(missed / total, 4) if total else 0.0,
        "batch_rows": float(batch_rows),
    }


def _absent(value: float | None) -> bool:
    return value is None


class MissedEstimate(BaseModel):
    """The random stream's estimate of the environmental violations targeting missed.

    `random_hit_rate` and `batch_rows` are absent (not null) when no random-stream result
    exists, as in every monitor.json so far.
    """

    random_inspections: float
    random_hit_rate: float | None = Field(default=None, exclude_if=_absent)
    estimated_missed: float | None
    estimated_missed_share: float | None
    batch_rows: float | None = Field(default=None, exclude_if=_absent)
    random_selected: float
    random_result_share: float
    targeted_result_share: float


def missed_estimate(current: pd.DataFrame) -> MissedEstimate:
    """Share of environmental violations targeting missed, from the random stream's results.

    Each stream's hits are scaled by the share of its selected rows that already have a result,
    so results still outstanding do not read as clean.
    """
    reason = current["selection_reason"].astype("str")
    has_result = current["outcome"].notna().to_numpy()
    hit = (
        current["outcome"].eq("violation") & current["violation_category"].isin(RISK_CATEGORIES)
    ).to_numpy()
    random, targeted = reason.eq("random").to_numpy(), reason.isin(["rule", "model"]).to_numpy()
    coverage = {"random": _share(has_result[random]), "targeted": _share(has_result[targeted])}
    targeted_hits = (
        hit[targeted & has_result].sum() / coverage["targeted"] if coverage["targeted"] else 0
    )
    sampled = random & has_result
    estimate = missed_violation_estimate(
        pd.Series(np.where(sampled, "random", ""), dtype="str"),
        pd.Series(hit),
        current["selection_propensity"] * (coverage["random"] or 1.0),
        batch_rows=len(current),
        targeted_hits=round(float(targeted_hits)),
    )
    return MissedEstimate.model_validate(
        {
            **{name: value if math.isfinite(value) else None for name, value in estimate.items()},
            "random_selected": float(random.sum()),
            "random_result_share": round(coverage["random"], 4),
            "targeted_result_share": round(coverage["targeted"], 4),
        }
    )


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if len(mask) else 0.0


class ProfileActivity(BaseModel):
    """How often one profile fired in the monitor window and how often it was right, against
    what the unit expects of it (None where the profile sets no expectation)."""

    profile: str
    fires: int
    fires_per_month: float
    expected_volume_per_month: float | None
    expected_fires: float | None
    results: int
    hits: int
    hit_rate: float | None
    expected_hit_rate: float | None


def profile_activity(
    current: pd.DataFrame,
    expectations: Mapping[str, tuple[float | None, float | None]],
    *,
    days: int,
) -> list[ProfileActivity]:
    """Fires (scaled to a month of 365.25/12 days), results and hits of each expected profile.

    Args:
        current: the window's scored rows with `rules_fired`, `outcome`, `violation_category`.
        expectations: profile id -> (expected volume per month, expected hit rate).
        days: length of the window.
    """
    fired = current["rules_fired"].fillna("").astype("str").str.split("|")
    has_result = current["outcome"].notna()
    hit = current["outcome"].eq("violation") & current["violation_category"].isin(RISK_CATEGORIES)
    months = days / (365.25 / 12)
    found = []
    for profile, (volume, rate) in sorted(expectations.items()):
        mine = fired.map(lambda ids, p=profile: p in ids).to_numpy(dtype=bool)
        results = int((mine & has_result).sum())
        hits = int((mine & hit).sum())
        found.append(
            ProfileActivity(
                profile=profile,
                fires=int(mine.sum()),
                fires_per_month=round(float(mine.sum()) / months, 2),
                expected_volume_per_month=volume,
                expected_fires=None if volume is None else round(volume * months, 2),
                results=results,
                hits=hits,
                hit_rate=hits / results if results else None,
                expected_hit_rate=rate,
            )
        )
    return found
