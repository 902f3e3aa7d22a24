"""Illicit skeleton rows: each tactic's shipments with their traders, routes and anomalies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import geography as geo
from simulation import disguise, illicit, routes
from simulation.calendar import Calendar
from simulation.config import WorldConfig
from simulation.population import FRONT as FRONT_KIND
from simulation.population import Population
from simulation.tactics import Tactic
from simulation.trade import skeleton_defaults

_NETWORK_MAIN_CODE = 0.8
_NETWORK_SPLIT = 0.4


@dataclass(frozen=True)
class Illicit:
    """Illicit rows plus the clean test shipments of front companies, and who filed them."""

    skeleton: pd.DataFrame
    traders: pd.DataFrame
    networks: pd.DataFrame


def cover_texts(tactics: tuple[Tactic, ...]) -> tuple[tuple[str, ...], np.ndarray]:
    """All tactics' cover descriptions and the offset of each tactic's first one."""
    texts = tuple(text for t in tactics for text in t.cover_texts)
    offsets = np.cumsum([0] + [len(t.cover_texts) for t in tactics])[:-1]
    return texts, offsets


def _choice(rng: np.random.Generator, items: tuple, count: int, p=None) -> np.ndarray:
    weights = None if p is None else np.asarray(p, dtype=float) / np.sum(p)
    return np.asarray(items, dtype=object)[rng.choice(len(items), count, p=weights)]


def _network_params(
    rng: np.random.Generator, networks: pd.DataFrame, tactics: tuple[Tactic, ...],
    code_ids: dict[str, int],
) -> pd.DataFrame:  # fmt: skip
    """Each network's fixed route and cover code, and the ones it moves to after a seizure."""
    params = {k: [] for k in ("origin", "transit", "code", "alt_code", "alt_transit")}
    for t in networks["tactic"].to_numpy():
        tactic = tactics[t]
        codes = [code_ids[c] for c in tactic.declared_codes]
        weights = [w for _, w in tactic.declared]
        origins = [o for o in tactic.origins if o != geo.HOME] or [geo.HOME]
        params["origin"].append(geo.country_index()[str(_choice(rng, tuple(origins), 1)[0])])
        params["transit"].append(str(_choice(rng, tactic.transit, 1)[0]))
        params["code"].append(int(_choice(rng, tuple(codes), 1, weights)[0]))
        params["alt_code"].append(int(_choice(rng, tuple(codes), 1)[0]))
        params["alt_transit"].append(str(_choice(rng, tactic.transit + ("SG", "AE"), 1)[0]))
    return networks.assign(**params)


def _codes(
    rng: np.random.Generator, rows: pd.DataFrame, tactics: tuple[Tactic, ...],
    code_ids: dict[str, int], networks: pd.DataFrame,
) -> np.ndarray:  # fmt: skip
    hs = np.zeros(len(rows), dtype=np.int32)
    tactic = rows["tactic"].to_numpy()
    for t in np.unique(tactic):
        idx = np.flatnonzero(tactic == t)
        codes = tuple(code_ids[c] for c in tactics[t].declared_codes)
        hs[idx] = _choice(rng, codes, len(idx), [w for _, w in tactics[t].declared])
    net = rows["network"].to_numpy()
    keep = (net >= 0) & (rng.random(len(rows)) < _NETWORK_MAIN_CODE)
    hs[keep] = networks["code"].to_numpy()[net[keep]]
    return hs


def _opportunists(
    rng: np.random.Generator, rows: pd.DataFrame, population: Population, chapter: np.ndarray
) -> np.ndarray:
    """Established traders of the declared code's chapter, a few per tactic, cheat now and then."""
    trader = np.full(len(rows), -1, dtype=np.int32)
    traders = population.traders
    active = np.minimum(traders["last_day"], rows["day"].max()) - np.maximum(traders["first_day"], 0)
    size = traders["size"].to_numpy() * np.clip(active.to_numpy() + 1, 1, None)
    source, tactic = rows["source"].to_numpy(), rows["tactic"].to_numpy()
    for t in np.unique(tactic[source == illicit.OPPORTUNIST]):
        idx = np.flatnonzero((tactic == t) & (source == illicit.OPPORTUNIST))
        pool = np.unique(np.concatenate([population.pool(int(c))[0] for c in np.unique(chapter[idx])]))
        if len(pool) == 0:
            pool = np.arange(len(size), dtype=np.int32)
        k = min(len(pool), max(3, int(np.ceil(len(idx) / 1.25))))
        p = size[pool]
        chosen = rng.choice(pool, k, replace=False, p=p / p.sum())
        trader[idx] = chosen[rng.integers(0, k, len(idx))]
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


