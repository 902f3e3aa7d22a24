"""Load test of `gcrisk serve` on loopback: latency of one declaration, throughput of batches.

Goals on the 2-core machine: p99 <= 50 ms for one declaration, >= 500 declarations/s batched.

Setup (cached in --work, default /tmp/gcrisk-bench-serve): a simulated world (200k declarations
over 12 months, `simulation.simulate`); its first 11 months are ingested with pseudonymisation
on (`ingest_flow`, as `gcrisk ingest`) and a champion is trained on them and registered. The
last month is what clients send (ids in clear, as a customs system would).

Measured: `gcrisk serve --workers 1` started as a subprocess; this process drives it with
concurrent httpx clients (threads) on 127.0.0.1:
1. one declaration per request, 1 client and then 4 clients: p50/p90/p99 latency and rate;
2. batches of 100 per request, 2 clients: declarations per second and per-request latency.
The server shares the two cores with the clients, so the figures include the load generator.

Usage: python -m benchmarks.serve [--work DIR] [--requests 2000] [--batches 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks._measure import report

WORK = Path("/tmp/gcrisk-bench-serve")
WORLD = {"declarations": 200_000, "months": 12, "seed": 21, "illicit_share": 0.02}
CUTOFF = pd.Timestamp("2024-12-01")
BENCH_KEY = "benchmark-only-key"
API_KEY = "benchmark-api-key-000000000000"


def setup(work: Path) -> Path:
    """The home with history and a champion, and the clients' declarations (cached)."""
    home = work / "home"
    if (work / "ready").exists():
        return home
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ.update({"GCRISK_HOME": str(home), "GCRISK_PSEUDONYM_KEY": BENCH_KEY})
    from pipelines.flows.ingest import IngestConfig, ingest_flow
    from pipelines.runtime import run_flow
    from pipelines.settings import configure_offline_environment
    from simulation import WorldConfig, simulate

    configure_offline_environment()
    world = simulate(WorldConfig(**WORLD))
    dates = world.declarations["declaration_date"]
    history = world.declarations[dates < CUTOFF]
    known = world.inspections[world.inspections["inspection_date"] < CUTOFF]
    known = known[known["declaration_id"].isin(history["declaration_id"])]
    history.to_parquet(work / "history.parquet")
    known.to_parquet(work / "known.parquet")
    world.declarations[dates >= CUTOFF].to_parquet(work / "requests.parquet")
    today = (dates.max() + pd.Timedelta(days=1)).date()
    for kind, name in (("declarations", "history"), ("inspections", "known")):
        run_flow(ingest_flow, IngestConfig(file=work / f"{name}.parquet", kind=kind, today=today))
    _register_champion(home, history, known)
    (work / "ready").write_text("ok")
    return home


def _register_champion(home: Path, history: pd.DataFrame, known: pd.DataFrame) -> None:
    import mlflow

    from data_contracts.privacy import pseudonymise
    from features import build_training_features
    from features.catalogue import categorical_feature_names, model_feature_names
    from models.training import TrainConfig, train_risk_model
    from pipelines.settings import Settings
    from pipelines.storage import tracking

    history = pseudonymise(history, BENCH_KEY.encode())
    model = train_risk_model(
        build_training_features(history, known),
        known,
        feature_names=model_feature_names(),
        categorical=categorical_feature_names(),
        config=TrainConfig(valid_days=45, gap_days=7, num_boost_round=200),
    )
    settings = Settings(home=home)
    client = tracking.connect(settings.tracking_uri, home / "mlartifacts")
    experiment = tracking.experiment_id("gcrisk-training", home / "mlartifacts")
    with mlflow.start_run(experiment_id=experiment, run_name="bench-champion"):
        version = tracking.log_risk_model(model)
    tracking.set_alias(client, tracking.CHAMPION, version)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(home: Path, port: int, workers: int) -> tuple[subprocess.Popen[bytes], float]:
    """`gcrisk serve` on loopback; returns the process and seconds until it was ready."""
    import httpx

    from pipelines.service.auth import hash_key

    env = os.environ | {
        "GCRISK_HOME": str(home),
        "GCRISK_PSEUDONYM_KEY": BENCH_KEY,
        "GCRISK_SERVE_KEYS": hash_key("bench", API_KEY).entry(),
    }
    log = (home.parent / "serve.log").open("wb")
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "pipelines.cli", "serve"),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"error: gcrisk serve exited ({server.returncode}); see serve.log")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return server, time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)  # polling for readiness of another process
    server.terminate()
    raise SystemExit("error: gcrisk serve was not ready within 300 s")


