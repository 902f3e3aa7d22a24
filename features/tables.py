"""Reference tables the features need: routes and regimes from `data_contracts.reference`, plus
small dated tables defined here (import bans, permit rules, personal-effects caps, regions).

Everything is built lazily by cached functions, never at import time. Sources are the keys of
`data_contracts/reference/REFERENCE.md` (section 9); "general knowledge" marks facts that the
reference names without a primary source, "estimate" marks our own judgement.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from data_contracts import reference


def _iso(codes: str) -> frozenset[str]:
    return frozenset(codes.split())


#: Region tokens used in `routes.csv` (tokens starting "R:"), as ISO-2 members (general knowledge).
REGIONS: dict[str, frozenset[str]] = {
    "R:EU": _iso("AT BE BG HR CY CZ DK EE FI FR DE GR IE IT LV LT LU MT NL PL PT RO SK SI ES SE"),
    "R:ASIA": _iso(
        "AF AM AZ BH BD BT BN KH CN GE HK IN ID IR IQ IL JP JO KZ KW KG LA LB MO MY MV MN MM NP "
        "KP OM PK PS PH QA SA SG KR LK SY TW TJ TH TL TR TM AE UZ VN YE"
    ),
    "R:AFRICA": _iso(
        "DZ AO BJ BW BF BI CV CM CF TD KM CG CD CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY "
        "MG MW ML MR MU MA MZ NA NE NG RW ST SN SC SL SO ZA SS SD TZ TG TN UG ZM ZW"
    ),
}


@dataclass(frozen=True)
class ImportBan:
    """A destination's ban on importing some goods, in force from `start` (inclusive)."""

    destinations: frozenset[str]
    hs_prefixes: tuple[str, ...]
    subcategories: frozenset[str]
    start: str
    end: str | None
    goods: str
    source: str


_ALL_SOLID_WASTE = frozenset(
    {
        "plastic_waste", "paper_waste", "ferrous_scrap", "nonferrous_scrap", "textile_waste",
        "slag_ash", "glass_waste", "tyres_rubber", "e_waste", "e_waste_batteries",
        "e_waste_legacy_code", "municipal_waste", "chemical_waste", "sewage_sludge",
        "precious_metal_residue",
    }
)  # fmt: skip
_BANNED_ODS = frozenset(
    {
        "cfc", "halon", "hcfc", "ctc", "methyl_chloroform", "methyl_bromide", "hcfc_hbfc_other",
        "mixture_cfc", "mixture_hbfc", "mixture_ctc", "mixture_tca", "mixture_halon",
        "mixture_hcfc", "mixture_methyl_bromide",
    }
)  # fmt: skip

#: Import bans by destination and date, the default table of the real world. Dates are the first
#: day of the month when the source gives only a month or a year (estimate). A simulated world
#: with its own dated bans passes its table to the builders instead (`import_bans=`).
IMPORT_BANS: tuple[ImportBan, ...] = (
    ImportBan(frozenset({"CN"}), ("3915", "470790", "6310"), frozenset(), "2018-01-01", None,
              "non-industrial plastic waste, unsorted paper, textile waste (National Sword)",
              "S_WIKI_CN_BAN; S_GAIA_TIMELINE"),
    ImportBan(frozenset({"CN"}), (), _ALL_SOLID_WASTE, "2021-01-01", None,
              "all solid waste (revised Solid Waste Law)",
              "S_GAIA_TIMELINE ('all solid waste banned end-2019/2020'); date general knowledge"),
    ImportBan(frozenset({"TH"}), (), frozenset({"e_waste", "e_waste_legacy_code"}),
              "2018-06-01", None, "electronic scrap (432 types)", "S_GAIA_TIMELINE"),
    ImportBan(frozenset({"TH"}), ("3915",), frozenset(), "2025-01-01", None,
              "plastic scrap (announced for 2021, phased by quotas, in force 1 Jan 2025)",
              "S_GAIA_TIMELINE; 2025 date general knowledge"),
    ImportBan(frozenset({"VN"}), ("3915",), frozenset(), "2018-07-01", None,
              "plastic waste (licence freeze)", "S_GAIA_TIMELINE"),
    ImportBan(frozenset({"MY"}), ("3915",), frozenset(), "2018-07-01", "2018-10-01",
              "plastic waste (three-month permit freeze; stricter permits afterwards)",
              "S_GAIA_TIMELINE; end date general knowledge"),
    ImportBan(frozenset({"IN"}), ("3915",), frozenset(), "2019-03-01", None,
              "plastic scrap", "S_GAIA_TIMELINE"),
    ImportBan(REGIONS["R:EU"], (), _BANNED_ODS, "2010-01-01", None,
              "ozone-depleting substances other than for exempted uses (EU ODS Regulation)",
              "S_EIA_UNEP_2011 (EU virgin HCFC ban 2010); general knowledge"),
)  # fmt: skip

#: Regime subcategories that are ordinary goods most of the time, so no permit is expected: used
#: goods (unless shown to be waste), equipment that may contain ODS, substances outside the
#: Montreal controls, and wildlife-relevant codes that mostly carry unlisted species (farmed
#: fish, ordinary timber and leather). Everything else under Basel, Montreal or CITES needs a
#: consent, licence or permit; scrap included, because importing states require permits for it
#: even where Basel Annex IX does not (REFERENCE.md 1.1-1.3; the split is our estimate).
NO_PERMIT_SUBCATEGORIES = frozenset(
    {
        "used_eee", "used_vehicles", "used_vehicle_parts", "used_batteries",
        "e_waste_legacy_code", "equipment_ac", "equipment_compressor",
        "equipment_refrigeration", "fire_protection", "foam_polyol", "hfo_not_controlled",
        "other_fluorinated", "other_perhalogenated", "mixture_pfc", "leather_goods",
        "wood_furniture", "tcm_medicines", "musical_instruments", "timber_sawn", "timber_logs",
        "timber_veneer", "timber_other", "wood_articles", "live_fish", "molluscs",
        "plant_extracts", "bird_parts", "bones", "hides_other", "shark_products", "fish_maw",
    }
)  # fmt: skip

