"""Quality benchmark (issue 5): what a 5% inspection budget catches on the default world.

Train on the first 18 months (only results known before the cut), test on the last 6. In each
test month every strategy selects 5% of that month's declarations, and the truly illicit ones
among them are counted (the simulator's truth, which nothing is fitted on):

  model       top 5% by the model's risk_score
  selection   the full procedure: `score_batch` with the packaged profiles, budget 5%,
              exploration 10% (red-lane profile hits first, then model risk, then random)
  profiles    `score_batch` without a model (red-lane hits, the rest of capacity random)
  profile_rank top 5% by profile scores (red, then yellow hits): a stronger profiles baseline
  legacy      the world's own inspections in the test months (about 5%)
  random      5% uniformly at random
  logistic    top 5% by the logistic-regression baseline (same rows, labels and weights)

Targets: the model's selection catches >= 2x the legacy policy and >= 1.5x profiles alone,
per category and overall. Also precision/recall at 1/2/5/10% and PR-AUC over the test period,
the profiles' evidence, the inverse-propensity weights and feature importance.

Usage: python -m benchmarks.quality [--declarations 200000] [--months 24] [--test-months 6]
                                    [--seed 7] [--model-seed 0]
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import pandas as pd

from benchmarks._measure import Stopwatch, peak_rss_gb, report
from benchmarks._quality_tables import (
    GROUPS,
    caught_table,
    importance_table,
    ipw_table,
    print_table,
    profile_evidence,
    ranking_table,
    ratio_table,
)

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

BUDGET = 0.05
EXPLORATION = 0.10
TARGETS = {"legacy": 2.0, "profiles": 1.5}


def train(features: pd.DataFrame, inspections: pd.DataFrame, cut: pd.Timestamp, seed: int):
    """The risk model and the logistic baseline, on results known before `cut`."""
    from features import categorical_feature_names, model_feature_names
    from models.baselines import fit_logistic_baseline
    from models.training import TrainConfig, train_risk_model, training_rows

    config = TrainConfig(until=cut.date(), seed=seed)
    model = train_risk_model(
        features,
        inspections,
        feature_names=model_feature_names(),
        categorical=categorical_feature_names(),
        config=config,
    )
    rows = training_rows(features, inspections, config=config)
    logistic = fit_logistic_baseline(rows.features, rows.labels, rows.weights, model.matrix)
    return model, logistic, config


def _procedure(batch: pd.DataFrame, model, profiles) -> np.ndarray:
    """Rows `score_batch` sends to inspection (red lane) at the benchmark's budget."""
    from features import describe
    from models.scoring import score_batch
    from models.selection import SelectionConfig

    scored = score_batch(
        batch,
        model=model,
        profiles=profiles,
        describe=describe,
        selection=SelectionConfig(budget=BUDGET, exploration=EXPLORATION),
        scored_at=batch["declaration_date"].min(),
    )
    return scored["selected"].to_numpy(dtype=bool)


def monthly_selections(
    test: pd.DataFrame, scores: dict[str, pd.DataFrame], model, profiles
) -> dict[str, np.ndarray]:
    """Per strategy, which test rows it selects: 5% of each month, month by month."""
    from models.evaluation import top_k

    month = test["declaration_date"].dt.to_period("M").to_numpy()
    chosen = {name: np.zeros(len(test), dtype=bool) for name in ("model", "selection", "profiles")}
    chosen |= {name: np.zeros(len(test), dtype=bool) for name in scores if name != "model"}
    for period in np.unique(month):
        rows = np.flatnonzero(month == period)
        batch = test.iloc[rows].reset_index(drop=True)
        for name, frame in scores.items():
            chosen[name][rows] = top_k(frame["risk_score"].to_numpy()[rows], BUDGET)
        chosen["selection"][rows] = _procedure(batch, model, profiles)
        chosen["profiles"][rows] = _procedure(batch, None, profiles)
    return chosen


