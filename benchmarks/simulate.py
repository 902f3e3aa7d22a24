"""Simulate a 1M-declaration world: seconds, rows per second and peak RSS.

Targets on the 2-core machine: <= 30 s, <= 3 GB peak. Imports are timed apart from the work.

Usage: python -m benchmarks.simulate [--declarations N] [--seed S]
"""

from __future__ import annotations

import argparse

from benchmarks._measure import Stopwatch, peak_rss_gb, report

DECLARATIONS = 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--declarations", type=int, default=DECLARATIONS)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    watch = Stopwatch()
    with watch.stage("imports"):
        from simulation import WorldConfig, simulate
    with watch.stage("simulate"):
        world = simulate(WorldConfig(declarations=args.declarations, seed=args.seed))
    with watch.stage("summary"):
        summary = world.summary()
    seconds = watch.stages["simulate"]
    report(
        "simulate",
        {
            "declarations": len(world.declarations),
            "inspections": len(world.inspections),
            "seconds": seconds,
            "rows_per_second": round(len(world.declarations) / max(seconds, 1e-9)),
            "peak_rss_gb": round(peak_rss_gb(), 2),
            "target": "<= 30 s, <= 3 GB",
            "illicit_share": summary["illicit_share"],
            "hit_rate_legacy": summary["hit_rate_legacy"],
            "random_stream_hit_rate": summary["random_stream_hit_rate"],
            **{f"stage_{name}": value for name, value in watch.stages.items()},
        },
    )


if __name__ == "__main__":
    main()
