"""The modus operandi of the default world, from `misdeclaration_pairs.csv`, `routes.csv`,
`risk_indicators.csv` and `magnitudes.csv` (weights within a category are estimates)."""

from __future__ import annotations

from simulation.geography import AIR, POST, ROAD, SEA
from simulation.tactics import Tactic

_EU_US_JP = ("US", "JP", "DE", "GB", "AU", "CA", "NL", "BE", "FR", "ES", "IT")
_CENTRAL_AFRICA = ("NG", "CM", "CD", "CG", "GA", "CF")
_EAST_AFRICA = ("UG", "TZ", "KE", "MZ", "CD", "CM", "NG", "CG")
_ROSEWOOD = ("MG", "SN", "GM", "ML", "GH", "NG", "BJ", "TG", "CI", "GW", "CD", "ZM", "MZ", "TZ")

ODS: tuple[Tactic, ...] = (
    Tactic(
        "ods_r22_as_r134a", "ods", 0.14, (("290345", 1.0),),
        "HCFC-22 (R-22) in cylinders labelled R-134a", ("CN",), ("", "AE", "SG"),
        modes=((SEA, 0.85), (ROAD, 0.15)), value_mult=0.55, plausible_value=0.35,
        p_missing=0.25, p_reused=0.3, p_fake=0.15, vague=0.15, detect=0.85,
    ),
    Tactic(
        "ods_cfc_as_r134a", "ods", 0.05, (("290345", 1.0),),
        "CFC-12 in cylinders labelled R-134a", ("CN", "IN"), ("", "AE"),
        value_mult=0.6, p_missing=0.3, p_reused=0.3, p_fake=0.2, detect=0.8,
    ),
    Tactic(
        "ods_r22_as_r410a", "ods", 0.08, (("382763", 1.0),),
        "HCFC-22 in cylinders labelled R-410A", ("CN",), ("", "AE", "SG"),
        value_mult=0.6, p_missing=0.25, p_reused=0.3, p_fake=0.15, detect=0.85,
    ),
    Tactic(
        "ods_hfc_as_hfo", "ods", 0.35, (("290351", 0.6), ("382768", 0.4)),
        "HFC-134a / R-404A declared as unregulated HFO", ("CN", "TR"), ("", "AE", "SG"),
        value_mult=0.15, plausible_value=0.25, p_missing=0.9, p_reused=0.0, p_fake=0.05,
        vague=0.1, event="hfc-declared-as-hfo",
    ),
    Tactic(
        "ods_gas_in_equipment", "ods", 0.32,
        (("841510", 0.25), ("841582", 0.15), ("841869", 0.15), ("841430", 0.15), ("841581", 0.08),
         ("841821", 0.06), ("841830", 0.04), ("841850", 0.06), ("841810", 0.06)),
        "bulk HCFC-22 cylinders packed with air-conditioning and refrigeration equipment",
        ("CN", "TH", "AE", "IN"), ("", "AE", "SG"), modes=((SEA, 0.85), (ROAD, 0.15)),
        value_mult=0.7, plausible_value=0.5, unit_mass_mult=2.2, unit_mass_share=0.5,
        p_missing=0.85, p_reused=0.05, p_fake=0.0, vague=0.3,
        cover_texts=("AIR COND SPARE PARTS", "spare parts", "REFRIGERATION PARTS"), detect=0.7,
    ),
    Tactic(
        "ods_recycled_claim", "ods", 0.07, (("290371", 1.0),),
        "virgin HCFC-22 declared as recovered/reclaimed", ("CN", "SG", "AE"), ("", "SG"),
        value_mult=0.8, plausible_value=0.5, p_missing=0.2, p_reused=0.4, p_fake=0.1,
        cover_texts=("RECLAIMED R22 REFRIGERANT", "recovered HCFC-22 for reuse", "R-22 RECYCLED GAS"),
    ),
    Tactic(
        "ods_unlicensed_import", "ods", 0.2, (("290371", 0.5), ("382763", 0.3), ("382761", 0.2)),
        "controlled refrigerant without licence or above quota", ("CN", "IN", "TH"),
        ("", "SG"), modes=((SEA, 0.8), (ROAD, 0.2)), value_mult=0.9, plausible_value=0.6,
        split_share=0.4, p_missing=0.45, p_reused=0.25, p_fake=0.2, vague=0.15,
    ),
)  # fmt: skip

