"""Turn skeleton rows and their filled-in columns into the canonical declaration frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data_contracts.schemas import DECLARATION_COLUMNS, PANDAS_DTYPES
from simulation import geography as geo
from simulation import permits, physics, routes, text
from simulation.calendar import Calendar

_SUFFIXES = np.array(["00", "00", "10", "90", "20", "0000", "", ""], dtype=object)
_SUFFIX_P = np.array([0.4, 0.15, 0.15, 0.1, 0.05, 0.05, 0.05, 0.05])


@dataclass(frozen=True)
class Context:
    """Everything the fill step reads besides the skeleton."""

    catalogue: pd.DataFrame
    traders: pd.DataFrame
    trader_price: np.ndarray
    licences: np.ndarray
    calendar: Calendar
    phrases: text.PhraseTable
    covers: tuple[str, ...]
    code_covers: dict[int, tuple[str, ...]]
    sigma: float


def fill(rng: np.random.Generator, skeleton: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    """Physical columns, permit reference and description for each skeleton row."""
    phys = physics.physical_columns(
        rng, skeleton, ctx.catalogue, ctx.traders, ctx.trader_price, ctx.calendar, ctx.sigma
    )
    phys["permit_reference"] = permits.permit_references(
        rng, skeleton, ctx.catalogue, ctx.calendar, ctx.licences
    )
    described, vague = text.descriptions(
        rng, skeleton, ctx.phrases, phys["quantity"].to_numpy(), ctx.covers, ctx.code_covers
    )
    phys["goods_description"] = described.to_numpy()
    phys["vague"] = vague
    return phys


def _names(values: np.ndarray, names: tuple[str, ...] | list[str]) -> np.ndarray:
    return np.asarray(names, dtype=object)[values]


def declarations(
    rng: np.random.Generator,
    skeleton: pd.DataFrame,
    filled: pd.DataFrame,
    ctx: Context,
    trader_ids: np.ndarray,
    declarant_ids: np.ndarray,
) -> pd.DataFrame:
    """The canonical declarations frame (same row order as the skeleton)."""
    countries = geo.countries()
    hs6 = ctx.catalogue["hs6"].to_numpy()[skeleton["hs"].to_numpy()]
    suffix = _SUFFIXES[rng.choice(len(_SUFFIXES), len(skeleton), p=_SUFFIX_P)]
    frame = pd.DataFrame(
        {
            "declaration_date": ctx.calendar.to_datetime(skeleton["day"].to_numpy()),
            "flow": _names(skeleton["flow"].to_numpy(), geo.FLOWS),
            "customs_office": _names(skeleton["office"].to_numpy(), routes.office_codes()),
            "trader_id": trader_ids[skeleton["trader"].to_numpy()],
            "declarant_id": declarant_ids[skeleton["declarant"].to_numpy()],
            "hs_code": hs6 + suffix,
            "goods_description": filled["goods_description"].to_numpy(),
            "origin_country": _names(skeleton["origin"].to_numpy(), countries),
            "consignment_country": _names(skeleton["consignment"].to_numpy(), countries),
            "transit_countries": skeleton["transit"].to_numpy(),
            "destination_country": _names(skeleton["destination"].to_numpy(), countries),
            "transport_mode": _names(skeleton["mode"].to_numpy(), geo.TRANSPORT_MODES),
            "container_count": filled["container_count"].to_numpy(),
            "gross_weight_kg": filled["gross_weight_kg"].to_numpy(),
            "net_weight_kg": filled["net_weight_kg"].to_numpy(),
            "quantity": filled["quantity"].to_numpy(),
            "quantity_unit": _names(filled["unit"].to_numpy(), physics.QUANTITY_UNITS),
            "customs_value_usd": filled["customs_value_usd"].to_numpy(),
            "permit_reference": filled["permit_reference"].to_numpy(),
        }
    )
    frame.insert(0, "declaration_id", skeleton["declaration_id"].to_numpy())
    return canonical(frame, DECLARATION_COLUMNS)


def canonical(frame: pd.DataFrame, columns: tuple) -> pd.DataFrame:
    """Columns in canonical order with canonical dtypes."""
    dtypes = {column.name: PANDAS_DTYPES[column.type] for column in columns}
    return frame[list(dtypes)].astype(dtypes)


def declaration_ids(rng: np.random.Generator, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row order by date (random within a day) and ids numbered in that order."""
    order = np.lexsort((rng.random(len(day)), day))
    numbers = pd.Series(np.arange(1, len(day) + 1)).astype("str").str.zfill(9)
    return order, ("D" + numbers).to_numpy(dtype=object)
