"""Model reasons: the strongest positive contributions of the top category, as sentences."""

from __future__ import annotations

from collections.abc import Callable

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models.explain import (
    Attribution,
    merge_reasons,
    model_reasons,
    path_contributions,
    row_records,
)
from models.risk_model import CategoryModel, Matrix, RiskModel

NAMES = ["a", "b", "c", "d", "e"]


def describe(name: str, row: object) -> str:
    return f"{name} is {row[name]:.3f}"  # type: ignore[index]


@pytest.fixture(scope="module")
def model_and_features() -> tuple[RiskModel, pd.DataFrame]:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(2_000, len(NAMES))), columns=NAMES)
    label = (frame["a"] + 0.5 * frame["b"] - frame["c"] + rng.normal(0, 0.5, len(frame))) > 1.5
    matrix = Matrix.fit(frame, NAMES)
    booster = lgb.train(
        {"objective": "binary", "num_leaves": 7, "verbosity": -1, "seed": 1},
        lgb.Dataset(matrix.transform(frame), label.to_numpy()),
        num_boost_round=30,
    )
    models = {
        "waste": CategoryModel(booster=booster, base_rate=float(label.mean())),
        "ods": CategoryModel(booster=None, base_rate=0.02),
        "wildlife": CategoryModel(booster=None, base_rate=0.001),
    }
    features = frame.head(300).set_index(pd.RangeIndex(100, 400))
    return RiskModel(matrix=matrix, models=models), features


def reference_reasons(
    features: pd.DataFrame,
    model: RiskModel,
    words: Callable[[str, object], str] = describe,
    attribution: Attribution = "path",
) -> pd.Series:
    """The rule written row by row: the waste booster's positive contributions (along tree
    paths, or SHAP), largest first, that `words` turns into a sentence, up to three."""
    expected = pd.Series([[] for _ in range(len(features))], index=features.index, dtype=object)
    contributions = (
        path_contributions(model, features, "waste")
        if attribution == "path"
        else model.contributions(features, "waste")
    )
    for row_id in features.index:
        values = contributions.loc[row_id].sort_values(ascending=False, kind="stable")
        sentences = [words(name, features.loc[row_id]) for name in values[values > 0].index]
        expected.at[row_id] = [text for text in sentences if text][:3]
    return expected


@pytest.mark.parametrize("attribution", ["path", "shap"])
def test_reasons_are_the_strongest_positive_contributions_of_a_learned_category(
    model_and_features: tuple[RiskModel, pd.DataFrame], attribution: Attribution
) -> None:
    model, features = model_and_features
    scores = model.predict(features)
    # A third of the rows top out on ODS, whose model is a base rate: it explains nothing, so
    # their reasons come from the learned waste booster like every other row's.
    scores.loc[scores.index[::3], "p_ods"] = 0.99
    reasons = model_reasons(features, scores, model, describe, attribution=attribution)
    pd.testing.assert_series_equal(
        reasons, reference_reasons(features, model, attribution=attribution)
    )
    # (Paths give no positive part to some low-risk rows; SHAP to fewer still.)
    assert reasons.loc[scores.index[::3]].map(len).gt(0).mean() > 0.5
    assert reasons.map(len).max() == 3


@pytest.mark.parametrize("attribution", ["path", "shap"])
def test_contributions_that_are_not_risk_indicators_give_way_to_the_next(
    model_and_features: tuple[RiskModel, pd.DataFrame], attribution: Attribution
) -> None:
    model, features = model_and_features

    def only_b_and_c(name: str, row: object) -> str:
        return describe(name, row) if name in ("b", "c") else ""

    scores = model.predict(features)
    reasons = model_reasons(features, scores, model, only_b_and_c, attribution=attribution)
    expected = reference_reasons(features, model, only_b_and_c, attribution)
    pd.testing.assert_series_equal(reasons, expected)
    named = {sentence.split(" ")[0] for row in reasons for sentence in row}
    assert named == {"b", "c"}


def test_a_model_of_base_rates_only_gives_no_model_reasons(
    model_and_features: tuple[RiskModel, pd.DataFrame],
) -> None:
    model, features = model_and_features
    constant = RiskModel(
        matrix=model.matrix, models={"waste": CategoryModel(booster=None, base_rate=0.1)}
    )
    reasons = model_reasons(features, constant.predict(features), constant, describe)
    assert constant.learned == [] and reasons.map(len).eq(0).all()


def test_merged_reasons_keep_profiles_first_without_repeats() -> None:
    index = pd.Index([7, 8])
    profiles = pd.Series([["profile X"], []], index=index, dtype=object)
    model = pd.Series([["a", "profile X", "b", "c"], ["d"]], index=index, dtype=object)
    merged = merge_reasons(profiles, model)
    assert merged.tolist() == ["profile X; a; b", "d"]


def test_path_contributions_split_the_margin_exactly(
    model_and_features: tuple[RiskModel, pd.DataFrame],
) -> None:
    model, features = model_and_features
    booster = model.models["waste"].booster
    assert booster is not None
    margin = booster.predict(model.matrix.transform(features), raw_score=True)
    roots = sum(
        tree["tree_structure"].get("internal_value", tree["tree_structure"].get("leaf_value", 0.0))
        for tree in booster.dump_model()["tree_info"]
    )
    paths = path_contributions(model, features, "waste")
    assert list(paths.columns) == NAMES and paths.index.equals(features.index)
    np.testing.assert_allclose(paths.sum(axis=1) + roots, margin, atol=1e-9)
    assert path_contributions(model, features, "ods").eq(0).all().all()


def test_path_attribution_reasons_follow_the_path_contributions(
    model_and_features: tuple[RiskModel, pd.DataFrame],
) -> None:
    model, features = model_and_features
    scores = model.predict(features)
    reasons = model_reasons(features, scores, model, describe, attribution="path")
    paths = path_contributions(model, features, "waste")
    waste_on_top = scores.index[scores["p_waste"] >= scores[["p_ods", "p_wildlife"]].max(axis=1)]
    assert len(waste_on_top) > 20
    for row_id in waste_on_top[:50]:
        values = paths.loc[row_id].sort_values(ascending=False, kind="stable")
        expected = [describe(name, features.loc[row_id]) for name in values[values > 0].index[:3]]
        assert reasons.at[row_id] == expected


def test_row_records_are_what_pandas_gives_row_by_row() -> None:
    frame = pd.DataFrame(
        {
            "number": [1.5, np.nan, 3.0],
            "count": pd.array([1, None, 3], dtype="Int64"),
            "flag": [True, False, True],
            "text": pd.array(["a", None, "c"], dtype="str"),
            "day": pd.to_datetime(["2025-01-01", None, "2025-01-03"]),
            "whole": [1, 2, 3],
        }
    )
    records, expected = row_records(frame), frame.to_dict(orient="records")
    assert [list(map(type, r.values())) for r in records] == [
        list(map(type, r.values())) for r in expected
    ]
    assert str(records) == str(expected)
