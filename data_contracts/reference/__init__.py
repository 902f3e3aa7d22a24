"""Reference tables shipped inside the package (see `reference/SOURCES.md`).

These are read-only facts (HS 2022, regimes, routes, magnitudes, country codes), loaded once and
cached; they are part of the code, not run inputs.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

_PACKAGE = __name__


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
