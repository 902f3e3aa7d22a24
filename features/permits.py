"""Permit family: the declared reference checked against the permit register, as of the date.

A register row counts for a declaration dated t only if the register knew it before t
(`recorded_on < t`); a cancellation counts from the day after `cancelled_on`. Usage totals come
from the history states (`history.STATES`: quantities declared under the reference, traders
that quoted it, ODS/HFC imports per country and year), so they see only earlier days; the
declaration's own quantity is added, since it is on the declaration itself.

Neutral values (False, 0) wherever the check does not apply: no reference declared, a reference
the register does not know (only `permit_unknown` speaks then), or no register at all (so an
office without a register gets no false alarms). The count of traders quoting a reference needs
no register: it comes from the declarations alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_contracts.schemas import PANDAS_DTYPES, PERMIT_COLUMNS, QUOTA_KIND
from features.prepare import day_numbers

PERMIT_FEATURES = (
    "permit_unknown",
    "permit_not_valid_on_date",
    "permit_holder_mismatch",
    "permit_hs_outside",
    "permit_quantity_used_share",
    "permit_quantity_exceeded",
    "permit_holder_count",
    "permit_reused_by_holders",
    "ods_quota_used_share",
    "ods_quota_exceeded",
)

#: The declaration columns the register checks read.
_ROW_COLUMNS = ("day", "trader_id", "hs6", "quantity_unit", "net_weight_kg", "quantity")


def empty_register() -> pd.DataFrame:
    """A register with its canonical columns and no rows (no register at all)."""
    dtypes = {column.name: PANDAS_DTYPES[column.type] for column in PERMIT_COLUMNS}
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in dtypes.items()})


def _days(dates: pd.Series, missing: int) -> np.ndarray:
    days = day_numbers(dates.fillna(pd.Timestamp("1970-01-01")))
    return np.where(dates.isna().to_numpy(), missing, days)


def _known_rows(prepared: pd.DataFrame, register: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose reference the register knew before their date, and its register position."""
    index = pd.Index(register["permit_reference"].astype("str").str.strip())
    quoted = np.flatnonzero((prepared["permit_ref"] != "").to_numpy())
    position = index.get_indexer(prepared["permit_ref"].to_numpy()[quoted])
    rows, position = quoted[position >= 0], position[position >= 0]
    keep = _days(register["recorded_on"], 0)[position] < prepared["day"].to_numpy()[rows]
    return rows[keep], position[keep]


