"""Score 1M declarations end to end (validate to outputs) against a warehouse holding 2M.

Target on the 2-core machine: <= 60 s and <= 3 GB peak RSS for the scoring process, and at
most 3 times LightGBM's bare predict of the same model on the same rows (timed in the run).

Setup (cached in --work, default /tmp/gcrisk-bench-score; each part in its own process):
1. simulate a 3M-declaration world over 24 months (`simulation.simulate`); the first 2M by date
   are history, the remaining ~1M the batch (a CSV, as a risk unit receives it);
2. ingest the history and the inspection results known before the batch into a warehouse,
   with pseudonymisation on (`ingest_flow`, as `gcrisk ingest`);
3. train the champion as `gcrisk train --promote` does by default, on that 2M history (the
   promotion compiles its boosters into the home's cache, `models.compiled`).

Measured: `score_flow` (as `gcrisk score BATCH --out DIR`) in a fresh process on a fresh copy of
that home, with every stage timed by wrapping the functions the flow calls: total seconds,
peak RSS, and each stage's seconds and share of the total.

Seconds are wall-clock; CPU seconds (all threads of the process) are given beside them, since
other work on a shared machine stretches wall-clock time but hardly CPU time.

Usage: python -m benchmarks.score [--work DIR] [--declarations 3000000] [--history 2000000]
                                  [--attribution path|shap]
"""

from __future__ import annotations

import argparse
import datetime
import functools
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks._measure import peak_rss_gb, report

WORK = Path("/tmp/gcrisk-bench-score")
DECLARATIONS, HISTORY = 3_000_000, 2_000_000
SEED = 11
TODAY = datetime.date(2026, 12, 31)
BENCH_KEY = "benchmark-only-key"
#: Fine stages (function wrapped -> stage) and the stage groups reported against the target.
STAGES: dict[str, tuple[str, str]] = {
    "read": ("pipelines.flows.score", "read_received"),
    "validate": ("pipelines.flows.score", "validate_table"),
    "pseudonymise": ("pipelines.flows.score", "pseudonymise_ids"),
    "upsert": ("pipelines.flows.score", "load_warehouse"),
    "load_champion": ("pipelines.flows.score", "champion_model"),
    "read_history": ("pipelines.storage.warehouse", "Warehouse.read"),
    "snapshots": ("features", "build_snapshots"),
    "features": ("features", "build_scoring_features"),
    "model": ("models.scoring", "RiskModel.predict"),
    "profiles": ("models.scoring", "fire"),
    "selection": ("models.scoring", "assign_lanes"),
    "reasons_profiles": ("models.explain", "profile_reasons"),
    "reasons_model": ("models.explain", "model_reasons"),
    "reasons_merge": ("models.explain", "merge_lists"),
    "write_parquet": ("pipelines.storage.io", "write_parquet"),
    "write_csv": ("pipelines.storage.io", "write_csv"),
    "report": ("pipelines.steps.scoring", "render_score_report"),
    "store_scores": ("pipelines.steps.scoring", "store_scores"),
    "mlflow": ("pipelines.flows.score", "log_scoring_run"),
}
GROUPS = {
    "validate": ("read", "validate", "pseudonymise"),
    "upsert": ("upsert",),
    "snapshots": ("read_history", "snapshots"),
    "features": ("features",),
    "model": ("model",),
    "selection+reasons": (
        "profiles",
        "selection",
        "reasons_profiles",
        "reasons_model",
        "reasons_merge",
    ),
    "outputs": ("write_parquet", "write_csv", "store_scores"),
    "report": ("report",),
}


# --- setup (child processes) -----------------------------------------------------------------


def _simulate(work: Path, declarations: int, history: int) -> dict[str, Any]:
    import pandas as pd

    from benchmarks._worlds import write_split
    from simulation import WorldConfig, simulate

    started = time.perf_counter()
    world = simulate(WorldConfig(declarations=declarations, months=24, seed=SEED))
    simulated = time.perf_counter() - started
    frame = world.declarations.sort_values(["declaration_date", "declaration_id"])
    cutoff = frame["declaration_date"].iloc[history]
    past, batch = write_split(frame, world.inspections, cutoff, work)
    known = pd.read_parquet(work / "known.parquet")
    return {
        "simulate_s": round(simulated, 1),
        "history_rows": len(past),
        "known_results": len(known),
        "batch_rows": len(batch),
        "cutoff": str(pd.Timestamp(cutoff).date()),
    }


