"""The catalogue covers exactly the produced features and turns each into a readable reason."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from features import (
    CATALOGUE,
    CONTEXT_COLUMNS,
    KEY_COLUMNS,
    build_training_features,
    describe,
    fallback_reasons,
    model_feature_names,
    sentence,
)
from features.catalogue import catalogue_frame, families, feature
from features.indicators import INDICATORS
from tests.factories import valid_declarations, valid_inspections


@pytest.fixture(scope="module")
def produced() -> pd.DataFrame:
    declarations = valid_declarations(300, seed=3)
    return build_training_features(declarations, valid_inspections(declarations, seed=3))


def test_every_produced_feature_is_catalogued_and_every_catalogued_one_produced(
    produced: pd.DataFrame,
) -> None:
    features = [c for c in produced.columns if c not in (*KEY_COLUMNS, *CONTEXT_COLUMNS)]
    assert features == model_feature_names()
    assert list(produced.columns[: len(KEY_COLUMNS)]) == list(KEY_COLUMNS)


def test_dtypes_follow_the_catalogue(produced: pd.DataFrame) -> None:
    for entry in CATALOGUE:
        assert str(produced[entry.name].dtype) == entry.dtype, entry.name


def test_names_and_families_are_well_formed() -> None:
    names = model_feature_names()
    assert len(names) == len(set(names))
    assert all(name == name.lower() and " " not in name for name in names)
    assert set(families()) == {"tariff", "permit", "route", "value", "party", "description"}
    assert all(entry.meaning and entry.unit and entry.template for entry in CATALOGUE)
    assert catalogue_frame()["name"].tolist() == names


def test_every_feature_words_every_row_without_placeholders(produced: pd.DataFrame) -> None:
    for _, row in produced.head(40).iterrows():
        for name in model_feature_names():
            text = sentence(name, row)
            assert text and "{" not in text, (name, text)
            reason = describe(name, row)
            assert "{" not in reason and "?" not in reason.replace("HS ?", ""), (name, reason)


def test_reason_sentences_read_like_the_examples() -> None:
    row = {
        "hs6": 290345,
        "unit_value_ratio_to_reference": 0.08,
        "hs_chapter": 29,
        "trader_first_in_chapter": True,
        "transit_via_any_hub": True,
        "transit_countries": "TR|BG",
        "trader_age_days": 9,
    }
    assert describe("unit_value_ratio_to_reference", row) == (
        "declared value per kg is 8% of the usual for HS 2903.45"
    )
    assert describe("trader_first_in_chapter", row) == (
        "first declaration of this trader in chapter 29"
    )
    assert describe("transit_via_any_hub", row) == "route through a known transit hub (TR, BG)"
    assert describe("trader_age_days", row) == "trader first seen only 9 days ago"


def test_reasons_say_which_way_a_value_points() -> None:
    row = {
        "hs6": 290345,
        "unit_value_log_zscore": -2.34,
        "trader_prior_violations": 3,
        "trader_prior_inspections": 4,
        "trader_prior_hit_rate": 0.75,
    }
    assert describe("unit_value_log_zscore", row) == (
        "declared value per kg is 2.3 standard deviations below the usual for HS 2903.45"
    )
    record = "trader's earlier inspections found violations in 3 of 4"
    assert describe("trader_prior_violations", row) == record
    assert describe("trader_prior_hit_rate", row) == record
    assert describe("unit_value_log_zscore", {**row, "unit_value_log_zscore": 2.5}).startswith(
        "declared value per kg is 2.5 standard deviations above"
    )


def test_facts_ordinary_values_false_flags_and_gaps_are_no_reasons() -> None:
    row = {
        "hs6": 10611,
        "hs_chapter": 1,
        "is_waste_code": False,
        "unit_value_ratio_to_reference": math.nan,
        "unit_value_log_zscore": 0.4,
        "unit_value_reference_count": 755,
        "trader_prior_declarations": 1,
        "declarant_prior_inspections": 12,
        "description_length_chars": 80,
        "trader_prior_violations": 0,
    }
    for name in row:
        if name != "hs6":
            assert describe(name, row) == "", name
    assert sentence("is_waste_code", row) == "HS 0106.11 is not a waste-relevant code"
    assert "not known" in sentence("unit_value_ratio_to_reference", row)
    assert sentence("unit_value_reference_count", row) == (
        "the usual value rests on 755 earlier declarations"
    )
    with pytest.raises(KeyError):
        feature("no_such_feature")
    with pytest.raises(KeyError):
        describe("no_such_feature", row)
    # Counts of earlier activity are facts: no value of them is a risk indicator.
    facts = {"trader_prior_declarations", "unit_value_reference_count", "declared_value_usd"}
    assert not facts & set(INDICATORS)


def test_fallback_gives_the_strongest_indicators_then_the_highest_rate() -> None:
    row = {
        "hs6": 290345,
        "origin_country": "CN",
        "is_waste_code": True,
        "customs_value_is_round": True,
        "permit_missing_for_controlled": True,
        "hs6_prior_violation_rate": 0.02,
        "route_prior_violation_rate": 0.03,
        "origin_chapter_prior_violation_rate": 0.01,
        "trader_prior_declarations": 40,
    }
    assert fallback_reasons(row, limit=2) == [
        "no licence or permit reference although HS 2903.45 is controlled",
        "HS 2903.45 is a waste-relevant code (Basel)",
    ]
    plain = {k: v for k, v in row.items() if "rate" in k or k in ("hs6", "origin_country")}
    assert fallback_reasons({**plain, "hs_chapter": 29}) == [
        "3.0% of earlier inspections of chapter 29 goods from CN to ? found a violation"
    ]
    assert fallback_reasons({"hs6": 290345}) == []
