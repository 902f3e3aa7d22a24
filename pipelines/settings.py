"""Environment settings (``GCRISK_*`` variables) and the offline environment the CLI runs in.

Only `pipelines/` reads these. The pseudonym key is a `SecretStr`: its repr, str and JSON form are
masked, so it never reaches a log line, a Prefect parameter or an MLflow tag by accident.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where gcrisk keeps its data and how it reaches MLflow; read from ``GCRISK_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="GCRISK_", extra="ignore", frozen=True)

    home: Path = Field(default=Path("gcrisk-home"), description="Data directory (GCRISK_HOME)")
    mlflow_uri: str = Field(
        default="", description="MLflow tracking URI; default sqlite:///<home>/mlflow.db"
    )
    pseudonym_key: SecretStr | None = Field(
        default=None, description="Key for HMAC pseudonyms of trader and declarant ids"
    )
    profiles: Path | None = Field(
        default=None,
        description="Folder of the unit's risk profiles, *.yaml (GCRISK_PROFILES); "
        "default: the set shipped in models/profiles",
    )
    dask_scheduler: str = Field(
        default="",
        description="Dask scheduler address (tcp://host:8786), 'local' for a LocalCluster, "
        "or empty for plain pandas (GCRISK_DASK_SCHEDULER)",
    )

    serve_keys: str = Field(
        default="",
        description="API keys of `gcrisk serve`, comma-separated `id:salt:sha256` entries from "
        "`gcrisk serve-key` (GCRISK_SERVE_KEYS); no entry, no score",
    )
    serve_capacity: Path | None = Field(
        default=None,
        description="CSV of office, inspections_per_day for the service's red lane "
        "(GCRISK_SERVE_CAPACITY); default: the --budget share of each office's volume",
    )
    serve_budget: float = Field(
        default=0.05, gt=0, le=1, description="Service red-lane share without a capacity file"
    )
    serve_exploration: float = Field(
        default=0.10, ge=0, le=1, description="Service random share of the red lane"
    )
    serve_seed: int = Field(default=0, ge=0, description="Seed of the service's random draws")
    serve_max_rows: int = Field(default=1_000, gt=0, description="Declarations per request")
    serve_max_bytes: int = Field(default=2_000_000, gt=0, description="Request body bytes")
    serve_reload_seconds: float = Field(
        default=5.0, gt=0, description="How often the service looks for a new champion"
    )
    serve_refresh_seconds: float = Field(
        default=30.0, gt=0, description="How often the service looks for warehouse changes"
    )
    serve_flush_seconds: float = Field(
        default=1.0, gt=0, description="How often buffered decisions go to the warehouse"
    )
    serve_window_days: int = Field(
        default=7, gt=0, description="Days of recent history that seed the score distribution"
    )

    @field_validator("home")
    @classmethod
    def _absolute(cls, home: Path) -> Path:
        return home.expanduser().resolve()

    @field_validator("profiles", mode="before")
    @classmethod
    def _blank_is_shipped(cls, value: object) -> object:
        # `GCRISK_PROFILES=` (exported but empty) means the shipped set, not the current folder.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("profiles")
    @classmethod
    def _absolute_profiles(cls, folder: Path | None) -> Path | None:
        return None if folder is None else folder.expanduser().resolve()

    @field_validator("pseudonym_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `GCRISK_PSEUDONYM_KEY=` (exported but empty) means "no key", not "the empty key".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("dask_scheduler")
    @classmethod
    def _scheduler(cls, value: str) -> str:
        value = value.strip()
        if value and value != "local" and "://" not in value:
            raise ValueError("GCRISK_DASK_SCHEDULER must be empty, 'local' or an address tcp://…")
        return value

    @model_validator(mode="after")
    def _default_store(self) -> Settings:
        if not self.mlflow_uri.strip():
            # Frozen model: set the derived default once, while validating.
            object.__setattr__(self, "mlflow_uri", f"sqlite:///{self.home / 'mlflow.db'}")
        return self

    @property
    def tracking_uri(self) -> str:
        """The MLflow tracking URI in force (same as `mlflow_uri`)."""
        return self.mlflow_uri

    @property
    def uses_dask(self) -> bool:
        """Whether batch scoring runs on a Dask cluster."""
        return bool(self.dask_scheduler)

    @property
    def warehouse_path(self) -> Path:
        """The DuckDB warehouse file."""
        return self.home / "warehouse.duckdb"

    @property
    def prefect_home(self) -> Path:
        """Prefect's own home (profiles, the local server database), kept under ours."""
        return self.home / "prefect"

    @property
    def demo_dir(self) -> Path:
        """Where `gcrisk demo` writes its simulated world and outputs."""
        return self.home / "demo"

    def key_bytes(self) -> bytes | None:
        """The pseudonym key as bytes, or None when pseudonymisation is off."""
        if self.pseudonym_key is None:
            return None
        return self.pseudonym_key.get_secret_value().encode("utf-8")


def configure_offline_environment(settings: Settings | None = None) -> Settings:
    """Turn telemetry off and point Prefect at our home; call before importing prefect or mlflow.

    Uses `os.environ.setdefault`, so a variable the operator set explicitly (for instance
    PREFECT_API_URL for a real server, or PREFECT_HOME) wins.
    """
    settings = settings or Settings()
    defaults = {
        "DO_NOT_TRACK": "true",  # MLflow ignores "1"
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "GX_ANALYTICS_ENABLED": "false",
        # Busy-waiting OpenMP threads make two processes on two cores 5-10x slower.
        "OMP_WAIT_POLICY": "PASSIVE",
        "PREFECT_HOME": str(settings.prefect_home),
        # 20 s (the default) is tight for the temporary server on two busy cores.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)
    return settings
