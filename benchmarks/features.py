"""Feature benchmark: training features for 1M declarations with 50k inspection results, and
scoring features for a 100k batch given snapshots. Targets: <= 20 s, <= 3 s, peak <= 4 GB.

Usage: python -m benchmarks.features [--rows 1000000] [--inspections 50000] [--batch 100000]
                                     [--data synthetic|simulated]

`synthetic` is a quick vectorised generator (50k heavy-tailed traders, 3k declarants, regime and
ordinary HS codes, templated descriptions); `simulated` uses `simulation.simulate` when present.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from benchmarks._measure import Stopwatch, peak_rss_gb, report
from data_contracts import reference
from data_contracts.schemas import DECLARATION_COLUMNS, INSPECTION_COLUMNS, PANDAS_DTYPES

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_COUNTRY_CODES = (
    "CN US DE NL NG GH VN MY IN BR KE AE TR SG HK JP GB FR IT ES BE PL RO BG UA ZA MZ TZ UG CM "
    "CD ID TH PH KR TW MX CA AU SA QA ET LK PK BD EG MA SN CI"
)
_COUNTRIES = np.array(_COUNTRY_CODES.split())
_TRANSITS = np.array([""] * 12 + ["AE", "SG", "HK", "TR", "BE|NL", "HK|SG", "MY", "KE", "PA"])
_SUFFIXES = np.array(
    ["", "", "", " new", " used", " in bulk", " for industrial use", " assorted", " samples"]
    + [f" model {i}" for i in range(40)]
)


def _canonical(frame: pd.DataFrame, columns: tuple) -> pd.DataFrame:
    dtypes = {column.name: PANDAS_DTYPES[column.type] for column in columns}
    return frame[list(dtypes)].astype(dtypes)


def _labels(prefix: str, numbers: np.ndarray) -> pd.Series:
    return prefix + pd.Series(numbers).astype("str")


def _goods(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, pd.Series]:
    """HS6 codes (30% regime codes) and their official text with a varying suffix."""
    regime = np.sort(reference.hs_codes()["hs6"].unique())
    ordinary = rng.choice(np.array(sorted(reference.hs6_subheadings())), 1500, replace=False)
    hs6 = np.where(rng.random(rows) < 0.3, rng.choice(regime, rows), rng.choice(ordinary, rows))
    texts = pd.Series(hs6).map(reference.hs6_descriptions()).astype("str")
    return hs6, texts + pd.Series(rng.choice(_SUFFIXES, rows), dtype="str")


def synthetic_world(rows: int, inspections: int, *, seed: int = 0, days: int = 730) -> tuple:
    """Contract-shaped declarations and inspections, built with numpy only (no loops)."""
    rng = np.random.default_rng(seed)
    hs6, description = _goods(rng, rows)
    trader_weight = rng.pareto(1.2, 50_000) + 1
    trader = rng.choice(50_000, rows, p=trader_weight / trader_weight.sum())
    gross = np.round(rng.lognormal(8.0, 1.5, rows), 1) + 1.0
    net = np.round(gross * rng.uniform(0.75, 1.0, rows), 1)
    ids = _labels("D", np.arange(rows))
    frame = pd.DataFrame(
        {
            "declaration_id": ids,
            "declaration_date": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(np.sort(rng.integers(0, days, rows)), "D"),
            "flow": "import",
            "customs_office": rng.choice(np.array(["NLRTM", "BEANR", "DEHAM"]), rows),
            "trader_id": _labels("T", trader),
            "declarant_id": _labels("B", rng.integers(0, 3_000, rows)),
            "hs_code": hs6,
            "goods_description": description.where(rng.random(rows) >= 0.03, ""),
            "origin_country": rng.choice(_COUNTRIES, rows),
            "consignment_country": rng.choice(_COUNTRIES, rows),
            "transit_countries": rng.choice(_TRANSITS, rows),
            "destination_country": rng.choice(_COUNTRIES, rows),
            "transport_mode": "sea",
            "container_count": rng.integers(0, 4, rows),
            "gross_weight_kg": gross,
            "net_weight_kg": net,
            "quantity": net,
            "quantity_unit": "kg",
            "customs_value_usd": np.round(net * rng.lognormal(1.0, 1.0, rows), 2),
            "permit_reference": np.where(rng.random(rows) < 0.1, "PRM-1", ""),
        }
    )
    declarations = _canonical(frame, DECLARATION_COLUMNS)
    return declarations, _inspections(declarations, inspections, rng)


def _inspections(declarations: pd.DataFrame, count: int, rng: np.random.Generator) -> pd.DataFrame:
    """Random inspection results recorded 3-30 days after their declaration."""
    picked = declarations.iloc[np.sort(rng.choice(len(declarations), count, replace=False))]
    violation = rng.random(count) < 0.2
    results = pd.DataFrame(
        {
            "declaration_id": picked["declaration_id"].to_numpy(),
            "inspection_date": picked["declaration_date"].to_numpy()
            + pd.to_timedelta(rng.integers(3, 31, count), "D").to_numpy(),
            "selection_reason": "random",
            "selection_propensity": 0.05,
            "outcome": np.where(violation, "violation", "clean"),
            "violation_category": np.where(violation, "waste", "none"),
            "notes": "",
        }
    )
    return _canonical(results, INSPECTION_COLUMNS)


def simulated_world(rows: int, inspections: int) -> tuple:
    """Declarations and inspections from the simulator (inspection count is the policy's)."""
    from simulation import WorldConfig, simulate

    world = simulate(WorldConfig(declarations=rows, months=24, seed=0))
    return world.declarations, world.inspections


@contextmanager
def _cpu(into: dict[str, float], name: str) -> Iterator[None]:
    """CPU seconds of this process for a stage (steadier than wall time on a shared machine)."""
    start = time.process_time()
    try:
        yield
    finally:
        into[name] = round(time.process_time() - start, 2)


def main() -> None:
    from features import build_scoring_features, build_snapshots, build_training_features

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--inspections", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--data", choices=["synthetic", "simulated"], default="simulated")
    args = parser.parse_args()
    watch, cpu = Stopwatch(), {}
    with watch.stage("generate_s"):
        make = simulated_world if args.data == "simulated" else synthetic_world
        declarations, inspections = make(args.rows, args.inspections)
    with watch.stage("training_features_s"), _cpu(cpu, "training_features_cpu_s"):
        training = build_training_features(declarations, inspections)
    training_rss = peak_rss_gb()
    batch_day = declarations["declaration_date"].max()
    history = declarations[declarations["declaration_date"] < batch_day]
    batch = declarations.sample(args.batch, replace=True, random_state=0).assign(
        declaration_date=batch_day,
        declaration_id=lambda f: "S" + pd.Series(np.arange(len(f)), index=f.index).astype(str),
    )
    with watch.stage("snapshots_s"), _cpu(cpu, "snapshots_cpu_s"):
        snapshots = build_snapshots(history, inspections, batch_day)
    with watch.stage("scoring_features_s"), _cpu(cpu, "scoring_features_cpu_s"):
        scoring = build_scoring_features(batch, snapshots)
    report(
        "features",
        {
            "data": args.data,
            "declarations": len(declarations),
            "inspections": len(inspections),
            "batch_rows": len(scoring),
            "feature_columns": training.shape[1],
            **watch.stages,
            **cpu,
            "peak_rss_after_training_gb": round(training_rss, 2),
            "peak_rss_gb": round(peak_rss_gb(), 2),
        },
    )


if __name__ == "__main__":
    main()
