"""The simulated world is realistic enough to mean something: illicit trade hides in legitimate
trade, each modus operandi moves the indicators it should, and the truth is not trivially
recoverable from any single column, yet a model on the raw columns beats chance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score

from simulation.modus_operandi import TACTICS
from simulation.policy import WILDLIFE_ORIGINS
from tests.unit.simulation_worlds import default_world

PAYLOAD_KG = 28_180
NUMERIC = ["container_count", "gross_weight_kg", "net_weight_kg", "quantity", "customs_value_usd"]
TEXT = [
    "flow",
    "customs_office",
    "trader_id",
    "declarant_id",
    "hs_code",
    "goods_description",
    "origin_country",
    "consignment_country",
    "transit_countries",
    "destination_country",
    "transport_mode",
    "quantity_unit",
    "permit_reference",
]


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    world = default_world()
    joined = world.declarations.merge(world.truth, on="declaration_id", validate="one_to_one")
    shared = joined[joined["permit_reference"] != ""].groupby("permit_reference")["trader_id"]
    return joined.assign(
        hs6=joined["hs_code"].str[:6],
        unit_value=joined["customs_value_usd"] / joined["net_weight_kg"],
        kg_per_unit=joined["net_weight_kg"] / joined["quantity"].clip(lower=1e-9),
        load=joined["gross_weight_kg"] / joined["container_count"].astype(float),
        permit_missing=joined["permit_reference"] == "",
        permit_shared=joined["permit_reference"].map(shared.nunique()).fillna(0) > 1,
    )


def _median(column):
    return lambda frame, legit: frame[column].median()


def _share(predicate):
    return lambda frame, legit: predicate(frame).mean()


def _heavier(factor):
    """Share of rows whose kg per unit exceeds `factor` x the legitimate median."""
    return lambda frame, legit: (
        frame["kg_per_unit"] > factor * legit["kg_per_unit"].median()
    ).mean()


#: For each tactic: the indicator it moves and whether that makes it higher (+1) or lower (-1)
#: than legitimate trade under the same declared codes.
INDICATORS = {
    "ods_r22_as_r134a": (_median("unit_value"), -1),
    "ods_cfc_as_r134a": (_median("unit_value"), -1),
    "ods_r22_as_r410a": (_median("unit_value"), -1),
    "ods_hfc_as_hfo": (_median("unit_value"), -1),
    "ods_gas_in_equipment": (_heavier(1.8), +1),
    "ods_recycled_claim": (
        _share(lambda f: f["goods_description"].str.contains("(?i)reclaim|recover|recycl")),
        +1,
    ),
    "ods_unlicensed_import": (_share(lambda f: f["permit_missing"]), +1),
    "waste_plastic_as_resin": (_median("unit_value"), -1),
    "waste_plastic_without_consent": (_share(lambda f: f["permit_missing"]), +1),
    "waste_household_in_paper": (_share(lambda f: f["permit_missing"]), +1),
    "waste_ewaste_as_used_goods": (_median("unit_value"), -1),
    "waste_ewaste_in_vehicles": (_heavier(1.3), +1),
    "waste_ewaste_in_scrap_metal": (_share(lambda f: f["load"] > PAYLOAD_KG), +1),
    "waste_ulab_as_batteries": (_median("unit_value"), -1),
    "waste_oil_as_fuel": (_median("unit_value"), -1),
    "waste_textile_unsorted": (_median("unit_value"), -1),
    "waste_tyres_without_consent": (_share(lambda f: f["permit_missing"]), +1),
    "wildlife_ivory_in_cover_goods": (
        _share(lambda f: f["origin_country"].isin(WILDLIFE_ORIGINS)),
        +1,
    ),
    "wildlife_pangolin_in_frozen_goods": (
        _share(lambda f: f["origin_country"].isin(WILDLIFE_ORIGINS)),
        +1,
    ),
    "wildlife_rhino_horn_as_artwork": (
        _share(lambda f: f["origin_country"].isin(["ZA", "MZ"])),
        +1,
    ),
    "wildlife_reptiles_as_ornamental_fish": (_heavier(2.0), +1),
    "wildlife_rosewood_as_generic_timber": (_heavier(1.3), +1),
    "wildlife_reptile_skins_laundered": (_share(lambda f: f["permit_shared"]), +1),
    "wildlife_shark_fin_as_seafood": (_median("unit_value"), +1),
    "wildlife_structured_personal_effects": (_median("net_weight_kg"), -1),
    "wildlife_wild_birds_as_captive_bred": (_share(lambda f: f["permit_missing"]), +1),
}


def test_every_tactic_has_an_indicator():
    assert set(INDICATORS) == {t.name for t in TACTICS}


def test_each_modus_operandi_moves_its_indicator(rows):
    tested = []
    for tactic in TACTICS:
        codes = set(tactic.declared_codes)
        same_codes = rows[rows["hs6"].isin(codes)]
        smuggled = same_codes[same_codes["modus_operandi"] == tactic.name]
        if len(smuggled) < 8:  # too few in this world size for a stable comparison
            continue
        measure, direction = INDICATORS[tactic.name]
        reference = same_codes[~same_codes["is_illicit"]]
        legit, illicit = measure(reference, reference), measure(smuggled, reference)
        assert direction * (illicit - legit) > 0, (tactic.name, illicit, legit)
        tested.append(tactic.name)
    assert len(tested) >= 22


def test_indicators_move_only_for_some_shipments(rows):
    """Smugglers imitate: a good share of label-swapped or resin-declared shipments carry a
    market-like value, so unit value alone cannot pick them out."""
    for name in ("ods_r22_as_r134a", "waste_plastic_as_resin", "waste_ewaste_as_used_goods"):
        tactic = next(t for t in TACTICS if t.name == name)
        same = rows[rows["hs6"].isin(tactic.declared_codes)]
        floor = same.loc[~same["is_illicit"], "unit_value"].quantile(0.1)
        smuggled = same.loc[same["modus_operandi"] == name, "unit_value"]
        assert 0.15 < (smuggled >= floor).mean() < 0.85, name


def test_legitimate_trade_dominates_every_code_smugglers_use(rows):
    by_code = pd.crosstab(rows["hs6"], rows["is_illicit"])
    used = by_code[by_code[True] > 0]
    assert (used[False] >= 10 * used[True]).all(), used[used[False] < 10 * used[True]]
    illicit = rows[rows["is_illicit"]]
    legit_pairs = set(
        zip(
            rows.loc[~rows["is_illicit"], "hs6"],
            rows.loc[~rows["is_illicit"], "origin_country"],
            strict=True,
        )
    )
    same_origin = [
        pair in legit_pairs for pair in zip(illicit["hs6"], illicit["origin_country"], strict=True)
    ]
    assert np.mean(same_origin) > 0.85  # smugglers' origins also ship the same goods legally


def test_fronts_are_young_but_established_traders_smuggle_too(rows):
    """In the second year (a year of history visible), smugglers' companies are far more often
    brand new than honest traders', yet many illicit shipments come from established ones."""
    first_seen = rows.groupby("trader_id")["declaration_date"].transform("min")
    age = (rows["declaration_date"] - first_seen).dt.days
    late = rows["declaration_date"] >= rows["declaration_date"].min() + pd.Timedelta(days=365)
    illicit, legit = rows["is_illicit"] & late, ~rows["is_illicit"] & late
    assert (age[illicit] < 90).mean() > 2 * (age[legit] < 90).mean()
    assert age[illicit].mean() < age[legit].mean()
    assert (age[illicit] > 180).mean() > 0.35


