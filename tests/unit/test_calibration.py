"""Calibration in the large of refitted boosters."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.calibration import calibrated_in_the_large, calibration_sample, intercept_for_rate
from models.risk_model import CategoryModel
from tests.unit.test_training import FEATURES, trained, world


def test_intercept_for_constant_margins_is_the_logit_of_the_rate() -> None:
    assert intercept_for_rate(np.zeros(10), 0.1) == pytest.approx(math.log(0.1 / 0.9), abs=1e-9)


def test_intercept_matches_the_rate_for_spread_margins() -> None:
    margin = np.random.default_rng(0).normal(0, 2, 5_000)
    intercept = intercept_for_rate(margin, 0.02)
    assert np.mean(1 / (1 + np.exp(-(margin + intercept)))) == pytest.approx(0.02, rel=1e-6)


def test_sample_is_seeded_and_bounded() -> None:
    frame = pd.DataFrame({"a": np.arange(100)})
    first = calibration_sample(frame, seed=3, rows=10)
    assert len(first) == 10 and first.equals(calibration_sample(frame, seed=3, rows=10))
    assert calibration_sample(frame, seed=3, rows=500) is frame


def test_recalibrated_model_averages_to_its_base_rate_over_the_population() -> None:
    features, _, _ = world()
    model = trained()
    x = model.matrix.transform(features)
    solved = calibrated_in_the_large(model.models, x)
    for name, category in solved.items():
        if category.booster is not None:
            assert category.probability(x).mean() == pytest.approx(category.base_rate, rel=1e-6)
            assert category.slope == model.models[name].slope
    assert set(FEATURES) == set(model.feature_names)


def test_models_without_a_booster_are_left_alone() -> None:
    base = CategoryModel(booster=None, base_rate=0.01)
    assert calibrated_in_the_large({"ods": base}, pd.DataFrame({"a": [1.0]}))["ods"] is base
