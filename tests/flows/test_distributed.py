"""Dask scoring on a two-worker LocalCluster, and on a scheduler and workers started as separate
programs, gives the pandas score table; month partitions; training with lightgbm.dask."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from models.risk_model import RiskModel
from tests.flows.conftest import CUTOFF, WORLD

AUGUST = "2024-08"
SCORED_AT = pd.Timestamp("2024-09-01 06:00")


@dataclass(frozen=True)
class World:
    """Simulated declarations and inspections, and a model trained on the history."""

    declarations: pd.DataFrame
    inspections: pd.DataFrame
    model: RiskModel


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """Two single-threaded worker processes, closed when the module's tests are done."""
    from pipelines.cluster.client import dask_client

    with dask_client("local", workers=2, threads=1) as connected:
        yield connected


@pytest.fixture(scope="module")
def external_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A client of a cluster started the way an existing one is: `dask scheduler` and
    `dask worker` (two single-threaded worker processes) as separate programs, sharing nothing
    with the test process but the network and the installed packages."""
    import subprocess
    import sys

    from distributed import Client

    from tests.e2e.prefect_server import free_port, stop_tree

    address = f"tcp://127.0.0.1:{free_port()}"
    dask = str(Path(sys.executable).with_name("dask"))
    log = (tmp_path_factory.mktemp("dask-cluster") / "cluster.log").open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GCRISK_")}
    commands = [
        [dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1]],
        [dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--memory-limit", "3GB"],
    ]
    started = [
        subprocess.Popen(
            [*command, "--no-dashboard"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**env, "OMP_WAIT_POLICY": "PASSIVE"},
            start_new_session=True,
        )
        for command in commands
    ]
    try:
        with Client(address, timeout=60) as connected:
            connected.wait_for_workers(2, timeout=120)
            yield connected
    finally:
        leftovers = [p for process in reversed(started) for p in stop_tree(process)]
        log.close()
        assert not leftovers, leftovers


@pytest.fixture(scope="module")
def world() -> World:
    """The flow tests' small world and a small model trained on what was known before August."""
    from features import build_training_features
    from features.catalogue import categorical_feature_names, model_feature_names
    from models.training import TrainConfig, train_risk_model
    from simulation import WorldConfig, simulate

    simulated = simulate(WorldConfig(**WORLD))
    cutoff = pd.Timestamp(CUTOFF)
    history = simulated.declarations[simulated.declarations["declaration_date"] < cutoff]
    known = simulated.inspections[simulated.inspections["inspection_date"] < cutoff]
    model = train_risk_model(
        build_training_features(history, known),
        known,
        feature_names=model_feature_names(),
        categorical=categorical_feature_names(),
        config=TrainConfig(
            valid_days=45,
            gap_days=7,
            num_boost_round=60,
            learning_rate=0.1,
            early_stopping_rounds=20,
        ),
    )
    return World(simulated.declarations, simulated.inspections, model)


DRAFTS = ("ODS-01", "WLD-01")


def _inputs(world: World, batch: pd.DataFrame) -> dict[str, Any]:
    from features import build_snapshots, describe
    from models.rules import ProfileSet, packaged_profiles
    from models.selection import SelectionConfig

    shipped = packaged_profiles().profiles
    return {
        "snapshots": build_snapshots(
            world.declarations, world.inspections, batch["declaration_date"].min()
        ),
        # Two profiles as drafts: they fire into `shadow_fired` on both paths alike.
        "profiles": ProfileSet(tuple(p for p in shipped if p.id not in DRAFTS)),
        "shadow": ProfileSet(tuple(p for p in shipped if p.id in DRAFTS)),
        "describe": describe,
        "selection": SelectionConfig(budget=0.05, seed=7),
        "scored_at": SCORED_AT,
    }


