"""prefect.yaml deployed to a real Prefect server, and `score-daily` run by a real worker.

Starts `prefect server start` on a free loopback port with its own PREFECT_HOME, creates the
`gcrisk` process pool, runs `prefect deploy --all` from the repository, starts a worker, puts
a batch in the inbox of a small simulated world (history ingested, a champion registered, all
in-process with the project's own flows), triggers `score-daily` and checks what the run wrote.
Every process started here is stopped at the end, also when a test fails.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.e2e.prefect_server import PrefectStack, flow_run_id
from tests.e2e.worlds import BROKEN_ROW, World, build_world, put_in_inbox
from tests.flows.test_prefect_yaml import POOL, REPO, deployments, load_prefect_yaml, resolve

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectStack]:
    """The server, started first so it boots while the world is simulated; stopped at the end."""
    root = tmp_path_factory.mktemp("prefect-e2e")
    stack = PrefectStack(root=root, repo=REPO, gcrisk_home=root / "gcrisk-home")
    started = time.perf_counter()
    try:
        stack.start_server()
        yield stack
    finally:
        leftovers = stack.stop()
        stack.timings["total"] = time.perf_counter() - started
        print(f"timings (s): {json.dumps(stack.timings, indent=1)}")
        print(stack.log_tails(lines=15))
        assert leftovers == [], f"processes left running: {leftovers}"


@pytest.fixture(scope="module")
def world(stack: PrefectStack) -> World:
    """The small world, built in-process while the server boots."""
    started = time.perf_counter()
    built = build_world(
        stack.gcrisk_home,
        stack.root / "world",
        {"PREFECT_HOME": str(stack.root / "prefect-in-process")},
    )
    stack.timings["world (in-process)"] = time.perf_counter() - started
    return built


@pytest.fixture(scope="module")
def deployed(stack: PrefectStack, world: World) -> dict[str, dict[str, Any]]:
    """The pool, every deployment of prefect.yaml as the server holds it (by name), a worker."""
    with stack.explained():
        stack.wait_healthy()
        stack.cli("work-pool", "create", POOL, "--type", "process")
        stack.cli("deploy", "--all", "--no-prompt")
        # After the deploy: a worker's heartbeats during it can hit SQLite's "database is
        # locked" on a busy machine (the server logs it and goes on; the deploy might not).
        stack.start_worker(POOL)
        records = stack.api("POST", "/deployments/filter", {})
    return {record["name"]: record for record in records}


def test_every_deployment_is_registered_as_declared(
    stack: PrefectStack, deployed: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GCRISK_HOME", str(stack.gcrisk_home))
    declared = deployments(resolve(load_prefect_yaml()))
    assert set(deployed) == set(declared)
    for name, record in deployed.items():
        assert record["work_pool_name"] == POOL
        assert record["parameters"] == declared[name]["parameters"]
        assert record["job_variables"]["env"]["GCRISK_HOME"] == str(stack.gcrisk_home)
        assert record["pull_steps"] == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}
        ]
        (schedule,) = record["schedules"]
        (wanted,) = declared[name]["schedules"]
        assert schedule["schedule"]["cron"] == wanted["cron"]
        assert schedule["schedule"]["timezone"] == wanted["timezone"]


def test_score_daily_runs_on_a_worker(
    stack: PrefectStack, deployed: dict[str, dict[str, Any]], world: World
) -> None:
    config = deployed["score-daily"]["parameters"]["config"]
    inbox, out = Path(config["file"]), Path(config["out"])
    assert inbox.is_relative_to(world.home)
    with stack.explained():
        put_in_inbox(world.batch, inbox)
        run_id = flow_run_id(stack.cli("deployment", "run", "score-batch/score-daily"))
        run = stack.wait_for_flow_run(run_id, deadline=300)
    _record_run_timings(stack, run)
    summary = json.loads((out / "summary.json").read_text())
    scores = pd.read_parquet(out / "scores.parquet")
    quarantine = pd.read_parquet(out / "quarantine.parquet")
    broken = world.batch.loc[BROKEN_ROW, "declaration_id"]
    assert summary["rows_in"] == len(world.batch)
    assert (summary["rows_scored"], summary["rows_quarantined"]) == (len(world.batch) - 1, 1)
    assert sum(summary["lanes"].values()) == summary["rows_scored"] == len(scores)
    assert set(scores["declaration_id"]) == set(world.batch["declaration_id"]) - {broken}
    assert quarantine["declaration_id"].tolist() == [broken]
    # The worker's process found the warehouse and the MLflow store the world was built in.
    assert summary["model_version"] == world.champion_version
    assert "<html" in (out / "report.html").read_text(encoding="utf-8").lower()


def test_score_daily_on_a_dask_cluster_reports_to_the_same_api(
    stack: PrefectStack, deployed: dict[str, dict[str, Any]], world: World
) -> None:
    """The same deployment with GCRISK_DASK_SCHEDULER=local: prefect-dask runs the scoring step
    on a Dask worker, whose task run and logs reach this server; the scores are the pandas run's."""
    record = deployed["score-daily"]
    config = dict(record["parameters"]["config"])
    pandas_out, config["out"] = Path(config["out"]), str(stack.root / "scores-on-dask")
    env = {**record["job_variables"]["env"], "GCRISK_DASK_SCHEDULER": "local"}
    with stack.explained():
        output = stack.cli(
            "deployment",
            "run",
            "score-batch/score-daily",
            "--param",
            f"config={json.dumps(config)}",
            "--job-variable",
            f"env={json.dumps(env)}",
        )
        run = stack.wait_for_flow_run(flow_run_id(output), deadline=300)
    stack.timings["run on dask"] = _seconds(run, "start_time", "end_time")
    tasks = stack.wait_for_task_runs(run["id"], "score-and-select-on-dask")
    assert tasks["score-and-select-on-dask"]["state_type"] == "COMPLETED"
    # The step ran on a Dask worker (the task runner sent it there), not in the flow's process.
    messages = stack.wait_for_logs(run["id"], "on Dask (Dask worker tcp://")
    assert sum("on Dask (Dask worker tcp://" in m for m in messages) == 1, "\n".join(messages)
    dask_scores = pd.read_parquet(Path(config["out"]) / "scores.parquet")
    pandas_scores = pd.read_parquet(pandas_out / "scores.parquet")
    assert dask_scores["declaration_id"].tolist() == pandas_scores["declaration_id"].tolist()
    assert dask_scores["lane"].tolist() == pandas_scores["lane"].tolist()
    assert dask_scores["reasons"].tolist() == pandas_scores["reasons"].tolist()
    summary = json.loads((Path(config["out"]) / "summary.json").read_text())
    assert summary["drift"] == json.loads((pandas_out / "summary.json").read_text())["drift"]
    assert summary["drift"], "the champion's drift reference was not used on the cluster"
    assert not any((world.home / "staging").glob("*")), "staged batch files were left behind"


def _record_run_timings(stack: PrefectStack, run: dict[str, Any]) -> None:
    """Submit-to-start (worker pickup and process start) and start-to-end of the run."""
    stack.timings["run pickup"] = _seconds(run, "created", "start_time")
    stack.timings["run duration"] = _seconds(run, "start_time", "end_time")


def _seconds(run: dict[str, Any], start: str, end: str) -> float:
    """Seconds between two of a flow run's timestamps."""
    return (
        datetime.datetime.fromisoformat(run[end]) - datetime.datetime.fromisoformat(run[start])
    ).total_seconds()