WASTE: tuple[Tactic, ...] = (
    Tactic(
        "waste_plastic_as_resin", "waste", 0.12,
        (("390110", 0.25), ("390120", 0.2), ("390210", 0.2), ("390761", 0.2), ("390190", 0.1),
         ("390319", 0.05)),
        "plastic scrap (PE/PP/PET) declared as virgin resin", _EU_US_JP, ("", "HK", "SG", "HK|SG"),
        value_mult=0.35, plausible_value=0.3, p_missing=0.9, p_reused=0.0, p_fake=0.05,
        vague=0.35, cover_texts=("PLASTIC RAW MATERIAL", "plastic granules", "PE REGRIND"),
        surge_after_ban=2.0,
    ),
    Tactic(
        "waste_plastic_without_consent", "waste", 0.12,
        (("391590", 0.5), ("391510", 0.3), ("391520", 0.1), ("391530", 0.1)),
        "mixed and contaminated plastic waste without import consent", _EU_US_JP,
        ("", "HK", "SG"), flows=(0.8, 0.0, 0.2), destinations=("VN", "ID", "IN", "TR"),
        value_mult=0.7, plausible_value=0.5, p_missing=0.35, p_reused=0.35, p_fake=0.15,
        vague=0.2, surge_after_ban=2.5,
    ),
    Tactic(
        "waste_household_in_paper", "waste", 0.07, (("470790", 0.7), ("470710", 0.3)),
        "household and plastic waste inside mixed-paper bales", ("US", "GB", "AU", "JP", "NL", "DE", "IT"),
        value_mult=0.8, plausible_value=0.6, load_mult=0.8, load_share=0.3,
        p_missing=0.25, p_reused=0.3, p_fake=0.1,
    ),
    Tactic(
        "waste_ewaste_as_used_goods", "waste", 0.15,
        (("847130", 0.2), ("847141", 0.08), ("852872", 0.15), ("852852", 0.12), ("844331", 0.08),
         ("851713", 0.08), ("845011", 0.08), ("847149", 0.04), ("847150", 0.04), ("847160", 0.04),
         ("847330", 0.05), ("851714", 0.04)),
        "non-functional electronics (e-waste) declared as second-hand goods",
        ("US", "GB", "DE", "NL", "JP", "AU", "HK", "KR", "BE", "FR"), ("", "HK", "SG", "AE"),
        value_mult=0.08, plausible_value=0.35, plausible_mult=0.3, p_missing=0.9, p_reused=0.0,
        p_fake=0.0, vague=0.45,
        cover_texts=("USED HOUSEHOLD GOODS", "used electronics", "SECOND HAND ITEMS", "used personal effects"),
    ),
    Tactic(
        "waste_ewaste_in_vehicles", "waste", 0.08, (("870323", 0.5), ("870321", 0.3), ("870421", 0.2)),
        "used vehicles stuffed with undeclared e-waste", ("JP", "GB", "AU", "SG", "HK"),
        value_mult=0.3, plausible_value=0.5, plausible_mult=0.4, unit_mass_mult=1.45,
        unit_mass_share=0.7, p_missing=0.45, p_reused=0.25, p_fake=0.1, vague=0.2,
    ),
    Tactic(
        "waste_ewaste_in_scrap_metal", "waste", 0.12, (("720449", 0.4), ("760200", 0.2), ("740400", 0.2),
         ("720429", 0.1), ("750300", 0.05), ("790200", 0.05)),
        "metal scrap mixed with e-waste and end-of-life vehicle parts",
        ("US", "GB", "AU", "NL", "BE", "JP", "SG", "HK", "AE", "SA"),
        value_mult=0.75, plausible_value=0.5, load_mult=1.12, load_share=0.35,
        p_missing=0.2, p_reused=0.4, p_fake=0.15,
    ),
    Tactic(
        "waste_ulab_as_batteries", "waste", 0.05, (("850710", 0.7), ("850720", 0.3)),
        "spent lead-acid batteries declared as new batteries",
        ("SG", "AE", "SA", "ID", "PH", "BD", "LK", "HK"), value_mult=0.18, plausible_value=0.3,
        p_missing=0.9, p_reused=0.0, p_fake=0.0, vague=0.3,
    ),
    Tactic(
        "waste_oil_as_fuel", "waste", 0.04, (("271019", 1.0),),
        "waste mineral oil declared as fuel oil", ("SG", "AE", "ID", "TH", "IN"),
        modes=((SEA, 0.8), (ROAD, 0.2)), value_mult=0.45, plausible_value=0.4,
        p_missing=0.9, p_reused=0.0, p_fake=0.0,
    ),
    Tactic(
        "waste_textile_unsorted", "waste", 0.1, (("630900", 1.0),),
        "unsorted, contaminated textile waste declared as worn clothing",
        ("US", "GB", "KR", "JP", "AU", "DE", "NL", "CA"), value_mult=0.5, plausible_value=0.5,
        p_missing=0.3, p_reused=0.35, p_fake=0.1,
    ),
    Tactic(
        "waste_tyres_without_consent", "waste", 0.05, (("401220", 0.7), ("400400", 0.3)),
        "used tyres for pyrolysis without consent", ("AU", "SG", "JP", "GB", "US", "NZ"),
        value_mult=0.7, plausible_value=0.5, p_missing=0.4, p_reused=0.3, p_fake=0.1,
    ),
)  # fmt: skip