def _pandas_scores(world: World, batch: pd.DataFrame, inputs: dict[str, Any], **options: Any):
    from features import build_scoring_features
    from models.scoring import score_batch

    features = build_scoring_features(batch, inputs["snapshots"])
    offices = batch.set_index("declaration_id")["customs_office"]
    enriched = features.assign(
        customs_office=offices.reindex(features["declaration_id"]).to_numpy()
    )
    rest = {k: v for k, v in inputs.items() if k != "snapshots"}
    return score_batch(enriched, model=world.model, model_version="7", **rest, **options)


def _assert_same(dask_scores: pd.DataFrame, pandas_scores: pd.DataFrame) -> None:
    assert len(dask_scores) == len(pandas_scores)
    assert dask_scores["declaration_id"].tolist() == pandas_scores["declaration_id"].tolist()
    probability = [c for c in pandas_scores.columns if c.startswith("p_")] + ["risk_score"]
    pd.testing.assert_frame_equal(
        dask_scores[probability], pandas_scores[probability], rtol=1e-9, atol=1e-12
    )
    exact = [c for c in pandas_scores.columns if c not in probability]
    pd.testing.assert_frame_equal(dask_scores[exact], pandas_scores[exact])


def test_dask_scores_lanes_reasons_and_drift_equal_pandas(client: Any, world: World) -> None:
    from features import build_scoring_features
    from features.catalogue import model_feature_names
    from pipelines.cluster.scoring import score_partitioned

    dates = world.declarations["declaration_date"]
    batch = world.declarations[dates.dt.strftime("%Y-%m") == AUGUST].reset_index(drop=True)
    inputs = _inputs(world, batch)
    expected = _pandas_scores(world, batch, inputs)
    scored = score_partitioned(
        batch, client=client, model=world.model, model_version="7", npartitions=3, **inputs
    )
    scores = scored.table
    _assert_same(scores, expected)
    assert (scores["shadow_fired"] != "").any()
    # Drift from the partitions' bin counts, gathered in the scoring pass, is pandas' PSI.
    features = build_scoring_features(batch, inputs["snapshots"])
    assert world.model.reference is not None
    pandas_drift = world.model.reference.psi(features)
    assert len(scored.drift) == len(model_feature_names())
    pd.testing.assert_series_equal(scored.drift.sort_index(), pandas_drift.sort_index())
    # Selection is global: the red lane holds exactly the batch's capacity, not 3 quotas.
    assert scores["selected"].sum() == round(0.05 * len(batch))
    assert (scores.loc[scores["lane"] == "green", "reasons"] == "").all()
    assert (scores.loc[scores["lane"] == "red", "reasons"] != "").mean() > 0.9


