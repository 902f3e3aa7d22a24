"""The retraining job: two runs, a registered champion, a logged gate, a human promotion."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from pipelines.flows.ingest import IngestConfig, ingest_flow
from pipelines.flows.train import TrainFlowConfig, TrainSummary, train_flow
from pipelines.runtime import run_flow

CUT = pd.Timestamp("2024-09-01")


@pytest.fixture(scope="module")
def trained_twice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list]]:
    """A small world's history in a fresh home, trained twice (the first run promoted)."""
    from simulation import WorldConfig, simulate

    home = tmp_path_factory.mktemp("train") / "home"
    world = simulate(WorldConfig(declarations=25_000, months=10, seed=11))
    history = world.declarations[world.declarations["declaration_date"] < CUT]
    known = world.inspections[world.inspections["inspection_date"] < CUT]
    folder = home.parent
    history.to_parquet(folder / "declarations.parquet")
    known.to_parquet(folder / "inspections.parquet")
    world.truth.to_parquet(folder / "truth.parquet")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GCRISK_HOME", str(home))
        patch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
        for kind in ("declarations", "inspections"):
            run_flow(ingest_flow, IngestConfig(file=folder / f"{kind}.parquet", kind=kind))
        first = run_flow(
            train_flow,
            TrainFlowConfig(until=CUT.date(), promote=True, truth=folder / "truth.parquet"),
        )
        second = run_flow(train_flow, TrainFlowConfig(until=CUT.date(), seed=1))
        yield home, [first, second]


def runs(home: Path) -> pd.DataFrame:
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{home / 'mlflow.db'}")
    return mlflow.search_runs(experiment_names=["gcrisk-training"], order_by=["start_time"])


def test_two_runs_two_versions_and_the_first_is_champion(trained_twice) -> None:
    home, (first, second) = trained_twice
    assert isinstance(first, TrainSummary)
    assert (first.model_version, second.model_version) == ("1", "2")
    assert first.promoted and not second.promoted
    assert second.champion_version == "1"
    table = runs(home)
    assert len(table) == 2
    assert set(table["tags.model_version"]) == {"1", "2"}


def test_the_gate_compares_with_the_champion_on_the_same_holdout(trained_twice) -> None:
    home, (first, second) = trained_twice
    assert first.gate["reasons"] == ["no champion yet: the first model passes"]
    assert set(second.gate["table"]) == {"overall", "waste", "ods", "wildlife"}
    assert "champion" in second.metrics and "logistic" in second.metrics
    table = runs(home)
    assert set(table["tags.gate"]) <= {"passed", "failed"}
    metric_columns = [c for c in table.columns if c.startswith("metrics.")]
    for baseline in ("model", "logistic", "profiles", "random"):
        assert f"metrics.{baseline}.overall.precision_at_5pct" in metric_columns
    assert "metrics.true.model.overall.recall_at_5pct" in metric_columns


def test_each_run_logs_charts_catalogue_contracts_and_fingerprint(trained_twice) -> None:
    import mlflow

    home, _ = trained_twice
    run_id = runs(home)["run_id"].iloc[0]
    client = mlflow.MlflowClient()
    names = {item.path for item in client.list_artifacts(run_id)}
    names |= {item.path for item in client.list_artifacts(run_id, "charts")}
    for expected in (
        "feature_catalogue.json",
        "data_contracts.json",
        "gate.json",
        "training_data_fingerprint.json",
        "charts/pr_curves.png",
        "charts/precision_at_budget.png",
        "charts/calibration.png",
        "charts/feature_importance.png",
    ):
        assert expected in names
    contracts = json.loads(
        Path(client.download_artifacts(run_id, "data_contracts.json")).read_text()
    )
    assert contracts["declarations"]["rows_quarantined"] == 0


def test_promote_and_evaluate_from_the_command_line(
    trained_twice, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipelines.cli import main

    home, _ = trained_twice
    monkeypatch.setenv("GCRISK_HOME", str(home))
    with pytest.raises(SystemExit) as exit_:
        main(["promote", "2"])
    assert exit_.value.code == 0
    assert "champion: version 2 (was 1)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["promote", "9"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.startswith("error: shipment-risk has no version 9")


def test_a_mappings_disabled_features_are_left_out_of_the_model(
    trained_twice, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from data_contracts.mappings import shipped_mapping
    from features.catalogue import model_feature_names
    from pipelines.cli import main
    from pipelines.settings import Settings
    from pipelines.storage import tracking

    home, _ = trained_twice
    monkeypatch.setenv("GCRISK_HOME", str(home))
    disabled = {*shipped_mapping("asycuda").disabled_features, "customs_value_is_round"}
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--mapping", "asycuda", "--without", "customs_value_is_round"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"leaving out {len(disabled)} features: ")
    version = out.split("trained shipment-risk version ")[1].split()[0]
    settings = Settings()
    client = tracking.connect(settings.tracking_uri, home / "mlartifacts")
    model = tracking.load_risk_model(client, version=version).model
    assert model.feature_names == [n for n in model_feature_names() if n not in disabled]
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--without", "shoe_size"])
    assert exit_.value.code == 2
    assert "shoe_size" in capsys.readouterr().err


def test_each_run_records_the_profile_set_it_used(trained_twice) -> None:
    import mlflow

    from models.rules import packaged_profiles

    home, _ = trained_twice
    run = mlflow.get_run(runs(home)["run_id"].iloc[0])
    shipped = packaged_profiles()
    assert run.data.params["profile_set.fingerprint"] == shipped.fingerprint
    assert run.data.tags["profile_set.version"] == shipped.version_label
    assert run.data.tags["profile_set.version"].startswith("ODS-01@1,")