def _build_home(work: Path) -> dict[str, Any]:
    from pipelines.flows.ingest import IngestConfig, ingest_flow
    from pipelines.runtime import run_flow

    figures: dict[str, Any] = {}
    for kind, name in (("declarations", "history"), ("inspections", "known")):
        started = time.perf_counter()
        config = IngestConfig(file=work / f"{name}.parquet", kind=kind, today=TODAY)
        summary = run_flow(ingest_flow, config)
        figures[f"ingest_{kind}_s"] = round(time.perf_counter() - started, 1)
        figures[f"warehouse_{kind}"] = summary.table_rows
    started = time.perf_counter()
    figures["champion_version"] = _register_champion(work / "home")
    figures["train_champion_s"] = round(time.perf_counter() - started, 1)
    figures["compile_champion_s"] = _compile_seconds()
    return figures


def _compile_seconds() -> float:
    """Seconds to compile the champion's boosters into an empty cache (promotion did it once
    into the home's cache, which the measured run reuses)."""
    import tempfile

    from pipelines.settings import Settings
    from pipelines.steps.scoring import champion_model

    model = champion_model(Settings()).model
    assert model is not None
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        model.compiled(Path(cache))
        return round(time.perf_counter() - started, 1)


def _register_champion(home: Path) -> str:
    """The champion `gcrisk train --promote` makes on the 2M history (forced if the gate,
    which has no champion to compare with, refuses): the model a unit would score with."""
    from pipelines.flows.train import TrainFlowConfig, train_flow
    from pipelines.runtime import run_flow

    config = TrainFlowConfig(promote=True, force_reason="benchmark champion")
    summary = run_flow(train_flow, config)
    return summary.model_version


# --- the measured run (child process) --------------------------------------------------------


def _instrument(seconds: dict[str, float], cpu: dict[str, float], attribution: str) -> None:
    """Wrap every function of STAGES so its calls add to `seconds[stage]` and `cpu[stage]`."""
    import models.explain

    if attribution != "path":  # the option of `model_reasons`, for this run only
        models.explain.model_reasons = functools.partial(  # type: ignore[assignment]
            models.explain.model_reasons, attribution=attribution
        )
    for stage, (module_name, attribute) in STAGES.items():
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, name, _timed(getattr(owner, name), stage, seconds, cpu))


def _timed(
    function: Callable[..., Any], stage: str, seconds: dict[str, float], cpu: dict[str, float]
) -> Any:
    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[stage] += time.perf_counter() - started
            cpu[stage] += time.process_time() - cpu_started

    return run


def _score(batch: Path, out: Path, attribution: str) -> dict[str, Any]:
    started = time.perf_counter()
    from pipelines.flows.score import ScoreConfig, score_flow
    from pipelines.runtime import run_flow

    _warm_up()
    imports = time.perf_counter() - started
    seconds: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    captured = _capture_model_input()
    _instrument(seconds, cpu, attribution)
    config = ScoreConfig(file=batch, out=out, today=TODAY)
    started, cpu_started = time.perf_counter(), time.process_time()
    summary = run_flow(score_flow, config)
    total = time.perf_counter() - started
    bare = _bare_lightgbm_predict(captured["model"], captured["features"])
    return {
        "total_s": round(total, 2),
        "bare_lightgbm_predict_s": round(bare, 2),
        "ratio_to_bare_predict": round(total / bare, 2),
        "trees": sum(m.booster.num_trees() for m in captured["model"].models.values() if m.booster),
        "compiled": all(
            m.native is not None for m in captured["model"].models.values() if m.booster
        ),
        "total_cpu_s": round(time.process_time() - cpu_started, 2),
        "cpu": {stage: round(value, 2) for stage, value in cpu.items()},
        "imports_s": round(imports, 2),
        "stages": {stage: round(value, 2) for stage, value in seconds.items()},
        "rows_in": summary.rows_in,
        "rows_scored": summary.rows_scored,
        "lanes": summary.lanes,
        "model_version": summary.model_version,
        "attribution": attribution,
    }


def _capture_model_input() -> dict[str, Any]:
    """Keep the model and the rows of the flow's first (whole-batch) predict."""
    from models.risk_model import RiskModel

    captured: dict[str, Any] = {}
    predict = RiskModel.predict

    def capture(model: RiskModel, features: Any) -> Any:
        captured.setdefault("model", model)
        captured.setdefault("features", features)
        return predict(model, features)

    RiskModel.predict = capture  # type: ignore[method-assign]
    return captured


def _bare_lightgbm_predict(model: Any, features: Any) -> float:
    """Seconds of LightGBM's own predict of every booster of `model` on the rows the flow
    scored, from the prepared float matrix: the floor the whole run is compared with."""
    x = model.matrix.array(features)
    started = time.perf_counter()
    for category in model.learned:
        booster = model.models[category].booster
        booster.predict(x, raw_score=True, num_iteration=booster.best_iteration)
    return time.perf_counter() - started


