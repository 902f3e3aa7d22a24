"""Traders and declarants: heavy-tailed sizes, a few chapters and partners each, brokers shared.

Traders are the importers/exporters registered with the administration; declarants are the
customs brokers who lodge declarations for many traders. Sizes are Pareto-distributed so the
largest 1% of traders file roughly a quarter to a third of all declarations while most file a
handful. Each trader sticks to one to three HS chapters and three partner countries; most have
been trading for years, some enter during the period and some leave.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import geography as geo
from simulation.calendar import Calendar
from simulation.config import WorldConfig

LEGIT, FRONT, ONE_OFF = 0, 1, 2
#: Relative weight of a trader's first, second and third chapter.
SLOT_WEIGHTS = np.array([1.0, 0.3, 0.12])
_NEW_TRADER_SHARE = 0.6
_LEAVER_SHARE = 0.25


@dataclass(frozen=True)
class Population:
    """Trader and declarant tables (positional ids) plus the chapter pools used for sampling."""

    traders: pd.DataFrame
    declarant_sizes: np.ndarray
    chapters: tuple[str, ...]
    pool_traders: np.ndarray
    pool_slots: np.ndarray
    pool_bounds: np.ndarray

    def pool(self, chapter: int) -> tuple[np.ndarray, np.ndarray]:
        """Traders (and which of their slots) that trade in one chapter."""
        lo, hi = self.pool_bounds[chapter], self.pool_bounds[chapter + 1]
        return self.pool_traders[lo:hi], self.pool_slots[lo:hi]


def _flows(rng: np.random.Generator, config: WorldConfig, export: np.ndarray) -> np.ndarray:
    """Each trader's flow: exporters follow their chapter's export bent, a few forward transit."""
    p_export = np.clip(export * config.export_share / 0.25, 0.0, 0.9)
    u = rng.random(len(export))
    flow = np.where(u < p_export, geo.EXPORT, geo.IMPORT)
    return np.where(rng.random(len(export)) < config.transit_share, geo.TRANSIT, flow)


def _partners(
    rng: np.random.Generator, chapter_names: np.ndarray, primary: np.ndarray
) -> np.ndarray:
    partners = np.zeros((len(primary), 3), dtype=np.int16)
    for c in np.unique(primary):
        rows = np.flatnonzero(primary == c)
        weights = geo.chapter_partner_weights(str(chapter_names[c]))
        partners[rows] = rng.choice(len(weights), size=(len(rows), 3), p=weights)
    return partners


def _windows(rng: np.random.Generator, count: int, days: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last active day: most traders predate the period, some enter or leave."""
    first = -rng.integers(30, 3000, count)
    new = rng.random(count) < _NEW_TRADER_SHARE
    first[new] = rng.integers(0, days, new.sum())
    last = np.full(count, days - 1)
    leaver = (rng.random(count) < _LEAVER_SHARE) & ~new
    last[leaver] = rng.integers(days // 4, days, leaver.sum())
    return first.astype(np.int32), last.astype(np.int32)


def _chapters(rng: np.random.Generator, chapter_weights: np.ndarray, count: int) -> np.ndarray:
    slots = rng.choice(len(chapter_weights), size=(count, 3), p=chapter_weights)
    slots[rng.random(count) < 0.5, 1] = -1
    slots[rng.random(count) < 0.75, 2] = -1
    return slots.astype(np.int16)


def build_population(
    config: WorldConfig, catalogue: pd.DataFrame, calendar: Calendar, rng: np.random.Generator
) -> Population:
    """The legitimate trader population and the brokers who declare for them."""
    count = max(50, round(config.declarations / config.declarations_per_trader))
    by_chapter = catalogue.groupby("ch")["weight"].sum()
    chapter_names = by_chapter.index.to_numpy()
    slots = _chapters(rng, by_chapter.to_numpy() / by_chapter.sum(), count)
    export = catalogue.groupby("ch")["export"].first().to_numpy()[slots[:, 0]]
    first, last = _windows(rng, count, calendar.days)
    declarants = max(20, round(count / config.traders_per_declarant))
    declarant_sizes = rng.pareto(1.1, declarants) + 1.0
    p_declarant = declarant_sizes / declarant_sizes.sum()
    traders = pd.DataFrame(
        {
            "kind": np.full(count, LEGIT, dtype=np.int8),
            "size": np.minimum(rng.pareto(config.trader_size_shape, count) + 1.0, count / 20),
            "flow": _flows(rng, config, export).astype(np.int8),
            "ch0": slots[:, 0],
            "ch1": slots[:, 1],
            "ch2": slots[:, 2],
            "first_day": first,
            "last_day": last,
            "office": rng.choice(len(geo.OFFICES[geo.SEA]), count, p=_office_weights()),
            "declarant0": rng.choice(declarants, count, p=p_declarant),
            "declarant1": rng.choice(declarants, count, p=p_declarant),
            "second_hand": np.isin(chapter_names[slots[:, 0]], ["84", "85", "87"])
            & (rng.random(count) < 0.25),
            "network": np.full(count, -1, dtype=np.int32),
        }
    )
    partners = _partners(rng, chapter_names, slots[:, 0])
    traders[["p0", "p1", "p2"]] = partners
    return _with_pools(traders, declarant_sizes, tuple(chapter_names), calendar.days)


def _office_weights() -> np.ndarray:
    weights = np.array([w for _, w in geo.OFFICES[geo.SEA]])
    return weights / weights.sum()


def _with_pools(
    traders: pd.DataFrame, declarant_sizes: np.ndarray, chapters: tuple[str, ...], days: int
) -> Population:
    """Index traders by chapter so rows of a chapter can pick among its traders quickly."""
    slot_chapters = traders[["ch0", "ch1", "ch2"]].to_numpy()
    trader_idx, slot = np.nonzero(slot_chapters >= 0)
    chapter = slot_chapters[trader_idx, slot]
    order = np.lexsort((slot, trader_idx, chapter))
    bounds = np.searchsorted(chapter[order], np.arange(len(chapters) + 1))
    return Population(
        traders=traders,
        declarant_sizes=declarant_sizes,
        chapters=chapters,
        pool_traders=trader_idx[order].astype(np.int32),
        pool_slots=slot[order].astype(np.int8),
        pool_bounds=bounds,
    )


def assign_traders(
    population: Population, chapter: np.ndarray, rng: np.random.Generator, days: int
) -> np.ndarray:
    """A trader for each row of the given chapters, in proportion to size and activity."""
    traders = population.traders
    size = traders["size"].to_numpy()
    active = np.minimum(traders["last_day"], days - 1) - np.maximum(traders["first_day"], 0) + 1
    activity = np.clip(active.to_numpy(), 1, None) / days
    out = np.empty(len(chapter), dtype=np.int32)
    for c in np.unique(chapter):
        rows = np.flatnonzero(chapter == c)
        pool, slots = population.pool(int(c))
        if len(pool) == 0:  # a chapter nobody specialises in: any trader will do
            pool, slots = np.arange(len(traders), dtype=np.int32), np.zeros(len(traders), int)
        weight = size[pool] * SLOT_WEIGHTS[slots] * activity[pool]
        out[rows] = pool[rng.choice(len(pool), size=len(rows), p=weight / weight.sum())]
    return out
