"""Validate and ingest 1M declarations; seconds and peak RSS per stage.

Targets on the 2-core machine: validation <= 15 s, ingest <= 30 s, peak RSS <= 3 GB. The
validate stage also times the HS-edition rule alone (`of_which_hs_editions`), which is part of
its `validate` seconds.

The 1M-row CSV is generated once (contract-valid, vectorised), then each stage runs in its own
process so its peak RSS is its own: `validate` (read the CSV + validate), `ingest` (read +
validate + pseudonymise + upsert into a fresh warehouse, as `gcrisk ingest` does) and `reingest`
(the same file again: every row replaced). Library imports (GX, Prefect) are timed apart from
the work, since they are paid once per process.

Usage: python -m benchmarks.validate_ingest [--rows N]
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

ROWS = 1_000_000
TRADERS = 60_000
DECLARANTS = 2_500
TODAY = "2025-12-31"
BENCH_KEY = "benchmark-only-key"


def generate_csv(rows: int, path: Path) -> None:
    """Write a contract-valid declarations CSV with realistic id cardinalities."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from tests.factories import valid_declarations

    rng = np.random.default_rng(2024)
    frame = valid_declarations(rows, seed=1)
    # The factory has a handful of traders; pseudonymisation cost depends on distinct ids.
    traders = np.char.add("T", rng.integers(0, TRADERS, rows).astype("U6"))
    declarants = np.char.add("B", rng.integers(0, DECLARANTS, rows).astype("U5"))
    frame = frame.assign(
        trader_id=traders,
        declarant_id=declarants,
        declaration_date=frame["declaration_date"].dt.strftime("%Y-%m-%d"),
    )
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), path)


def _warm_up() -> None:
    """Import GX and build its context once (validating five rows), outside the timed work."""
    from data_contracts.validation import validate
    from tests.factories import valid_declarations

    validate(valid_declarations(5, seed=0), "declarations")


def _stage_validate(path: Path) -> dict[str, object]:
    watch = Stopwatch()
    with watch.stage("imports"):
        import datetime

        from data_contracts.validation import validate
        from pipelines.storage.io import read_table

        _warm_up()
    with watch.stage("read"):
        frame = read_table(path)
    with watch.stage("validate"):
        result = validate(frame, "declarations", today=datetime.date.fromisoformat(TODAY))
    # The HS-edition rule (part of `validate`) again on its own: its share of the validation.
    from data_contracts.editions import edition_failures

    with watch.stage("of_which_hs_editions"):
        edition_failures(result.valid["hs_code"], result.valid["declaration_date"])
    seconds = round(watch.stages["read"] + watch.stages["validate"], 2)
    return {**watch.stages, "seconds": seconds, "rows_valid": len(result.valid)}


def _stage_ingest(path: Path) -> dict[str, object]:
    watch = Stopwatch()
    with watch.stage("imports"):
        import datetime

        from pipelines.flows.ingest import IngestConfig, ingest_flow
        from pipelines.runtime import run_flow

        _warm_up()
    config = IngestConfig(file=path, kind="declarations", today=datetime.date.fromisoformat(TODAY))
    with watch.stage("seconds"):
        summary = run_flow(ingest_flow, config)
    return {
        **watch.stages,
        "inserted": summary.inserted,
        "replaced": summary.replaced,
        "table_rows": summary.table_rows,
    }


def _run_stage(stage: str, path: Path, home: Path) -> dict[str, object]:
    """Run one stage in a fresh process; returns its figures and its own peak RSS."""
    env = {**os.environ, "GCRISK_HOME": str(home), "GCRISK_PSEUDONYM_KEY": BENCH_KEY}
    command = [sys.executable, "-m", "benchmarks.validate_ingest", "--stage", stage, str(path)]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if output.returncode != 0:
        raise RuntimeError(f"stage {stage} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--stage", choices=["validate", "ingest"])
    parser.add_argument("file", nargs="?", type=Path)
    args = parser.parse_args()
    if args.stage:  # child process: one stage, figures as the last line of stdout
        from pipelines.settings import configure_offline_environment

        configure_offline_environment()
        figures = (
            _stage_validate(args.file) if args.stage == "validate" else _stage_ingest(args.file)
        )
        print(json.dumps({**figures, "peak_rss_gb": round(peak_rss_gb(), 2)}))
        return
    with tempfile.TemporaryDirectory(prefix="gcrisk-bench-") as folder:
        path, home = Path(folder) / "declarations.csv", Path(folder) / "home"
        started = time.perf_counter()
        generate_csv(args.rows, path)
        generated = round(time.perf_counter() - started, 2)
        validate = _run_stage("validate", path, home)
        ingest = _run_stage("ingest", path, home)
        reingest = _run_stage("ingest", path, home)
        size_mb = round(path.stat().st_size / 1e6, 1)
    report(
        "validate_ingest",
        {
            "rows": args.rows,
            "csv_mb": size_mb,
            "generate_s": generated,
            "validate_s": validate["seconds"],
            "validate_read_csv_s": validate["read"],
            "validate_contract_s": validate["validate"],
            "of_which_hs_editions_s": validate["of_which_hs_editions"],
            "validate_peak_rss_gb": validate["peak_rss_gb"],
            "ingest_s": ingest["seconds"],
            "ingest_peak_rss_gb": ingest["peak_rss_gb"],
            "reingest_s": reingest["seconds"],
            "reingest_peak_rss_gb": reingest["peak_rss_gb"],
            "reingest_replaced": reingest["replaced"],
            "process_imports_s": validate["imports"],
            "targets": "validate_s <= 15, ingest_s <= 30, peak RSS <= 3 GB",
        },
    )


if __name__ == "__main__":
    main()
