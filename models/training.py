"""Train calibrated LightGBM risk models, one per category, on inspected declarations only.

Labels exist only where someone looked, and where someone looked was chosen by the old policy.
Each labelled row is weighted by the inverse of the probability it had of being inspected, so
the random stream speaks for the declarations nobody chose, and the model does not merely learn
to copy past targeting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import lightgbm as lgb
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sklearn.metrics import average_precision_score

from data_contracts.schemas import RISK_CATEGORIES, VIOLATION_CATEGORIES
from models.calibration import calibrated_in_the_large, calibration_sample
from models.monitoring import FeatureReference
from models.risk_model import ANY_VIOLATION, CategoryModel, Matrix, RiskModel


class TrainConfig(BaseModel):
    """Options of one training run."""

    model_config = ConfigDict(frozen=True)

    until: dt.date | None = Field(default=None, description="Use data dated before this day")
    # Defaults tuned on the default simulated world (benchmarks/quality.py): rare categories
    # have a few dozen positives, so the validation window must be long enough to hold some,
    # and average precision on it is noisy, so stopping needs patience.
    valid_days: int = Field(default=120, gt=0, description="Last days held out for stopping")
    gap_days: int = Field(default=14, ge=0, description="Gap before validation for late results")
    num_boost_round: int = 600
    # 0.1 rather than 0.05: a third fewer trees (so a third less predict time) at the same
    # quality over five worlds; 0.2 lost 2.6 points of PR-AUC (benchmarks.lean_models).
    learning_rate: float = 0.1
    num_leaves: int = 15
    min_data_in_leaf: int = 40
    feature_fraction: float = 0.8
    lambda_l2: float = 5.0
    early_stopping_rounds: int = 75
    stopping_metric: Literal["binary_logloss", "average_precision"] = Field(
        default="binary_logloss",
        description="Validation metric for early stopping (weighted average precision over a "
        "few dozen positives can peak by chance after a handful of rounds)",
    )
    max_weight: float = Field(
        default=100.0, gt=1, description="Cap of inverse-propensity weights (random stream: 1/rate)"
    )
    refit: bool = Field(
        default=True,
        description="After stopping, refit on every labelled row (validation window included)",
    )
    min_positives: int = Field(default=8, description="Fewer positives: fall back to the base rate")
    seed: int = 0
    targets: tuple[str, ...] = Field(
        default=RISK_CATEGORIES,
        description="One booster per target: a violation category, or 'any' for every violation",
    )

    @field_validator("targets")
    @classmethod
    def _known_targets(cls, targets: tuple[str, ...]) -> tuple[str, ...]:
        return known_targets(targets)


def known_targets(targets: tuple[str, ...]) -> tuple[str, ...]:
    """`targets` if they are distinct violation categories or 'any', else ValueError."""
    allowed = (*(c for c in VIOLATION_CATEGORIES if c != "none"), ANY_VIOLATION)
    unknown = [name for name in targets if name not in allowed]
    if unknown or not targets or len(set(targets)) != len(targets):
        raise ValueError(f"targets must be distinct names from {', '.join(allowed)}")
    return targets


@dataclass(frozen=True)
class Split:
    """Row masks of a time-ordered split with a gap."""

    fit: np.ndarray
    valid: np.ndarray
    valid_start: pd.Timestamp


def labels_for(
    inspections: pd.DataFrame, index: pd.Index, targets: tuple[str, ...] = RISK_CATEGORIES
) -> pd.DataFrame:
    """Violation labels aligned to `index` (declaration ids of labelled rows): one column per
    risk category, then one per other target ('any' is a violation of any category)."""
    found = inspections.set_index("declaration_id").reindex(index)
    violation = found["outcome"].astype("str").eq("violation")
    category = found["violation_category"].astype("str")
    names = dict.fromkeys((*RISK_CATEGORIES, *targets))
    return pd.DataFrame(
        {
            name: (violation & (category.eq(name) | (name == ANY_VIOLATION))).to_numpy()
            for name in names
        },
        index=index,
    )


def ipw_weights(propensity: pd.Series, *, max_weight: float) -> np.ndarray:
    """Inverse-propensity weights, capped and scaled to mean one."""
    weights = (1.0 / propensity.clip(lower=1.0 / max_weight)).to_numpy(dtype=float)
    return weights / weights.mean()


def day_after_last(dates: pd.Series) -> pd.Timestamp:
    """The end (exclusive) of the period `dates` cover: the day after the last one."""
    return pd.Timestamp(dates.max()) + pd.Timedelta(days=1)


def window_before(
    end: pd.Timestamp, *, days: int, gap_days: int
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The last `days` before `end` as (start, fit_end): fitting stops `gap_days` before start.

    The one date arithmetic of every time split here (stopping window and holdout alike).
    """
    start = end - pd.Timedelta(days=days)
    return start, start - pd.Timedelta(days=gap_days)


