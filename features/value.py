"""Value and weight family: unit value against a point-in-time reference, weights, round numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features import tables
from features.prepare import MIN_WEIGHT_KG

#: Prior priced declarations a reference needs before it is trusted; else fall back a level.
MIN_REFERENCE_COUNT = 5
#: Floor of the reference spread (log scale, about +-10%), so identical past values cannot make
#: every small deviation look extreme.
MIN_LOG_STD = 0.1
_LEVELS = ("hs6_value", "hs4_value", "chapter_value")


def _floats(frame: pd.DataFrame, column: str) -> np.ndarray:
    return frame[column].to_numpy(dtype=float, na_value=np.nan)


def reference_moments(state: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and spread of past log unit values at the finest level with enough history."""
    mean = np.full(len(state), np.nan)
    std = np.full(len(state), np.nan)
    count = np.zeros(len(state), dtype=np.int64)
    for level in reversed(_LEVELS):  # coarse first, so finer levels overwrite
        n = state[f"{level}__n"].to_numpy()
        usable = n >= MIN_REFERENCE_COUNT
        safe_n = np.maximum(n, 1)
        level_mean = state[f"{level}__sum"].to_numpy() / safe_n
        spread = state[f"{level}__sumsq"].to_numpy() - safe_n * level_mean**2
        level_std = np.sqrt(np.clip(spread, 0.0, None) / np.maximum(n - 1, 1))
        mean = np.where(usable, level_mean, mean)
        std = np.where(usable, level_std, std)
        count = np.where(usable, n, count)
    return mean, np.maximum(std, MIN_LOG_STD), count


def unit_value_features(prepared: pd.DataFrame, state: pd.DataFrame) -> dict[str, np.ndarray]:
    """Unit value, its ratio to the usual value for the code, and its z-score in log space."""
    log_uv = prepared["log_unit_value"].to_numpy()
    mean, std, count = reference_moments(state)
    weight = np.clip(_floats(prepared, "net_weight_kg"), MIN_WEIGHT_KG, None)
    return {
        "unit_value_usd_per_kg": _floats(prepared, "customs_value_usd") / weight,
        "unit_value_ratio_to_reference": np.exp(log_uv - mean),
        "unit_value_log_zscore": (log_uv - mean) / std,
        "unit_value_reference_count": count,
    }


def weight_features(prepared: pd.DataFrame) -> dict[str, np.ndarray]:
    """Weight per container against the payload limit and the net/gross ratio."""
    gross = _floats(prepared, "gross_weight_kg")
    net = _floats(prepared, "net_weight_kg")
    containers = _floats(prepared, "container_count")
    with np.errstate(divide="ignore", invalid="ignore"):
        per_container = np.where(containers > 0, gross / containers, np.nan)
        net_to_gross = np.where(gross > 0, net / gross, np.nan)
    return {
        "gross_weight_per_container_kg": per_container,
        "container_payload_ratio": per_container / tables.container_payload_kg(),
        "net_to_gross_weight_ratio": net_to_gross,
    }


def round_number_features(prepared: pd.DataFrame) -> dict[str, np.ndarray]:
    """Suspiciously round declared value (whole thousands of USD) and weight (whole 100 kg)."""
    value = _floats(prepared, "customs_value_usd")
    net = _floats(prepared, "net_weight_kg")
    return {
        "customs_value_is_round": (value >= 1000) & (np.fmod(value, 1000) == 0),
        "net_weight_is_round": (net >= 100) & (np.fmod(net, 100) == 0),
    }


def personal_effects_features(prepared: pd.DataFrame, permit: np.ndarray) -> dict:
    """Quantity against the CITES personal-effects cap of the HS6, and over the cap unpermitted."""
    caps = pd.DataFrame.from_dict(
        tables.PERSONAL_EFFECTS_CAPS, orient="index", columns=["cap", "measure"]
    ).reindex(prepared["hs6_text"].to_numpy())
    counted = prepared["quantity_unit"].isin(["u", "pair"]).to_numpy()
    amount = np.where(
        caps["measure"].to_numpy() == "kg",
        _floats(prepared, "net_weight_kg"),
        np.where(counted, _floats(prepared, "quantity"), np.nan),
    )
    ratio = amount / caps["cap"].to_numpy(dtype=float)
    return {
        "personal_effects_cap_ratio": ratio,
        "personal_effects_cap_exceeded_without_permit": (ratio > 1) & ~permit,
    }


def value_features(prepared: pd.DataFrame, state: pd.DataFrame, permit: np.ndarray) -> pd.DataFrame:
    """The whole value and weight family."""
    return pd.DataFrame(
        unit_value_features(prepared, state)
        | weight_features(prepared)
        | round_number_features(prepared)
        | personal_effects_features(prepared, permit)
    )
