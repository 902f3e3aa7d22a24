"""The steps of the demo flow: its own home, the history and batch files, officers, comparison."""

from __future__ import annotations

import datetime
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from models.comparison import PolicyResult, policy_result
from pipelines.runtime import get_logger, step
from pipelines.settings import Settings
from pipelines.storage import io


@contextmanager
def demo_home(folder: Path) -> Iterator[Settings]:
    """Empty `folder` and make it $GCRISK_HOME until the block ends; yields its settings.

    The demo's sub-flows are the ones a risk unit runs, and they read their settings from the
    environment; pointing GCRISK_HOME at a fresh folder (and GCRISK_WAREHOUSE_URL at nothing,
    so the warehouse is that folder's DuckDB file, never a unit's PostgreSQL database) gives
    the demo a warehouse and MLflow store of its own, so it never mixes with a unit's real
    data. This is the one place the demo changes the environment, and it puts it back on the
    way out.
    """
    shutil.rmtree(folder, ignore_errors=True)
    changed = {"GCRISK_HOME": str(folder), "GCRISK_WAREHOUSE_URL": ""}
    previous = {name: os.environ.get(name) for name in changed}
    os.environ.update(changed)
    try:
        yield Settings()
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@step(name="split-history", retries=2)
def split_history(world: Path, out: Path, cutoff: datetime.date) -> tuple[Path, Path]:
    """Write the declarations before `cutoff` and the inspection results known by then."""
    declarations = pd.read_parquet(world / "declarations.parquet")
    inspections = pd.read_parquet(world / "inspections.parquet")
    history = declarations[declarations["declaration_date"] < pd.Timestamp(cutoff)]
    known = inspections[
        (inspections["inspection_date"] < pd.Timestamp(cutoff))
        & inspections["declaration_id"].isin(history["declaration_id"])
    ]
    stamp = cutoff.isoformat()
    paths = (out / f"declarations-before-{stamp}.parquet", out / f"inspections-by-{stamp}.parquet")
    io.write_parquet(history, paths[0])
    io.write_parquet(known, paths[1])
    get_logger().info("history: %d declarations, %d inspection results", len(history), len(known))
    return paths


def register_until(world: Path, out: Path, end: datetime.date) -> Path:
    """The permit register as it stands when the batch is scored: permits recorded before `end`
    (each still counts for a declaration only from the day after its `recorded_on`)."""
    permits = pd.read_parquet(world / "permits.parquet")
    known = permits[permits["recorded_on"] < pd.Timestamp(end)]
    path = out / f"permits-by-{end.isoformat()}.parquet"
    io.write_parquet(known, path)
    get_logger().info("register: %d permits recorded before %s", len(known), end)
    return path


@step(name="write-batch", retries=2)
def write_batch(world: Path, out: Path, start: datetime.date, end: datetime.date) -> Path:
    """The declarations of the scored month, as the risk unit would receive them."""
    declarations = pd.read_parquet(world / "declarations.parquet")
    dates = declarations["declaration_date"]
    batch = declarations[(dates >= pd.Timestamp(start)) & (dates < pd.Timestamp(end))]
    path = out / f"batch-{start.isoformat()}.parquet"
    io.write_parquet(batch, path)
    get_logger().info("batch: %d declarations from %s to %s", len(batch), start, end)
    return path


@step(name="inspect-red-lane", retries=2)
def inspect_red_lane(world: Path, scored: Path, out: Path, seed: int) -> Path:
    """Simulated officers inspect the red lane; their results become the feedback file."""
    from simulation.field_inspection import inspect_selection

    scores = pd.read_parquet(scored / "scores.parquet")
    batch = pd.read_parquet(
        world / "declarations.parquet", columns=["declaration_id", "declaration_date"]
    )
    selected = scores[scores["selected"]].merge(batch, on="declaration_id", how="left")
    truth = pd.read_parquet(world / "truth.parquet")
    detection = float(_world_config(world).get("detection_probability", 0.8))
    results = inspect_selection(selected, truth, detection_probability=detection, seed=seed)
    path = out / "inspection-results.parquet"
    io.write_parquet(results, path)
    return path


def _world_config(world: Path) -> dict[str, Any]:
    summary = json.loads((world / "world.json").read_text())
    config: dict[str, Any] = summary.get("config", {})
    return config


@step(name="compare-policies")
def compare_policies(
    world: Path, results: Path, start: datetime.date, end: datetime.date
) -> list[PolicyResult]:
    """The new red lane against the legacy policy on the same month, by the hidden truth."""
    truth = pd.read_parquet(world / "truth.parquet").set_index("declaration_id")
    legacy = pd.read_parquet(world / "inspections.parquet")
    declarations = pd.read_parquet(
        world / "declarations.parquet", columns=["declaration_id", "declaration_date"]
    )
    in_month = declarations[
        (declarations["declaration_date"] >= pd.Timestamp(start))
        & (declarations["declaration_date"] < pd.Timestamp(end))
    ]
    legacy = legacy[legacy["declaration_id"].isin(in_month["declaration_id"])]
    ours = pd.read_parquet(results)
    return [
        policy_result("new targeting (red lane)", ours, truth),
        policy_result("legacy policy", legacy, truth),
    ]