def time_split(dates: pd.Series, *, valid_days: int, gap_days: int) -> Split:
    """Fit on the past, validate on the last `valid_days`, skipping `gap_days` between them."""
    valid_start, fit_end = window_before(day_after_last(dates), days=valid_days, gap_days=gap_days)
    fit = (dates < fit_end).to_numpy()
    valid = (dates >= valid_start).to_numpy()
    return Split(fit=fit, valid=valid, valid_start=valid_start)


@dataclass(frozen=True)
class HoldoutPlan:
    """The time split of a training run: fit before `fit_until`, evaluate on
    [holdout_start, until), with `gap_days` between them for results that come in late."""

    until: pd.Timestamp
    holdout_start: pd.Timestamp
    fit_until: dt.date

    @classmethod
    def of(
        cls, dates: pd.Series, until: dt.date | None, *, holdout_days: int, gap_days: int
    ) -> HoldoutPlan:
        """The plan for declarations dated `dates`; `until=None` is the day after the last."""
        end = pd.Timestamp(until) if until is not None else day_after_last(dates)
        start, fit_end = window_before(end, days=holdout_days, gap_days=gap_days)
        return cls(until=end, holdout_start=start, fit_until=fit_end.date())

    def in_holdout(self, dates: pd.Series) -> np.ndarray:
        """Which of `dates` fall in the holdout."""
        return ((dates >= self.holdout_start) & (dates < self.until)).to_numpy()

    def holdout(self, features: pd.DataFrame) -> pd.DataFrame:
        """The rows of `features` dated in the holdout, renumbered from zero."""
        rows = self.in_holdout(features["declaration_date"])
        return features[rows].reset_index(drop=True)


@dataclass(frozen=True)
class TrainingRows:
    """The labelled rows a model learns from, with their labels and weights (same order)."""

    features: pd.DataFrame
    labels: pd.DataFrame
    weights: np.ndarray


def training_rows(
    features: pd.DataFrame, inspections: pd.DataFrame, *, config: TrainConfig
) -> TrainingRows:
    """Inspected rows dated before `until` whose result was known before `until`, by date."""
    known, rows = inspections, features
    if config.until is not None:
        cut = pd.Timestamp(config.until)
        known = inspections[inspections["inspection_date"] < cut]
        rows = features[features["declaration_date"] < cut]
    rows = rows[rows["declaration_id"].isin(known["declaration_id"])]
    rows = rows.sort_values(["declaration_date", "declaration_id"]).reset_index(drop=True)
    ids = pd.Index(rows["declaration_id"])
    propensity = known.set_index("declaration_id")["selection_propensity"].reindex(ids)
    return TrainingRows(
        features=rows,
        labels=labels_for(known, ids, config.targets).reset_index(drop=True),
        weights=ipw_weights(propensity.reset_index(drop=True), max_weight=config.max_weight),
    )


def training_problem(
    features: pd.DataFrame,
    inspections: pd.DataFrame,
    *,
    feature_names: list[str],
    config: TrainConfig,
    categorical: list[str] | None = None,
) -> tuple[TrainingRows, Matrix, pd.DataFrame, Split]:
    """What every way of fitting the boosters starts from: rows, matrix, its values, the split."""
    rows = training_rows(features, inspections, config=config)
    matrix = Matrix.fit(rows.features, feature_names, categorical=categorical)
    split = time_split(
        rows.features["declaration_date"], valid_days=config.valid_days, gap_days=config.gap_days
    )
    return rows, matrix, matrix.transform(rows.features), split


def train_risk_model(
    features: pd.DataFrame,
    inspections: pd.DataFrame,
    *,
    feature_names: list[str],
    config: TrainConfig,
    categorical: list[str] | None = None,
) -> RiskModel:
    """Fit one calibrated booster per category on the inspected rows of `features`.

    Args:
        features: one row per declaration with `declaration_id`, `declaration_date` and every
            column of `feature_names`.
        inspections: canonical inspection results.
        feature_names: the catalogued model features to use, in order.
        config: cut date, split, boosting and weighting options.
        categorical: features to treat as categories even when numeric (e.g. HS chapter).
    """
    rows, matrix, x, split = training_problem(
        features, inspections, feature_names=feature_names, config=config, categorical=categorical
    )
    models = {
        name: _fit_category(x, rows.labels[name].to_numpy(), rows.weights, split, matrix, config)
        for name in config.targets
    }
    return assemble_model(features, rows, matrix, models, config=config)