#: CITES personal-effects caps [S_CITES_PERSONAL] by HS6: (cap, measure). "kg" compares the net
#: weight, "items" the quantity when it is counted in units or pairs.
PERSONAL_EFFECTS_CAPS: dict[str, tuple[float, str]] = {
    "160431": (0.125, "kg"),  # sturgeon caviar, 125 g
    "051191": (4.0, "items"),  # dried seahorses, 4 items
    "420221": (4.0, "items"),  # crocodilian leather handbags, 4 items
    "411330": (4.0, "items"),  # crocodilian (reptile) leather items, 4 items
    "050800": (3.0, "items"),  # queen conch / giant clam shells, 3 items
}

#: Payload of the largest standard container; the declaration does not say which size is used.
CONTAINER_PAYLOAD_METRIC = "container_20ft_payload"


@cache
def regimes() -> pd.DataFrame:
    """Regime category and subcategory per HS6 (text), from `hs_codes.csv`."""
    table = reference.hs_codes()[["hs6", "category", "subcategory", "convention"]]
    return table.drop_duplicates("hs6").set_index("hs6")


#: Conventions whose goods need a consent, licence or permit (ranked first in `hs2017_as_hs2022`).
CONTROLLED_CONVENTIONS = ("Basel", "Montreal", "CITES")


@cache
def hs2017_as_hs2022() -> dict[str, str]:
    """The HS 2022 subheading that features read for each HS 2017-only subheading.

    An HS 2017 code kept as declared stands for the HS 2022 set it became
    (`reference.hs2017_to_hs2022`). Features need one code, so the set's members are grouped
    by regime (category, subcategory, convention) and the group taken is, in turn, controlled
    (Basel, Montreal, CITES), of any regime, the largest, and its last (residual 'other')
    subheading is read. HS 2017 2903.39 thus reads as an HFC (2903.48: eight HFC subheadings
    against one methyl bromide and four uncontrolled ones), 8548.10 as a waste battery
    (8549.19), 3824.78 as an HFC blend (3827.69), 6201.11 as 6201.20.
    """
    table = regimes()
    out: dict[str, str] = {}
    for code, targets in reference.hs2017_to_hs2022().items():
        members = table.reindex(list(targets)).fillna("").rename_axis("hs6").reset_index()
        groups = members.groupby(["category", "subcategory", "convention"], sort=False)
        best = max(  # max keeps the first of equal groups, the one with the lowest code
            groups,
            key=lambda item: (
                item[0][2] in CONTROLLED_CONVENTIONS,
                item[0][0] != "",
                len(item[1]),
            ),
        )
        out[code] = str(best[1]["hs6"].max())
    return out


def _expand(tokens: pd.Series) -> frozenset[str]:
    members: set[str] = set()
    for cell in tokens:
        for token in filter(None, str(cell).split("|")):
            members |= REGIONS.get(token, {token})
    return frozenset(members)


@cache
def route_sets() -> dict[str, dict[str, frozenset[str]]]:
    """Documented origin, transit and destination countries per regime category (routes.csv)."""
    table = reference.routes()
    return {
        category: {
            "origin": _expand(rows["origin_iso2"]),
            "transit": _expand(rows["transit_iso2"]),
            "destination": _expand(rows["destination_iso2"]),
        }
        for category, rows in table.groupby("category")
    }


#: Wildlife route commodities whose seizures were hidden under cover goods (REFERENCE.md 2.1).
CONCEALED_COMMODITIES = ("ivory", "pangolin", "rhino")


@cache
def cover_route_sets() -> dict[str, frozenset[str]]:
    """Origins and destinations of the wildlife routes where cover goods were documented."""
    table = reference.routes()
    commodity = table["commodity"].str.lower()
    rows = table[(table["category"] == "wildlife") & commodity.str.contains("|".join(
        CONCEALED_COMMODITIES))]  # fmt: skip
    return {
        "origin": _expand(rows["origin_iso2"]),
        "destination": _expand(rows["destination_iso2"]),
    }


@cache
def all_hubs() -> frozenset[str]:
    """Every transit country named on any documented route."""
    return frozenset().union(*(sets["transit"] for sets in route_sets().values()))


@cache
def cover_codes() -> frozenset[str]:
    """HS6 codes documented as cover for smuggled goods (declared side of misdeclaration pairs)."""
    pairs = reference.misdeclaration_pairs()
    covers = regimes().index[regimes()["subcategory"] == "cover_commodity"]
    return frozenset(pairs["declared_hs6"]) | frozenset(covers)


@cache
def wildlife_cover_codes() -> frozenset[str]:
    """Cover goods documented for wildlife (ivory in sesame, scales under frozen beef, ...)."""
    pairs = reference.misdeclaration_pairs()
    covers = regimes().index[regimes()["subcategory"] == "cover_commodity"]
    return frozenset(pairs.loc[pairs["category"] == "wildlife", "declared_hs6"]) | frozenset(covers)


@cache
def container_payload_kg() -> float:
    """Maximum payload of a standard container in kg (magnitudes.csv)."""
    return float(reference.magnitudes().loc[CONTAINER_PAYLOAD_METRIC, "typical"])
