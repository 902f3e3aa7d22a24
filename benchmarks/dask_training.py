"""Training on Dask against training in pandas: model quality over several simulated worlds.

For each world seed: simulate a world, build the training features once, train the risk model
on what was known before the last `--test-months` (`TrainConfig(until=cut)` defaults), three ways:

  pandas        `models.training.train_risk_model` (early stopping, one machine)
  dask          `pipelines.cluster.training.train_on_cluster` on a 2-worker LocalCluster,
                one LightGBM rank per worker (what `GCRISK_DASK_SCHEDULER` gives)
  dask-1-rank   the same with one partition, hence one rank (the control: the cluster code
                without data-parallel trees)

and score the test months. Quality is PR-AUC of `risk_score` against the simulator's truth
over every test declaration (nothing is fitted on it). Then, for each Dask variant, the mean
paired difference from pandas over the worlds and its standard error: a gap smaller than about
two standard errors is what the seeds alone would give.

Usage: python -m benchmarks.dask_training [--worlds 1,2,...,10] [--declarations 30000]
           [--months 13] [--test-months 2] [--model-seed 0] [--illicit-share 0.03]
           [--inspection-rate 0.08]
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._measure import Stopwatch, report

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

VARIANTS = ("pandas", "dask", "dask-1-rank")


def world_quality(seed: int, args: argparse.Namespace, client: Any) -> dict[str, float]:
    """PR-AUC against the truth of the test months, for each variant, on world `seed`."""
    from sklearn.metrics import average_precision_score

    from features import build_training_features, categorical_feature_names, model_feature_names
    from models.training import TrainConfig, train_risk_model
    from pipelines.cluster.training import train_on_cluster
    from simulation import WorldConfig, simulate

    world = simulate(
        WorldConfig(
            declarations=args.declarations,
            months=args.months,
            seed=seed,
            illicit_share=args.illicit_share,
            inspection_rate=args.inspection_rate,
        )
    )
    features = build_training_features(world.declarations, world.inspections)
    start = features["declaration_date"].min().to_period("M").start_time
    cut = start + pd.DateOffset(months=args.months - args.test_months)
    options: dict[str, Any] = {
        "feature_names": model_feature_names(),
        "categorical": categorical_feature_names(),
        "config": TrainConfig(until=cut.date(), seed=args.model_seed),
    }
    models = {
        "pandas": train_risk_model(features, world.inspections, **options),
        "dask": train_on_cluster(features, world.inspections, client=client, **options),
        "dask-1-rank": train_on_cluster(
            features, world.inspections, client=client, npartitions=1, **options
        ),
    }
    test = features[features["declaration_date"] >= cut].reset_index(drop=True)
    truth = world.truth.set_index("declaration_id")["is_illicit"].astype(bool)
    illicit = truth.reindex(test["declaration_id"]).to_numpy()
    return {
        name: round(float(average_precision_score(illicit, model.predict(test)["risk_score"])), 4)
        for name, model in models.items()
    }


def paired_gap(quality: pd.DataFrame, variant: str) -> str:
    """Mean of `variant` minus pandas over the worlds, with its standard error."""
    gaps = (quality[variant] - quality["pandas"]).to_numpy()
    error = gaps.std(ddof=1) / np.sqrt(len(gaps)) if len(gaps) > 1 else float("nan")
    return f"{gaps.mean():+.4f} (standard error {error:.4f}, {len(gaps)} worlds)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--worlds", default=",".join(map(str, range(1, 11))), help="world seeds, comma-separated"
    )
    parser.add_argument("--declarations", type=int, default=30_000)
    parser.add_argument("--months", type=int, default=13)
    parser.add_argument("--test-months", type=int, default=2)
    parser.add_argument("--model-seed", type=int, default=0, help="seed of the boosters")
    # Richer in violations than the default world, so that a world this small has enough
    # labelled positives per category to train on (as the flow tests' worlds).
    parser.add_argument("--illicit-share", type=float, default=0.03)
    parser.add_argument("--inspection-rate", type=float, default=0.08)
    args = parser.parse_args()
    from pipelines.cluster.client import dask_client

    watch = Stopwatch()
    rows = {}
    with dask_client("local", workers=2, threads=1) as client:
        for seed in (int(s) for s in args.worlds.split(",")):
            with watch.stage(f"world {seed} s"):
                rows[seed] = world_quality(seed, args, client)
            print(f"world {seed}: {rows[seed]}", flush=True)
    quality = pd.DataFrame.from_dict(rows, orient="index")[list(VARIANTS)]
    figures: dict[str, object] = {
        f"PR-AUC world {seed}": values.to_dict() for seed, values in quality.iterrows()
    }
    figures["PR-AUC mean"] = quality.mean().round(4).to_dict()
    for variant in VARIANTS[1:]:
        figures[f"{variant} minus pandas"] = paired_gap(quality, variant)
    report("dask_training", {**figures, **watch.stages})


if __name__ == "__main__":
    main()
