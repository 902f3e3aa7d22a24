"""The same world on DuckDB and on PostgreSQL gives the same decisions.

One small simulated world, one champion (trained once, in the shared template home): its history
is ingested into a DuckDB file and into a PostgreSQL database, then the same two batches are
scored on each. Lanes, scores and the decision in force must be equal per declaration.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipelines.flows.ingest import IngestConfig, ingest_flow
from pipelines.flows.score import ScoreConfig, score_flow
from pipelines.runtime import run_flow
from pipelines.settings import Settings
from pipelines.storage.warehouse import Warehouse
from tests.flows.conftest import WORLD_TODAY, ScoringWorld, write_csv_text

DECIDED = ["declaration_id", "lane", "selected", "selection_reason", "risk_score", "rules_fired"]


def _score_world(
    world: ScoringWorld, home: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, pd.DataFrame]:
    """Ingest the history (unless it is already there), score both batches; return the
    outputs and what the warehouse holds."""
    monkeypatch.setenv("GCRISK_HOME", str(home))
    outputs = {}
    for name, batch in (("first", world.first_half), ("second", world.second_half)):
        file = write_csv_text(batch, folder / f"{name}.csv")
        config = ScoreConfig(file=file, out=folder / name, today=WORLD_TODAY)
        run_flow(score_flow, config)
        outputs[name] = pd.read_parquet(folder / name / "scores.parquet")[DECIDED]
    with Warehouse(Settings().warehouse, read_only=True) as store:
        outputs["in force"] = store.read_scores()[DECIDED]
        outputs["declarations"] = store.read_declarations()
    return outputs


def test_duckdb_and_postgresql_decide_the_same(
    scoring_world: ScoringWorld,
    postgres_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("GCRISK_WAREHOUSE_URL", raising=False)
    on_duckdb = tmp_path / "duckdb"
    shutil.copytree(scoring_world.template, on_duckdb / "home")
    duck = _score_world(scoring_world, on_duckdb / "home", on_duckdb, monkeypatch)

    on_postgres = tmp_path / "postgres"
    shutil.copytree(scoring_world.template, on_postgres / "home")
    (on_postgres / "home" / "warehouse.duckdb").unlink()  # the champion stays, not the file
    monkeypatch.setenv("GCRISK_HOME", str(on_postgres / "home"))
    monkeypatch.setenv("GCRISK_WAREHOUSE_URL", postgres_url)
    source = scoring_world.template.parent
    for kind, name in (("declarations", "history"), ("inspections", "known")):
        config = IngestConfig(file=source / f"{name}.parquet", kind=kind, today=WORLD_TODAY)
        run_flow(ingest_flow, config)
    pg = _score_world(scoring_world, on_postgres / "home", on_postgres, monkeypatch)

    assert not (on_postgres / "home" / "warehouse.duckdb").exists()
    assert len(pg["in force"]) == len(scoring_world.first_half) + len(scoring_world.second_half)
    assert pg["first"]["selected"].any() and not pg["first"]["selected"].all()
    for part in ("first", "second", "in force", "declarations"):
        pd.testing.assert_frame_equal(pg[part], duck[part], obj=part)
