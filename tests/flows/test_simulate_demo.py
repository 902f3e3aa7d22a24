"""The simulate flow writes a reproducible world; the demo ingests its history."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

from pipelines.flows.demo import DemoConfig, demo_flow
from pipelines.flows.simulate import SimulateConfig, simulate_flow
from pipelines.runtime import run_flow
from pipelines.steps.simulation import WORLD_FILES
from pipelines.storage.warehouse import Warehouse

SMALL = {"declarations": 2_000, "months": 6, "seed": 5}


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    first = run_flow(simulate_flow, SimulateConfig(out=tmp_path / "a", **SMALL))
    run_flow(simulate_flow, SimulateConfig(out=tmp_path / "b", **SMALL))
    assert first.declarations == 2_000
    for name in WORLD_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    world = json.loads((tmp_path / "a" / "world.json").read_text())
    assert world["config"]["seed"] == 5


def test_out_of_range_options_are_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="declarations"):
        run_flow(simulate_flow, SimulateConfig(out=tmp_path / "w", declarations=10))
    assert not (tmp_path / "w").exists()
    with pytest.raises(ValueError, match="unknown scenario 'nope'; known: "):
        SimulateConfig(out=tmp_path / "w", scenario="nope")
    (tmp_path / "demo").mkdir()
    with pytest.raises(ValueError, match="declarations"):
        DemoConfig(out=tmp_path / "demo", declarations=10)
    assert (tmp_path / "demo").exists()


def test_demo_ingests_only_what_was_known_at_the_cutoff(home: Path) -> None:
    (home / "demo").mkdir(parents=True)
    (home / "demo" / "left-from-last-time.txt").write_text("x")
    config = DemoConfig(out=home / "demo", declarations=3_000, months=6, history_months=4)
    summary = run_flow(demo_flow, config)
    assert not (home / "demo" / "left-from-last-time.txt").exists()  # the demo starts afresh
    declarations = pd.read_parquet(home / "demo" / "world" / "declarations.parquet")
    inspections = pd.read_parquet(home / "demo" / "world" / "inspections.parquet")
    cutoff, batch_end = pd.Timestamp(config.cutoff), pd.Timestamp(config.batch_end)
    # The demo keeps its own warehouse in its folder, and leaves $GCRISK_HOME as it was.
    assert not (home / "warehouse.duckdb").exists()
    assert os.environ["GCRISK_HOME"] == str(home)
    with Warehouse(home / "demo" / "warehouse.duckdb", read_only=True) as warehouse:
        stored = warehouse.read_declarations()
        known = warehouse.read_inspections()
    steps = [step.step for step in summary.steps]
    assert steps[:2] == ["simulate", "split history"]
    assert {"train and promote", "score next month", "feed back results"} <= set(steps)
    # History: everything dated before the cutoff; then the scored month, and nothing later.
    history = stored[stored["declaration_date"] < cutoff]
    assert len(history) == (declarations["declaration_date"] < cutoff).sum()
    assert stored["declaration_date"].max() < batch_end
    # Results: the legacy ones known at the cutoff, then the red lane's, never the legacy
    # policy's results for the scored month (the new policy chose what was inspected).
    legacy = known[known["declaration_id"].isin(history["declaration_id"])]
    assert 0 < len(legacy) < len(inspections)
    assert legacy["inspection_date"].max() < cutoff
    fed_back = known[~known["declaration_id"].isin(history["declaration_id"])]
    assert set(fed_back["selection_reason"]) <= {"rule", "model", "random"}
    assert {row.policy for row in summary.comparison} == {
        "new targeting (red lane)",
        "legacy policy",
    }
    assert summary.where["warehouse"] == str(home / "demo" / "warehouse.duckdb")
