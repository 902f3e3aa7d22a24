"""Who files the illicit shipments, and when: opportunists, front companies, newcomers.

Opportunists are established traders of the declared goods' chapter, picked in proportion to
their trade, so their illicit rows hide among their ordinary ones. Front companies open a few
weeks before their network's shipments; newcomers appear shortly before a burst of one to three.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation import geography as geo
from simulation import illicit
from simulation.calendar import Calendar
from simulation.population import FRONT, ONE_OFF, Population


def new_traders(
    rng: np.random.Generator,
    count: int,
    *,
    kind: int,
    first_day: np.ndarray,
    last_day: np.ndarray,
    population: Population,
    network: np.ndarray,
) -> pd.DataFrame:
    """Front companies or newcomers: small, young, no history before `first_day`."""
    sizes = population.declarant_sizes
    return pd.DataFrame(
        {
            "kind": np.full(count, kind, dtype=np.int8),
            "size": rng.uniform(0.5, 1.5, count),
            "flow": np.full(count, geo.IMPORT, dtype=np.int8),
            "ch0": np.full(count, -1, dtype=np.int16),
            "ch1": np.full(count, -1, dtype=np.int16),
            "ch2": np.full(count, -1, dtype=np.int16),
            "first_day": first_day.astype(np.int32),
            "last_day": last_day.astype(np.int32),
            "office": rng.integers(0, len(geo.OFFICES[geo.SEA]), count),
            "declarant0": rng.choice(len(sizes), count, p=sizes / sizes.sum()),
            "declarant1": rng.choice(len(sizes), count, p=sizes / sizes.sum()),
            "second_hand": np.zeros(count, dtype=bool),
            "network": network.astype(np.int32),
            "p0": np.zeros(count, dtype=np.int16),
            "p1": np.zeros(count, dtype=np.int16),
            "p2": np.zeros(count, dtype=np.int16),
        }
    )


def front_companies(
    rng: np.random.Generator, networks: pd.DataFrame, population: Population
) -> pd.DataFrame:
    """Front companies of each network, opened one after another over its window."""
    network = np.repeat(np.arange(len(networks)), networks["fronts"].to_numpy())
    order = pd.Series(network).groupby(network).cumcount().to_numpy()
    span = (networks["end_day"] - networks["start_day"]).to_numpy()[network]
    share = span / networks["fronts"].to_numpy()[network]
    open_day = networks["start_day"].to_numpy()[network] + (order * share).astype(int)
    first = open_day - rng.integers(5, 40, len(network))
    last = open_day + (1.6 * share).astype(int) + 10
    return new_traders(
        rng,
        len(network),
        kind=FRONT,
        first_day=first,
        last_day=last,
        population=population,
        network=network,
    )


def newcomers(rng: np.random.Generator, day: np.ndarray, population: Population) -> pd.DataFrame:
    """One newcomer per row group: first seen a few days to weeks before the shipment."""
    first = day - rng.integers(0, 30, len(day))
    return new_traders(
        rng,
        len(day),
        kind=ONE_OFF,
        first_day=first,
        last_day=day + 60,
        population=population,
        network=np.full(len(day), -1),
    )


def _opportunists(
    rng: np.random.Generator, rows: pd.DataFrame, population: Population, chapter: np.ndarray
) -> np.ndarray:
    """Established traders of the declared code's chapter, a few per tactic, cheat now and then.

    They are picked in proportion to their trade, and each row goes to one of its tactic's
    opportunists that is trading on the row's day.
    """
    trader = np.full(len(rows), -1, dtype=np.int32)
    traders = population.traders
    first = np.maximum(traders["first_day"].to_numpy(), 0)
    last = traders["last_day"].to_numpy()
    weight = traders["size"].to_numpy() * np.clip(last - first + 1, 1, None)
    source, tactic, day = (rows[c].to_numpy() for c in ("source", "tactic", "day"))
    for t in np.unique(tactic[source == illicit.OPPORTUNIST]):
        idx = np.flatnonzero((tactic == t) & (source == illicit.OPPORTUNIST))
        pools = [population.pool(int(c))[0] for c in np.unique(chapter[idx])]
        pool = np.unique(np.concatenate(pools)) if pools else np.zeros(0, dtype=np.int32)
        if len(pool) == 0:
            pool = np.arange(len(weight), dtype=np.int32)
        k = min(len(pool), max(3, int(np.ceil(len(idx) / 1.1))))
        chosen = rng.choice(pool, k, replace=False, p=weight[pool] / weight[pool].sum())
        on_day = day[idx, None]
        active = (first[chosen] <= on_day) & (on_day <= last[chosen])
        trader[idx] = chosen[(rng.random(active.shape) + active).argmax(axis=1)]
    return trader


def _group_newcomers(rng: np.random.Generator, rows: pd.DataFrame) -> np.ndarray:
    """Newcomer rows of a tactic in groups of one to three: one new trader per group."""
    idx = np.flatnonzero(rows["source"].to_numpy() == illicit.NEWCOMER)
    tactic = rows["tactic"].to_numpy()[idx]
    order = np.argsort(tactic, kind="stable")
    idx, tactic = idx[order], tactic[order]
    sizes = rng.integers(1, 4, len(idx))
    starts = np.cumsum(sizes) - sizes
    block = np.searchsorted(starts, np.arange(len(idx)), side="right") - 1
    group = np.full(len(rows), -1)
    group[idx] = pd.factorize(pd.Series(block * 1000 + tactic))[0]  # never across tactics
    return group


def _within(
    rng: np.random.Generator,
    calendar: Calendar,
    first: np.ndarray,
    last: np.ndarray,
    floor: np.ndarray,
) -> np.ndarray:
    first = np.maximum(first, floor)
    return calendar.sample(rng, first, np.maximum(last, first))


def assign_networks(
    rng: np.random.Generator, rows: pd.DataFrame, networks: pd.DataFrame
) -> np.ndarray:
    network = np.full(len(rows), -1, dtype=np.int32)
    is_net = rows["source"].to_numpy() == illicit.NETWORK
    tactic = rows["tactic"].to_numpy()
    for t in np.unique(tactic[is_net]):
        idx = np.flatnonzero(is_net & (tactic == t))
        nets = np.flatnonzero(networks["tactic"].to_numpy() == t)
        network[idx] = nets[rng.integers(0, len(nets), len(idx))]
    return network


def _assign_fronts(
    rng: np.random.Generator, network: np.ndarray, networks: pd.DataFrame
) -> np.ndarray:
    count = networks["fronts"].to_numpy()
    if len(count) == 0:
        return np.full(len(network), -1)
    offset = np.cumsum(count) - count
    net = np.maximum(network, 0)
    front = offset[net] + (rng.random(len(network)) * count[net]).astype(int)
    return np.where(network >= 0, front, -1)


def traders_and_days(
    rng: np.random.Generator,
    rows: pd.DataFrame,
    networks: pd.DataFrame,
    chapter: np.ndarray,
    population: Population,
    calendar: Calendar,
    timing: illicit.Timing,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Trader of each row (fronts, opportunists, newcomers) and a day inside its window."""
    base = len(population.traders)
    fronts = front_companies(rng, networks, population)
    front = _assign_fronts(rng, rows["network"].to_numpy(), networks)
    group = _group_newcomers(rng, rows)
    day, source = rows["day"].to_numpy(), rows["source"].to_numpy()
    groups = max(group.max() + 1, 0)
    group_day = np.full(groups, calendar.days, dtype=np.int64)
    np.minimum.at(group_day, group[group >= 0], day[group >= 0])
    joiners = newcomers(rng, group_day, population)
    trader = _opportunists(rng, rows, population, chapter)
    trader = np.where(source == illicit.NETWORK, base + front, trader)
    trader = np.where(source == illicit.NEWCOMER, base + len(fronts) + group, trader)
    added = pd.concat([fronts, joiners], ignore_index=True)
    everyone = pd.concat([population.traders, added], ignore_index=True)
    first = everyone["first_day"].to_numpy()[trader] + np.where(source == illicit.NETWORK, 5, 0)
    tactic = rows["tactic"].to_numpy()
    last = np.minimum(everyone["last_day"].to_numpy()[trader], timing.end[tactic])
    resampled = _within(rng, calendar, first, last, timing.start[tactic])
    kept = np.clip(day, np.maximum(first, timing.start[tactic]), np.maximum(last, first))
    day_of = np.where(source == illicit.NETWORK, resampled, kept)
    burst = np.append(group_day, 0)[group] + rng.integers(0, 45, len(day))
    day = np.where(source == illicit.NEWCOMER, np.minimum(burst, calendar.days - 1), day_of)
    return trader.astype(np.int32), day.astype(np.int32), added