WILDLIFE: tuple[Tactic, ...] = (
    Tactic(
        "wildlife_ivory_in_cover_goods", "wildlife", 0.2,
        (("120740", 0.22), ("120242", 0.15), ("030559", 0.12), ("691200", 0.08), ("391590", 0.08),
         ("080132", 0.12), ("071339", 0.06), ("090411", 0.05), ("091011", 0.05), ("520100", 0.07)),
        "raw ivory hidden in sacks of cover goods", _EAST_AFRICA,
        ("", "KE", "TZ", "TR", "AE", "KE|AE", "TZ|TR"), consigned_via_hub=0.4,
        flows=(0.6, 0.0, 0.4), destinations=("KH", "HK", "CN", "TH", "VN", "LA"),
        plausible_value=0.9, load_mult=1.18, load_share=0.4, p_missing=0.95, p_reused=0.0,
        p_fake=0.0, detect=0.7,
    ),
    Tactic(
        "wildlife_pangolin_in_frozen_goods", "wildlife", 0.15,
        (("020230", 0.25), ("030389", 0.25), ("051199", 0.15), ("050790", 0.1), ("030354", 0.1),
         ("020629", 0.08), ("030617", 0.07)),
        "pangolin scales under frozen beef or fish", _CENTRAL_AFRICA,
        ("", "NG", "SG", "TG", "NG|SG"), flows=(0.4, 0.0, 0.6),
        destinations=("VN", "CN", "HK", "LA"), plausible_value=0.85, load_mult=0.8,
        load_share=0.3, p_missing=0.4, p_reused=0.2, p_fake=0.4, detect=0.7,
    ),
    Tactic(
        "wildlife_rhino_horn_as_artwork", "wildlife", 0.06,
        (("970390", 0.6), ("442011", 0.2), ("691200", 0.2)),
        "rhino horn declared as artwork", ("ZA", "MZ"), ("QA", "ET", "KE", "AE", "QA|AE"),
        consigned_via_hub=0.6, flows=(0.5, 0.0, 0.5), destinations=("VN", "CN"),
        modes=((AIR, 0.9), (POST, 0.1)), plausible_value=0.8, p_missing=0.95, vague=0.4,
        cover_texts=("ARTWORK", "wooden handicraft", "SCULPTURE SAMPLES"),
    ),
    Tactic(
        "wildlife_reptiles_as_ornamental_fish", "wildlife", 0.1, (("030111", 1.0),),
        "live reptiles (tortoises, pythons) declared as ornamental fish", ("ID", "TH", "MG", "MY"),
        flows=(0.4, 0.6, 0.0), destinations=("IN", "TH", "CN", "HK"), modes=((AIR, 1.0),),
        plausible_value=0.7, unit_mass_mult=3.0, unit_mass_share=0.6, p_missing=0.8,
        p_reused=0.1, p_fake=0.1,
    ),
    Tactic(
        "wildlife_rosewood_as_generic_timber", "wildlife", 0.18,
        (("440799", 0.5), ("440399", 0.3), ("440890", 0.2)),
        "CITES rosewood (Dalbergia, Pterocarpus) under a generic timber code", _ROSEWOOD,
        ("", "TZ", "MZ", "SG", "HK"), flows=(0.45, 0.0, 0.55), destinations=("CN", "HK"),
        value_mult=1.1, plausible_value=0.5, unit_mass_mult=1.45, unit_mass_share=0.6,
        p_missing=0.6, p_reused=0.15, p_fake=0.25, vague=0.35,
        cover_texts=("SAWN HARDWOOD", "redwood timber", "HARDWOOD SQUARES", "mixed tropical timber"),
    ),
    Tactic(
        "wildlife_reptile_skins_laundered", "wildlife", 0.08, (("410320", 0.6), ("411330", 0.4)),
        "wild python skins laundered as captive-bred", ("ID", "VN", "LA", "TH", "MY"),
        ("", "SG"), flows=(0.5, 0.5, 0.0), destinations=("SG", "IT", "FR", "DE", "CH"),
        modes=((SEA, 0.5), (AIR, 0.5)), value_mult=0.8, plausible_value=0.6,
        p_missing=0.2, p_reused=0.5, p_fake=0.3,
    ),
    Tactic(
        "wildlife_shark_fin_as_seafood", "wildlife", 0.1, (("030579", 0.7), ("030559", 0.3)),
        "CITES shark fins declared as dried fish offal", ("ES", "TW", "ID", "AE", "US", "SG", "LK"),
        ("", "HK", "SG"), flows=(0.5, 0.0, 0.5), destinations=("HK", "CN", "VN"),
        modes=((SEA, 0.7), (AIR, 0.3)), value_mult=2.5, plausible_value=0.6,
        p_missing=0.7, p_reused=0.2, p_fake=0.1,
    ),
    Tactic(
        "wildlife_structured_personal_effects", "wildlife", 0.08,
        (("160431", 0.4), ("051191", 0.3), ("300490", 0.3)),
        "caviar, dried seahorses and TCM with listed species, split under personal-effects caps",
        ("CN", "HK", "RU", "IR", "AE", "VN", "TH", "KZ"), modes=((POST, 0.7), (AIR, 0.3)),
        cap_kg=0.125, split_share=0.6, p_missing=0.9, p_reused=0.05, p_fake=0.05, network=False,
    ),
    Tactic(
        "wildlife_wild_birds_as_captive_bred", "wildlife", 0.07,
        (("010632", 0.5), ("010639", 0.3), ("010690", 0.2)),
        "wild-caught parrots and songbirds declared captive-bred", ("CM", "CD", "NG", "CG", "TG", "ID", "SB"),
        modes=((AIR, 1.0),), value_mult=0.6, p_missing=0.2, p_reused=0.3, p_fake=0.5,
    ),
)  # fmt: skip

TACTICS: tuple[Tactic, ...] = ODS + WASTE + WILDLIFE
