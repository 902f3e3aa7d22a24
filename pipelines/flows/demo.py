"""`demo`: the whole story on a simulated world, one step after another.

Today: simulate a world, ingest its first months of declarations and the inspection results
known by then. Later steps (train, score, feedback, monitor) are added to `demo_flow` the same
way: run a flow, then `report.add(...)` one line saying what it did.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field, model_validator

from pipelines import io
from pipelines.flows._runtime import get_logger, run_flow, step
from pipelines.flows.ingest import IngestConfig, ingest_flow
from pipelines.flows.simulate import SimulateConfig, simulate_flow
from pipelines.flows.validate import TableKind
from pipelines.settings import Settings


class DemoConfig(BaseModel):
    """The demo world and how much of it is history."""

    out: Path = Field(description="Demo folder (default $GCRISK_HOME/demo)")
    declarations: int = Field(default=50_000, description="Declarations in the world")
    start: datetime.date = Field(default=datetime.date(2024, 1, 1), description="First day")
    months: int = Field(default=24, description="Months simulated")
    history_months: int = Field(default=18, ge=1, description="Months ingested as history")
    seed: int = Field(default=7, description="Random seed")

    @model_validator(mode="after")
    def _history_inside_the_world(self) -> DemoConfig:
        if self.history_months >= self.months:
            raise ValueError("history_months must be fewer than months (the rest is scored)")
        return self

    def simulate_config(self) -> SimulateConfig:
        """The world to simulate, in `out/world`."""
        return SimulateConfig(
            out=self.out / "world",
            declarations=self.declarations,
            start=self.start,
            months=self.months,
            seed=self.seed,
        )

    @property
    def cutoff(self) -> datetime.date:
        """First day after the history: what is known on this day is ingested."""
        return (pd.Timestamp(self.start) + pd.DateOffset(months=self.history_months)).date()


class DemoStep(BaseModel):
    """One line of the demo's summary table."""

    step: str
    seconds: float
    result: str


class DemoSummary(BaseModel):
    """What the demo did, step by step, and where to look."""

    steps: list[DemoStep] = Field(default_factory=list)
    where: dict[str, str] = Field(default_factory=dict)

    @contextmanager
    def timed(self, name: str) -> Iterator[list[str]]:
        """Time one step; the caller appends its one-line result to the yielded list."""
        get_logger().info("demo: %s ...", name)
        started = time.perf_counter()
        result: list[str] = []
        yield result
        seconds = round(time.perf_counter() - started, 1)
        self.steps.append(DemoStep(step=name, seconds=seconds, result="; ".join(result)))


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


@flow(name="demo", validate_parameters=True)
def demo_flow(config: DemoConfig) -> DemoSummary:
    """Simulate a world and ingest its history into the warehouse (later: train, score, ...)."""
    settings = Settings()
    summary = DemoSummary()
    world_dir = config.simulate_config().out
    with summary.timed("simulate") as result:
        world = run_flow(simulate_flow, config.simulate_config())
        result.append(f"{world.declarations:,} declarations, {world.inspections:,} inspections")
    with summary.timed("split history") as result:
        files = split_history(world_dir, config.out / "history", config.cutoff)
        result.append(f"everything known before {config.cutoff}")
    kinds: tuple[TableKind, TableKind] = ("declarations", "inspections")
    for kind, file in zip(kinds, files, strict=True):
        with summary.timed(f"ingest {kind}") as result:
            ingest = run_flow(ingest_flow, IngestConfig(file=file, kind=kind))
            result.append(
                f"{ingest.rows_valid:,} loaded, {ingest.rows_quarantined:,} quarantined, "
                f"{ingest.table_rows:,} in the table"
            )
    summary.where = {
        "world": str(world_dir),
        "warehouse": str(settings.warehouse_path),
        "mlflow ui": f"uv run mlflow ui --backend-store-uri {settings.tracking_uri}",
    }
    return summary