def _hs_outside(hs6: np.ndarray, register: pd.DataFrame, position: np.ndarray) -> np.ndarray:
    """Whether each declared HS6 matches none of its permit's HS4/HS6 prefixes.

    Compared as integers (permit position * 10^6 + code), one set per prefix length.
    """
    used = np.unique(position)  # only the permits quoted: often far fewer than the register
    codes = register["hs_codes"].iloc[used].astype("str").set_axis(used).str.split(";").explode()
    codes = codes[codes.str.len() > 0]
    owner = codes.index.to_numpy(dtype=np.int64) * 1_000_000
    number = codes.astype("int64").to_numpy()
    six = (codes.str.len() == 6).to_numpy()
    row = position.astype(np.int64) * 1_000_000
    covered = np.isin(row + hs6, owner[six] + number[six])
    covered |= np.isin(row + hs6 // 100, owner[~six] + number[~six])
    return ~covered


def _quantity_share(rows: pd.DataFrame, state: pd.DataFrame, at: pd.DataFrame) -> np.ndarray:
    """Quantity declared under the reference before the date plus this one, over the allowed
    (in the permit's unit: net kg for a permit in kg, else the quantity in that unit)."""
    allowed = at["quantity_allowed"].to_numpy(dtype=float, na_value=0.0)
    unit = at["unit"].astype("str").to_numpy()
    in_kg = unit == "kg"
    same_unit = rows["quantity_unit"].astype("str").to_numpy() == unit
    used = np.where(
        in_kg,
        state["permit_use__net_kg"].to_numpy() + rows["net_weight_kg"].to_numpy(float, na_value=0),
        state["permit_use_unit__quantity"].to_numpy()
        + rows["quantity"].to_numpy(float, na_value=0),
    )
    countable = (in_kg | same_unit) & (allowed > 0)
    return np.where(countable, used / np.where(allowed > 0, allowed, 1.0), 0.0)


def _quota_share(prepared: pd.DataFrame, state: pd.DataFrame, quotas: pd.DataFrame) -> np.ndarray:
    """ODS/HFC kg imported into the country this year before the date plus this one, over the
    country's quota for the year as the register knew it before the date (0 without a quota)."""
    ods_import = ((prepared["category"] == "ods") & (prepared["flow"] == "import")).to_numpy()
    if quotas.empty or not ods_import.any():
        return np.zeros(len(prepared))
    table = pd.DataFrame({
        "destination_country": quotas["issuing_country"].astype("str").to_numpy(),
        "year": quotas["valid_from"].dt.year.to_numpy(dtype=np.int64),
        "recorded": _days(quotas["recorded_on"], 0),
        "allowed": quotas["quantity_allowed"].to_numpy(dtype=float),
    })  # fmt: skip
    at = np.flatnonzero(ods_import)
    rows = prepared[["destination_country", "year", "day"]].iloc[at].assign(index=at)
    joined = rows.merge(table, how="inner")
    joined = joined[joined["recorded"] < joined["day"]]
    allowed = np.zeros(len(prepared))
    np.add.at(allowed, joined["index"].to_numpy(), joined["allowed"].to_numpy())
    net_kg = prepared["net_weight_kg"].to_numpy(dtype=float, na_value=0.0)
    used = state["ods_imports__net_kg"].to_numpy() + net_kg
    return np.where(ods_import & (allowed > 0), used / np.where(allowed > 0, allowed, 1.0), 0.0)


def _register_checks(prepared: pd.DataFrame, state: pd.DataFrame, register: pd.DataFrame) -> dict:
    """Validity, holder, HS and quantity checks of the rows whose reference the register knew."""
    n = len(prepared)
    out = {name: np.zeros(n, dtype=bool) for name in ("known", "not_valid", "holder", "hs")}
    out["share"] = np.zeros(n)
    rows, position = _known_rows(prepared, register)
    if not len(rows):
        return out
    at = register.iloc[position].reset_index(drop=True)
    mine = prepared[list(_ROW_COLUMNS)].iloc[rows].reset_index(drop=True)
    day = mine["day"].to_numpy()
    cancelled = _days(at["cancelled_on"], np.iinfo(np.int64).max)
    holder = at["holder_id"].astype("str").fillna("").to_numpy()
    out["known"][rows] = True
    out["not_valid"][rows] = (
        (day < _days(at["valid_from"], 0)) | (day > _days(at["valid_to"], 0)) | (cancelled < day)
    )
    out["holder"][rows] = (holder != "") & (holder != mine["trader_id"].astype("str").to_numpy())
    out["hs"][rows] = _hs_outside(mine["hs6"].to_numpy(), register, position)
    used = state[["permit_use__net_kg", "permit_use_unit__quantity"]].iloc[rows]
    out["share"][rows] = _quantity_share(mine, used.reset_index(drop=True), at)
    return out


def permit_features(
    prepared: pd.DataFrame, state: pd.DataFrame, permits: pd.DataFrame, expected: np.ndarray
) -> pd.DataFrame:
    """The permit features of every row (see the module docstring for what each one sees)."""
    quota = permits["kind"].astype("str").to_numpy() == QUOTA_KIND
    register = permits[~quota].reset_index(drop=True)
    declared = (prepared["permit_ref"] != "").to_numpy()
    checks = _register_checks(prepared, state, register)
    new_user = state["permit_trader__n"].to_numpy() == 0
    holders = np.where(declared, state["permit_holders__n"].to_numpy() + new_user, 0)
    quota_share = _quota_share(prepared, state, permits[quota])
    return pd.DataFrame(
        {
            "permit_unknown": declared & expected & ~checks["known"] & (len(register) > 0),
            "permit_not_valid_on_date": checks["not_valid"],
            "permit_holder_mismatch": checks["holder"],
            "permit_hs_outside": checks["hs"],
            "permit_quantity_used_share": checks["share"],
            "permit_quantity_exceeded": checks["share"] > 1.0,
            "permit_holder_count": holders.astype(np.int64),
            "permit_reused_by_holders": holders >= 2,
            "ods_quota_used_share": quota_share,
            "ods_quota_exceeded": quota_share > 1.0,
        }
    )
