"""The fitted risk model: feature matrix, one calibrated booster per category, contributions.

Serialises to plain JSON plus booster text (`to_dict` / `from_dict`), so it can be logged to
MLflow, shipped to a cluster worker as a string, and loaded without pickles.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from data_contracts.schemas import RISK_CATEGORIES
from models.compiled import CompiledBooster, compile_booster
from models.monitoring import FeatureReference

#: Training target meaning "a violation of any category" (for sources without categories).
ANY_VIOLATION = "any"


@dataclass(frozen=True)
class Matrix:
    """Turns a feature frame into the model's matrix with fixed columns and category levels."""

    feature_names: list[str]
    categories: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def fit(
        cls, frame: pd.DataFrame, feature_names: list[str], *, categorical: list[str] | None = None
    ) -> Matrix:
        """Record the categorical features (named, or not numeric) and their sorted levels."""
        named = set(categorical or [])
        categories = {
            name: sorted(frame[name].dropna().astype("str").unique().tolist())
            for name in feature_names
            if name in named
            or not (
                pd.api.types.is_numeric_dtype(frame[name])
                or pd.api.types.is_bool_dtype(frame[name])
            )
        }
        return cls(list(feature_names), categories)

    @property
    def categorical(self) -> list[str]:
        return list(self.categories)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Numeric columns as float, categorical ones with the training levels (unknown: NaN)."""
        columns: dict[str, Any] = {}
        for name in self.feature_names:
            if name in self.categories:
                levels = self.categories[name]
                values = frame[name].astype("str")
                known = values.where(values.isin(levels))
                columns[name] = pd.Categorical(known, categories=levels)
            else:
                columns[name] = frame[name].astype("float64").to_numpy()
        return pd.DataFrame(columns, index=frame.index)

    def array(self, frame: pd.DataFrame) -> np.ndarray:
        """The matrix as one float64 array, what boosters predict from: categorical columns
        as the codes of their training levels (unknown: NaN), as LightGBM maps a frame."""
        x = np.empty((len(frame), len(self.feature_names)), dtype="float64")
        for position, name in enumerate(self.feature_names):
            if name in self.categories:
                values = frame[name].astype("str")
                codes = pd.Categorical(values, categories=self.categories[name]).codes
                x[:, position] = np.where(codes < 0, np.nan, codes)
            else:
                x[:, position] = frame[name].to_numpy(dtype="float64", na_value=np.nan)
        return x


@dataclass(frozen=True)
class CategoryModel:
    """A booster with its Platt calibration, or only a base rate when data was too thin."""

    booster: lgb.Booster | None
    base_rate: float
    slope: float = 1.0
    intercept: float = 0.0
    valid_average_precision: float | None = None
    #: The booster as native code (`compiled`), used for margins of arrays when present.
    native: CompiledBooster | None = field(default=None, compare=False, repr=False)

    def margin(self, x: pd.DataFrame | np.ndarray) -> np.ndarray:
        if self.booster is None:
            return np.zeros(len(x))
        if self.native is not None and isinstance(x, np.ndarray):
            return self.native.margin(x)
        return np.asarray(
            self.booster.predict(x, raw_score=True, num_iteration=self.booster.best_iteration)
        )

    def probability(self, x: pd.DataFrame | np.ndarray) -> np.ndarray:
        if self.booster is None:
            return np.full(len(x), self.base_rate)
        return 1.0 / (1.0 + np.exp(-(self.slope * self.margin(x) + self.intercept)))


class _Untrained:
    """Stands in for a risk category the model was not trained for: probability 0."""

    def probability(self, x: pd.DataFrame | np.ndarray) -> np.ndarray:
        return np.zeros(len(x))


@dataclass(frozen=True)
class RiskModel:
    """Calibrated probabilities per category and an overall risk."""

    matrix: Matrix
    models: dict[str, CategoryModel]
    trained_until: str = ""
    reference: FeatureReference | None = None

    @property
    def feature_names(self) -> list[str]:
        return self.matrix.feature_names

    @property
    def learned(self) -> list[str]:
        """Targets with a booster; the others are a constant base rate, which ranks nothing."""
        return [name for name, model in self.models.items() if model.booster is not None]

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """`p_waste`, `p_ods`, `p_wildlife` (0 for a category not trained), `p_<target>` for
        every other trained target, and `risk_score` = P(at least one)."""
        x = self.matrix.array(features)
        untrained = _Untrained()
        probabilities = {
            f"p_{name}": self.models.get(name, untrained).probability(x)
            for name in dict.fromkeys((*RISK_CATEGORIES, *self.models))
        }
        none = np.prod([1.0 - p for p in probabilities.values()], axis=0)
        return pd.DataFrame({**probabilities, "risk_score": 1.0 - none}, index=features.index)

    def contributions(self, features: pd.DataFrame, category: str) -> pd.DataFrame:
        """Per-row, per-feature contributions to the category's margin (LightGBM SHAP)."""
        model = self.models.get(category)
        if model is None or model.booster is None:
            return pd.DataFrame(0.0, index=features.index, columns=self.feature_names)
        x = self.matrix.array(features)
        values = model.booster.predict(
            x, pred_contrib=True, num_iteration=model.booster.best_iteration
        )
        return pd.DataFrame(
            np.asarray(values)[:, :-1], index=features.index, columns=self.feature_names
        )

    def compiled(self, cache: Path) -> RiskModel:
        """The same model with its boosters compiled to native code (`models.compiled`),
        cached in the folder `cache`; probabilities are unchanged."""
        models = {
            name: model
            if model.booster is None
            else replace(model, native=compile_booster(model.booster, cache))
            for name, model in self.models.items()
        }
        return replace(self, models=models)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; boosters as LightGBM model text."""
        return {
            "feature_names": self.feature_names,
            "categories": self.matrix.categories,
            "trained_until": self.trained_until,
            "reference": None if self.reference is None else self.reference.to_dict(),
            "models": {
                name: {
                    "booster": None if m.booster is None else m.booster.model_to_string(),
                    "base_rate": m.base_rate,
                    "slope": m.slope,
                    "intercept": m.intercept,
                    "valid_average_precision": m.valid_average_precision,
                }
                for name, m in self.models.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RiskModel:
        models = {}
        for name, m in data["models"].items():
            booster = None if m["booster"] is None else lgb.Booster(model_str=m["booster"])
            models[name] = CategoryModel(
                booster=booster,
                base_rate=m["base_rate"],
                slope=m["slope"],
                intercept=m["intercept"],
                valid_average_precision=m["valid_average_precision"],
            )
        matrix = Matrix(list(data["feature_names"]), dict(data["categories"]))
        reference = data.get("reference")
        return cls(
            matrix=matrix,
            models=models,
            trained_until=data.get("trained_until", ""),
            reference=None if reference is None else FeatureReference.from_dict(reference),
        )