def candidate_scores(test: pd.DataFrame, model, logistic, profiles, seed: int) -> dict:
    """Risk scores of the model and the ranking baselines on the test rows."""
    from models.baselines import profile_scores, random_scores
    from models.rules import fire

    return {
        "model": model.predict(test),
        "profile_rank": profile_scores(fire(test, profiles), profiles),
        "random": random_scores(test.index, seed=seed + 1),
        "logistic": logistic.predict(test),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--declarations", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--test-months", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated world")
    parser.add_argument("--model-seed", type=int, default=0, help="seed of the boosters")
    args = parser.parse_args()
    watch = Stopwatch()
    with watch.stage("simulate_s"):
        from simulation import WorldConfig, simulate

        world = simulate(
            WorldConfig(declarations=args.declarations, months=args.months, seed=args.seed)
        )
    with watch.stage("features_s"):
        from features import build_training_features

        features = build_training_features(world.declarations, world.inspections)
    start = features["declaration_date"].min().to_period("M").start_time
    cut = start + pd.DateOffset(months=args.months - args.test_months)
    with watch.stage("train_s"):
        model, logistic, config = train(features, world.inspections, cut, args.model_seed)
    test = features[features["declaration_date"] >= cut].reset_index(drop=True)
    truth = world.truth.set_index("declaration_id").reindex(test["declaration_id"])
    labels = _labels(truth)
    with watch.stage("select_s"):
        from pipelines.settings import Settings
        from pipelines.storage.profiles import load_unit_profiles

        # The profiles `gcrisk score` would select with on the test period's first day.
        profiles = load_unit_profiles(Settings()).selecting(cut.date())
        scores = candidate_scores(test, model, logistic, profiles, args.model_seed)
        chosen = monthly_selections(test, scores, model, profiles)
        inspected = world.inspections["declaration_id"]
        chosen["legacy"] = test["declaration_id"].isin(inspected).to_numpy()
    caught = caught_table(chosen, labels)
    ratios = ratio_table(caught, TARGETS)
    print_table("Truly illicit shipments caught in the test months at a 5% budget", caught)
    print_table("Ratios against the targets", ratios)
    print_table("Ranking over the test period (true labels)", ranking_table(scores, labels))
    evidence = profile_evidence(features, world.inspections, labels, profiles, cut=cut)
    print_table("Profiles: test fire share, labels known before the cut, truth", evidence)
    print_table(
        "Inverse-propensity weights by selection reason", ipw_table(features, world, config)
    )
    print_table("Feature importance (gain share, top 8)", importance_table(model, top=8))
    report(
        "quality",
        {
            "world": f"{args.declarations} declarations, {args.months} months, seed {args.seed}",
            "cut": str(cut.date()),
            "test_rows": len(test),
            "truly_illicit_in_test": {g: int(labels[g].sum()) for g in GROUPS},
            "caught": caught.to_dict(orient="index"),
            "ratios": ratios.round(2).to_dict(orient="index"),
            "targets_met": _targets_met(ratios),
            **watch.stages,
            "peak_rss_gb": round(peak_rss_gb(), 2),
        },
    )


def _labels(truth: pd.DataFrame) -> pd.DataFrame:
    category = truth["category"].astype("str").to_numpy()
    labels = {"overall": truth["is_illicit"].astype(bool).to_numpy()}
    labels |= {name: category == name for name in GROUPS if name != "overall"}
    return pd.DataFrame(labels)


def _targets_met(ratios: pd.DataFrame) -> dict[str, bool]:
    """Per selection and group, whether both targets are met."""
    met = {}
    for name in ("model", "selection"):
        for group in GROUPS:
            met[f"{name}.{group}"] = bool(
                all(ratios.loc[f"{name}/{base}", group] >= goal for base, goal in TARGETS.items())
            )
    return met


if __name__ == "__main__":
    main()
