"""Fewer, larger-step trees: quality and cost of the booster recipe, through the default path.

For each of five simulated worlds (300k declarations over 24 months, seeds 31-35): the first
20 months and the inspection results known before them are ingested (`ingest_flow`, as
`gcrisk ingest`), a champion is trained (`train_flow` with `promote`, as `gcrisk train
--promote`) and the last 4 months are scored as one batch (`score_flow`, as `gcrisk score`).
Each recipe of `RECIPES` runs in its own process and home; a recipe only changes the booster
options of `models.training.TrainConfig` (learning rate, rounds, patience), nothing else.

Against the simulator's truth (which nothing is fitted on): PR-AUC of `risk_score` on the
batch, the red-lane hit rate (truly illicit share of the red lane) and the illicit rows the red
lane caught. Cost: trees in the champion and the CPU seconds of its bare LightGBM predict on
the batch. The table gives each recipe's mean over the worlds and its paired difference to
the 0.05 recipe (mean and standard deviation of the per-world differences: "within noise"
means the mean difference is inside about one standard deviation of zero). `lr0.1` is the
default of `TrainConfig`; 31 leaves instead of 15 was tried on two worlds and gave the same
rounds and no better ranking.

Usage: python -m benchmarks.lean_models [--work DIR] [--worlds 5] [--declarations 300000]
                                        [--recipes lr0.05,lr0.1,lr0.2,lr0.3]
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks._measure import report

WORK = Path("/tmp/gcrisk-bench-lean")
SEEDS = (31, 32, 33, 34, 35)
MONTHS, TEST_MONTHS = 24, 4
TODAY = datetime.date(2026, 12, 31)
BENCH_KEY = "benchmark-only-key"
#: Booster options per recipe (the rest of TrainConfig is its default).
RECIPES: dict[str, dict[str, Any]] = {
    "lr0.05": {"learning_rate": 0.05, "num_boost_round": 600, "early_stopping_rounds": 150},
    "lr0.1": {"learning_rate": 0.1, "num_boost_round": 600, "early_stopping_rounds": 75},
    "lr0.2": {"learning_rate": 0.2, "num_boost_round": 400, "early_stopping_rounds": 40},
    "lr0.3": {"learning_rate": 0.3, "num_boost_round": 300, "early_stopping_rounds": 30},
}
BASELINE = "lr0.05"


def _world(work: Path, seed: int, declarations: int) -> None:
    """history.parquet, known.parquet, batch.csv and truth.parquet of one world (cached)."""
    import pandas as pd

    from benchmarks._worlds import write_split
    from simulation import WorldConfig, simulate

    world = simulate(WorldConfig(declarations=declarations, months=MONTHS, seed=seed))
    start = world.declarations["declaration_date"].min().normalize()
    cutoff = start + pd.DateOffset(months=MONTHS - TEST_MONTHS)
    write_split(world.declarations, world.inspections, cutoff, work)
    world.truth.to_parquet(work / "truth.parquet")


def _run_recipe(world: Path, recipe: str) -> dict[str, Any]:
    """Ingest, train with `recipe`, score: the figures of one world and recipe."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import average_precision_score

    import pipelines.flows.train
    import pipelines.steps.training
    from models.training import TrainConfig
    from pipelines.flows.ingest import IngestConfig, ingest_flow
    from pipelines.flows.score import ScoreConfig, score_flow
    from pipelines.flows.train import TrainFlowConfig, train_flow
    from pipelines.runtime import run_flow
    from pipelines.settings import Settings
    from pipelines.steps.scoring import champion_model

    with_recipe = functools.partial(TrainConfig, **RECIPES[recipe])
    pipelines.flows.train.TrainConfig = with_recipe  # type: ignore[misc,assignment]
    pipelines.steps.training.TrainConfig = with_recipe  # type: ignore[misc,assignment]
    for kind, name in (("declarations", "history"), ("inspections", "known")):
        run_flow(ingest_flow, IngestConfig(file=world / f"{name}.parquet", kind=kind, today=TODAY))
    started = time.perf_counter()
    config = TrainFlowConfig(promote=True, force_reason="benchmark champion")
    run_flow(train_flow, config)
    train_s = time.perf_counter() - started
    out = Path(os.environ["GCRISK_HOME"]) / "out"
    run_flow(score_flow, ScoreConfig(file=world / "batch.csv", out=out, today=TODAY))
    scores = pd.read_parquet(out / "scores.parquet")
    truth = pd.read_parquet(world / "truth.parquet").set_index("declaration_id")
    illicit = truth["is_illicit"].reindex(scores["declaration_id"]).fillna(False).to_numpy(bool)
    red = scores["lane"].eq("red").to_numpy()
    model = champion_model(Settings()).model
    assert model is not None
    return {
        "pr_auc": float(average_precision_score(illicit, scores["risk_score"])),
        "red_hit_rate": float(illicit[red].mean()),
        "red_caught": int(illicit[red].sum()),
        "illicit": int(illicit.sum()),
        "trees": sum(m.booster.num_trees() for m in model.models.values() if m.booster),
        "predict_cpu_s": _predict_cpu(model, out, world),
        "train_s": round(train_s, 1),
        "rows": len(scores),
        "rounds": {name: m.booster.num_trees() for name, m in model.models.items() if m.booster},
        "share_red": float(np.mean(red)),
    }


