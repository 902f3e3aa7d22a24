"""The retraining job on a small world whose labels are too thin to learn from: the gate refuses
the first model, a person forces a promotion with a reason, a third run meets the champion."""

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
FORCED = "pilot office: profiles-like model accepted until more results arrive"


@pytest.fixture(scope="module")
def trained_twice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list]]:
    """A small world's history in a fresh home, trained three times: asked to promote (refused
    by the gate), promoted by force with a reason, and a challenger."""
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
        second = run_flow(
            train_flow,
            TrainFlowConfig(until=CUT.date(), seed=1, promote=True, force_reason=FORCED),
        )
        third = run_flow(train_flow, TrainFlowConfig(until=CUT.date(), seed=2))
        yield home, [first, second, third]


def runs(home: Path) -> pd.DataFrame:
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{home / 'mlflow.db'}")
    return mlflow.search_runs(experiment_names=["gcrisk-training"], order_by=["start_time"])


def test_the_gate_refuses_a_model_of_thin_labels_and_a_person_can_force_it(trained_twice) -> None:
    home, (first, second, third) = trained_twice
    assert isinstance(first, TrainSummary)
    assert (first.model_version, second.model_version, third.model_version) == ("1", "2", "3")
    assert not first.promoted and first.champion_version is None
    assert not first.gate.passed and not first.gate.forced
    assert "no champion yet: judged against the baselines only" in first.gate.reasons
    assert any("no booster, a constant base rate" in r for r in first.gate.reasons)
    assert first.warnings and first.warnings[0].startswith("too few positives to learn")
    assert first.registered_training_rows == first.training_rows  # refused: not refitted
    assert second.promoted and second.gate.forced == FORCED
    assert second.registered_training_rows > second.training_rows  # refitted on every row
    assert not third.promoted and third.champion_version == "2"
    assert len(runs(home)) == 3
    assert set(runs(home)["tags.model_version"]) == {"1", "2", "3"}


def test_the_gate_compares_with_the_champion_on_the_same_holdout(trained_twice) -> None:
    home, (_, _, third) = trained_twice
    assert {"overall", "waste", "ods", "wildlife"} <= set(third.gate.table)
    assert {"champion", "logistic", "quick_lightgbm"} <= set(third.metrics)
    table = runs(home)
    assert set(table["tags.gate"]) <= {"passed", "failed"}
    metric_columns = [c for c in table.columns if c.startswith("metrics.")]
    for baseline in ("model", "logistic", "quick_lightgbm", "profiles", "random"):
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


def test_a_forced_promotion_is_recorded_with_its_reason(trained_twice) -> None:
    import getpass

    import mlflow

    home, (_, second, _) = trained_twice
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{home / 'mlflow.db'}")
    tags = client.get_model_version("shipment-risk", second.model_version).tags
    assert tags["promotion_reason"] == f"gate overridden: {FORCED}"
    assert tags["promoted_by"] == getpass.getuser()
    assert tags["previous_champion"] == "none"
    for refused in ("1", "3"):
        assert "promoted_by" not in client.get_model_version("shipment-risk", refused).tags


def test_promote_and_rollback_from_the_command_line(
    trained_twice, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipelines.cli import main

    home, _ = trained_twice
    monkeypatch.setenv("GCRISK_HOME", str(home))
    with pytest.raises(SystemExit) as exit_:
        main(["promote", "3", "--reason", "seed 2 reads better", "--by", "dana"])
    assert exit_.value.code == 0
    assert "champion: version 3 (was 2)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["promote", "9", "--reason", "typo"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.startswith("error: shipment-risk has no version 9")
    with pytest.raises(SystemExit) as exit_:
        main(["rollback", "--reason", "back to the first"])
    assert exit_.value.code == 0
    assert "champion: version 2 (was 3)" in capsys.readouterr().out


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
