"""Where goods come from and go to, as seen by the reporting administration.

The default reporting country is Malaysia: a large container port pair (Port Klang, Tanjung
Pelepas) and an air cargo hub that sit on the documented routes of all three regimes (plastic
waste after China's 2018 ban, HFC and HCFC imports from China, pangolin scale and ivory transit,
rosewood transhipment to China, reptiles exported to India). Partner weights are our estimates
of the shape of its trade, not official statistics.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from data_contracts import reference

HOME = "MY"
TRANSPORT_MODES = ("sea", "air", "road", "rail", "post")
SEA, AIR, ROAD, RAIL, POST = range(5)
FLOWS = ("import", "export", "transit")
IMPORT, EXPORT, TRANSIT = range(3)

#: Customs offices by transport mode: (code, weight).
OFFICES: dict[int, tuple[tuple[str, float], ...]] = {
    SEA: (("MYPKG", 0.55), ("MYTPP", 0.22), ("MYPEN", 0.13), ("MYKCH", 0.05), ("MYBTU", 0.05)),
    AIR: (("MYKUL", 0.82), ("MYPEN", 0.12), ("MYBKI", 0.06)),
    ROAD: (("MYBKH", 0.45), ("MYJHB", 0.45), ("MYRAN", 0.10)),
    RAIL: (("MYPBR", 0.7), ("MYJHB", 0.3)),
    POST: (("MYKUL", 0.7), ("MYPEN", 0.3)),
}

#: Trading partners of the home country with weights (estimates); others share a small tail.
PARTNERS: dict[str, float] = {
    "CN": 20.0,
    "SG": 9.0,
    "US": 7.0,
    "JP": 6.5,
    "TH": 5.5,
    "ID": 5.0,
    "TW": 5.0,
    "KR": 4.0,
    "IN": 3.5,
    "VN": 4.0,
    "DE": 3.0,
    "AU": 3.0,
    "HK": 2.0,
    "PH": 2.0,
    "GB": 1.5,
    "FR": 1.0,
    "IT": 1.0,
    "NL": 1.2,
    "AE": 1.5,
    "SA": 1.0,
    "BR": 0.8,
    "MX": 0.4,
    "CA": 0.6,
    "NZ": 0.6,
    "BD": 0.6,
    "PK": 0.4,
    "LK": 0.3,
    "MM": 0.4,
    "KH": 0.3,
    "TR": 0.5,
    "ES": 0.5,
    "BE": 0.5,
    "CH": 0.6,
    "SE": 0.3,
    "PL": 0.3,
    "RU": 0.4,
    "ZA": 0.3,
    "EG": 0.2,
    "NG": 0.2,
    "KE": 0.1,
}

#: Countries that can be reached by road (and rail) from the home country.
LAND_NEIGHBOURS = ("TH", "SG")
RAIL_NEIGHBOURS = ("TH",)
#: Transhipment hubs that appear in ordinary routes (legitimate trade uses them too).
HUBS = ("SG", "HK", "AE", "LK", "CN", "KR", "NL", "TR", "KE", "TZ", "QA")
HUB_WEIGHTS = (0.34, 0.18, 0.14, 0.08, 0.07, 0.05, 0.04, 0.03, 0.03, 0.02, 0.02)

#: Supplier countries by chapter that widen the partner mix (estimates); tactic origins are
#: added to these in `catalogue`, so legitimate trade exists on every smuggling route.
CHAPTER_SUPPLIERS: dict[str, tuple[str, ...]] = {
    "03": ("TH", "VN", "ID", "IN", "CN", "NO", "MR", "SN", "MZ", "TZ", "KE", "ES", "TW"),
    "02": ("AU", "IN", "BR", "NZ", "US"),
    "08": ("CN", "TH", "AU", "US", "ZA", "CI", "GH", "VN", "TZ", "MZ", "NG"),
    "12": ("IN", "CN", "US", "BR", "ET", "SD", "NG", "TZ", "UG", "MZ", "KE", "SN", "BF", "ML"),
    "15": ("ID", "TH", "AR", "BR"),
    "18": ("CI", "GH", "NG", "CM", "EC", "ID"),
    "44": ("ID", "PG", "NZ", "CM", "GA", "CG", "MG", "MZ", "CD", "SN", "GH", "NG", "BJ", "US"),
    "47": ("US", "JP", "GB", "AU", "DE", "NL"),
    "72": ("US", "JP", "AU", "GB", "NL", "BE", "SG", "HK"),
    "39": ("CN", "SG", "TH", "KR", "SA", "US", "JP", "DE", "GB", "AU", "CA"),
    "63": ("US", "GB", "KR", "JP", "AU", "DE", "NL", "BE"),
    "69": ("CN", "ES", "IT", "TH", "KE", "TZ", "UG"),
    "97": ("GB", "FR", "US", "CN", "ZA", "MZ", "KE", "TZ"),
}


@cache
def countries() -> tuple[str, ...]:
    """Every ISO-2 code the contracts accept, sorted: country arrays index into this."""
    return tuple(sorted(reference.country_codes()))


@cache
def country_index() -> dict[str, int]:
    """Position of each ISO-2 code in `countries()`."""
    return {code: i for i, code in enumerate(countries())}


def codes_to_index(codes: tuple[str, ...] | list[str]) -> np.ndarray:
    """Country indices of ISO-2 codes (unknown region tokens are dropped)."""
    index = country_index()
    return np.array([index[code] for code in codes if code in index], dtype=np.int16)


@cache
def partner_weights() -> np.ndarray:
    """Weight of each country as a trading partner (home excluded), summing to one."""
    weights = np.full(len(countries()), 0.02)
    for code, weight in PARTNERS.items():
        weights[country_index()[code]] = weight
    weights[country_index()[HOME]] = 0.0
    weights[country_index()["AQ"]] = 0.0
    return weights / weights.sum()


def chapter_partner_weights(chapter: str, extra: tuple[str, ...] = ()) -> np.ndarray:
    """Partner weights for one chapter: the general mix widened by its known suppliers."""
    suppliers = tuple(dict.fromkeys(CHAPTER_SUPPLIERS.get(chapter, ()) + extra))
    base = partner_weights()
    if not suppliers:
        return base
    boost = np.zeros_like(base)
    boost[codes_to_index(suppliers)] = 1.0
    boost[country_index()[HOME]] = 0.0
    mixed = 0.55 * base + 0.45 * boost / boost.sum()
    return mixed / mixed.sum()