def _predict_cpu(model: Any, out: Path, world: Path) -> float:
    """CPU seconds of the champion's predict on the batch's features (rebuilt as scoring
    builds them), per million rows."""
    from pipelines.settings import Settings
    from pipelines.steps.intake import pseudonymise_ids, read_received, validate_table
    from pipelines.steps.scoring import build_batch_features

    settings = Settings()
    result = validate_table(read_received(world / "batch.csv"), "declarations", TODAY)
    result = pseudonymise_ids(result, settings.key_bytes())
    features = build_batch_features(settings.warehouse, result.valid)
    started = time.process_time()
    model.predict(features)
    return round((time.process_time() - started) * 1e6 / len(features), 1)


def _child(stage: str, work: Path, *extra: str, home: Path | None = None) -> dict[str, Any]:
    env = {**os.environ, "GCRISK_PSEUDONYM_KEY": BENCH_KEY}
    if home is not None:
        env["GCRISK_HOME"] = str(home)
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    command = [sys.executable, "-m", "benchmarks.lean_models", "--stage", stage]
    output = subprocess.run(
        [*command, "--work", str(work), *extra], env=env, capture_output=True, text=True
    )
    if output.returncode != 0:
        raise RuntimeError(f"stage {stage} failed:\n{output.stderr[-4000:]}")
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def _table(results: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Per recipe: means over worlds and paired differences to the baseline recipe."""
    import numpy as np

    table: dict[str, Any] = {}
    worlds = sorted(results[BASELINE])
    for recipe, per_world in results.items():
        row: dict[str, Any] = {}
        for metric in ("pr_auc", "red_hit_rate", "red_caught", "trees", "predict_cpu_s"):
            values = np.array([per_world[w][metric] for w in worlds], dtype=float)
            base = np.array([results[BASELINE][w][metric] for w in worlds], dtype=float)
            row[metric] = round(float(values.mean()), 4)
            if recipe != BASELINE:
                difference = values - base
                row[f"{metric}_diff"] = (
                    f"{difference.mean():+.4f} ± {difference.std(ddof=1):.4f}"
                    if len(worlds) > 1
                    else f"{difference.mean():+.4f}"
                )
        table[recipe] = row
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--worlds", type=int, default=len(SEEDS))
    parser.add_argument("--declarations", type=int, default=300_000)
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--stage", choices=["world", "recipe"])
    parser.add_argument("--seed", type=int)
    parser.add_argument("--recipe")
    args = parser.parse_args()
    if args.stage:
        from pipelines.settings import configure_offline_environment

        configure_offline_environment()
        world = args.work / f"world-{args.seed}"
        if args.stage == "world":
            _world(world, args.seed, args.declarations)
            print(json.dumps({"world": str(world)}))
        else:
            print(json.dumps(_run_recipe(world, args.recipe)))
        return
    recipes = args.recipes.split(",")
    results: dict[str, dict[str, dict[str, Any]]] = {recipe: {} for recipe in recipes}
    for seed in SEEDS[: args.worlds]:
        world = args.work / f"world-{seed}"
        if not (world / "batch.csv").exists():
            world.mkdir(parents=True, exist_ok=True)
            _child(
                "world", args.work, "--seed", str(seed), "--declarations", str(args.declarations)
            )
        for recipe in recipes:
            home = args.work / f"home-{seed}-{recipe}"
            cached = home / "figures.json"
            if not cached.exists():
                figures = _child(
                    "recipe", args.work, "--seed", str(seed), "--recipe", recipe, home=home
                )
                cached.write_text(json.dumps(figures))
            results[recipe][str(seed)] = json.loads(cached.read_text())
            print(f"world {seed} {recipe}: {results[recipe][str(seed)]}", flush=True)
    report(
        "lean_models", {"recipes": RECIPES, "worlds": list(SEEDS[: args.worlds]), **_table(results)}
    )


if __name__ == "__main__":
    main()
