"""Permit benchmark (issue 18): what the permit features cost at 1M declarations, and what they
catch on the simulated world.

Cost: training features for 1M simulated declarations with the world's permit register, then
the permit family's own part of that build timed alone (its history states over the same
prepared rows, and the register checks); target: the permit part adds <= 10% to the rest of
the feature build, in CPU seconds (wall-clock is given too; on a shared machine it wanders).
Each is the faster of two runs. The scoring path (snapshots, a one-day batch) is timed once.

Detection: on a smaller world (default 200k declarations, 24 months, seed 7), a model trained
on the first 18 months, with and without the permit features, ranks the last 6 months; the
truly illicit rows with a permit abuse (forged, reused, expired, over-quantity) caught in the
top 5% of each month, PR-AUC against the truth, and the same for every illicit row.

Usage: python -m benchmarks.permits [--rows 1000000] [--quality-rows 200000] [--skip-quality]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from benchmarks._measure import Stopwatch, peak_rss_gb, report

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
TARGET_SHARE = 0.10
BUDGET = 0.05


def _seconds(work) -> tuple[float, float]:
    """Wall-clock and CPU seconds of `work()` (CPU: steadier on a shared machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def _best(work, runs: int = 2) -> tuple[float, float]:
    """The fastest of `runs` runs, wall and CPU seconds apart."""
    timings = [_seconds(work) for _ in range(runs)]
    return min(t[0] for t in timings), min(t[1] for t in timings)


def _permit_part(declarations: pd.DataFrame, inspections: pd.DataFrame, permits: pd.DataFrame):
    """Seconds of the permit family alone: its history states and its register checks (the
    two columns it adds to `prepare` cost a few milliseconds and are left out)."""
    from features.history import PERMIT_STATES, asof_states
    from features.permits import permit_features
    from features.prepare import prepare
    from features.tariff import permit_expected

    prepared = prepare(declarations)

    def work() -> None:
        state = asof_states(prepared, inspections, states=PERMIT_STATES)
        permit_features(prepared, state, permits, permit_expected(prepared))

    return _best(work)


def cost(rows: int) -> dict[str, object]:
    """Feature time with the permit register and the permit family's share of it."""
    from features import build_scoring_features, build_snapshots, build_training_features
    from simulation import WorldConfig, simulate

    watch = Stopwatch()
    with watch.stage("simulate_s"):
        world = simulate(WorldConfig(declarations=rows, months=24, seed=0))
    declarations, inspections, permits = world.declarations, world.inspections, world.permits
    wall, cpu = _best(lambda: build_training_features(declarations, inspections, permits=permits))
    permit_wall, permit_cpu = _permit_part(declarations, inspections, permits)
    day = declarations["declaration_date"].max()
    batch = declarations[declarations["declaration_date"] == day]
    with watch.stage("snapshots_s"):
        snapshots = build_snapshots(declarations, inspections, day, permits=permits)
    with watch.stage("scoring_features_s"):
        build_scoring_features(batch, snapshots)
    share = permit_cpu / (cpu - permit_cpu)
    return {
        "declarations": len(declarations),
        "permits_in_register": len(permits),
        "declarations_quoting_a_permit": int((declarations["permit_reference"] != "").sum()),
        **watch.stages,
        "training_features_s": round(wall, 2),
        "training_features_cpu_s": round(cpu, 2),
        "permit_part_s": round(permit_wall, 2),
        "permit_part_cpu_s": round(permit_cpu, 2),
        "permit_share_of_rest_cpu": round(share, 3),
        "permit_share_of_rest_wall": round(permit_wall / (wall - permit_wall), 3),
        "target_share": TARGET_SHARE,
        "target_met": bool(share <= TARGET_SHARE),
        "batch_rows": len(batch),
    }


def _caught(scores: np.ndarray, month: np.ndarray, labels: np.ndarray) -> int:
    from models.evaluation import top_k

    chosen = np.zeros(len(scores), dtype=bool)
    for period in np.unique(month):
        rows = np.flatnonzero(month == period)
        chosen[rows] = top_k(scores[rows], BUDGET)
    return int((chosen & labels).sum())


def detection(rows: int, months: int = 24, test_months: int = 6) -> dict[str, object]:
    """Caught at a 5% budget and PR-AUC, with and without the permit features."""
    from sklearn.metrics import average_precision_score

    from features import build_training_features, categorical_feature_names, model_feature_names
    from features.permits import PERMIT_FEATURES
    from models.training import TrainConfig, train_risk_model
    from simulation import WorldConfig, simulate

    world = simulate(WorldConfig(declarations=rows, months=months, seed=7))
    features = build_training_features(world.declarations, world.inspections, permits=world.permits)
    start = features["declaration_date"].min().to_period("M").start_time
    cut = start + pd.DateOffset(months=months - test_months)
    test = features[features["declaration_date"] >= cut].reset_index(drop=True)
    truth = world.truth.set_index("declaration_id").reindex(test["declaration_id"])
    illicit = truth["is_illicit"].to_numpy(dtype=bool)
    abused = illicit & (
        truth["permit_abuse"].isin(["forged", "reused", "expired", "over_quantity"])
    )
    abused = abused.to_numpy(dtype=bool)
    month = test["declaration_date"].dt.to_period("M").to_numpy()
    out: dict[str, object] = {
        "test_rows": len(test),
        "illicit_in_test": int(illicit.sum()),
        "permit_abuse_in_test": int(abused.sum()),
    }
    for name, names in {
        "with": model_feature_names(),
        "without": [n for n in model_feature_names() if n not in PERMIT_FEATURES],
    }.items():
        model = train_risk_model(
            features,
            world.inspections,
            feature_names=names,
            categorical=[n for n in categorical_feature_names() if n in names],
            config=TrainConfig(until=cut.date(), seed=0),
        )
        scores = model.predict(test)["risk_score"].to_numpy()
        out[f"{name}_permits.abuse_caught_at_5pct"] = _caught(scores, month, abused)
        out[f"{name}_permits.illicit_caught_at_5pct"] = _caught(scores, month, illicit)
        out[f"{name}_permits.abuse_pr_auc"] = round(average_precision_score(abused, scores), 4)
        out[f"{name}_permits.illicit_pr_auc"] = round(average_precision_score(illicit, scores), 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quality-rows", type=int, default=200_000)
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    figures = cost(args.rows)
    if not args.skip_quality:
        figures |= detection(args.quality_rows)
    report("permits", {**figures, "peak_rss_gb": round(peak_rss_gb(), 2)})


if __name__ == "__main__":
    main()