def _within(rng: np.random.Generator, calendar: Calendar, first: np.ndarray, last: np.ndarray,
            floor: np.ndarray) -> np.ndarray:  # fmt: skip
    first = np.maximum(first, floor)
    return calendar.sample(rng, first, np.maximum(last, first))


def _assign_networks(rng: np.random.Generator, rows: pd.DataFrame, networks: pd.DataFrame) -> np.ndarray:
    network = np.full(len(rows), -1, dtype=np.int32)
    is_net = rows["source"].to_numpy() == illicit.NETWORK
    tactic = rows["tactic"].to_numpy()
    for t in np.unique(tactic[is_net]):
        idx = np.flatnonzero(is_net & (tactic == t))
        nets = np.flatnonzero(networks["tactic"].to_numpy() == t)
        network[idx] = nets[rng.integers(0, len(nets), len(idx))]
    return network


def _assign_fronts(rng: np.random.Generator, network: np.ndarray, networks: pd.DataFrame) -> np.ndarray:
    count = networks["fronts"].to_numpy()
    offset = np.cumsum(count) - count
    net = np.maximum(network, 0)
    front = offset[net] + (rng.random(len(network)) * count[net]).astype(int)
    return np.where(network >= 0, front, -1)


def _traders_and_days(
    rng: np.random.Generator, rows: pd.DataFrame, networks: pd.DataFrame, chapter: np.ndarray,
    population: Population, calendar: Calendar, timing: illicit.Timing,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:  # fmt: skip
    """Trader of each row (fronts, opportunists, newcomers) and a day inside its window."""
    base = len(population.traders)
    fronts = illicit.front_companies(rng, networks, population)
    front = _assign_fronts(rng, rows["network"].to_numpy(), networks)
    group = _group_newcomers(rng, rows)
    day, source = rows["day"].to_numpy(), rows["source"].to_numpy()
    groups = max(group.max() + 1, 0)
    group_day = np.full(groups, calendar.days, dtype=np.int64)
    np.minimum.at(group_day, group[group >= 0], day[group >= 0])
    newcomers = illicit.newcomers(rng, group_day, population)
    trader = _opportunists(rng, rows, population, chapter)
    trader = np.where(source == illicit.NETWORK, base + front, trader)
    trader = np.where(source == illicit.NEWCOMER, base + len(fronts) + group, trader)
    added = pd.concat([fronts, newcomers], ignore_index=True)
    everyone = pd.concat([population.traders, added], ignore_index=True)
    first = everyone["first_day"].to_numpy()[trader] + np.where(source == illicit.NETWORK, 5, 0)
    tactic = rows["tactic"].to_numpy()
    last = np.minimum(everyone["last_day"].to_numpy()[trader], timing.end[tactic])
    resampled = _within(rng, calendar, first, last, timing.start[tactic])
    burst = np.append(group_day, 0)[group] + rng.integers(0, 45, len(day))
    day = np.where(source == illicit.NEWCOMER, np.minimum(burst, calendar.days - 1), resampled)
    return trader.astype(np.int32), day.astype(np.int32), added


def _split(rng: np.random.Generator, rows: pd.DataFrame, share: np.ndarray, days: int) -> pd.DataFrame:
    """Split consignments: runs of two or three declarations by one trader within days."""
    idx = np.flatnonzero(rng.random(len(rows)) < share)
    part = rows.iloc[idx][["trader", "tactic", "day"]].reset_index(drop=True)
    order = np.lexsort((part["day"].to_numpy(), part["tactic"].to_numpy(), part["trader"].to_numpy()))
    idx, part = idx[order], part.iloc[order].reset_index(drop=True)
    keys = [part["trader"], part["tactic"]]
    k = 2 + (part["trader"].to_numpy() % 2)
    part["group"] = part.groupby(keys).cumcount().to_numpy() // k
    groups = part.groupby([*keys, part["group"]])["day"]
    day = rows["day"].to_numpy().copy()
    day[idx] = np.minimum(groups.transform("first").to_numpy() + rng.integers(0, 3, len(idx)), days - 1)
    split = np.zeros(len(rows), dtype=bool)
    split[idx] = groups.transform("size").to_numpy() > 1
    return rows.assign(day=day, split=split)


def _dress(rng: np.random.Generator, rows: pd.DataFrame, tactics: tuple[Tactic, ...],
           networks: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """Route and anomaly fields, tactic by tactic."""
    net = rows["network"].to_numpy()
    has = net >= 0
    rows = rows.assign(
        net_origin=np.where(has, networks["origin"].to_numpy()[np.maximum(net, 0)], -1),
        net_transit=np.where(has, networks["transit"].to_numpy()[np.maximum(net, 0)], ""),
    )
    _, offsets = cover_texts(tactics)
    parts = []
    for t in np.unique(rows["tactic"].to_numpy()):
        part = rows[rows["tactic"].to_numpy() == t]
        fields = disguise.route_fields(rng, tactics[t], part)
        fields |= disguise.anomaly_fields(rng, tactics[t], len(part), int(offsets[t]))
        parts.append(part.assign(**fields))
    return pd.concat(parts).sort_index().drop(columns=["net_origin", "net_transit"])


def _declarants(rng: np.random.Generator, rows: pd.DataFrame, traders: pd.DataFrame,
                sizes: np.ndarray) -> np.ndarray:  # fmt: skip
    """Own broker for most rows; networks rotate brokers from shipment to shipment."""
    trader = rows["trader"].to_numpy()
    own = np.where(
        rng.random(len(rows)) < 0.85,
        traders["declarant0"].to_numpy()[trader],
        traders["declarant1"].to_numpy()[trader],
    )
    rotated = rng.choice(len(sizes), len(rows), p=sizes / sizes.sum())
    return np.where(rows["network"].to_numpy() >= 0, rotated, own).astype(np.int32)


def _front_tests(
    rng: np.random.Generator, networks: pd.DataFrame, traders: pd.DataFrame, base: int, days: int
) -> pd.DataFrame:
    """One or two clean shipments by each front company before it starts smuggling."""
    fronts = np.flatnonzero(traders["kind"].to_numpy() == FRONT_KIND)
    fronts = fronts[fronts >= base]
    per = rng.integers(1, 3, len(fronts))
    trader = np.repeat(fronts, per)
    net = traders["network"].to_numpy()[trader]
    first = traders["first_day"].to_numpy()[trader]
    origin = networks["origin"].to_numpy()[net].astype(np.int16)
    home = geo.country_index()[geo.HOME]
    count = len(trader)
    frame = pd.DataFrame(
        {
            "day": np.clip(first + rng.integers(0, 5, count), 0, days - 1).astype(np.int32),
            "hs": networks["code"].to_numpy()[net].astype(np.int32),
            "flow": np.full(count, geo.IMPORT, dtype=np.int8),
            "trader": trader.astype(np.int32),
            "origin": origin, "consignment": origin,
            "destination": np.full(count, home, dtype=np.int16),
            "transit": networks["transit"].to_numpy()[net],
            "mode": np.full(count, geo.SEA, dtype=np.int8),
        }
    )  # fmt: skip
    frame["office"] = routes.offices(rng, frame["mode"].to_numpy(), traders["office"].to_numpy()[trader])
    frame["declarant"] = traders["declarant0"].to_numpy()[trader].astype(np.int32)
    return frame.assign(**skeleton_defaults(count))


def build_illicit(
    config: WorldConfig, tactics: tuple[Tactic, ...], *, counts: np.ndarray,
    chapter_of_code: np.ndarray, code_ids: dict[str, int], population: Population,
    calendar: Calendar, timing: illicit.Timing, rng: np.random.Generator,
) -> Illicit:  # fmt: skip
    """Every illicit shipment of the given tactics, plus the front companies' test shipments."""
    tactic = np.repeat(np.arange(len(tactics)), counts).astype(np.int16)
    rows = pd.DataFrame(
        {
            "tactic": tactic,
            "day": illicit.sample_days(rng, calendar, timing, tactic),
            "source": illicit.trader_sources(rng, tactics, tactic, config),
        }
    )
    networks = illicit.plan_networks(rng, rows, config, timing)
    networks = _network_params(rng, networks, tactics, code_ids)
    rows["network"] = _assign_networks(rng, rows, networks)
    rows["hs"] = _codes(rng, rows, tactics, code_ids, networks)
    trader, day, added = _traders_and_days(
        rng, rows, networks, chapter_of_code[rows["hs"].to_numpy()], population, calendar,
        timing,
    )  # fmt: skip
    rows = rows.assign(trader=trader, day=day)
    split_share = np.array([t.split_share for t in tactics])[tactic]
    rows = _split(rng, rows, split_share + np.where(rows["network"] >= 0, _NETWORK_SPLIT, 0.0), calendar.days)
    rows = _dress(rng, rows, tactics, networks)
    traders = pd.concat([population.traders, added], ignore_index=True)
    rows["office"] = routes.offices(rng, rows["mode"].to_numpy(), traders["office"].to_numpy()[rows["trader"]])
    rows["declarant"] = _declarants(rng, rows, traders, population.declarant_sizes)
    defaults = skeleton_defaults(len(rows))
    rows = rows.assign(**{k: v for k, v in defaults.items() if k not in rows})
    tests = _front_tests(rng, networks, traders, len(population.traders), calendar.days)
    skeleton = pd.concat([rows.drop(columns=["source"]), tests[rows.columns.drop("source")]], ignore_index=True)
    return Illicit(skeleton=skeleton, traders=added, networks=networks)
