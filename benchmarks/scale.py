"""Score 1M, 2M and 4M declarations with pandas and with a local Dask cluster; how time grows.

Setup (cached in --work, default /tmp/gcrisk-bench-scale):
1. simulate a 120k-declaration world over 8 months (`simulation.simulate`), train a small model
   (`models.training`, 100 rounds) on the first 7 months and build snapshots as of the 8th;
2. batches of N declarations are the 8th month's declarations tiled with new ids
   (`<id>-<copy>`) and customs values perturbed by a lognormal factor (sigma 0.05), written as
   Parquet files of 250k rows (a tiled batch costs what a fresh one does: every row goes through
   features, model, profiles and reasons; only the history join sees the same traders again).

Measured, each run in a fresh process (peak RSS is per run):
- pandas: read the files, `build_scoring_features`, `score_batch` and the feature drift (as the
  score flow does);
- dask: a fresh `LocalCluster` (2 workers x 1 thread), `pipelines.cluster.staging.score_staged`
  over the files (one partition per file: what the score flow's on-cluster step runs, drift
  included),
  peak RSS of the client and of each worker (`resource.getrusage` run on the workers through
  `client.run`).
Then, per mode, seconds per million rows at each size and how much longer 4x the rows took.

Usage: python -m benchmarks.scale [--work DIR] [--sizes 1000000,2000000,4000000]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks._measure import peak_rss_gb, report

WORK = Path("/tmp/gcrisk-bench-scale")
SIZES = (1_000_000, 2_000_000, 4_000_000)
FILE_ROWS = 250_000
SEED = 11


def _setup(work: Path) -> None:
    import pandas as pd

    from features import build_snapshots, build_training_features
    from features.catalogue import categorical_feature_names, model_feature_names
    from models.training import TrainConfig, train_risk_model
    from simulation import WorldConfig, simulate

    if (work / "snapshots.pkl").exists():
        return
    work.mkdir(parents=True, exist_ok=True)
    world = simulate(
        WorldConfig(
            declarations=120_000, months=8, seed=SEED, illicit_share=0.03, inspection_rate=0.08
        )
    )
    declarations, inspections = world.declarations, world.inspections
    cut = pd.Timestamp("2024-08-01")
    history = declarations[declarations["declaration_date"] < cut]
    known = inspections[inspections["inspection_date"] < cut]
    model = train_risk_model(
        build_training_features(history, known),
        known,
        feature_names=model_feature_names(),
        categorical=categorical_feature_names(),
        config=TrainConfig(valid_days=45, gap_days=7, num_boost_round=100, learning_rate=0.08),
    )
    (work / "model.json").write_text(json.dumps(model.to_dict()))
    base = declarations[declarations["declaration_date"] >= cut].reset_index(drop=True)
    base.to_parquet(work / "base.parquet")
    with (work / "snapshots.pkl").open("wb") as handle:
        pickle.dump(build_snapshots(declarations, inspections, cut), handle)


def _batch_files(work: Path, size: int) -> list[Path]:
    import numpy as np
    import pandas as pd

    folder = work / f"batch-{size}"
    files = sorted(folder.glob("part-*.parquet"))
    if files:
        return files
    folder.mkdir(parents=True)
    base = pd.read_parquet(work / "base.parquet")
    rng = np.random.default_rng(SEED)
    copies = -(-size // len(base))
    tiled = pd.concat([base] * copies, ignore_index=True).iloc[:size]
    copy = np.repeat(np.arange(copies), len(base))[:size]
    tiled["declaration_id"] = tiled["declaration_id"] + "-" + pd.Series(copy).astype("str")
    tiled["customs_value_usd"] = tiled["customs_value_usd"] * rng.lognormal(0, 0.05, size)
    for start in range(0, size, FILE_ROWS):
        tiled.iloc[start : start + FILE_ROWS].to_parquet(folder / f"part-{start:09d}.parquet")
    return sorted(folder.glob("part-*.parquet"))


def _inputs(work: Path) -> dict[str, Any]:
    import pandas as pd

    from features import describe
    from models.risk_model import RiskModel
    from models.selection import SelectionConfig
    from pipelines.settings import Settings
    from pipelines.storage.profiles import load_unit_profiles
    from pipelines.storage.tracking import native

    with (work / "snapshots.pkl").open("rb") as handle:
        snapshots = pickle.load(handle)  # our own cache file
    # Compiled as `gcrisk score` loads a champion (cached in the work folder after the first).
    model = native(
        RiskModel.from_dict(json.loads((work / "model.json").read_text())), work / "compiled"
    )
    scored_at = pd.Timestamp("2024-09-01")
    return {
        "snapshots": snapshots,
        "model": model,
        # The profiles `gcrisk score` would use (GCRISK_PROFILES, else the shipped set).
        "profiles": load_unit_profiles(Settings()).selecting(scored_at.date()),
        "describe": describe,
        "selection": SelectionConfig(),
        "model_version": "bench",
        "scored_at": scored_at,
    }


def _run_pandas(work: Path, size: int) -> dict[str, Any]:
    import pandas as pd

    from features import build_scoring_features
    from models.scoring import score_batch

    files, inputs = _batch_files(work, size), _inputs(work)
    start = time.perf_counter()
    batch = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    features = build_scoring_features(batch, inputs.pop("snapshots"))
    offices = batch.set_index("declaration_id")["customs_office"]
    features["customs_office"] = offices.reindex(features["declaration_id"]).to_numpy()
    scores = score_batch(features, **inputs)
    drift = inputs["model"].reference.psi(features)  # as the score flow's report does
    seconds = time.perf_counter() - start
    return {
        "rows": len(scores),
        "seconds": round(seconds, 1),
        "client_peak_gb": round(peak_rss_gb(), 2),
        "drift_features": len(drift),
    }


def _worker_peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _run_dask(work: Path, size: int) -> dict[str, Any]:
    from models.scoring import ScoringInputs
    from pipelines.cluster.client import dask_client
    from pipelines.cluster.staging import score_staged

    files, inputs = _batch_files(work, size), _inputs(work)
    snapshots = inputs.pop("snapshots")
    with dask_client("local", workers=2, threads=1) as client:
        start = time.perf_counter()
        # What the score flow's on-cluster step runs: partitions read by the workers, one
        # global selection, reasons for red and yellow rows, drift summed from bin counts.
        scored = score_staged(
            files,
            snapshots,
            ScoringInputs(capacity_per_office=None, **inputs),
            scheduler=client.scheduler.address,
        )
        seconds = time.perf_counter() - start
        workers = client.run(_worker_peak_gb)
    return {
        "rows": len(scored.table),
        "seconds": round(seconds, 1),
        "client_peak_gb": round(peak_rss_gb(), 2),
        "worker_peak_gb": [round(v, 2) for v in workers.values()],
        "drift_features": len(scored.drift),
    }


def _growth(figures: dict[str, Any], mode: str, sizes: list[int]) -> str:
    """Seconds per million rows at each size, and the time ratio of the largest to the smallest."""
    times = {n: figures[f"{mode} {n:,}"].get("seconds") for n in sizes}
    if None in times.values() or len(sizes) < 2:
        return "n/a"
    per_million = ", ".join(f"{times[n] / (n / 1e6):.1f}" for n in sizes)
    ratio = times[sizes[-1]] / times[sizes[0]]
    return f"s per 1M rows: {per_million}; x{sizes[-1] / sizes[0]:.0f} rows took x{ratio:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--one", nargs=2, metavar=("MODE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if args.one:
        mode, size = args.one[0], int(args.one[1])
        runner = _run_pandas if mode == "pandas" else _run_dask
        print("RESULT " + json.dumps(runner(args.work, size)))
        return
    _setup(args.work)
    figures: dict[str, object] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        _batch_files(args.work, size)
        for mode in ("pandas", "dask"):
            command = [sys.executable, "-m", "benchmarks.scale", "--work", str(args.work)]
            done = subprocess.run(
                [*command, "--one", mode, str(size)], capture_output=True, text=True, check=False
            )
            lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
            result = json.loads(lines[-1][7:]) if lines else {"error": done.stderr[-400:]}
            figures[f"{mode} {size:,}"] = result
            print(f"{mode} {size:,}: {result}", flush=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    for mode in ("pandas", "dask"):
        figures[f"{mode} growth"] = _growth(figures, mode, sizes)
    report("scale", figures)


if __name__ == "__main__":
    main()
