"""The goods catalogue: every HS 2022 subheading with its share of declarations and its physics.

Shares come from the chapter profiles, with the regime codes of `hs_codes.csv` set to the
declaration shares of `magnitudes.csv` (waste codes, bulk ODS, ODS equipment, wildlife codes).
Codes that are ordinary goods most of the time (used EEE and vehicles are mostly new goods, sawn
wood is mostly legal timber, medicaments are mostly pharma) keep ordinary-goods shares.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data_contracts import reference
from simulation.prices import reference_unit_values
from simulation.profiles import HEADING_UNITS, chapter_profiles

#: Permit kinds (index = code stored per row).
PERMIT_KINDS = ("", "ods", "basel", "cites", "ap")
NO_PERMIT, ODS_LICENCE, BASEL_CONSENT, CITES_PERMIT, APPROVED_PERMIT = range(5)

#: Regime subcategories that are ordinary goods most of the time.
ORDINARY = frozenset(
    {
        "used_eee",
        "used_vehicles",
        "used_vehicle_parts",
        "used_batteries",
        "e_waste_legacy_code",
        "foam_polyol",
        "leather_goods",
        "wood_furniture",
        "tcm_medicines",
        "musical_instruments",
        "timber_sawn",
        "timber_logs",
        "timber_veneer",
        "timber_other",
        "wood_articles",
        "live_fish",
        "molluscs",
        "plant_extracts",
        "bird_parts",
        "bones",
        "hides_other",
        "shark_products",
        "fish_maw",
    }
)
#: Codes second-hand dealers trade in (lower unit values, "used" descriptions).
SECOND_HAND = frozenset({"used_eee", "used_vehicles", "used_vehicle_parts", "used_batteries"})
#: Relative weights of waste streams (IMPEL transport violations and DEMETER tonnage, adapted).
WASTE_STREAMS = {
    "ferrous_scrap": 0.22,
    "nonferrous_scrap": 0.12,
    "paper_waste": 0.14,
    "plastic_waste": 0.16,
    "textile_waste": 0.12,
    "e_waste": 0.05,
    "e_waste_batteries": 0.03,
    "tyres_rubber": 0.04,
    "waste_oil": 0.02,
    "chemical_waste": 0.03,
    "slag_ash": 0.02,
    "glass_waste": 0.02,
    "precious_metal_residue": 0.02,
}
#: Relative weights of bulk ODS/HFC subcategories (HFCs dominate legal trade).
ODS_BULK = {"hfc": 0.35, "mixture_hfc": 0.3, "hcfc": 0.15, "hfo_not_controlled": 0.1}
_MINOR = 0.01


def _groups(hs: pd.DataFrame) -> pd.Series:
    """Group of each listed code: waste_codes, ods_bulk, ods_equipment, wildlife or ordinary."""
    sub = hs["subcategory"]
    group = pd.Series("ordinary", index=hs.index)
    group[(hs["category"] == "waste") & ~sub.isin(ORDINARY)] = "waste_codes"
    group[(hs["category"] == "wildlife") & ~sub.isin(ORDINARY)] = "wildlife"
    equipment = sub.str.startswith("equipment") | (sub == "fire_protection")
    group[(hs["category"] == "ods") & equipment] = "ods_equipment"
    group[(hs["category"] == "ods") & ~equipment & (sub != "foam_polyol")] = "ods_bulk"
    return group


def _group_targets() -> dict[str, float]:
    m = reference.magnitudes()["typical"].astype(float)
    return {
        "waste_codes": m["declaration_share_waste_codes"],
        "ods_bulk": m["declaration_share_ods_bulk"],
        "ods_equipment": m["declaration_share_ods_equipment"],
        "wildlife": m["declaration_share_wildlife_codes"],
    }


def _base_table() -> pd.DataFrame:
    codes = sorted(c for c in reference.hs6_subheadings() if not c.startswith("99"))
    table = pd.DataFrame({"hs6": codes})
    table["ch"] = table["hs6"].str[:2]
    table["heading"] = table["hs6"].str[:4]
    hs = reference.hs_codes().drop_duplicates("hs6").set_index("hs6")
    table["regime"] = table["hs6"].map(hs["category"]).fillna("").astype(str)
    table["subcategory"] = table["hs6"].map(hs["subcategory"]).fillna("").astype(str)
    described = table["hs6"].map(hs["description"])
    nomenclature = table["hs6"].map(reference.hs6_descriptions())
    table["description"] = described.fillna(nomenclature).astype(str)
    group = _groups(hs.reset_index()).set_axis(hs.index)
    table["group"] = table["hs6"].map(group).fillna("ordinary").astype(str)
    return table


def _weights(table: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Share of declarations of each code, summing to one."""
    profiles = chapter_profiles()
    within = rng.lognormal(0.0, 1.3, len(table))
    listed = table["regime"] != ""
    within[listed.to_numpy()] = np.maximum(within[listed.to_numpy()], 4.0) * 1.5
    chapter_total = pd.Series(within).groupby(table["ch"].to_numpy()).transform("sum")
    ordinary = profiles.loc[table["ch"], "weight"].to_numpy() * within / chapter_total.to_numpy()
    targets = _group_targets()
    is_target = table["group"].isin(list(targets)).to_numpy()
    weights = np.where(is_target, 0.0, ordinary)
    weights *= (1.0 - sum(targets.values())) / weights.sum()
    priors = {**WASTE_STREAMS, **ODS_BULK}
    for group, share in targets.items():
        rows = (table["group"] == group).to_numpy()
        subs = table.loc[rows, "subcategory"]
        if group in ("waste_codes", "ods_bulk"):  # stream priors split over their codes
            prior = subs.map(priors).fillna(_MINOR) / subs.map(subs.value_counts())
        else:
            prior = pd.Series(1.0, index=subs.index)
        raw = prior.to_numpy(dtype=float) * rng.lognormal(0.0, 0.6, rows.sum())
        weights[rows] = share * raw / raw.sum()
    return weights / weights.sum()


