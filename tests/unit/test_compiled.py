"""Compiled boosters (lleaves): LightGBM's margins, a cache that is reused, and pickling."""

from __future__ import annotations

import pickle
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from models.compiled import compile_booster
from models.risk_model import CategoryModel, Matrix, RiskModel

NAMES = ["a", "b", "chapter"]


@pytest.fixture(scope="module")
def model_and_features() -> tuple[RiskModel, pd.DataFrame]:
    """A two-category model over a numeric feature with gaps and a categorical one."""
    rng = np.random.default_rng(5)
    n = 3_000
    frame = pd.DataFrame(
        {
            "a": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "b": rng.normal(size=n),
            "chapter": rng.choice(["27", "38", "44", "84"], n),
        }
    )
    label = (frame["a"].fillna(0) + frame["chapter"].isin(["38", "44"]) * 1.5) > 1.2
    matrix = Matrix.fit(frame, NAMES, categorical=["chapter"])
    x = matrix.transform(frame)
    params = {"objective": "binary", "num_leaves": 7, "verbosity": -1, "seed": 1}
    models = {
        name: CategoryModel(
            booster=lgb.train(
                {**params, "seed": seed},
                lgb.Dataset(x, label.to_numpy() ^ (seed == 2), categorical_feature=["chapter"]),
                num_boost_round=40,
            ),
            base_rate=0.1,
            slope=0.9,
            intercept=-0.2,
        )
        for seed, name in ((1, "waste"), (2, "ods"))
    }
    models["wildlife"] = CategoryModel(booster=None, base_rate=0.01)
    # Rows the boosters never saw: a chapter unknown to training, gaps in both numbers.
    scored = frame.head(500).copy()
    scored.loc[:20, "chapter"] = "99"
    scored.loc[30:40, "b"] = np.nan
    return RiskModel(matrix=matrix, models=models), scored


def test_the_array_matrix_gives_lightgbm_the_same_margins_as_the_frame(
    model_and_features: tuple[RiskModel, pd.DataFrame],
) -> None:
    model, features = model_and_features
    array = model.matrix.array(features)
    assert np.isnan(array[:21, 2]).all()  # the unknown chapter is missing, as in the frame
    for category in model.learned:
        booster = model.models[category].booster
        assert booster is not None
        expected = booster.predict(model.matrix.transform(features), raw_score=True)
        np.testing.assert_array_equal(booster.predict(array, raw_score=True), expected)


def test_a_compiled_model_predicts_what_lightgbm_predicts(
    model_and_features: tuple[RiskModel, pd.DataFrame], tmp_path: Path
) -> None:
    model, features = model_and_features
    compiled = model.compiled(tmp_path)
    assert all(compiled.models[c].native is not None for c in model.learned)
    assert compiled.models["wildlife"].native is None
    pd.testing.assert_frame_equal(compiled.predict(features), model.predict(features), atol=1e-12)
    # One row at a time (the service's path) gives the same margins as the whole batch.
    native = compiled.models["waste"].native
    assert native is not None
    rows = model.matrix.array(features.head(5))
    one_by_one = [native.margin(rows[i : i + 1])[0] for i in range(5)]
    np.testing.assert_allclose(one_by_one, native.margin(rows), atol=1e-12)


def test_the_object_code_is_cached_by_the_trees_and_reused(
    model_and_features: tuple[RiskModel, pd.DataFrame], tmp_path: Path
) -> None:
    model, _ = model_and_features
    booster = model.models["waste"].booster
    assert booster is not None
    first = compile_booster(booster, tmp_path)
    stamp = first.path.stat().st_mtime_ns
    again = compile_booster(booster, tmp_path)
    assert again.path == first.path and again.path.stat().st_mtime_ns == stamp
    other = model.models["ods"].booster
    assert other is not None
    assert compile_booster(other, tmp_path).path != first.path
    assert not list(tmp_path.glob("*.part"))  # no half-written file is left behind


def test_a_compiled_model_pickles_as_its_text_and_loads_its_code_again(
    model_and_features: tuple[RiskModel, pd.DataFrame], tmp_path: Path
) -> None:
    model, features = model_and_features
    compiled = model.compiled(tmp_path / "cache")
    restored = pickle.loads(pickle.dumps(compiled))
    assert restored.models["waste"].native is not None
    pd.testing.assert_frame_equal(restored.predict(features), compiled.predict(features))