def assemble_model(
    features: pd.DataFrame,
    rows: TrainingRows,
    matrix: Matrix,
    models: dict[str, CategoryModel],
    *,
    config: TrainConfig,
) -> RiskModel:
    """The risk model from fitted boosters: drift reference, calibration in the large, dates.

    Shared by every way of fitting the boosters (here, or on a Dask cluster).
    """
    # Drift is measured against every declaration of the training period, not only the
    # inspected ones (those were chosen by the old policy and look nothing like a batch).
    period = features
    if config.until is not None:
        period = features[features["declaration_date"] < pd.Timestamp(config.until)]
    reference = FeatureReference.fit(
        period[list(matrix.feature_names)], categorical=matrix.categorical
    )
    if config.refit:
        sample = calibration_sample(period, seed=config.seed)
        models = calibrated_in_the_large(models, matrix.transform(sample))
    return RiskModel(
        matrix=matrix,
        models=models,
        trained_until=_trained_until(rows.features),
        reference=reference,
    )


@dataclass(frozen=True)
class TargetSupport:
    """How many positives the labelled rows hold per target, and what they can teach."""

    targets: tuple[str, ...]
    positives: dict[str, int]
    min_positives: int

    @property
    def thin(self) -> tuple[str, ...]:
        """Targets with fewer than `min_positives` positives (a base-rate fallback at best)."""
        return tuple(t for t in self.targets if self.positives.get(t, 0) < self.min_positives)

    @property
    def supported(self) -> tuple[str, ...]:
        """Violation categories with at least `min_positives` positives."""
        return tuple(
            name
            for name in VIOLATION_CATEGORIES
            if name != "none" and self.positives.get(name, 0) >= self.min_positives
        )

    def warning(self) -> str | None:
        """One line for the analyst when a target has too few positives; None when all have."""
        if not self.thin:
            return None
        thin = ", ".join(f"{t} has {self.positives.get(t, 0):,}" for t in self.thin)
        categories = [name for name in VIOLATION_CATEGORIES if name not in ("none", "other")]
        held = ", ".join(f"{self.positives.get(name, 0):,} {name}" for name in categories)
        line = (
            f"too few positives to learn (fewer than {self.min_positives}): {thin}; labels hold "
            f"{held} violations and {self.positives.get('other', 0):,} 'other'"
        )
        if self.supported and set(self.supported) != set(self.targets):
            flags = " ".join(f"--target {name}" for name in self.supported)
            return f"{line}: train with {flags}"
        return f"{line}: no target has enough labels to learn from"


def target_support(
    labels: pd.DataFrame, targets: tuple[str, ...], *, min_positives: int
) -> TargetSupport:
    """Positives per violation category (and 'any') among labelled rows (canonical inspection
    results: `outcome`, `violation_category`), checked against the targets to learn."""
    violation = labels["outcome"].astype("str").eq("violation")
    category = labels["violation_category"].astype("str")
    positives = {
        name: int((violation & category.eq(name)).sum())
        for name in VIOLATION_CATEGORIES
        if name != "none"
    }
    positives[ANY_VIOLATION] = int(violation.sum())
    return TargetSupport(tuple(targets), positives, min_positives)


def booster_params(config: TrainConfig) -> dict[str, object]:
    """LightGBM parameters of a category's booster under `config`."""
    return {
        "objective": "binary",
        "learning_rate": config.learning_rate,
        "num_leaves": config.num_leaves,
        "min_data_in_leaf": config.min_data_in_leaf,
        "feature_fraction": config.feature_fraction,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": config.lambda_l2,
        "metric": config.stopping_metric,
        "seed": config.seed,
        "deterministic": True,
        "num_threads": 2,
        "verbosity": -1,
    }


@dataclass(frozen=True)
class Refitted:
    """A model refitted on every labelled row before `until`, and how many rows that was."""

    model: RiskModel
    training_rows: int


def refit_on_all(
    features: pd.DataFrame, inspections: pd.DataFrame, model: RiskModel, *, config: TrainConfig
) -> Refitted:
    """`model` (fitted and evaluated on an earlier cut) retrained on every labelled row before
    `config.until`: the same features, options and number of rounds per booster (those early
    stopping chose for `model`), its Platt slope; the intercept is solved again over the
    training period (`assemble_model`). A constant target stays constant at its new base rate.

    The holdout that judged `model` is included, so the registered model is not blind to the
    newest results; its evaluation metrics remain those of `model`.
    """
    rows = training_rows(features, inspections, config=config)
    matrix = Matrix.fit(rows.features, model.feature_names, categorical=model.matrix.categorical)
    x = matrix.transform(rows.features)
    params = {**booster_params(config), "metric": "none"}
    models = {}
    for name in config.targets:
        y = rows.labels[name].to_numpy()
        old = model.models[name]
        base_rate = weighted_base_rate(y, rows.weights)
        if old.booster is None:
            models[name] = CategoryModel(booster=None, base_rate=base_rate)
            continue
        every = lgb.Dataset(x, y, weight=rows.weights, categorical_feature=matrix.categorical)
        rounds = old.booster.best_iteration or old.booster.current_iteration()
        booster = lgb.train(params, every, num_boost_round=rounds)
        models[name] = CategoryModel(
            booster=booster,
            base_rate=base_rate,
            slope=old.slope,
            intercept=old.intercept,
            valid_average_precision=old.valid_average_precision,
        )
    refitted = assemble_model(features, rows, matrix, models, config=config)
    return Refitted(refitted, len(rows.features))