def test_month_partitions_round_trip_and_read_only_requested_months(
    tmp_path: Path, world: World
) -> None:
    from pipelines.storage.partitions import (
        available_months,
        partition_files,
        read_partitions,
        write_partitions,
    )
    from pipelines.storage.tables import canonical_frame

    root = tmp_path / "declarations"
    months = write_partitions(world.declarations, root)
    assert months == available_months(root) and len(months) == 8
    wanted = ["2024-03", "2024-05"]
    files = partition_files(root, wanted)
    assert [f.parent.name for f in files] == [f"declaration_month={m}" for m in wanted]
    read = read_partitions(root, wanted)
    dates = world.declarations["declaration_date"].dt.strftime("%Y-%m")
    expected = canonical_frame(world.declarations[dates.isin(wanted)], "declarations")
    expected = expected.sort_values(["declaration_date", "declaration_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(read, expected)
    # Exporting a month again replaces it rather than adding a second copy.
    write_partitions(world.declarations[dates == "2024-03"], root)
    assert len(read_partitions(root, ["2024-03"])) == (dates == "2024-03").sum()
    with pytest.raises(FileNotFoundError, match="2030-01"):
        partition_files(root, ["2030-01"])


def test_dask_scoring_of_parquet_months_with_office_capacity_equals_pandas(
    tmp_path: Path, client: Any, world: World
) -> None:
    from pipelines.cluster.scoring import read_batch, score_partitioned
    from pipelines.storage.partitions import read_partitions, write_partitions

    root = tmp_path / "declarations"
    write_partitions(world.declarations, root)
    months = ["2024-07", AUGUST]
    batch = read_partitions(root, months)
    inputs = _inputs(world, batch)
    offices = batch["customs_office"].drop_duplicates().sort_values()
    capacity = pd.Series(range(3, 3 + len(offices)), index=offices.to_numpy())
    expected = _pandas_scores(world, batch, inputs, capacity_per_office=capacity)
    frame = read_batch(root, months)
    assert frame.npartitions == 2
    scores = score_partitioned(
        frame,
        client=client,
        model=world.model,
        model_version="7",
        capacity_per_office=capacity,
        **inputs,
    ).table
    _assert_same(scores, expected)
    # Each office's quota holds on each declaration date (never pooled over the batch's days).
    days = batch.groupby(["customs_office", "declaration_date"]).size()
    quota = capacity.reindex(days.index.get_level_values(0)).to_numpy()
    assert scores["selected"].sum() == np.minimum(quota, days.to_numpy()).sum()


def test_dask_scheduler_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from pipelines.settings import Settings

    monkeypatch.delenv("GCRISK_DASK_SCHEDULER", raising=False)
    assert not Settings().uses_dask
    monkeypatch.setenv("GCRISK_DASK_SCHEDULER", " tcp://10.0.0.5:8786 ")
    assert Settings().dask_scheduler == "tcp://10.0.0.5:8786" and Settings().uses_dask
    monkeypatch.setenv("GCRISK_DASK_SCHEDULER", "local")
    assert Settings().uses_dask
    monkeypatch.setenv("GCRISK_DASK_SCHEDULER", "10.0.0.5")
    with pytest.raises(ValidationError, match="GCRISK_DASK_SCHEDULER"):
        Settings()


@pytest.mark.parametrize("cluster", ["client", "external_cluster"])
def test_score_flow_on_the_cluster_writes_the_pandas_scores(
    cluster: str,
    request: pytest.FixtureRequest,
    scoring_world: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On the tests' LocalCluster and on a scheduler and workers started as separate programs
    (`GCRISK_DASK_SCHEDULER=tcp://...`, as for an existing cluster)."""
    import json
    import shutil

    from distributed import get_task_stream

    from features.catalogue import model_feature_names
    from pipelines.flows.score import ScoreConfig, score_flow
    from pipelines.runtime import run_flow
    from tests.flows.conftest import WORLD_TODAY, write_csv_text

    file = write_csv_text(scoring_world.first_half, tmp_path / "batch.csv")
    monkeypatch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
    client = request.getfixturevalue(cluster)
    tables, summaries = {}, {}
    for name, scheduler in (("pandas", ""), ("dask", client.scheduler.address)):
        home = tmp_path / name
        shutil.copytree(scoring_world.template, home)
        monkeypatch.setenv("GCRISK_HOME", str(home))
        monkeypatch.setenv("GCRISK_DASK_SCHEDULER", scheduler)
        config = ScoreConfig(file=file, out=tmp_path / f"out-{name}", today=WORLD_TODAY)
        with get_task_stream(client) as stream:
            run_flow(score_flow, config)
        # The batch (one staged file) was scored on this cluster's workers only when the
        # setting said so.
        scored_on = {t["worker"] for t in stream.data if "score_and_count" in str(t["key"])}
        if name == "dask":
            assert len(scored_on) == 1 and scored_on <= set(client.scheduler_info()["workers"])
        else:
            assert not scored_on
        tables[name] = pd.read_parquet(tmp_path / f"out-{name}" / "scores.parquet")
        summaries[name] = json.loads((tmp_path / f"out-{name}" / "summary.json").read_text())
    pandas_scores, dask_scores = (t.drop(columns="scored_at") for t in tables.values())
    _assert_same(dask_scores, pandas_scores)
    # Drift summed from partition bin counts is the pandas figure, feature by feature.
    assert summaries["dask"]["drift"] == summaries["pandas"]["drift"]
    assert len(summaries["dask"]["drift"]) == len(model_feature_names())
    assert summaries["dask"]["lanes"] == summaries["pandas"]["lanes"]
    assert list((tmp_path / "dask" / "staging").iterdir()) == []


def test_prefect_task_runner_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    from pipelines.cluster.client import ClusterTaskRunner, dask_task_runner
    from pipelines.settings import Settings

    assert dask_task_runner(Settings(dask_scheduler="")) is None
    remote = dask_task_runner(Settings(dask_scheduler="tcp://10.0.0.5:8786"))
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://10.0.0.5:8786"
    local = dask_task_runner(Settings(dask_scheduler="local"))
    assert isinstance(local, DaskTaskRunner) and local.address is None
    assert local.cluster_kwargs["n_workers"] == 2
    # Given settings fix the choice; without them the environment of the run decides.
    fixed = ClusterTaskRunner(Settings(dask_scheduler="tcp://10.0.0.5:8786"))
    assert fixed.duplicate().choose().address == "tcp://10.0.0.5:8786"  # type: ignore[attr-defined]
    monkeypatch.setenv("GCRISK_DASK_SCHEDULER", "tcp://10.0.0.5:8786")
    assert ClusterTaskRunner().choose().address == "tcp://10.0.0.5:8786"  # type: ignore[attr-defined]
    monkeypatch.setenv("GCRISK_DASK_SCHEDULER", "10.0.0.5")  # invalid: the flow body says so
    assert isinstance(ClusterTaskRunner().choose(), ThreadPoolTaskRunner)
    monkeypatch.delenv("GCRISK_DASK_SCHEDULER")
    assert isinstance(ClusterTaskRunner().choose(), ThreadPoolTaskRunner)


@pytest.mark.parametrize("flow_module", ["pipelines.flows.score", "pipelines.flows.train"])
def test_the_flows_choose_their_task_runner_when_a_run_starts_not_at_import(
    flow_module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the flow engine does per run: `duplicate()` the flow's runner and enter it. The
    environment at that moment decides, whatever it was when the module was imported."""
    import importlib

    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    from pipelines.cluster.client import ClusterTaskRunner

    # One flow object, imported once, whatever the environment was then (no reload: that
    # would replace the module's classes under the other tests).
    module = importlib.import_module(flow_module)
    flow = next(v for k, v in vars(module).items() if k.endswith("_flow"))
    assert isinstance(flow.task_runner, ClusterTaskRunner)
    # Dask on when this run starts: this run gets Dask (a LocalCluster, not started before a
    # submit).
    monkeypatch.setenv("GCRISK_DASK_SCHEDULER", "local")
    with flow.task_runner.duplicate() as runner:
        assert isinstance(runner.delegate, DaskTaskRunner) and runner.delegate.address is None
        assert runner.delegate._started
    assert runner.delegate is None
    # The same flow object, Dask off when the next run starts: the default runner.
    monkeypatch.delenv("GCRISK_DASK_SCHEDULER")
    with flow.task_runner.duplicate() as runner:
        assert isinstance(runner.delegate, ThreadPoolTaskRunner)


def test_training_on_dask_gives_a_model_of_the_same_quality(
    client: Any, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    import warnings

    from sklearn.metrics import average_precision_score

    from features import build_training_features
    from features.catalogue import categorical_feature_names, model_feature_names
    from models.training import TrainConfig, labels_for
    from pipelines.cluster.training import train_on_cluster

    cutoff = pd.Timestamp(CUTOFF)
    history = world.declarations[world.declarations["declaration_date"] < cutoff]
    known = world.inspections[world.inspections["inspection_date"] < cutoff]
    options = {
        "client": client,
        "feature_names": model_feature_names(),
        "categorical": categorical_feature_names(),
        "config": TrainConfig(valid_days=45, gap_days=7, num_boost_round=60, learning_rate=0.1),
    }
    fit_features = build_training_features(history, known)
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        model = train_on_cluster(fit_features, known, **options)
    assert set(model.models) == set(world.model.models)
    # lightgbm.dask's chatter on every fit (ports found, n_jobs ignored) stays out of the CLI.
    assert "random open ports" not in capsys.readouterr().out
    assert not [w for w in warned if "n_jobs" in str(w.message)]
    # Quality on August's inspected declarations (never seen by either model).
    features = build_training_features(world.declarations, world.inspections)
    august = features[features["declaration_date"] >= cutoff]
    results = world.inspections[world.inspections["declaration_id"].isin(august["declaration_id"])]
    august = august[august["declaration_id"].isin(results["declaration_id"])]
    truth = labels_for(results, pd.Index(august["declaration_id"]), ("any",))["any"].to_numpy()
    quality = {
        name: average_precision_score(truth, trained.predict(august)["risk_score"])
        for name, trained in (("pandas", world.model), ("dask", model))
    }
    assert quality["dask"] >= quality["pandas"] - 0.1, quality


def test_train_flow_on_the_cluster_fits_with_lightgbm_dask_to_the_same_quality(
    client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A year of history (the flow's holdout, gaps and stopping window need about 11 months),
    trained by the train flow with and without GCRISK_DASK_SCHEDULER."""
    import shutil

    from distributed import get_task_stream

    from pipelines.flows.ingest import IngestConfig, ingest_flow
    from pipelines.flows.train import TrainFlowConfig, train_flow
    from pipelines.runtime import run_flow
    from simulation import WorldConfig, simulate

    simulated = simulate(WorldConfig(**{**WORLD, "declarations": 30_000, "months": 13}))
    until = pd.Timestamp("2025-01-01")
    declarations = simulated.declarations[simulated.declarations["declaration_date"] < until]
    inspections = simulated.inspections[simulated.inspections["inspection_date"] < until]
    monkeypatch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("GCRISK_HOME", str(tmp_path / "pandas"))
    monkeypatch.delenv("GCRISK_DASK_SCHEDULER", raising=False)
    for kind, table in (("declarations", declarations), ("inspections", inspections)):
        table.to_parquet(tmp_path / f"{kind}.parquet")
        run_flow(ingest_flow, IngestConfig(file=tmp_path / f"{kind}.parquet", kind=kind))  # type: ignore[arg-type]
    shutil.copytree(tmp_path / "pandas", tmp_path / "dask")
    simulated.truth.to_parquet(tmp_path / "truth.parquet")
    config = TrainFlowConfig(
        until=until.date(), holdout_days=60, gap_days=14, truth=tmp_path / "truth.parquet"
    )
    trained = {}
    for name, scheduler in (("pandas", ""), ("dask", client.scheduler.address)):
        monkeypatch.setenv("GCRISK_HOME", str(tmp_path / name))
        monkeypatch.setenv("GCRISK_DASK_SCHEDULER", scheduler)
        with get_task_stream(client) as stream:
            trained[name] = run_flow(train_flow, config)
        keys = {str(task["key"]) for task in stream.data}
        # lightgbm.dask's fitting tasks ran on the workers only when the setting asked for it.
        assert any("_train_part" in key for key in keys) == (name == "dask"), keys
    assert trained["dask"].training_rows == trained["pandas"].training_rows
    # PR-AUC against the simulated truth of every holdout declaration (about 140 illicit ones;
    # the inspected holdout alone has too few violations to compare two models).
    pr_auc = {
        name: _logged_metrics(tmp_path / name, summary.run_id)["true.model.overall.pr_auc"]
        for name, summary in trained.items()
    }
    random = _logged_metrics(tmp_path / "pandas", trained["pandas"].run_id)[
        "true.random.overall.pr_auc"
    ]
    assert pr_auc["pandas"] > 3 * random, (pr_auc, random)  # the model learned something
    # Seeds alone move this figure by 0.05 in pandas (0.12-0.17 over seeds 0-2, Dask 0.11-0.15).
    assert pr_auc["dask"] >= pr_auc["pandas"] - 0.1, pr_auc


def _logged_metrics(home: Path, run_id: str) -> dict[str, float]:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    return dict(client.get_run(run_id).data.metrics)


def test_fit_model_sent_to_a_worker_boosts_with_the_workers_client(
    client: Any, world: World
) -> None:
    """What DaskTaskRunner does with the fit-model step: the step runs on a worker, which
    opens its own client (seceding its thread) for lightgbm.dask, without deadlocking."""
    from distributed import get_task_stream

    from features import build_training_features
    from features.catalogue import categorical_feature_names, model_feature_names
    from models.training import HoldoutPlan, TrainConfig
    from pipelines.steps.training import fit_model

    cutoff = pd.Timestamp(CUTOFF)
    history = world.declarations[world.declarations["declaration_date"] < cutoff]
    known = world.inspections[world.inspections["inspection_date"] < cutoff]
    features = build_training_features(history, known)
    # The step's own TrainConfig keeps 134 days for stopping: fit on everything before August.
    plan = HoldoutPlan.of(features["declaration_date"], CUTOFF, holdout_days=1, gap_days=0)
    with get_task_stream(client) as stream:
        model = client.submit(
            fit_model,
            features,
            known,
            model_feature_names(),
            categorical_feature_names(),
            TrainConfig(until=plan.fit_until),
            client.scheduler.address,
        ).result()
    keys = [str(task["key"]) for task in stream.data]
    assert any(key.startswith("fit_model") for key in keys), keys
    assert any("_train_part" in key for key in keys), keys
    assert any(m.booster is not None for m in model.models.values())


def test_warehouse_export_writes_whole_months_that_read_back_canonical(
    scoring_world: Any, tmp_path: Path
) -> None:
    from pipelines.storage.partitions import available_months, export_declarations, read_partitions
    from pipelines.storage.tables import canonical_frame
    from pipelines.storage.warehouse import Warehouse

    warehouse, root = scoring_world.template / "warehouse.duckdb", tmp_path / "parts"
    with Warehouse(warehouse, read_only=True) as store:
        stored = store.read_declarations()
    month = stored["declaration_date"].dt.strftime("%Y-%m")
    written = export_declarations(warehouse, root, since="2024-05", until="2024-06")
    assert written == {m: int((month == m).sum()) for m in ("2024-05", "2024-06")}
    assert available_months(root) == ["2024-05", "2024-06"]
    read = read_partitions(root, ["2024-05", "2024-06"])
    expected = canonical_frame(stored[month.isin(["2024-05", "2024-06"])], "declarations")
    expected = expected.sort_values(["declaration_date", "declaration_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(read, expected)
    # Everything, again: the two months are replaced, not doubled, and the others added.
    assert sum(export_declarations(warehouse, root).values()) == len(stored)
    assert available_months(root) == sorted(month.unique())
    assert len(read_partitions(root, available_months(root))) == len(stored)
    with pytest.raises(ValueError, match="YYYY-MM"):
        export_declarations(warehouse, root, since="2024-6")


def test_export_command_reports_months_and_refuses_bad_input(
    scoring_world: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from pipelines.cli import main

    monkeypatch.setenv("GCRISK_HOME", str(scoring_world.template))
    monkeypatch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
    with pytest.raises(SystemExit) as exit_:
        main(["export", "--out", str(tmp_path / "parts"), "--since", "2024-07"])
    assert exit_.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(str(tmp_path / "parts" / "declaration_month=2024-07"))
    assert lines[-1].startswith("exported ") and lines[-1].endswith(" in 1 months")
    for argv, message in (
        (["--until", "July"], "error: not a month (YYYY-MM): 'July'"),
        ([], "error: no warehouse at "),
    ):
        if not argv:
            monkeypatch.setenv("GCRISK_HOME", str(tmp_path / "empty-home"))
        with pytest.raises(SystemExit) as exit_:
            main(["export", "--out", str(tmp_path / "x"), *argv])
        assert exit_.value.code == 2
        assert capsys.readouterr().err.startswith(message)
