"""Description family: keyword flags, emptiness, and the description-mismatch model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from features import DescriptionMismatch, build_training_features
from tests.unit.features_fixtures import declarations, features_of, no_inspections

FLAGS = {
    "Used laptops, second-hand": {"mentions_used"},
    "PLASTIC  SCRAP in bales": {"mentions_scrap_or_waste"},
    "recycled HCFC-22": {"mentions_recycled", "mentions_refrigerant_code",
                         "mentions_controlled_ods"},
    "R22 gas cylinders": {"mentions_refrigerant_code", "mentions_controlled_ods"},
    "HFC-134a refrigerant": {"mentions_refrigerant_code"},
    "Personal effects and household goods": {"mentions_personal_effects"},
    "General cargo": {"description_is_generic"},
    "pangolin scales": {"mentions_protected_species"},
    "weighing scales, electronic": set(),
    "sesame seeds": set(),
}  # fmt: skip
KEYWORD_FLAGS = (
    "mentions_used",
    "mentions_scrap_or_waste",
    "mentions_recycled",
    "mentions_refrigerant_code",
    "mentions_controlled_ods",
    "mentions_personal_effects",
    "mentions_protected_species",
    "description_is_generic",
)


def test_keyword_flags() -> None:
    texts = list(FLAGS)
    features = build_training_features(
        declarations(*({"goods_description": text} for text in texts)), no_inspections()
    )
    for i, text in enumerate(texts, start=1):
        row = features_of(features, f"D{i}")
        fired = {flag for flag in KEYWORD_FLAGS if row[flag]}
        assert fired == FLAGS[text], text


def test_empty_description() -> None:
    features = build_training_features(
        declarations({"goods_description": ""}, {"goods_description": "  Sesame   seeds "}),
        no_inspections(),
    )
    empty, spaced = features_of(features, "D1"), features_of(features, "D2")
    assert empty["description_is_empty"] and empty["description_length_chars"] == 0
    assert math.isnan(empty["description_heading_mismatch"])
    assert math.isnan(empty["description_chapter_mismatch"])
    assert not spaced["description_is_empty"]
    assert spaced["description_length_chars"] == len("sesame seeds")


def _history(n: int = 60) -> pd.DataFrame:
    goods = [
        ("sesame seeds hulled in jute bags", "120740"),
        ("r-134a refrigerant gas cylinders", "290345"),
        ("raw ivory tusks", "050710"),
        ("frozen boneless beef cuts", "020230"),
    ]
    rows = [{"goods_description": text, "hs_code": code} for text, code in goods] * n
    return declarations(*rows)


def test_mismatch_is_low_for_a_fitting_and_high_for_a_foreign_description() -> None:
    model = DescriptionMismatch(min_declarations=100).fit(_history())
    batch = declarations(
        {"goods_description": "sesame seeds hulled", "hs_code": "120740"},
        {"goods_description": "raw ivory tusks", "hs_code": "120740"},
        {"goods_description": "", "hs_code": "120740"},
    )
    scores = model.transform(batch.set_index(pd.Index([10, 11, 12])))
    assert list(scores.index) == [10, 11, 12]
    fitting, foreign, empty = scores.to_numpy()
    assert fitting[1] < 0.2 and fitting[0] < 0.2
    assert foreign[0] > 0.8 and foreign[1] > 0.8
    assert np.isnan(empty).all()


def test_mismatch_is_unknown_for_a_heading_never_seen() -> None:
    model = DescriptionMismatch(reference_weight=0.0, min_declarations=0).fit(_history(5))
    scores = model.transform(declarations({"goods_description": "cotton t-shirts",
                                           "hs_code": "610910"}))  # fmt: skip
    assert np.isnan(scores.to_numpy()).all()


def test_mismatch_waits_for_enough_history() -> None:
    model = DescriptionMismatch(min_declarations=1000).fit(_history(60))
    scores = model.transform(declarations({"goods_description": "raw ivory tusks",
                                           "hs_code": "120740"}))  # fmt: skip
    assert np.isnan(scores.to_numpy()).all()


def test_mismatch_model_is_a_scikit_learn_estimator() -> None:
    model = DescriptionMismatch(alpha=0.5)
    assert clone(model).get_params()["alpha"] == 0.5
    assert not hasattr(clone(model.fit(_history(2))), "headings_")


def test_training_path_scores_a_month_with_the_model_of_earlier_months() -> None:
    history = _history(20).assign(declaration_date=pd.Timestamp("2024-01-10"))
    later = declarations(
        {"declaration_date": "2024-02-03", "goods_description": "raw ivory tusks",
         "hs_code": "120740", "declaration_id": "X1"},
        {"declaration_date": "2024-02-03", "goods_description": "raw ivory tusks",
         "hs_code": "120740", "declaration_id": "X2"},
    )  # fmt: skip
    frame = pd.concat([history, later], ignore_index=True)
    model = DescriptionMismatch(min_declarations=50)
    features = build_training_features(frame, no_inspections(), description_model=model)
    expected = clone(model).fit(history).transform(later)
    got = features.set_index("declaration_id").loc[["X1", "X2"]]
    assert got["description_heading_mismatch"].to_numpy() == pytest.approx(
        expected["description_heading_mismatch"].to_numpy()
    )