def _trained_until(labelled: pd.DataFrame) -> str:
    return str(labelled["declaration_date"].max().date()) if len(labelled) else ""


def weighted_base_rate(y: np.ndarray, weights: np.ndarray) -> float:
    """Share of positives among the labelled rows, weighted as in training (0 with no rows)."""
    return float(np.average(y, weights=weights)) if len(y) else 0.0


def enough_positives(y: np.ndarray, split: Split, config: TrainConfig) -> bool:
    """Whether a category can have a booster: `min_positives` in the fit rows and at least two
    in the validation window; otherwise it falls back to its base rate."""
    return bool(y[split.fit].sum() >= config.min_positives and y[split.valid].sum() >= 2)


def base_rate_fallback(
    y: np.ndarray, weights: np.ndarray, split: Split, config: TrainConfig
) -> CategoryModel | None:
    """The base-rate model of a category with too few positives for a booster
    (`enough_positives`), or None when it gets one."""
    if enough_positives(y, split, config):
        return None
    return CategoryModel(booster=None, base_rate=weighted_base_rate(y, weights))


def calibrated_category(
    booster: lgb.Booster,
    margin: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    split: Split,
) -> CategoryModel:
    """A category's model from its final booster and the stopped booster's raw `margin` on the
    validation rows: Platt scaling and average precision on that window, base rate on all rows.

    Shared by every way of fitting the boosters (here, or on a Dask cluster).
    """
    valid = split.valid
    slope, intercept = platt_scaling(margin, y[valid], weights[valid])
    return CategoryModel(
        booster=booster,
        base_rate=weighted_base_rate(y, weights),
        slope=slope,
        intercept=intercept,
        valid_average_precision=float(
            average_precision_score(y[valid], margin, sample_weight=weights[valid])
        ),
    )


def _fit_category(
    x: pd.DataFrame,
    y: np.ndarray,
    weights: np.ndarray,
    split: Split,
    matrix: Matrix,
    config: TrainConfig,
) -> CategoryModel:
    fallback = base_rate_fallback(y, weights, split, config)
    if fallback is not None:
        return fallback
    params = booster_params(config)
    fit_set = lgb.Dataset(
        x[split.fit],
        y[split.fit],
        weight=weights[split.fit],
        categorical_feature=matrix.categorical,
        free_raw_data=False,
    )
    valid_set = fit_set.create_valid(x[split.valid], y[split.valid], weight=weights[split.valid])
    booster = lgb.train(
        params,
        fit_set,
        num_boost_round=config.num_boost_round,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(config.early_stopping_rounds, verbose=False)],
    )
    margin = booster.predict(x[split.valid], raw_score=True, num_iteration=booster.best_iteration)
    final = _refit(booster, x, y, weights, split, params, matrix) if config.refit else booster
    return calibrated_category(final, np.asarray(margin), y, weights, split)


def _refit(
    stopped: lgb.Booster,
    x: pd.DataFrame,
    y: np.ndarray,
    weights: np.ndarray,
    split: Split,
    params: dict[str, object],
    matrix: Matrix,
) -> lgb.Booster:
    """The stopped booster's recipe retrained on every labelled row, with rounds scaled up.

    The newest results are the ones most like the next batch (new tactics start there), so
    the final model learns from them too; the validation window has already chosen the number
    of rounds and the Platt slope, which the refitted booster keeps (its intercept is solved
    again over the training period, `models.calibration`).
    """
    rounds = refit_rounds(stopped.best_iteration, split)
    every = lgb.Dataset(x, y, weight=weights, categorical_feature=matrix.categorical)
    return lgb.train({**params, "metric": "none"}, every, num_boost_round=rounds)


def refit_rounds(best_iteration: int, split: Split) -> int:
    """Rounds of the refit on every labelled row: the stopped rounds scaled up by the share of
    rows the stopped booster was fitted on."""
    return max(1, round(best_iteration * len(split.fit) / max(int(split.fit.sum()), 1)))


def platt_scaling(margin: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Weighted Platt scaling of raw margins: p = sigmoid(slope * margin + intercept)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0)
    model.fit(margin.reshape(-1, 1), y, sample_weight=weights)
    return float(model.coef_[0, 0]), float(model.intercept_[0])
