"""Choose what to inspect within capacity: red, yellow and green lanes with their propensities.

Red lane, in order: mandatory profile hits, then the highest model risk, then a uniform random
exploration sample of the rest. The random stream is what keeps future labels unbiased, so each
selected row records why it was chosen and the probability it had of being chosen.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field


class SelectionConfig(BaseModel):
    """How much to inspect and how much of it to spend on exploration."""

    model_config = ConfigDict(frozen=True)

    budget: float = Field(default=0.05, gt=0, le=1, description="Red-lane share of the batch")
    exploration: float = Field(default=0.10, ge=0, le=1, description="Random share of capacity")
    yellow_factor: float = Field(default=1.0, ge=0, description="Yellow band size / red capacity")
    seed: int = 0


def capacity_for_budget(n_rows: int, budget: float) -> int:
    """Red-lane capacity for a batch of `n_rows` at a budget share (at least one row)."""
    return min(n_rows, max(1, round(budget * n_rows))) if n_rows else 0


def select(
    risk: pd.Series,
    mandatory: pd.Series,
    advisory: pd.Series,
    *,
    capacity: int,
    config: SelectionConfig,
    explore: float | None = None,
) -> pd.DataFrame:
    """Lanes for one pool of declarations sharing one capacity.

    Mandatory hits are not forced in beyond capacity: they take the targeted places first
    (highest risk first), the exploration places stay reserved, and hits left over head the
    yellow band.

    Args:
        risk: overall model risk per row (NaN when there is no model: profiles decide alone).
        mandatory: rows hit by a red-lane profile.
        advisory: rows hit by a yellow-lane profile.
        capacity: number of physical inspections available for this pool.
        config: exploration share, yellow band size and the seed of the random stream.
        explore: expected number of random picks (default: the exploration share of a capacity
            above one, rounded); a fraction is drawn from the seeded stream (2.3 gives 2 or 3,
            3 with chance 0.3), so small quotas still explore at the configured share.

    Returns:
        `lane`, `selected`, `selection_reason` ('rule', 'model', 'random' or ''), and
        `selection_propensity` (for unselected rows, the chance the random stream gave them).
    """
    n = len(risk)
    capacity = min(capacity, n)
    rng = np.random.default_rng(config.seed)
    if explore is None:
        expected = float(round(config.exploration * capacity) if capacity > 1 else 0)
    else:
        expected = min(float(explore), float(capacity))
    whole, fraction = divmod(expected, 1.0)
    # Draw only for a fraction, so whole expectations keep the stream of earlier versions.
    drawn = int(whole) + int(fraction > 0 and rng.random() < fraction)
    targeted = capacity - drawn
    order = _rank(risk.to_numpy(dtype=float), mandatory.to_numpy(dtype=bool))
    reason = np.full(n, "", dtype=object)
    top = order[:targeted]
    reason[top] = np.where(mandatory.to_numpy(dtype=bool)[top], "rule", "model")
    if risk.isna().all():
        # Without a model only profile hits are targeted; the rest of capacity explores.
        reason[top[~mandatory.to_numpy(dtype=bool)[top]]] = ""
    pool = np.flatnonzero(reason == "")
    sample = min(capacity - int((reason != "").sum()), len(pool))
    sampled = rng.choice(pool, size=sample, replace=False) if sample else np.array([], int)
    reason[sampled] = "random"
    # The chance the stream gave each row: its expectation when a fraction was drawn.
    expected_sample = expected if sample == drawn else sample
    random_rate = min(1.0, expected_sample / len(pool)) if len(pool) else 0.0
    propensity = np.where(reason == "", random_rate, 1.0)
    propensity[sampled] = random_rate
    return _lanes(
        reason, order, advisory.to_numpy(dtype=bool), propensity, capacity, config, index=risk.index
    )


def _rank(risk: np.ndarray, mandatory: np.ndarray) -> np.ndarray:
    """Row positions by priority: mandatory hits first, then descending risk; stable ties."""
    filled = np.nan_to_num(risk, nan=-1.0)
    return np.lexsort((-filled, ~mandatory))


def _lanes(
    reason: np.ndarray,
    order: np.ndarray,
    advisory: np.ndarray,
    propensity: np.ndarray,
    capacity: int,
    config: SelectionConfig,
    *,
    index: pd.Index,
) -> pd.DataFrame:
    selected = reason != ""
    lane = np.where(selected, "red", "green").astype(object)
    band = round(config.yellow_factor * capacity)
    unselected_in_order = order[~selected[order]]
    lane[unselected_in_order[:band]] = "yellow"
    lane[advisory & ~selected] = "yellow"
    return pd.DataFrame(
        {
            "lane": pd.array(lane, dtype="str"),
            "selected": selected,
            "selection_reason": pd.array(reason, dtype="str"),
            "selection_propensity": propensity.astype(float),
        },
        index=index,
    )


def select_by_office(
    frame: pd.DataFrame,
    daily_capacity: pd.Series,
    *,
    config: SelectionConfig,
    office_column: str = "customs_office",
    date_column: str = "declaration_date",
) -> pd.DataFrame:
    """Apply `select` to each office's declarations of each day, with the office's daily
    capacity as that day's quota (an office absent from `daily_capacity` gets none).

    Each (office, day) draws its exploration at the configured share of its quota (a fraction
    drawn, see `select`) from a stream seeded by the seed, office and day; rows are taken in
    `declaration_id` order when the frame has one, so the lanes do not depend on row order.
    """
    parts = []
    for (office, day), rows in frame.groupby([office_column, date_column], sort=True):
        if "declaration_id" in rows:
            rows = rows.sort_values("declaration_id", kind="stable")
        capacity = int(daily_capacity.get(office, 0))
        key = f"{office}|{pd.Timestamp(day).date().isoformat()}"
        group_config = config.model_copy(update={"seed": config.seed + _stable_hash(key)})
        parts.append(
            select(
                rows["risk_score"],
                rows["mandatory"],
                rows["advisory"],
                capacity=capacity,
                config=group_config,
                explore=config.exploration * capacity,
            )
        )
    return pd.concat(parts).reindex(frame.index)


def _stable_hash(text: str) -> int:
    """A stable seed offset for `text` (unlike `hash`, the same in every process)."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % 1_000_003