def _warm_up() -> None:
    """Import GX, LightGBM and MLflow and build GX's context once, outside the measured run."""
    import lightgbm  # noqa: F401
    import mlflow  # noqa: F401

    from data_contracts.validation import validate
    from tests.factories import valid_declarations

    validate(valid_declarations(5, seed=0), "declarations")


# --- driver ----------------------------------------------------------------------------------


def _child(stage: str, work: Path, *extra: str) -> dict[str, Any]:
    env = {**os.environ, "GCRISK_HOME": str(work / "home"), "GCRISK_PSEUDONYM_KEY": BENCH_KEY}
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    command = [sys.executable, "-m", "benchmarks.score", "--stage", stage, "--work", str(work)]
    output = subprocess.run(
        [*command, *extra], env=env, capture_output=True, text=True, check=False
    )
    if output.returncode != 0:
        raise RuntimeError(f"stage {stage} failed:\n{output.stderr[-4000:]}")
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


def _setup(work: Path, declarations: int, history: int) -> dict[str, Any]:
    marker = work / "setup.json"
    if marker.exists():
        return dict(json.loads(marker.read_text()))
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    figures = _child(
        "simulate", work, "--declarations", str(declarations), "--history", str(history)
    )
    figures.update(_child("home", work))
    marker.write_text(json.dumps(figures))
    return figures


def _figures(setup: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    total, stages, cpu = run["total_s"], run["stages"], run["cpu"]
    grouped = {name: sum(stages.get(s, 0.0) for s in members) for name, members in GROUPS.items()}
    grouped["other (champion, MLflow, summary)"] = total - sum(grouped.values())
    cpu_grouped = {name: sum(cpu.get(s, 0.0) for s in members) for name, members in GROUPS.items()}
    return {
        "warehouse_declarations": setup["warehouse_declarations"],
        "warehouse_inspections": setup["warehouse_inspections"],
        "batch_rows": run["rows_in"],
        "rows_scored": run["rows_scored"],
        "lanes": run["lanes"],
        "attribution": run["attribution"],
        "total_s": total,
        "total_cpu_s": run["total_cpu_s"],
        "bare_lightgbm_predict_s": run["bare_lightgbm_predict_s"],
        "ratio_to_bare_predict": run["ratio_to_bare_predict"],
        "trees": run["trees"],
        "compiled": run["compiled"],
        "peak_rss_gb": run["peak_rss_gb"],
        "rows_per_s": round(run["rows_in"] / total),
        **{f"{name}_s": f"{value:.1f} ({value / total:.0%})" for name, value in grouped.items()},
        "cpu_s_per_stage": {name: round(value, 1) for name, value in cpu_grouped.items()},
        "stages_s": run["stages"],
        "process_imports_s": run["imports_s"],
        "setup": setup,
        "targets": "total_s <= 60, peak RSS <= 3 GB, ratio_to_bare_predict <= 3",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--declarations", type=int, default=DECLARATIONS)
    parser.add_argument("--history", type=int, default=HISTORY)
    parser.add_argument("--stage", choices=["simulate", "home", "score"])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--batch", type=Path)
    parser.add_argument(
        "--attribution",
        choices=["shap", "path"],
        default="path",
        help="How model reasons are attributed (models.explain): tree paths (default) or SHAP",
    )
    args = parser.parse_args()
    if args.stage:  # child process: one stage, figures as the last line of stdout
        from pipelines.settings import configure_offline_environment

        configure_offline_environment()
        if args.stage == "simulate":
            figures = _simulate(args.work, args.declarations, args.history)
        elif args.stage == "home":
            figures = _build_home(args.work)
        else:
            figures = _score(args.batch, args.out, args.attribution)
        print(json.dumps({**figures, "peak_rss_gb": round(peak_rss_gb(), 2)}))
        return
    setup = _setup(args.work, args.declarations, args.history)
    run_home = args.work / "run"
    shutil.rmtree(run_home, ignore_errors=True)
    shutil.copytree(args.work / "home", run_home / "home")
    try:
        batch = str(args.work / "batch.csv")
        options = [
            "--out",
            str(run_home / "out"),
            "--batch",
            batch,
            "--attribution",
            args.attribution,
        ]
        run = _child("score", run_home, *options)
    finally:
        shutil.rmtree(run_home, ignore_errors=True)
    report("score", _figures(setup, run))


if __name__ == "__main__":
    main()
