"""GCRISK_ settings and the offline environment the CLI sets up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.settings import Settings, configure_offline_environment

OFFLINE = {
    "DO_NOT_TRACK": "true",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "GX_ANALYTICS_ENABLED": "false",
    "OMP_WAIT_POLICY": "PASSIVE",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in [*OFFLINE, "PREFECT_HOME", "GCRISK_HOME", "GCRISK_MLFLOW_URI"]:
        monkeypatch.setenv(name, "placeholder")  # recorded, so undo restores the original
        monkeypatch.delenv(name)
    monkeypatch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults_live_under_an_absolute_home(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.home == Path.cwd() / "gcrisk-home"
    assert settings.home.is_absolute()
    assert settings.warehouse.path == settings.home / "warehouse.duckdb"
    assert settings.prefect_home == settings.home / "prefect"
    assert settings.mlflow_uri == settings.tracking_uri == f"sqlite:///{settings.home}/mlflow.db"
    assert settings.key_bytes() is None


def test_variables_override_and_the_key_stays_secret(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("GCRISK_HOME", "data/../store")
    clean_env.setenv("GCRISK_MLFLOW_URI", "http://mlflow.internal:5000")
    clean_env.setenv("GCRISK_PSEUDONYM_KEY", "s3cret-key-value")
    settings = Settings()
    assert settings.home == Path.cwd() / "store"
    assert settings.mlflow_uri == settings.tracking_uri == "http://mlflow.internal:5000"
    assert settings.key_bytes() == b"s3cret-key-value"
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert "s3cret-key-value" not in shown


def test_an_empty_key_means_no_pseudonymisation(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("GCRISK_PSEUDONYM_KEY", "  ")
    assert Settings().pseudonym_key is None


def test_offline_environment_sets_defaults_but_keeps_explicit_values(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("DO_NOT_TRACK", "1")
    settings = configure_offline_environment()
    assert os.environ["DO_NOT_TRACK"] == "1"
    assert os.environ["PREFECT_HOME"] == str(settings.prefect_home)
    for name, value in OFFLINE.items():
        if name != "DO_NOT_TRACK":
            assert os.environ[name] == value
