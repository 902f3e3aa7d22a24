"""Run the legacy policy over the world, let networks react to seizures, and write the labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from data_contracts.schemas import INSPECTION_COLUMNS
from simulation import drift, policy
from simulation.assemble import Context, canonical, fill
from simulation.config import MAX_INSPECTION_LAG_DAYS, WorldConfig
from simulation.tactics import Tactic

_NOTES = {
    "waste": "waste consignment not as declared; no valid consent",
    "ods": "controlled refrigerant not as declared",
    "wildlife": "CITES-listed specimens found",
    "other": "valuation or documentary discrepancy",
}


@dataclass(frozen=True)
class Result:
    """The final skeleton and filled columns with the policy's decisions on each row."""

    skeleton: pd.DataFrame
    filled: pd.DataFrame
    selection: pd.DataFrame
    violation: np.ndarray
    lag: np.ndarray
    shifts: list[dict[str, Any]]
    rule_counts: dict[str, int]


def signals(
    skeleton: pd.DataFrame, filled: pd.DataFrame, catalogue: pd.DataFrame, traders: pd.DataFrame
) -> policy.Signals:
    """What an officer can see on each declaration (and the trader register behind it)."""
    hs = skeleton["hs"].to_numpy()
    uv = filled["customs_value_usd"].to_numpy() / filled["net_weight_kg"].to_numpy()
    median = pd.Series(uv).groupby(hs).transform("median").to_numpy()
    registered = traders["first_day"].to_numpy()[skeleton["trader"].to_numpy()]
    return policy.Signals(
        chapter=catalogue["ch"].to_numpy()[hs],
        heading=catalogue["heading"].to_numpy()[hs],
        group=catalogue["group"].to_numpy()[hs],
        subcategory=catalogue["subcategory"].to_numpy()[hs],
        permit_required=catalogue["permit_share"].to_numpy()[hs] >= 0.5,
        permit_missing=filled["permit_reference"].to_numpy() == "",
        origin=skeleton["origin"].to_numpy(),
        consignment=skeleton["consignment"].to_numpy(),
        flow=skeleton["flow"].to_numpy(),
        day=skeleton["day"].to_numpy(),
        value_ratio=uv / np.maximum(median, 1e-9),
        vague=filled["vague"].to_numpy(),
        trader_age_days=skeleton["day"].to_numpy() - registered,
        listed=(catalogue["regime"].to_numpy() != "")[hs],
    )


def _detection(skeleton: pd.DataFrame, tactics: tuple[Tactic, ...], mean: float) -> np.ndarray:
    """Chance an inspection finds each illicit row (concealment is harder than a label swap)."""
    tactic = skeleton["tactic"].to_numpy()
    factor = np.array([t.detect for t in tactics] + [1.0])[tactic]
    illicit = tactic >= 0
    scale = mean / factor[illicit].mean() if illicit.any() else mean
    return np.clip(factor * scale, 0.05, 1.0)


def _inspect(
    skeleton: pd.DataFrame,
    filled: pd.DataFrame,
    ctx: Context,
    config: WorldConfig,
    tactics: tuple[Tactic, ...],
    ban: int,
    scale: float | None,
) -> tuple[pd.DataFrame, np.ndarray, float, dict[str, int]]:
    rng = np.random.default_rng([config.seed, 31])  # same draws in both passes
    seen = signals(skeleton, filled, ctx.catalogue, ctx.traders)
    illicit = skeleton["tactic"].to_numpy() >= 0
    selection, scale, counts = policy.select(
        seen, config=config, ban_day=ban, illicit=illicit, rng=rng, scale=scale
    )
    violation = policy.outcomes(
        selection,
        illicit=illicit,
        detect=_detection(skeleton, tactics, config.detection_probability),
        error=skeleton["error"].to_numpy(),
        rng=rng,
    )
    return selection, violation, scale, counts


