"""Weights, containers, quantities and values of each declaration from its skeleton.

Containers carry up to their payload (20 ft 28.2 t, 40 ft 26.7 t, `magnitudes.csv`): dense goods
fill them by weight, light goods by volume. Air and post consignments are small, bulk carriers
and ro-ro vessels carry whole parcels and vehicles. Unit values are log-normal around the code's
reference with a slow trend, a season and a persistent per-trader price level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_contracts import reference
from simulation import geography as geo
from simulation.calendar import Calendar
from simulation.trade import ROUNDED, WEIGHT_TYPO

QUANTITY_UNITS = ("kg", "l", "m3", "u", "pair", "m2")
_MAGNITUDES_PAYLOAD = "container_20ft_payload"
_TRADER_PRICE_SIGMA = 0.25
#: Personal-effects caps in kg of product (CITES Res. Conf. 13.7: caviar 125 g; estimates else).
PERSONAL_CAPS = {"160431": 0.125, "051191": 0.1, "300490": 2.0}


def _payload() -> float:
    return float(reference.magnitudes().loc[_MAGNITUDES_PAYLOAD, "typical"])


def _container_loads(
    rng: np.random.Generator, load: np.ndarray, load_mult: np.ndarray
) -> np.ndarray:
    """Cargo kg per container: near payload for dense goods, never above it unless tampered."""
    payload = _payload()
    kg = 0.94 * payload * load * rng.lognormal(0.0, 0.15, len(load)) * load_mult
    cap = np.where(load_mult > 1.0, payload * 1.1, payload * 0.985)
    return np.clip(kg, 300.0, cap)


def _units_goods(rng: np.random.Generator, n: int, size: np.ndarray) -> np.ndarray:
    return 1 + rng.poisson(1.2 * size**0.3, n)


def gross_weights(
    rng: np.random.Generator, skeleton: pd.DataFrame, catalogue: pd.DataFrame, size: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gross kg, container count and (for vehicles and the like) the number of units."""
    hs, mode = skeleton["hs"].to_numpy(), skeleton["mode"].to_numpy()
    n = len(hs)
    load, bulk = catalogue["load"].to_numpy()[hs], catalogue["bulk"].to_numpy()[hs]
    kpu = catalogue["kg_per_unit"].to_numpy()[hs]
    unit_goods = (catalogue["unit"].to_numpy()[hs] == "u") & (kpu >= 500)
    sea = mode == geo.SEA
    u = rng.random(n)
    is_bulk = sea & (u < bulk)
    lcl = sea & ~is_bulk & (rng.random(n) < 0.18)
    containers = np.where(
        sea & ~is_bulk & ~lcl, 1 + np.minimum(rng.poisson(0.5 + 0.45 * np.log(size), n), 30), 0
    )
    containers = np.where(mode == geo.RAIL, 1 + (rng.random(n) < 0.4), containers)
    road_box = (mode == geo.ROAD) & (rng.random(n) < 0.3)
    containers = np.where(road_box, 1, containers)
    per_box = _container_loads(rng, load, skeleton["load_mult"].to_numpy())
    gross = np.where(containers > 0, containers * per_box, 0.0)
    gross = np.where(lcl, np.clip(rng.lognormal(np.log(2500 * load), 0.9, n), 20, 15_000), gross)
    gross = np.where(is_bulk, np.clip(rng.lognormal(np.log(8e6), 0.8, n), 2e5, 6e7), gross)
    road = (mode == geo.ROAD) & ~road_box
    gross = np.where(road, np.clip(rng.lognormal(np.log(2e4 * load), 0.5, n), 100, 27_500), gross)
    gross = np.where(
        mode == geo.AIR, np.clip(rng.lognormal(np.log(180), 1.3, n), 0.3, 40_000), gross
    )
    gross = np.where(mode == geo.POST, np.clip(rng.lognormal(np.log(1.2), 0.9, n), 0.05, 30), gross)
    units = np.where(unit_goods, _units_goods(rng, n, size), 0)
    units = np.where(unit_goods & (containers > 0), containers * rng.integers(1, 4, n), units)
    ratio = catalogue["net_ratio"].to_numpy()[hs]
    unit_gross = (
        units * kpu * rng.lognormal(0.0, 0.08, n) * skeleton["unit_mass_mult"].to_numpy() / ratio
    )
    gross = np.where(unit_goods, unit_gross, gross)
    containers = np.where(unit_goods & is_bulk, 0, containers)  # ro-ro
    return gross, containers.astype(np.int64), units