def payloads(work: Path) -> list[dict[str, Any]]:
    """The clients' declarations as JSON-ready dicts."""
    frame = pd.read_parquet(work / "requests.parquet")
    frame["declaration_date"] = frame["declaration_date"].dt.strftime("%Y-%m-%d")
    text = frame.to_json(orient="records")
    return list(json.loads(text))


def drive(url: str, bodies: list[Any], *, clients: int) -> tuple[np.ndarray, float, dict[int, int]]:
    """Send `bodies` from `clients` threads; per-request seconds, wall seconds, statuses."""
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    chunks = [bodies[i::clients] for i in range(clients)]

    def client(chunk: list[Any]) -> None:
        mine, codes = [], []
        with httpx.Client(headers={"X-API-Key": API_KEY}, timeout=30) as session:
            for body in chunk:
                started = time.perf_counter()
                response = session.post(url, json=body)
                mine.append(time.perf_counter() - started)
                codes.append(response.status_code)
        with lock:
            latencies.extend(mine)
            for code in codes:
                statuses[code] = statuses.get(code, 0) + 1

    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return np.asarray(latencies), time.perf_counter() - started, statuses


def _ms(latencies: np.ndarray, q: float) -> float:
    return round(float(np.quantile(latencies, q)) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    home = setup(args.work)
    rows = payloads(args.work)
    port = _free_port()
    recorded_before = recorded(home)
    server, ready_s = start_server(home, port, args.workers)
    url = f"http://127.0.0.1:{port}/v1/score"
    figures: dict[str, object] = {"workers": args.workers, "ready_s": round(ready_s, 1)}
    sent = 100 + 2 * args.requests + 100 * args.batches
    try:
        drive(url, rows[:100], clients=1)  # warm-up
        for clients in (1, 4):
            singles = rows[: args.requests]
            latencies, wall, statuses = drive(url, singles, clients=clients)
            prefix = f"one_c{clients}"
            figures |= {
                f"{prefix}_p50_ms": _ms(latencies, 0.5),
                f"{prefix}_p90_ms": _ms(latencies, 0.9),
                f"{prefix}_p99_ms": _ms(latencies, 0.99),
                f"{prefix}_per_s": round(len(singles) / wall, 1),
                f"{prefix}_statuses": statuses,
            }
        batches = [rows[(i * 100) % (len(rows) - 100) :][:100] for i in range(args.batches)]
        latencies, wall, statuses = drive(url, batches, clients=2)
        figures |= {
            "batch100_c2_p50_ms": _ms(latencies, 0.5),
            "batch100_c2_p99_ms": _ms(latencies, 0.99),
            "batch100_c2_declarations_per_s": round(100 * len(batches) / wall, 1),
            "batch100_c2_statuses": statuses,
        }
    finally:
        server.terminate()
        server.wait(timeout=60)
    figures["server_exit"] = server.returncode
    figures["decisions_sent"] = sent
    figures["decisions_recorded"] = recorded(home) - recorded_before
    figures["decisions_spooled"] = spooled(home)
    report("serve", figures)


def spooled(home: Path) -> int:
    """Decisions waiting in the spool (the warehouse was busy at shutdown)."""
    files = sorted((home / "serve-spool").glob("*.parquet"))
    return sum(len(pd.read_parquet(path)) for path in files)


def recorded(home: Path) -> int:
    """Decisions the service's runs appended to the decision record so far."""
    from pipelines.service.recorder import SERVICE_SOURCE
    from pipelines.storage.warehouse import Warehouse

    with Warehouse(home / "warehouse.duckdb", read_only=True) as store:
        runs = store.read_runs()
    details = runs["details"].map(json.loads)
    ours = details.map(lambda d: d.get("source") == SERVICE_SOURCE)
    return int(runs.loc[ours, "rows_in"].sum())


if __name__ == "__main__":
    main()