def _split(rows):
    cut = rows["declaration_date"].quantile(2 / 3)
    return (rows["declaration_date"] < cut).to_numpy()


def _lookup_scores(rows, column, train):
    """Smoothed illicit rate of each value, learnt on the earlier period (a lookup table)."""
    y = rows["is_illicit"].to_numpy()
    values = rows[column].astype(str)
    table = (
        pd.DataFrame({"v": values[train], "y": y[train]}).groupby("v")["y"].agg(["sum", "count"])
    )
    prior = y[train].mean()
    rate = (table["sum"] + 10 * prior) / (table["count"] + 10)
    return values[~train].map(rate).fillna(prior).to_numpy()


def _single_column_scores(rows, column, train):
    """Lookup rates for text columns; the raw value, in its better direction, for numbers."""
    if column not in NUMERIC:
        return _lookup_scores(rows, column, train)
    values = rows[column].astype(float).to_numpy()[~train]
    direction = roc_auc_score(rows["is_illicit"].to_numpy()[~train], values) >= 0.5
    return values if direction else -values


@pytest.mark.parametrize("column", [*NUMERIC, *TEXT, "declaration_date"])
def test_no_single_column_separates_illicit_from_legitimate(rows, column):
    """A lookup table (or threshold) on one column, learnt on the first two thirds of the
    period, scored on the last third. Over all trade a column may rank the risky part of trade
    first (hs_code does: smugglers hide behind a quarter of the codes), but it must not pick out
    the smugglers: AUC < 0.8 and average precision < 0.15 against a base rate of 1%. Within
    the codes smugglers use, where an analyst actually has to look, AUC < 0.75."""
    frame = rows.assign(declaration_date=rows["declaration_date"].astype("int64").astype(float))
    numeric = column == "declaration_date"
    train = _split(rows)
    y = frame["is_illicit"].to_numpy()[~train]
    if numeric:
        values = frame[column].to_numpy()[~train]
        score = values if roc_auc_score(y, values) >= 0.5 else -values
    else:
        score = _single_column_scores(frame, column, train)
    comparable = frame["hs6"].isin(set(frame.loc[frame["is_illicit"], "hs6"])).to_numpy()[~train]
    assert roc_auc_score(y, score) < 0.8
    assert average_precision_score(y, score) < 0.15
    auc_within = roc_auc_score(y[comparable], score[comparable])
    assert max(auc_within, 1 - auc_within) < 0.75


def test_a_model_on_raw_columns_beats_chance_but_is_far_from_perfect(rows):
    train = _split(rows)
    features = pd.DataFrame({c: rows[c].astype("category").cat.codes for c in TEXT})
    features[NUMERIC] = rows[NUMERIC].astype(float)
    features["month"] = rows["declaration_date"].dt.month
    y = rows["is_illicit"].to_numpy()
    model = HistGradientBoostingClassifier(max_iter=150, random_state=0)
    model.fit(features[train], y[train])
    score = model.predict_proba(features[~train])[:, 1]
    auc = roc_auc_score(y[~train], score)
    assert 0.6 < auc < 0.95
    assert average_precision_score(y[~train], score) < 0.5
