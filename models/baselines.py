"""Baselines every model is measured against: random, profiles only, logistic regression, and a
quick LightGBM on six raw declaration features.

The logistic and quick baselines learn from the same rows, labels and inverse-propensity weights
as the model (`models.training.training_rows`); the promotion gate (`models.gate`) refuses a
model that does not rank better than the best of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from data_contracts.schemas import RISK_CATEGORIES
from models.risk_model import Matrix
from models.rules import ProfileSet

_LANE_WEIGHT = {"red": 1.0, "yellow": 0.5}


def random_scores(index: pd.Index, *, seed: int = 0) -> pd.DataFrame:
    """A uniformly random ranking (what a random inspection stream achieves)."""
    rng = np.random.default_rng(seed)
    values = {f"p_{name}": rng.random(len(index)) for name in RISK_CATEGORIES}
    frame = pd.DataFrame(values, index=index)
    return frame.assign(risk_score=frame.max(axis=1))


def profile_scores(fired: pd.DataFrame, profiles: ProfileSet) -> pd.DataFrame:
    """Scores from profiles alone: per category, the heaviest lane among the fired profiles.

    Red-lane hits score 1, yellow-lane hits 0.5; a small bonus per extra hit orders rows that
    several profiles agree on ahead of single hits.
    """
    columns = {}
    for name in RISK_CATEGORIES:
        members = [p for p in profiles.profiles if p.category == name]
        weights = np.array([_LANE_WEIGHT[p.lane] for p in members])
        hits = fired[[p.id for p in members]].to_numpy(dtype=float)
        strongest = (hits * weights).max(axis=1) if members else np.zeros(len(fired))
        extra = hits.sum(axis=1) / 100 if members else 0.0
        columns[f"p_{name}"] = np.minimum(strongest + extra, 1.0)
    frame = pd.DataFrame(columns, index=fired.index)
    return frame.assign(risk_score=frame.max(axis=1))


@dataclass(frozen=True)
class LogisticBaseline:
    """One weighted logistic regression per target on the same features as the model."""

    matrix: Matrix
    models: dict[str, Pipeline | float]

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """`p_<target>` per fitted target (0 for a risk category not fitted), `risk_score`."""
        x = self.matrix.transform(features)
        columns = {}
        for name in dict.fromkeys((*RISK_CATEGORIES, *self.models)):
            model = self.models.get(name, 0.0)
            if isinstance(model, float):
                columns[f"p_{name}"] = np.full(len(x), model)
            else:
                columns[f"p_{name}"] = model.predict_proba(_as_objects(x, self.matrix))[:, 1]
        return _with_risk(pd.DataFrame(columns, index=features.index))


def fit_logistic_baseline(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    weights: np.ndarray,
    matrix: Matrix,
    targets: tuple[str, ...] = RISK_CATEGORIES,
) -> LogisticBaseline:
    """Fit the logistic baseline on the same rows, labels, weights and targets as the model."""
    x = _as_objects(matrix.transform(features), matrix)
    models: dict[str, Pipeline | float] = {}
    for name in targets:
        y = labels[name].to_numpy(dtype=bool)
        if y.sum() < 2 or y.all():
            models[name] = float(y.mean()) if len(y) else 0.0
            continue
        pipeline = _logistic_pipeline(matrix)
        pipeline.fit(x, y, logisticregression__sample_weight=weights)
        models[name] = pipeline
    return LogisticBaseline(matrix, models)


def _logistic_pipeline(matrix: Matrix) -> Pipeline:
    numeric = [n for n in matrix.feature_names if n not in matrix.categories]
    encode = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "categorical",
                OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20),
                matrix.categorical,
            ),
        ]
    )
    return make_pipeline(encode, LogisticRegression(C=0.5, max_iter=500))


def _as_objects(x: pd.DataFrame, matrix: Matrix) -> pd.DataFrame:
    """Categoricals as plain strings ('missing' for unknown) so the encoder sees stable values."""
    converted = {
        name: x[name].astype("object").where(x[name].notna(), "missing").astype("str")
        if name in matrix.categories
        else x[name]
        for name in matrix.feature_names
    }
    return pd.DataFrame(converted, index=x.index)


def _with_risk(frame: pd.DataFrame) -> pd.DataFrame:
    """Add `risk_score` = P(at least one target) to per-target probabilities."""
    none = np.prod([1.0 - frame[c] for c in frame.columns], axis=0)
    return frame.assign(risk_score=1.0 - none)


#: The quick baseline's six raw declaration features, all in the training feature table: what a
#: clerk reads off the declaration without any history (value, weight, value per kg, tariff
#: chapter and subheading, origin). No trader, route or outcome history, no description text.
QUICK_FEATURES = (
    "declared_value_usd",
    "declared_net_weight_kg",
    "unit_value_usd_per_kg",
    "hs_chapter",
    "hs6",
    "origin_country",
)
#: Categorical among them (origin is text, so `Matrix.fit` treats it as a category anyway).
QUICK_CATEGORICAL = ("hs_chapter", "origin_country")
#: Small and fast: 100 rounds of 15 leaves, no early stopping, no calibration (ranking only).
QUICK_PARAMS: dict[str, object] = {
    "objective": "binary",
    "learning_rate": 0.1,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "lambda_l2": 5.0,
    "deterministic": True,
    "num_threads": 2,
    "verbosity": -1,
}
QUICK_ROUNDS = 100


@dataclass(frozen=True)
class QuickBaseline:
    """One small LightGBM per target on `QUICK_FEATURES` (a base rate where labels are thin)."""

    matrix: Matrix
    models: dict[str, lgb.Booster | float]

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """`p_<target>` per fitted target (0 for a risk category not fitted), `risk_score`."""
        x = self.matrix.transform(features)
        columns = {}
        for name in dict.fromkeys((*RISK_CATEGORIES, *self.models)):
            model = self.models.get(name, 0.0)
            columns[f"p_{name}"] = (
                np.full(len(x), model)
                if isinstance(model, float)
                else np.asarray(model.predict(x), dtype=float)
            )
        return _with_risk(pd.DataFrame(columns, index=features.index))


def fit_quick_baseline(
    features: pd.DataFrame,
    labels: pd.DataFrame,
    weights: np.ndarray,
    targets: tuple[str, ...] = RISK_CATEGORIES,
    *,
    seed: int = 0,
) -> QuickBaseline:
    """Fit the quick baseline on the same rows, labels, weights and targets as the model (on
    those of `QUICK_FEATURES` the table holds: a table built by another feature set may lack
    some)."""
    names = [name for name in QUICK_FEATURES if name in features.columns]
    if not names:
        raise ValueError(f"the feature table has none of {', '.join(QUICK_FEATURES)}")
    categorical = [name for name in QUICK_CATEGORICAL if name in names]
    matrix = Matrix.fit(features, names, categorical=categorical)
    x = matrix.transform(features)
    models: dict[str, lgb.Booster | float] = {}
    for name in targets:
        y = labels[name].to_numpy(dtype=bool)
        if y.sum() < 2 or y.all():
            models[name] = float(y.mean()) if len(y) else 0.0
            continue
        data = lgb.Dataset(x, y, weight=weights, categorical_feature=matrix.categorical)
        models[name] = lgb.train({**QUICK_PARAMS, "seed": seed}, data, num_boost_round=QUICK_ROUNDS)
    return QuickBaseline(matrix, models)
