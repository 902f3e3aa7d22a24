"""Reference tables shipped inside the package (see `reference/SOURCES.md`).

These are read-only facts (HS 2022 and HS 2017, their correlation, regimes, routes, magnitudes,
country codes), loaded once and cached; they are part of the code, not run inputs.
"""

from __future__ import annotations

import datetime
from functools import cache
from importlib import resources

import pandas as pd

_PACKAGE = __name__
#: First day HS 2022 applied (WCO); declarations dated before it carry HS 2017 codes.
HS2022_IN_FORCE = datetime.date(2022, 1, 1)
#: An HS 2022 subheading the correlation links from more HS 2017 subheadings than this is a
#: catch-all: any electrical good may end as e-waste (8549.21-99, 1,019 links), a display
#: (8524, 483) or a semiconductor (8541.51/59, 157); the next largest has 16.
CATCH_ALL_LINKS = 100


def _read_csv(name: str, **kwargs: object) -> pd.DataFrame:
    with resources.files(_PACKAGE).joinpath(name).open("rb") as handle:
        return pd.read_csv(handle, encoding="utf-8-sig", keep_default_na=False, **kwargs)


@cache
def hs2022_nomenclature() -> pd.DataFrame:
    """The HS 2022 nomenclature: `section, hscode, description, parent, level` (codes as text)."""
    return _read_csv("hs2022_nomenclature.csv", dtype=str)


@cache
def hs6_subheadings() -> frozenset[str]:
    """Every six-digit HS 2022 subheading (not Comtrade's 999999 'not specified' total)."""
    table = hs2022_nomenclature()
    codes = table.loc[(table["level"] == "6") & (table["section"] != "TOTAL"), "hscode"]
    return frozenset(codes[codes.str.len() == 6])


@cache
def hs2017_nomenclature() -> pd.DataFrame:
    """The HS 2017 nomenclature: `hscode, description, parent, level` (codes as text)."""
    return _read_csv("hs2017_nomenclature.csv", dtype=str)


@cache
def hs2017_subheadings() -> frozenset[str]:
    """Every six-digit HS 2017 subheading."""
    table = hs2017_nomenclature()
    codes = table.loc[table["level"] == "6", "hscode"]
    return frozenset(codes[codes.str.len() == 6])


@cache
def hs2022_hs2017_correlation() -> pd.DataFrame:
    """UNSD's HS 2022-HS 2017 correlation: `hs2022, hs2017, relationship` (1:1, n:1, 1:n, n:n)."""
    return _read_csv("hs2022_hs2017_correlation.csv", dtype=str)


@cache
def hs2017_to_hs2022() -> dict[str, tuple[str, ...]]:
    """The HS 2022 subheadings each HS 2017-only subheading became, sorted.

    Catch-all links (`CATCH_ALL_LINKS`) are left out, so HS 2017 8548.10 (waste cells and
    batteries) becomes 8549.11-19, not every e-waste and display subheading. Codes in both
    editions are not keys: they keep their own code. Two HS 2017-only codes map to nothing and
    keep their own: 3002.19, which the table does not list, and 8541.50 (other semiconductor
    devices), which it links only to the e-waste catch-all.
    """
    table = hs2022_hs2017_correlation()
    table = table[table["hs2022"].isin(hs6_subheadings())]
    only_2017 = hs2017_subheadings() - hs6_subheadings()
    fan_in = table.groupby("hs2022")["hs2017"].transform("nunique")
    links = table.assign(catch_all=fan_in > CATCH_ALL_LINKS)
    out: dict[str, tuple[str, ...]] = {}
    for code, rows in links[links["hs2017"].isin(only_2017)].groupby("hs2017"):
        specific = sorted(set(rows.loc[~rows["catch_all"], "hs2022"]))
        if specific:
            out[str(code)] = tuple(specific)
    return out


@cache
def hs6_descriptions() -> dict[str, str]:
    """HS 2022 description of each six-digit subheading."""
    table = hs2022_nomenclature()
    rows = table[table["level"] == "6"]
    return dict(zip(rows["hscode"], rows["description"], strict=True))


@cache
def hs_codes() -> pd.DataFrame:
    """The HS codes by environmental regime: `hs6, category, subcategory, description, ...`."""
    return _read_csv("hs_codes.csv", dtype=str)


@cache
def routes() -> pd.DataFrame:
    """Documented trafficking routes with pipe-separated ISO-2 origin/transit/destination lists."""
    return _read_csv("routes.csv", dtype=str)


@cache
def magnitudes() -> pd.DataFrame:
    """Magnitudes for the simulated world (`metric, low, typical, high, ...`), indexed by metric."""
    table = _read_csv("magnitudes.csv")
    return table.set_index("metric")


@cache
def misdeclaration_pairs() -> pd.DataFrame:
    """Documented declared-versus-actual HS code pairs."""
    return _read_csv("misdeclaration_pairs.csv", dtype=str)


@cache
def risk_indicators() -> pd.DataFrame:
    """Risk indicators from enforcement checklists."""
    return _read_csv("risk_indicators.csv", dtype=str)


@cache
def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes accepted by the contracts."""
    return frozenset(_read_csv("iso3166_alpha2.csv", dtype=str)["alpha2"])