def _physics(table: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    profiles = chapter_profiles().loc[table["ch"]].reset_index(drop=True)
    out = table.join(profiles.drop(columns=["weight"]))
    noise = rng.lognormal(0.0, 0.6, len(out))
    known = out["hs6"].map(reference_unit_values())
    out["uv"] = known.fillna(out["usd_per_kg"] * noise).astype(float)
    for heading, (unit, mass) in HEADING_UNITS.items():
        rows = out["heading"] == heading
        out.loc[rows, "unit"] = unit
        out.loc[rows, "kg_per_unit"] = mass
    out["trend"] = rng.normal(0.02, 0.04, len(out))
    refrigerant = out["subcategory"].isin(["hfc", "mixture_hfc"])
    out.loc[refrigerant, "trend"] = 0.12  # quota steps push HFC prices up (S_EU_PRICES)
    out.loc[out["group"] == "ods_bulk", "net_ratio"] = 0.68  # gas in steel cylinders
    out["season_amp"] = rng.uniform(0.0, 0.08, len(out))
    out["season_phase"] = rng.uniform(0.0, 2 * np.pi, len(out))
    return out.drop(columns=["usd_per_kg"])


def _permits(table: pd.DataFrame) -> pd.DataFrame:
    """Permit kind each code needs and the share of legitimate declarations that carry one."""
    kind = np.full(len(table), NO_PERMIT)
    share = np.full(len(table), 0.02)
    sub, group, ch = table["subcategory"], table["group"], table["ch"]
    controlled = (group == "ods_bulk") & ~sub.isin(
        ["hfo_not_controlled", "other_fluorinated", "other_perhalogenated", "mixture_pfc"]
    )
    rules = [
        (controlled, ODS_LICENCE, 0.97),
        ((group == "ods_bulk") & ~controlled, ODS_LICENCE, 0.15),
        (group == "ods_equipment", ODS_LICENCE, 0.2),
        (group == "waste_codes", BASEL_CONSENT, 0.94),
        (group == "wildlife", CITES_PERMIT, 0.95),
        (
            sub.str.startswith("timber") | sub.isin(["live_fish", "shark_products"]),
            CITES_PERMIT,
            0.3,
        ),
        (
            sub.isin(["leather_goods", "wood_articles", "tcm_medicines", "molluscs"]),
            CITES_PERMIT,
            0.1,
        ),
        (ch.isin(["72", "73", "93", "24"]) | sub.isin(["used_vehicles"]), APPROVED_PERMIT, 0.6),
        (ch.isin(["30", "36", "38"]), APPROVED_PERMIT, 0.2),
    ]
    for rows, permit, carried in rules:
        mask = rows.to_numpy() & (kind == NO_PERMIT)
        kind[mask] = permit
        share[mask] = carried
    kind[kind == NO_PERMIT] = APPROVED_PERMIT  # the odd licence on ordinary goods
    return table.assign(permit_kind=kind.astype(np.int8), permit_share=share)


def build_catalogue(seed: int) -> pd.DataFrame:
    """One row per HS6 code (positional index is the code's id in the world's arrays)."""
    rng = np.random.default_rng([seed, 101])
    table = _base_table()
    table["weight"] = _weights(table, rng)
    table = _permits(_physics(table, rng))
    table["second_hand"] = table["subcategory"].isin(list(SECOND_HAND))
    return table.reset_index(drop=True)


def code_index(catalogue: pd.DataFrame) -> dict[str, int]:
    """Row of each HS6 code in the catalogue."""
    return dict(zip(catalogue["hs6"], range(len(catalogue)), strict=True))
