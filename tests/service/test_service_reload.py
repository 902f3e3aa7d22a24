"""A newly promoted champion is picked up under load: no failed request, later ones on it."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from tests.service.conftest import HEADERS, ServiceWorld, copy_home, records, settings_for


def _promote_a_new_version(home: Path) -> str:
    """Register the champion's model again as a new version and make it champion."""
    import mlflow

    from pipelines.settings import Settings
    from pipelines.storage import tracking

    settings = Settings(home=home)
    client = tracking.connect(settings.tracking_uri, home / "mlartifacts")
    loaded = tracking.load_risk_model(client, alias=tracking.CHAMPION)
    experiment = tracking.experiment_id("gcrisk-training", home / "mlartifacts")
    with mlflow.start_run(experiment_id=experiment, run_name="test-new-champion"):
        version = tracking.log_risk_model(loaded.model)
    tracking.set_alias(client, tracking.CHAMPION, version)
    return version


def test_new_champion_swaps_in_under_load(service_world: ServiceWorld, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from pipelines.service.app import create_app

    home = copy_home(service_world, tmp_path / "home")
    app = create_app(settings_for(home, serve_reload_seconds=0.1))
    rows = records(service_world.later.head(200))
    seen: list[list[tuple[int, str]]] = [[], []]
    new_version: list[str] = []
    stop = threading.Event()
    warm = threading.Barrier(3)  # both load threads have scored on the old champion
    failed = threading.Event()

    def load(client: Any, out: list[tuple[int, str]], offset: int) -> None:
        deadline = time.monotonic() + 120  # a bound on a failing run, not a timing assumption
        index = offset
        while time.monotonic() < deadline and not failed.is_set():
            try:
                response = client.post("/v1/score", json=rows[index % len(rows)], headers=HEADERS)
            except Exception:  # the test failed and closed the client: stop, do not hang
                failed.set()
                return
            version = (
                response.json().get("model_version", "") if response.status_code == 200 else ""
            )
            out.append((response.status_code, version))
            index += 1
            if index - offset == 10:
                warm.wait()
            if stop.is_set() and new_version and version == new_version[0]:
                return

    with TestClient(app) as client:
        assert app.state.live.ready.wait(120)
        old = app.state.live.current.model_version
        workers = [threading.Thread(target=load, args=(client, seen[i], i * 100)) for i in range(2)]
        for worker in workers:
            worker.start()
        warm.wait()
        try:
            new_version.append(_promote_a_new_version(home))
        finally:  # the load threads stop on the new version, or at once if promoting failed
            stop.set()
            if not new_version:
                failed.set()
            for worker in workers:
                worker.join()
    assert new_version[0] != old
    for stream in seen:
        assert {status for status, _ in stream} == {200}
        versions = [version for _, version in stream]
        assert versions[0] == old and versions[-1] == new_version[0]
        switch = versions.index(new_version[0])
        assert set(versions[switch:]) == {new_version[0]}  # once swapped, never back


def test_snapshots_follow_the_warehouse_not_our_own_decisions(
    service_world: ServiceWorld, tmp_path: Path, monkeypatch: Any
) -> None:
    from fastapi.testclient import TestClient

    from pipelines.flows.ingest import IngestConfig, ingest_flow
    from pipelines.runtime import run_flow
    from pipelines.service.app import create_app
    from tests.service.conftest import PSEUDONYM_KEY, WORLD_TODAY

    home = copy_home(service_world, tmp_path / "home")
    app = create_app(settings_for(home, serve_refresh_seconds=3600))
    live, recorder = app.state.live, app.state.recorder
    first_day = service_world.later[service_world.later["declaration_date"] == "2024-08-01"]
    with TestClient(app) as client:
        assert live.ready.wait(120)
        before = live.current
        response = client.post("/v1/score", json=records(first_day.head(3)), headers=HEADERS)
        assert response.status_code == 200
        recorder.flush()
        assert not live.poll()  # our decisions are not history: nothing to rebuild
        first_day.to_parquet(tmp_path / "day.parquet")
        monkeypatch.setenv("GCRISK_HOME", str(home))
        monkeypatch.setenv("GCRISK_PSEUDONYM_KEY", PSEUDONYM_KEY)
        config = IngestConfig(file=tmp_path / "day.parquet", kind="declarations", today=WORLD_TODAY)
        with recorder.warehouse_lock:
            run_flow(ingest_flow, config)
        assert live.poll()
        after = live.current
        assert after is not before
        assert str(after.state.as_of.date()) == "2024-08-02"
        late = client.post("/v1/score", json=records(first_day.head(1)), headers=HEADERS)
        assert late.status_code == 422  # that day is history now: batch scoring's
        assert response.json()["model_version"] == after.model_version
