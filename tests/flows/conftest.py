"""Flow tests run in-process; Prefect's home and the data home live in temporary folders."""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

# Before anything imports prefect: its home (profiles, the test server's database) and the
# telemetry switches are read when it is first imported.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="gcrisk-prefect-"))
for _name, _value in {
    "DO_NOT_TRACK": "true",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    "OMP_WAIT_POLICY": "PASSIVE",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}.items():
    os.environ.setdefault(_name, _value)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh GCRISK_HOME with no pseudonym key."""
    monkeypatch.setenv("GCRISK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
    return tmp_path / "home"


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """A temporary Prefect API for the few tests that run flows as tracked Prefect runs."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


def write_csv_text(frame: pd.DataFrame, path: Path) -> Path:
    """Write a frame as a received CSV would be (dates as YYYY-MM-DD, no index)."""
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


#: A small simulated world: seven months of history, then a month of batches to score. More
#: illicit trade and inspections than the default world, so a short history still has labels.
WORLD = {
    "declarations": 24_000,
    "months": 8,
    "seed": 3,
    "illicit_share": 0.03,
    "inspection_rate": 0.08,
}
CUTOFF = datetime.date(2024, 8, 1)
MIDMONTH = datetime.date(2024, 8, 16)
WORLD_TODAY = datetime.date(2025, 12, 31)


@dataclass(frozen=True)
class ScoringWorld:
    """A GCRISK_HOME with history and a champion (copy it, never write to it), and what follows."""

    template: Path
    first_half: pd.DataFrame
    second_half: pd.DataFrame
    inspections: pd.DataFrame
    truth: pd.DataFrame


def register_champion(home: Path, declarations: pd.DataFrame, inspections: pd.DataFrame) -> str:
    """Train a small model on the history and register it as champion; returns its version.

    Done directly rather than through `train_flow`: its 90-day validation and 30-day gap leave
    a seven-month history too little to fit on, and its baselines and charts cost time here.
    """
    import mlflow

    from features import build_training_features
    from features.catalogue import categorical_feature_names, model_feature_names
    from models.training import TrainConfig, train_risk_model
    from pipelines.settings import Settings
    from pipelines.storage import tracking

    model = train_risk_model(
        build_training_features(declarations, inspections),
        inspections,
        feature_names=model_feature_names(),
        categorical=categorical_feature_names(),
        config=TrainConfig(
            valid_days=45,
            gap_days=7,
            num_boost_round=200,
            learning_rate=0.08,
            early_stopping_rounds=30,
        ),
    )
    settings = Settings(home=home)
    client = tracking.connect(settings.tracking_uri, home / "mlartifacts")
    experiment = tracking.experiment_id("gcrisk-training", home / "mlartifacts")
    with mlflow.start_run(experiment_id=experiment, run_name="test-champion"):
        version = tracking.log_risk_model(model)
    tracking.set_alias(client, tracking.CHAMPION, version)
    return version


def home_with_history(
    folder: Path,
    declarations: pd.DataFrame,
    inspections: pd.DataFrame,
    cutoff: pd.Timestamp,
    *,
    pseudonym_key: str | None,
) -> tuple[Path, pd.DataFrame, pd.DataFrame]:
    """`folder/home` with the history known before `cutoff` ingested (as `gcrisk ingest`
    does, pseudonymised under `pseudonym_key` if given) and a champion trained on it; the home,
    and that history (declarations, known results) as they were given."""
    from pipelines.flows.ingest import IngestConfig, ingest_flow
    from pipelines.runtime import run_flow
    from tests.factories import known_before

    history, known = known_before(declarations, inspections, cutoff)
    history.to_parquet(folder / "history.parquet")
    known.to_parquet(folder / "known.parquet")
    home = folder / "home"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GCRISK_HOME", str(home))
        if pseudonym_key is None:
            patch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
        else:
            patch.setenv("GCRISK_PSEUDONYM_KEY", pseudonym_key)
        for kind, name in (("declarations", "history"), ("inspections", "known")):
            config = IngestConfig(file=folder / f"{name}.parquet", kind=kind, today=WORLD_TODAY)
            run_flow(ingest_flow, config)
        register_champion(home, history, known)
    return home, history, known


@pytest.fixture(scope="session")
def scoring_world(tmp_path_factory: pytest.TempPathFactory) -> ScoringWorld:
    """Simulate once, ingest the history known before CUTOFF, register a champion."""
    from simulation import WorldConfig, simulate

    folder = tmp_path_factory.mktemp("scoring-world")
    world = simulate(WorldConfig(**WORLD))
    declarations, inspections = world.declarations, world.inspections
    dates = declarations["declaration_date"]
    cutoff, middle = pd.Timestamp(CUTOFF), pd.Timestamp(MIDMONTH)
    template, _, _ = home_with_history(
        folder, declarations, inspections, cutoff, pseudonym_key=None
    )
    return ScoringWorld(
        template=template,
        first_half=declarations[(dates >= cutoff) & (dates < middle)].reset_index(drop=True),
        second_half=declarations[dates >= middle].reset_index(drop=True),
        inspections=inspections,
        truth=world.truth,
    )


@pytest.fixture
def trained_home(
    scoring_world: ScoringWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A private copy of the trained GCRISK_HOME (warehouse, MLflow store, champion)."""
    home = tmp_path / "home"
    shutil.copytree(scoring_world.template, home)
    monkeypatch.setenv("GCRISK_HOME", str(home))
    monkeypatch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
    return home
