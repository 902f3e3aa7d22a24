"""The legacy inspection policy that produced the labels, and what its inspections found.

Three streams select declarations: a few obvious rules (controlled goods without a permit,
known corridors, plastic scrap, first-time importers), officers' hunches (noisy, partly driven
by what they can see: sensitive codes, vague text, low values, risky origins, the odd tip-off)
and a random stream. Officers' selection is scaled so the whole policy inspects about the
configured share. An inspection finds an illicit shipment with probability below one; honest
traders' undervaluation or forgotten permits come out as "other" violations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import geography as geo
from simulation.config import WorldConfig

RULE, OFFICER, RANDOM = "rule", "officer", "random"
#: Countries officers associate with wildlife trafficking (range states, routes.csv).
WILDLIFE_ORIGINS = (
    "NG",
    "CM",
    "CD",
    "CG",
    "GA",
    "CF",
    "UG",
    "TZ",
    "KE",
    "MZ",
    "ZA",
    "MG",
    "SN",
    "GM",
    "ML",
    "GH",
    "BJ",
    "TG",
    "CI",
    "GW",
    "ZM",
)
WILDLIFE_CHAPTERS = ("01", "02", "03", "05", "08", "12", "41", "44", "69", "97")
OECD_EEE_SOURCES = ("US", "GB", "DE", "NL", "JP", "AU", "BE", "FR")


@dataclass(frozen=True)
class Signals:
    """What the policy can see about each declaration (arrays aligned with the world's rows).

    Countries are indices into `geography.countries()`, codes come from the catalogue.
    """

    chapter: np.ndarray
    heading: np.ndarray
    group: np.ndarray
    subcategory: np.ndarray
    permit_required: np.ndarray
    permit_missing: np.ndarray
    origin: np.ndarray
    consignment: np.ndarray
    flow: np.ndarray
    day: np.ndarray
    value_ratio: np.ndarray
    vague: np.ndarray
    trader_age_days: np.ndarray
    listed: np.ndarray


def _countries(codes: tuple[str, ...]) -> np.ndarray:
    return geo.codes_to_index(codes)


def rule_hits(s: Signals, *, ban_day: int) -> dict[str, tuple[np.ndarray, float | np.ndarray]]:
    """Each rule's hits and the chance a hit is actually inspected (capacity is finite)."""
    index = geo.country_index()
    wild = np.isin(s.origin, _countries(WILDLIFE_ORIGINS)) & np.isin(s.chapter, WILDLIFE_CHAPTERS)
    corridor = (s.group == "ods_bulk") & (
        np.isin(s.origin, _countries(("CN", "IN"))) | (s.consignment == index["AE"])
    )
    used_eee = (
        (s.subcategory == "used_eee")
        & np.isin(s.origin, _countries(OECD_EEE_SOURCES))
        & (s.flow == geo.IMPORT)
    )
    return {
        "controlled-goods-without-permit": (s.permit_required & s.permit_missing, 0.35),
        "wildlife-source-route": (wild, 0.1),
        "ods-corridor": (corridor, 0.08),
        "plastic-scrap": (s.heading == "3915", np.where(s.day >= ban_day, 0.15, 0.06)),
        "used-eee-from-oecd": (used_eee, 0.04),
        "first-time-importer": (s.trader_age_days < 90, 0.03),
    }


def _officer_score(s: Signals, rng: np.random.Generator) -> np.ndarray:
    """An officer's suspicion: a little of what is visible, a lot of noise."""
    z = (
        1.0 * s.listed
        + 0.6 * s.vague
        + 1.0 * (s.value_ratio < 0.35)
        + 0.7 * np.isin(s.origin, _countries(WILDLIFE_ORIGINS))
        + 0.6 * (s.trader_age_days < 180)
    )
    return z + rng.normal(0.0, 0.7, len(z))


def _rule_probability(hits: dict[str, tuple[np.ndarray, float | np.ndarray]], n: int) -> np.ndarray:
    """Chance that at least one rule's hit gets inspected."""
    miss = np.ones(n)
    for mask, p in hits.values():
        miss *= 1 - mask * p
    return 1 - miss


def _scale(p_rule: np.ndarray, z: np.ndarray, random_rate: float, target: float) -> float:
    """Officer intensity so that the expected inspected share is `target`."""
    low, high = -20.0, 5.0
    for _ in range(40):
        mid = (low + high) / 2
        p_off = np.minimum(1.0, np.exp(mid + z))
        share = random_rate + (1 - random_rate) * (1 - (1 - p_rule) * (1 - p_off)).mean()
        low, high = (mid, high) if share < target else (low, mid)
    return (low + high) / 2


def select(
    s: Signals,
    *,
    config: WorldConfig,
    ban_day: int,
    illicit: np.ndarray,
    rng: np.random.Generator,
    scale: float | None = None,
) -> tuple[pd.DataFrame, float, dict[str, int]]:
    """Which rows are inspected, why, the probability the selecting stream had, rule hit counts.

    `scale` (officer intensity) is solved for the configured inspection rate unless given.
    """
    n = len(s.day)
    hits = rule_hits(s, ban_day=ban_day)
    p_rule = _rule_probability(hits, n)
    z = _officer_score(s, rng)
    if scale is None:
        budget = config.inspection_rate - config.officer_tip_rate * illicit.mean()
        scale = _scale(p_rule, z, config.random_inspection_rate, budget)
    p_off = np.minimum(1.0, np.exp(scale + z))
    is_random = rng.random(n) < config.random_inspection_rate
    by_rule = ~is_random & (rng.random(n) < p_rule)
    tip = illicit & (rng.random(n) < config.officer_tip_rate)
    by_officer = ~is_random & ~by_rule & ((rng.random(n) < p_off) | tip)
    targeted = 1 - (1 - p_rule) * (1 - p_off)
    propensity = np.where(is_random, config.random_inspection_rate, targeted)
    propensity = np.where(
        by_officer & tip, np.maximum(propensity, config.officer_tip_rate), propensity
    )
    frame = pd.DataFrame(
        {
            "inspected": is_random | by_rule | by_officer,
            "reason": np.where(is_random, RANDOM, np.where(by_rule, RULE, OFFICER)),
            "propensity": np.clip(propensity, 1e-4, 1.0),
        }
    )
    return frame, scale, {name: int(mask.sum()) for name, (mask, _) in hits.items()}


def outcomes(
    selection: pd.DataFrame,
    *,
    illicit: np.ndarray,
    detect: np.ndarray,
    error: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Whether each inspected row ends as a violation: found smuggling, or honest-trader fraud."""
    n = len(selection)
    found = illicit & (rng.random(n) < detect)
    other_p = np.select(
        [error == 1, error == 3, error == 4, error == 2], [0.6, 0.3, 0.2, 0.05], 0.004
    )
    other = ~illicit & (rng.random(n) < other_p)
    return selection["inspected"].to_numpy() & (found | other)


def inspection_lags(rng: np.random.Generator, violation: np.ndarray, max_days: int) -> np.ndarray:
    """Days from declaration to recorded result: a week typically, longer for lab tests."""
    lag = 1 + rng.lognormal(np.log(6.0), 0.7, len(violation)) * np.where(violation, 1.6, 1.0)
    return np.minimum(np.round(lag), max_days).astype(np.int64)