def _small_and_split(
    rng: np.random.Generator,
    skeleton: pd.DataFrame,
    catalogue: pd.DataFrame,
    gross: np.ndarray,
    containers: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Personal-effects consignments just under the cap; split parts of a larger consignment."""
    n = len(gross)
    hs6 = catalogue["hs6"].to_numpy()[skeleton["hs"].to_numpy()]
    caps = pd.Series(hs6).map(PERSONAL_CAPS).fillna(1.0).to_numpy()
    ratio = catalogue["net_ratio"].to_numpy()[skeleton["hs"].to_numpy()]
    capped = skeleton["cap"].to_numpy()
    gross = np.where(capped, caps * rng.uniform(0.8, 0.995, n) / ratio, gross)
    split = skeleton["split"].to_numpy()
    factor = rng.uniform(0.3, 0.6, n)
    gross = np.where(split, gross * factor, gross)
    containers = np.where(
        split & (containers > 1), np.maximum(1, np.round(containers * factor)), containers
    )
    typo = skeleton["error"].to_numpy() == WEIGHT_TYPO
    return np.where(typo, gross * 10.0, gross), containers.astype(np.int64)


def quantities(
    rng: np.random.Generator,
    skeleton: pd.DataFrame,
    catalogue: pd.DataFrame,
    net: np.ndarray,
    units: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Quantity in the code's supplementary unit and the unit's index in QUANTITY_UNITS."""
    hs = skeleton["hs"].to_numpy()
    unit = catalogue["unit"].to_numpy()[hs]
    kpu = catalogue["kg_per_unit"].to_numpy()[hs] * skeleton["unit_mass_mult"].to_numpy()
    n = len(hs)
    counted = np.isin(unit, ["u", "pair"])
    per = kpu * np.where(counted, rng.lognormal(0.0, 0.25, n), rng.lognormal(0.0, 0.08, n))
    per = np.where(unit == "kg", 1.0, per)
    qty = np.where(counted, np.maximum(1.0, np.round(net / per)), np.round(net / per, 3))
    qty = np.where(units > 0, units, qty)
    index = {name: i for i, name in enumerate(QUANTITY_UNITS)}
    return qty, pd.Series(unit).map(index).to_numpy().astype(np.int8)


def unit_values(
    rng: np.random.Generator,
    skeleton: pd.DataFrame,
    catalogue: pd.DataFrame,
    trader_price: np.ndarray,
    calendar: Calendar,
    sigma: float,
) -> np.ndarray:
    """USD per kg: reference x trend x season x trader level x noise x the row's multiplier."""
    hs, day = skeleton["hs"].to_numpy(), skeleton["day"].to_numpy()
    month = calendar.month_of_year(day)
    cat = catalogue
    trend = np.exp(cat["trend"].to_numpy()[hs] * calendar.years(day))
    season = 1.0 + cat["season_amp"].to_numpy()[hs] * np.sin(
        2 * np.pi * month / 12 + cat["season_phase"].to_numpy()[hs]
    )
    row_sigma = np.sqrt(max(sigma**2 - _TRADER_PRICE_SIGMA**2, 0.01))
    noise = rng.lognormal(0.0, row_sigma, len(hs))
    level = trader_price[skeleton["trader"].to_numpy()]
    return (
        cat["uv"].to_numpy()[hs]
        * trend
        * season
        * level
        * noise
        * skeleton["value_mult"].to_numpy()
    )


def trader_price_levels(rng: np.random.Generator, count: int) -> np.ndarray:
    """Each trader's persistent price level (suppliers, contracts, transfer pricing)."""
    return rng.lognormal(0.0, _TRADER_PRICE_SIGMA, count)


def physical_columns(
    rng: np.random.Generator,
    skeleton: pd.DataFrame,
    catalogue: pd.DataFrame,
    traders: pd.DataFrame,
    trader_price: np.ndarray,
    calendar: Calendar,
    sigma: float,
) -> pd.DataFrame:
    """container_count, weights, quantity, unit and customs value of every skeleton row."""
    size = np.maximum(traders["size"].to_numpy()[skeleton["trader"].to_numpy()], 1.0)
    gross, containers, units = gross_weights(rng, skeleton, catalogue, size)
    gross, containers = _small_and_split(rng, skeleton, catalogue, gross, containers)
    gross = np.maximum(np.round(gross, 1), 0.1)
    ratio = catalogue["net_ratio"].to_numpy()[skeleton["hs"].to_numpy()]
    net = np.minimum(
        np.maximum(np.round(gross * ratio * rng.uniform(0.97, 1.0, len(gross)), 1), 0.1), gross
    )
    typo = skeleton["error"].to_numpy() == WEIGHT_TYPO
    net = np.where(typo, np.minimum(net / 10.0, gross), net)
    qty, unit = quantities(rng, skeleton, catalogue, net, units)
    value = unit_values(rng, skeleton, catalogue, trader_price, calendar, sigma) * net
    rounded = skeleton["error"].to_numpy() == ROUNDED
    value = np.where(rounded, np.round(value, -2), np.round(value, 2))
    gross = np.where(rounded & (gross > 1000), np.maximum(np.round(gross, -2), net), gross)
    return pd.DataFrame(
        {
            "container_count": containers,
            "gross_weight_kg": gross,
            "net_weight_kg": net,
            "quantity": qty,
            "unit": unit,
            "customs_value_usd": np.maximum(value, 0.0),
        },
        index=skeleton.index,
    )
