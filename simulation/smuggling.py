"""Illicit skeleton rows: each tactic's shipments with their traders, routes and anomalies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulation import disguise, illicit, routes, smugglers
from simulation import geography as geo
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


def _choice(
    rng: np.random.Generator,
    items: tuple[Any, ...],
    count: int,
    p: list[float] | None = None,
) -> np.ndarray:
    weights = None if p is None else np.asarray(p, dtype=float) / np.sum(p)
    return np.asarray(items, dtype=object)[rng.choice(len(items), count, p=weights)]


def _network_params(
    rng: np.random.Generator,
    networks: pd.DataFrame,
    tactics: tuple[Tactic, ...],
    code_ids: dict[str, int],
) -> pd.DataFrame:
    """Each network's fixed route and cover code, and the ones it moves to after a seizure."""
    params: dict[str, list[Any]] = {
        k: [] for k in ("origin", "transit", "code", "alt_code", "alt_transit")
    }
    for t in networks["tactic"].to_numpy():
        tactic = tactics[t]
        codes = tuple(code_ids[c] for c in tactic.declared_codes)
        origins = tuple(o for o in tactic.origins if o != geo.HOME) or (geo.HOME,)
        code = int(_choice(rng, codes, 1, [w for _, w in tactic.declared])[0])
        others = tuple(c for c in codes if c != code) or codes
        params["origin"].append(geo.country_index()[str(_choice(rng, origins, 1)[0])])
        params["transit"].append(str(_choice(rng, tactic.transit, 1)[0]))
        params["code"].append(code)
        params["alt_code"].append(int(_choice(rng, others, 1)[0]))
        params["alt_transit"].append(str(_choice(rng, (*tactic.transit, "SG", "AE"), 1)[0]))
    types = {"origin": np.int16, "code": np.int32, "alt_code": np.int32}
    return networks.assign(
        **{k: np.asarray(v, dtype=types.get(k, object)) for k, v in params.items()}
    )


def _codes(
    rng: np.random.Generator,
    rows: pd.DataFrame,
    tactics: tuple[Tactic, ...],
    code_ids: dict[str, int],
    networks: pd.DataFrame,
) -> np.ndarray:
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


def _split(
    rng: np.random.Generator, rows: pd.DataFrame, share: np.ndarray, days: int
) -> pd.DataFrame:
    """Split consignments: runs of two or three declarations by one trader within days."""
    idx = np.flatnonzero(rng.random(len(rows)) < share)
    part = rows.iloc[idx][["trader", "tactic", "day"]].reset_index(drop=True)
    order = np.lexsort(
        (part["day"].to_numpy(), part["tactic"].to_numpy(), part["trader"].to_numpy())
    )
    idx, part = idx[order], part.iloc[order].reset_index(drop=True)
    keys = [part["trader"], part["tactic"]]
    k = 2 + (part["trader"].to_numpy() % 2)
    part["group"] = part.groupby(keys).cumcount().to_numpy() // k
    groups = part.groupby([*keys, part["group"]])["day"]
    day = rows["day"].to_numpy().copy()
    day[idx] = np.minimum(
        groups.transform("first").to_numpy() + rng.integers(0, 3, len(idx)), days - 1
    )
    split = np.zeros(len(rows), dtype=bool)
    split[idx] = groups.transform("size").to_numpy() > 1
    return rows.assign(day=day, split=split)


def _dress(
    rng: np.random.Generator,
    rows: pd.DataFrame,
    tactics: tuple[Tactic, ...],
    networks: pd.DataFrame,
) -> pd.DataFrame:
    """Route and anomaly fields, tactic by tactic."""
    net = rows["network"].to_numpy()  # -1 picks the appended "no network" value
    rows = rows.assign(
        net_origin=np.append(networks["origin"].to_numpy(), -1)[net],
        net_transit=np.append(networks["transit"].to_numpy().astype(object), "")[net],
    )
    _, offsets = cover_texts(tactics)
    parts = []
    for t in np.unique(rows["tactic"].to_numpy()):
        part = rows[rows["tactic"].to_numpy() == t]
        fields = disguise.route_fields(rng, tactics[t], part)
        fields |= disguise.anomaly_fields(rng, tactics[t], len(part), int(offsets[t]))
        parts.append(part.assign(**fields))
    return pd.concat(parts).sort_index().drop(columns=["net_origin", "net_transit"])


def _declarants(
    rng: np.random.Generator, rows: pd.DataFrame, traders: pd.DataFrame, sizes: np.ndarray
) -> np.ndarray:
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
            "origin": origin,
            "consignment": origin,
            "destination": np.full(count, home, dtype=np.int16),
            "transit": networks["transit"].to_numpy()[net],
            "mode": np.full(count, geo.SEA, dtype=np.int8),
        }
    )
    frame["office"] = routes.offices(
        rng, frame["mode"].to_numpy(), traders["office"].to_numpy()[trader]
    )
    frame["declarant"] = traders["declarant0"].to_numpy()[trader].astype(np.int32)
    return frame.assign(**skeleton_defaults(count))


def build_illicit(
    config: WorldConfig,
    tactics: tuple[Tactic, ...],
    *,
    counts: np.ndarray,
    chapter_of_code: np.ndarray,
    code_ids: dict[str, int],
    population: Population,
    calendar: Calendar,
    timing: illicit.Timing,
    rng: np.random.Generator,
) -> Illicit:
    """Every illicit shipment of the given tactics, plus the front companies' test shipments."""
    tactic = np.repeat(np.arange(len(tactics)), counts).astype(np.int16)
    rows = pd.DataFrame(
        {
            "tactic": tactic,
            "day": illicit.sample_days(rng, calendar, timing, tactic),
            "source": illicit.trader_sources(rng, tactics, tactic, config),
        }
    )
    networks = _network_params(
        rng, illicit.plan_networks(rng, rows, config, timing, calendar), tactics, code_ids
    )
    rows["network"] = smugglers.assign_networks(rng, rows, networks)
    rows["hs"] = _codes(rng, rows, tactics, code_ids, networks)
    trader, day, added = smugglers.traders_and_days(
        rng, rows, networks, chapter_of_code[rows["hs"].to_numpy()], population, calendar, timing
    )
    split_share = np.array([t.split_share for t in tactics])[tactic]
    split_share += np.where(rows["network"] >= 0, _NETWORK_SPLIT, 0.0)
    rows = _split(rng, rows.assign(trader=trader, day=day), split_share, calendar.days)
    traders = pd.concat([population.traders, added], ignore_index=True)
    rows = _finish(rng, _dress(rng, rows, tactics, networks), traders, population.declarant_sizes)
    tests = _front_tests(rng, networks, traders, len(population.traders), calendar.days)
    skeleton = pd.concat([rows, tests[rows.columns]], ignore_index=True)
    return Illicit(skeleton=skeleton, traders=added, networks=networks)


def _finish(
    rng: np.random.Generator, rows: pd.DataFrame, traders: pd.DataFrame, sizes: np.ndarray
) -> pd.DataFrame:
    """Office, broker and the neutral modifier columns of dressed illicit rows."""
    rows = rows.drop(columns=["source"])
    preferred = traders["office"].to_numpy()[rows["trader"].to_numpy()]
    rows["office"] = routes.offices(rng, rows["mode"].to_numpy(), preferred)
    rows["declarant"] = _declarants(rng, rows, traders, sizes)
    defaults = skeleton_defaults(len(rows))
    return rows.assign(**{k: v for k, v in defaults.items() if k not in rows})
