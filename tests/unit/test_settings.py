"""GCRISK_ settings and the offline environment the CLI sets up."""

from __future__ import annotations

import os
from pathlib import Path

import pydantic
import pytest

from pipelines.settings import (
    Settings,
    WarehouseLocation,
    configure_offline_environment,
    mask_url,
)

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
    names = ["PREFECT_HOME", "GCRISK_HOME", "GCRISK_MLFLOW_URI", "GCRISK_WAREHOUSE_URL"]
    for name in [*OFFLINE, *names, "GCRISK_WAREHOUSE_LOCK_WAIT"]:
        monkeypatch.setenv(name, "placeholder")  # recorded, so undo restores the original
        monkeypatch.delenv(name)
    monkeypatch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_defaults_live_under_an_absolute_home(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.home == Path.cwd() / "gcrisk-home"
    assert settings.home.is_absolute()
    assert settings.warehouse == WarehouseLocation(
        "duckdb", path=settings.home / "warehouse.duckdb", lock_wait=10.0
    )
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


def test_the_warehouse_url_names_a_duckdb_file_or_a_postgresql_database(
    clean_env: pytest.MonkeyPatch,
) -> None:
    for url, path in [
        ("elsewhere/w.duckdb", Path.cwd() / "elsewhere" / "w.duckdb"),
        ("duckdb:///srv/gcrisk/w.duckdb", Path("/srv/gcrisk/w.duckdb")),
    ]:
        clean_env.setenv("GCRISK_WAREHOUSE_URL", url)
        assert Settings().warehouse.backend == "duckdb"
        assert Settings().warehouse.path == path
    clean_env.setenv("GCRISK_WAREHOUSE_URL", "postgresql://gcrisk:s3cret-pw@db.internal:5432/risk")
    clean_env.setenv("GCRISK_WAREHOUSE_LOCK_WAIT", "2.5")
    settings = Settings()
    location = settings.warehouse
    assert (location.backend, location.path, location.lock_wait) == ("postgresql", None, 2.5)
    assert location.dsn() == "postgresql://gcrisk:s3cret-pw@db.internal:5432/risk"
    assert location.display == str(location) == "postgresql://gcrisk:***@db.internal:5432/risk"
    assert location.exists()
    for shown in (repr(settings), str(settings), settings.model_dump_json(), repr(location)):
        assert "s3cret-pw" not in shown


def test_a_password_parameter_is_masked_too() -> None:
    assert mask_url("postgresql://u@/risk?host=/run/pg&password=s3cret") == (
        "postgresql://u@/risk?host=/run/pg&password=***"
    )
    assert mask_url("postgresql://u@/risk?host=/run/pg") == "postgresql://u@/risk?host=/run/pg"


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("mysql://u:s3cret-pw@h/db", "unknown scheme 'mysql'"),
        ("postgresql://u:s3cret-pw@h/db?nonsense=1", "not a PostgreSQL URL"),
        ("duckdb:///", "needs a file path"),
    ],
)
def test_a_bad_warehouse_url_is_refused_without_showing_its_password(
    clean_env: pytest.MonkeyPatch, url: str, fragment: str
) -> None:
    clean_env.setenv("GCRISK_WAREHOUSE_URL", url)
    with pytest.raises(pydantic.ValidationError) as raised:
        Settings()
    assert fragment in str(raised.value)
    assert "s3cret-pw" not in str(raised.value)
