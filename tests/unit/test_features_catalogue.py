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
    model_feature_names,
)
from features.catalogue import catalogue_frame, families, feature
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
    assert set(families()) == {"tariff", "route", "value", "party", "description"}
    assert all(entry.meaning and entry.unit and entry.template for entry in CATALOGUE)
    assert catalogue_frame()["name"].tolist() == names


def test_every_feature_describes_every_row_without_placeholders(produced: pd.DataFrame) -> None:
    for _, row in produced.head(40).iterrows():
        for name in model_feature_names():
            sentence = describe(name, row)
            assert sentence and "{" not in sentence, (name, sentence)


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
    assert describe("trader_age_days", row) == "trader first seen 9 days ago"


def test_false_flags_and_missing_values_have_their_own_wording() -> None:
    row = {"hs6": 10611, "is_waste_code": False, "unit_value_ratio_to_reference": math.nan}
    assert describe("is_waste_code", row) == "HS 0106.11 is not a waste-relevant code"
    assert "not known" in describe("unit_value_ratio_to_reference", row)
    with pytest.raises(KeyError):
        feature("no_such_feature")
