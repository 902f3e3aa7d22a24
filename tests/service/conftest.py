"""A small trained world for the scoring service: a warehouse with history, a champion, a key.

Built once per session (simulate, ingest with a pseudonym key, train and register a champion),
then each test that changes the registry copies the home. `service` is one running app (the
lifespan started, the first scorer loaded) shared by the tests that only score.
"""

from __future__ import annotations

import datetime
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.flows.conftest import home_with_history

WORLD = {
    "declarations": 12_000,
    "months": 8,
    "seed": 5,
    "illicit_share": 0.04,
    "inspection_rate": 0.10,
}
CUTOFF = datetime.date(2024, 8, 1)
WORLD_TODAY = datetime.date(2025, 12, 31)
PSEUDONYM_KEY = "service-test-key"
API_KEY = "test-api-key-0123456789"


@dataclass(frozen=True)
class ServiceWorld:
    """A GCRISK_HOME template (copy it before changing it) and the declarations after it."""

    template: Path
    history: pd.DataFrame
    known: pd.DataFrame
    later: pd.DataFrame


@dataclass(frozen=True)
class Service:
    """A running app, its test client, its home and the key entry it accepts."""

    app: Any
    client: Any
    home: Path
    settings: Any


def settings_for(home: Path, **overrides: Any) -> Any:
    """Service settings on `home` with one API key (id 'tests') and fast polling."""
    from pipelines.service.auth import hash_key
    from pipelines.settings import Settings

    values: dict[str, Any] = {
        "home": home,
        "pseudonym_key": PSEUDONYM_KEY,
        "serve_keys": hash_key("tests", API_KEY).entry(),
        "serve_reload_seconds": 0.2,
        "serve_flush_seconds": 0.2,
        "serve_max_rows": 200,
        "serve_max_bytes": 400_000,
    }
    return Settings(**(values | overrides))


@pytest.fixture(scope="session")
def service_world(tmp_path_factory: pytest.TempPathFactory) -> ServiceWorld:
    """Simulate, ingest the history before CUTOFF (pseudonymised), register a champion."""
    from simulation import WorldConfig, simulate

    folder = tmp_path_factory.mktemp("service-world")
    world = simulate(WorldConfig(**WORLD))
    declarations, inspections = world.declarations, world.inspections
    cutoff = pd.Timestamp(CUTOFF)
    template, history, known = home_with_history(
        folder, declarations, inspections, cutoff, pseudonym_key=PSEUDONYM_KEY
    )
    later = declarations[declarations["declaration_date"] >= cutoff].reset_index(drop=True)
    return ServiceWorld(template, history, known, later)


def copy_home(world: ServiceWorld, target: Path) -> Path:
    """A private copy of the world's home (MLflow's SQLite store uses absolute artifact paths
    under the template, which stay readable)."""
    shutil.copytree(world.template, target)
    return target


@pytest.fixture(scope="session")
def service(
    service_world: ServiceWorld, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """One running service on a copy of the world's home, ready to score."""
    from fastapi.testclient import TestClient

    from pipelines.service.app import create_app

    home = copy_home(service_world, tmp_path_factory.mktemp("service") / "home")
    settings = settings_for(home)
    app = create_app(settings)
    with TestClient(app) as client:
        assert app.state.live.ready.wait(120), app.state.live.error
        yield Service(app, client, home, settings)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Declarations as the JSON a client sends (dates as YYYY-MM-DD, missing as null)."""
    out = []
    for row in frame.to_dict(orient="records"):
        out.append(
            {
                key: (
                    value.date().isoformat()
                    if isinstance(value, pd.Timestamp)
                    else None
                    if value is None or (isinstance(value, float) and pd.isna(value))
                    else value
                )
                for key, value in row.items()
            }
        )
    return out


HEADERS = {"X-API-Key": API_KEY}