def run(
    skeleton: pd.DataFrame,
    filled: pd.DataFrame,
    *,
    ctx: Context,
    config: WorldConfig,
    tactics: tuple[Tactic, ...],
    networks: pd.DataFrame,
    ban: int,
) -> Result:
    """Inspect, then (optionally) move networks after their first seizure and inspect again."""
    selection, violation, scale, counts = _inspect(
        skeleton, filled, ctx, config, tactics, ban, None
    )
    shifts: list[dict[str, Any]] = []
    if config.network_adaptation and len(networks):
        illicit = skeleton["tactic"].to_numpy() >= 0
        seizures = drift.first_seizures(
            skeleton["network"].to_numpy(), skeleton["day"].to_numpy(), violation & illicit
        )
        moved, changed = drift.adapt_networks(skeleton, networks, seizures)
        if changed.any():
            refilled = fill(np.random.default_rng([config.seed, 32]), moved[changed], ctx)
            filled = filled.copy()
            filled.loc[changed, refilled.columns] = refilled
            skeleton = moved
            selection, violation, _, counts = _inspect(
                skeleton, filled, ctx, config, tactics, ban, scale
            )
        shifts = _shift_facts(networks, seizures, ctx, changed, skeleton)
    lag = policy.inspection_lags(
        np.random.default_rng([config.seed, 33]), violation, MAX_INSPECTION_LAG_DAYS
    )
    return Result(skeleton, filled, selection, violation, lag, shifts, counts)


def _shift_facts(
    networks: pd.DataFrame,
    seizures: dict[int, int],
    ctx: Context,
    changed: np.ndarray,
    skeleton: pd.DataFrame,
) -> list[dict[str, Any]]:
    moved = pd.Series(changed).groupby(skeleton["network"].to_numpy()).sum()
    hs6 = ctx.catalogue["hs6"].to_numpy()
    out = []
    for net, day in sorted(seizures.items()):
        row = networks.iloc[net]
        out.append(
            {
                "network": int(net),
                "first_seizure": str(ctx.calendar.start + pd.Timedelta(days=int(day))),
                "from_hs6": str(hs6[int(row["code"])]),
                "to_hs6": str(hs6[int(row["alt_code"])]),
                "to_transit": str(row["alt_transit"]),
                "shipments_moved": int(moved.get(net, 0)),
            }
        )
    return out


def inspection_frame(
    result: Result, declarations: pd.DataFrame, tactics: tuple[Tactic, ...]
) -> pd.DataFrame:
    """Canonical inspections: only inspected declarations, with result dates and categories."""
    inspected = result.selection["inspected"].to_numpy()
    categories = np.array([t.category for t in tactics] + ["other"], dtype=object)
    category = categories[result.skeleton["tactic"].to_numpy()]
    found = result.violation
    frame = pd.DataFrame(
        {
            "declaration_id": declarations["declaration_id"].to_numpy(),
            "inspection_date": declarations["declaration_date"].to_numpy()
            + result.lag.astype("timedelta64[D]"),
            "selection_reason": result.selection["reason"].to_numpy(),
            "selection_propensity": result.selection["propensity"].to_numpy(),
            "outcome": np.where(found, "violation", "clean"),
            "violation_category": np.where(found, category, "none"),
        }
    )[inspected]
    frame["notes"] = frame["violation_category"].map(_NOTES).fillna("")
    return canonical(frame.reset_index(drop=True), INSPECTION_COLUMNS)


def truth_frame(skeleton: pd.DataFrame, tactics: tuple[Tactic, ...]) -> pd.DataFrame:
    """The hidden truth of every declaration."""
    tactic = skeleton["tactic"].to_numpy()
    categories = np.array([t.category for t in tactics] + ["none"], dtype=object)
    names = np.array([t.name for t in tactics] + [""], dtype=object)
    return pd.DataFrame(
        {
            "declaration_id": pd.Series(skeleton["declaration_id"].to_numpy(), dtype="str"),
            "is_illicit": tactic >= 0,
            "category": pd.Series(categories[tactic], dtype="str"),
            "modus_operandi": pd.Series(names[tactic], dtype="str"),
        }
    )
