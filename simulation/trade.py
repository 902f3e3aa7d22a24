"""Legitimate trade: the skeleton of every ordinary declaration (who, what, when, where, how).

A skeleton row holds indices (HS code, countries, mode, office, trader) and the few per-row
modifiers the physics, permit and text steps read; `physics`, `permits` and `text` turn it into
declared values. Illicit rows use the same skeleton and the same later steps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation import geography as geo
from simulation import routes
from simulation.calendar import Calendar
from simulation.population import Population, assign_traders

NO_ERROR, UNDERVALUED, ROUNDED, PERMIT_FORGOTTEN, WEIGHT_TYPO = range(5)
#: Share of a tactic code's legitimate trade that comes from the tactic's origin countries.
SAME_ORIGIN_SHARE = 0.3
_PARTNER_SLOTS = np.array([0.65, 0.25, 0.10])
_USED_PRICE = 0.3


def skeleton_defaults(count: int) -> dict[str, np.ndarray]:
    """Modifier columns with their neutral values (legitimate, nothing unusual)."""
    return {
        "tactic": np.full(count, -1, dtype=np.int16),
        "network": np.full(count, -1, dtype=np.int32),
        "value_mult": np.ones(count),
        "load_mult": np.ones(count),
        "unit_mass_mult": np.ones(count),
        "cap": np.zeros(count, dtype=bool),
        "split": np.zeros(count, dtype=bool),
        "permit_mode": np.zeros(count, dtype=np.int8),
        "vague": np.zeros(count, dtype=bool),
        "cover": np.full(count, -1, dtype=np.int16),
        "used": np.zeros(count, dtype=bool),
        "error": np.zeros(count, dtype=np.int8),
    }


def _same_routes(
    rng: np.random.Generator,
    hs: np.ndarray,
    trader: np.ndarray,
    partner: np.ndarray,
    tactic_routes: dict[int, tuple[np.ndarray, tuple[str, ...]]],
) -> tuple[np.ndarray, np.ndarray]:
    """Send a share of each tactic code's trade along the tactic's origins and transit hubs.

    The origin is stable per trader and code, so a sesame importer keeps its Ugandan supplier.
    Returns the partners and a transit route for the rows that follow a tactic's route ("-"
    for the others).
    """
    out = partner.copy()
    transit = np.full(len(hs), "-", dtype=object)
    for code, (origins, hubs) in tactic_routes.items():
        rows = np.flatnonzero(hs == code)
        chosen = rows[rng.random(len(rows)) < SAME_ORIGIN_SHARE]
        out[chosen] = origins[(trader[chosen].astype(np.int64) * 7919 + code) % len(origins)]
        transit[chosen] = np.asarray(hubs, dtype=object)[rng.integers(0, len(hubs), len(chosen))]
    return out, transit


def legit_skeleton(
    count: int,
    *,
    catalogue: pd.DataFrame,
    weights: np.ndarray,
    population: Population,
    calendar: Calendar,
    tactic_routes: dict[int, tuple[np.ndarray, tuple[str, ...]]],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """`count` ordinary declarations spread over the traders, codes and the period."""
    traders = population.traders
    hs = rng.choice(len(catalogue), size=count, p=weights).astype(np.int32)
    chapter_of = {name: i for i, name in enumerate(population.chapters)}
    chapter = catalogue["ch"].map(chapter_of).to_numpy()[hs]
    trader = assign_traders(population, chapter, rng, calendar.days)
    day = calendar.sample(
        rng, traders["first_day"].to_numpy()[trader], traders["last_day"].to_numpy()[trader]
    )
    frame = pd.DataFrame({"day": day, "hs": hs, "trader": trader})
    frame = _where(rng, frame, catalogue, traders, tactic_routes)
    frame["declarant"] = _declarants(rng, traders, trader)
    extra = skeleton_defaults(count)
    used = traders["second_hand"].to_numpy()[trader] & catalogue["second_hand"].to_numpy()[hs]
    extra["used"] = used
    extra["value_mult"] = np.where(used, _USED_PRICE * rng.lognormal(0, 0.3, count), 1.0)
    return frame.assign(**extra)


def _where(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    catalogue: pd.DataFrame,
    traders: pd.DataFrame,
    tactic_routes: dict[int, tuple[np.ndarray, tuple[str, ...]]],
) -> pd.DataFrame:
    """Flow, countries, transit, mode and office from the trader's partners and the goods."""
    hs, trader = frame["hs"].to_numpy(), frame["trader"].to_numpy()
    flow = traders["flow"].to_numpy()[trader]
    slot = rng.choice(3, size=len(frame), p=_PARTNER_SLOTS)
    partner = traders[["p0", "p1", "p2"]].to_numpy()[trader, slot]
    partner, tactic_transit = _same_routes(rng, hs, trader, partner, tactic_routes)
    other = rng.choice(len(geo.countries()), size=len(frame), p=geo.partner_weights())
    frame = frame.assign(flow=flow, **routes.routes(rng, flow, partner, other.astype(np.int16)))
    follow = (tactic_transit != "-") & (flow == geo.IMPORT)
    frame.loc[follow, "transit"] = tactic_transit[follow]
    air, post = catalogue["air"].to_numpy()[hs], catalogue["post"].to_numpy()[hs]
    mode = routes.modes(rng, partner, air, post)
    office = routes.offices(rng, mode, traders["office"].to_numpy()[trader])
    return frame.assign(mode=mode, office=office)


def _declarants(rng: np.random.Generator, traders: pd.DataFrame, trader: np.ndarray) -> np.ndarray:
    primary = traders["declarant0"].to_numpy()[trader]
    secondary = traders["declarant1"].to_numpy()[trader]
    return np.where(rng.random(len(trader)) < 0.85, primary, secondary).astype(np.int32)


def add_clerical_noise(
    skeleton: pd.DataFrame, *, rate: float, rng: np.random.Generator
) -> pd.DataFrame:
    """Mark a few ordinary declarations with honest-mistake or revenue-fraud anomalies.

    Undervaluation (revenue fraud, transfer pricing), round numbers, a forgotten permit number
    and a weight typed ten times too large: the same anomalies smugglers produce, without the
    environmental crime.
    """
    legit = skeleton["tactic"].to_numpy() < 0
    hit = legit & (rng.random(len(skeleton)) < rate)
    kind = rng.choice(
        [UNDERVALUED, ROUNDED, PERMIT_FORGOTTEN, WEIGHT_TYPO],
        size=len(skeleton),
        p=[0.4, 0.3, 0.25, 0.05],
    )
    error = np.where(hit, kind, skeleton["error"].to_numpy()).astype(np.int8)
    value_mult = skeleton["value_mult"].to_numpy() * np.where(
        error == UNDERVALUED, rng.uniform(0.2, 0.6, len(skeleton)), 1.0
    )
    return skeleton.assign(error=error, value_mult=value_mult)
