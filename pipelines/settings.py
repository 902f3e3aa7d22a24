"""Environment settings (``GCRISK_*`` variables) and the offline environment the CLI runs in.

Only `pipelines/` reads these. The pseudonym key and the warehouse URL are `SecretStr`s: their
repr, str and JSON form are masked, so a key or a database password never reaches a log line, a
Prefect parameter or an MLflow tag by accident (`WarehouseLocation.display` shows a URL with its
password masked). Validation errors never echo the input either (`hide_input_in_errors`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

WarehouseBackend = Literal["duckdb", "postgresql"]
_POSTGRES_SCHEMES = ("postgresql", "postgres")
_MASK = "***"


@dataclass(frozen=True)
class WarehouseLocation:
    """Where the warehouse is: a DuckDB file, or a PostgreSQL database (its libpq URL).

    The URL is kept as a `SecretStr` (it may carry a password); `display` and `str()` mask it.
    """

    backend: WarehouseBackend
    path: Path | None = None
    url: SecretStr | None = None
    #: Seconds to wait for a DuckDB file another process holds (GCRISK_WAREHOUSE_LOCK_WAIT).
    lock_wait: float = 10.0

    @classmethod
    def parse(cls, text: str, *, home: Path, lock_wait: float = 10.0) -> WarehouseLocation:
        """The location `GCRISK_WAREHOUSE_URL` names: empty for `<home>/warehouse.duckdb`,
        `duckdb:///path` or a plain path for a DuckDB file, `postgresql://…` for PostgreSQL.

        Raises:
            ValueError: another scheme, or a PostgreSQL URL libpq cannot read (password masked).
        """
        text = text.strip()
        if not text:
            return cls("duckdb", path=home / "warehouse.duckdb", lock_wait=lock_wait)
        scheme = text.split("://", 1)[0].lower() if "://" in text else ""
        if scheme in _POSTGRES_SCHEMES:
            _check_libpq_url(text)
            return cls("postgresql", url=SecretStr(text), lock_wait=lock_wait)
        if scheme == "duckdb":
            path = text.split("://", 1)[1]
            if not path.strip("/"):
                raise ValueError("GCRISK_WAREHOUSE_URL: duckdb:/// needs a file path")
            return cls("duckdb", path=Path(path).expanduser().resolve(), lock_wait=lock_wait)
        if scheme:
            raise ValueError(
                f"GCRISK_WAREHOUSE_URL: unknown scheme {scheme!r} in {mask_url(text)}; "
                "expected postgresql://…, duckdb:///path or a file path"
            )
        return cls("duckdb", path=Path(text).expanduser().resolve(), lock_wait=lock_wait)

    @classmethod
    def of(cls, target: WarehouseLocation | Path | str) -> WarehouseLocation:
        """`target` itself, or the DuckDB file / URL it names (relative to the current folder)."""
        if isinstance(target, WarehouseLocation):
            return target
        return cls.parse(str(target), home=Path.cwd())

    @property
    def display(self) -> str:
        """The file path or the URL with its password masked: safe for messages and logs."""
        if self.url is not None:
            return mask_url(self.url.get_secret_value())
        return str(self.path)

    def dsn(self) -> str:
        """The PostgreSQL URL in clear, for the driver only (never log it)."""
        if self.url is None:
            raise ValueError(f"{self.display} is not a PostgreSQL warehouse")
        return self.url.get_secret_value()

    def exists(self) -> bool:
        """Whether there is a warehouse to read: the file exists; a server is always there (its
        tables are created on first open)."""
        return self.path.exists() if self.path is not None else True

    def __str__(self) -> str:
        return self.display


def mask_url(url: str) -> str:
    """`url` with the password (in the user part or a `password=` parameter) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r":[^:@/]*@", f":{_MASK}@", url)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        if ":" in user:
            netloc = f"{user.split(':', 1)[0]}:{_MASK}@{host}"
    query = urlencode(
        [
            (name, _MASK if name.lower() == "password" else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="/%*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _check_libpq_url(url: str) -> None:
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        conninfo_to_dict(url)
    except ProgrammingError:
        raise ValueError(
            f"GCRISK_WAREHOUSE_URL: not a PostgreSQL URL libpq can read: {mask_url(url)}"
        ) from None


class Settings(BaseSettings):
    """Where gcrisk keeps its data and how it reaches MLflow; read from ``GCRISK_*`` variables."""

    model_config = SettingsConfigDict(
        env_prefix="GCRISK_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

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

    warehouse_url: SecretStr = Field(
        default=SecretStr(""),
        description="Warehouse: empty for <home>/warehouse.duckdb, duckdb:///path or a path for "
        "another DuckDB file, postgresql://… for PostgreSQL (GCRISK_WAREHOUSE_URL)",
    )
    warehouse_lock_wait: float = Field(
        default=10.0,
        ge=0,
        description="Seconds to wait for a DuckDB warehouse another process holds "
        "(GCRISK_WAREHOUSE_LOCK_WAIT)",
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

    @field_validator("warehouse_url")
    @classmethod
    def _warehouse_url(cls, url: SecretStr) -> SecretStr:
        WarehouseLocation.parse(url.get_secret_value(), home=Path.cwd())  # raises when unusable
        return url

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
    def warehouse(self) -> WarehouseLocation:
        """The warehouse in force: a DuckDB file (default `<home>/warehouse.duckdb`) or a
        PostgreSQL database; open it with `pipelines.storage.warehouse.Warehouse(location)`."""
        return WarehouseLocation.parse(
            self.warehouse_url.get_secret_value(),
            home=self.home,
            lock_wait=self.warehouse_lock_wait,
        )

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
