"""Calibration in the large: probabilities that average to the violation rate of the population.

The booster refitted on every labelled row has larger margins than the stopped one its Platt
scaling was fitted on, so its intercept is re-solved: averaged over the declarations of the
training period (inspected or not), the probabilities must equal the inverse-propensity
estimate of the violation rate, which is what the random stream makes unbiased.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from models.risk_model import CategoryModel

#: Declarations of the training period used to solve the intercepts (a seeded sample).
SAMPLE_ROWS = 50_000


def intercept_for_rate(scaled_margin: np.ndarray, rate: float, *, steps: int = 60) -> float:
    """The intercept b such that mean(sigmoid(scaled_margin + b)) equals `rate` (bisection)."""
    target = float(np.clip(rate, 1e-9, 1 - 1e-9))
    low, high = -40.0, 40.0
    for _ in range(steps):
        middle = (low + high) / 2
        mean = float(np.mean(1.0 / (1.0 + np.exp(-(scaled_margin + middle)))))
        low, high = (middle, high) if mean < target else (low, middle)
    return (low + high) / 2


def calibration_sample(period: pd.DataFrame, *, seed: int, rows: int = SAMPLE_ROWS) -> pd.DataFrame:
    """At most `rows` declarations of the period, drawn without replacement with `seed`."""
    if len(period) <= rows:
        return period
    picked = np.random.default_rng(seed).choice(len(period), size=rows, replace=False)
    return period.iloc[np.sort(picked)]


def calibrated_in_the_large(
    models: dict[str, CategoryModel], x: pd.DataFrame
) -> dict[str, CategoryModel]:
    """Each booster's intercept re-solved so its mean probability over `x` is its base rate."""
    solved = {}
    for name, model in models.items():
        if model.booster is None or len(x) == 0:
            solved[name] = model
            continue
        intercept = intercept_for_rate(model.slope * model.margin(x), model.base_rate)
        solved[name] = replace(model, intercept=intercept)
    return solved
