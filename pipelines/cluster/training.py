"""Training the risk model with `lightgbm.dask` on a cluster (an option of the training caller).

The rows, labels, weights, feature matrix and time split are those of `models.training`; only
the boosting runs on the cluster (`DaskLGBMClassifier`, data-parallel trees). What differs from
`train_risk_model`, because `lightgbm.dask` has no early stopping callback:
- the first booster runs all `config.num_boost_round` rounds on the fit rows; the number of
  rounds is then chosen afterwards, on the client, as the one with the lowest weighted log loss
  on the validation window (checked every `STEP` rounds, so it can be up to STEP-1 rounds off
  the pandas early-stopping choice, and it never stops a run early: it costs the full rounds);
- the refit on every labelled row (rounds scaled up as in pandas) is a second cluster fit;
- Platt scaling on the validation window and the calibration in the large are the same;
- trees are data-parallel over partitions (histograms merged across workers), so the boosters
  are not bit-identical to the single-machine ones. Nor are two cluster runs: `lightgbm.dask`
  numbers its ranks in the order of `Client.who_has`, which iterates a set of keys, so which
  rank gets which partition changes from run to run (seen with a spy on `_train_part`), and
  a rank builds the bin boundaries of its share of the features from its own rows. The pandas
  path is the reproducible one.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import log_loss

from models.risk_model import CategoryModel, Matrix, RiskModel
from models.training import (
    Split,
    TrainConfig,
    assemble_model,
    base_rate_fallback,
    calibrated_category,
    refit_rounds,
    training_problem,
)
from pipelines.cluster.client import client_workers


def train_on_cluster(
    features: pd.DataFrame,
    inspections: pd.DataFrame,
    *,
    client: Any,
    feature_names: list[str],
    config: TrainConfig,
    categorical: list[str] | None = None,
    npartitions: int | None = None,
) -> RiskModel:
    """`train_risk_model` with each category's booster fitted by `lightgbm.dask` on `client`
    (`npartitions`, default one per worker, is the number of LightGBM ranks)."""
    npartitions = npartitions or client_workers(client)
    lgb.register_logger(_LightGBMMessages())
    rows, matrix, x, split = training_problem(
        features, inspections, feature_names=feature_names, config=config, categorical=categorical
    )
    models = {
        name: _fit_category(
            client,
            x,
            rows.labels[name].to_numpy(),
            rows.weights,
            split,
            matrix,
            config,
            npartitions,
        )
        for name in config.targets
    }
    return assemble_model(features, rows, matrix, models, config=config)


#: Granularity of the after-the-fact choice of the number of rounds.
STEP = 5
_LOG = logging.getLogger("lightgbm")


class _LightGBMMessages:
    """Where LightGBM's Python-side messages go (`lgb.register_logger`) once a cluster fit ran.

    Info lines (lightgbm.dask prints how it found ports on every fit, on the CLI's stdout) become
    DEBUG records of the `lightgbm` logger. Warnings stay warnings, except "Parameter n_jobs will
    be ignored.", which lightgbm.dask gives on every fit because its own scikit-learn wrapper
    always passes `n_jobs`.
    """

    def info(self, message: str) -> None:
        _LOG.debug(message)

    def warning(self, message: str) -> None:
        if message.strip() != "Parameter n_jobs will be ignored.":
            warnings.warn(message, stacklevel=3)


def _classifier(client: Any, config: TrainConfig, rounds: int) -> Any:
    from lightgbm.dask import DaskLGBMClassifier

    return DaskLGBMClassifier(
        client=client,
        objective="binary",
        n_estimators=rounds,
        learning_rate=config.learning_rate,
        num_leaves=config.num_leaves,
        min_child_samples=config.min_data_in_leaf,
        colsample_bytree=config.feature_fraction,
        subsample=0.8,
        subsample_freq=1,
        reg_lambda=config.lambda_l2,
        random_state=config.seed,
        deterministic=True,
        force_col_wise=True,
        verbosity=-1,
    )


def _fit(
    client: Any,
    config: TrainConfig,
    rounds: int,
    data: tuple[pd.DataFrame, np.ndarray, np.ndarray],
    matrix: Matrix,
    npartitions: int,
) -> Any:
    import dask.dataframe as dd

    x, y, weights = data
    # Rows are dealt out in turn (row i to partition i mod n), so every partition spans the
    # whole period: each LightGBM rank bins its share of the features from its own rows, and
    # contiguous blocks would give one rank only the old rows and another only the new ones.
    dealt = np.argsort(np.arange(len(y)) % npartitions, kind="stable")
    x, y, weights = x.iloc[dealt], y[dealt], weights[dealt]

    def parts(frame: Any) -> Any:
        return dd.from_pandas(frame, npartitions=npartitions, sort=False)

    classifier = _classifier(client, config, rounds)
    classifier.fit(
        parts(x.reset_index(drop=True)),
        parts(pd.Series(y)),
        sample_weight=parts(pd.Series(weights)),
        categorical_feature=matrix.categorical,
    )
    return classifier.booster_


def _best_rounds(booster: Any, x: pd.DataFrame, y: np.ndarray, weights: np.ndarray) -> int:
    """Rounds with the lowest weighted validation log loss (what early stopping would keep)."""
    total = booster.current_iteration()
    candidates = sorted({*range(STEP, total + 1, STEP), total})
    losses = [
        log_loss(y, booster.predict(x, num_iteration=k), sample_weight=weights, labels=[0, 1])
        for k in candidates
    ]
    return candidates[int(np.argmin(losses))]


def _fit_category(
    client: Any,
    x: pd.DataFrame,
    y: np.ndarray,
    weights: np.ndarray,
    split: Split,
    matrix: Matrix,
    config: TrainConfig,
    npartitions: int,
) -> CategoryModel:
    fallback = base_rate_fallback(y, weights, split, config)
    if fallback is not None:
        return fallback
    fit, valid = split.fit, split.valid
    stopped = _fit(
        client, config, config.num_boost_round, (x[fit], y[fit], weights[fit]), matrix, npartitions
    )
    best = _best_rounds(stopped, x[valid], y[valid], weights[valid])
    margin = np.asarray(stopped.predict(x[valid], raw_score=True, num_iteration=best))
    # Keep only the chosen rounds (what early stopping's best_iteration does in pandas).
    booster = lgb.Booster(model_str=stopped.model_to_string(num_iteration=best))
    if config.refit:
        booster = _fit(
            client, config, refit_rounds(best, split), (x, y, weights), matrix, npartitions
        )
    return calibrated_category(booster, margin, y, weights, split)
