"""`simulate-world`: build a simulated customs world and write it as Parquet files + world.json."""

from __future__ import annotations

import datetime
from pathlib import Path

from prefect import flow
from pydantic import BaseModel, Field

from pipelines.runtime import get_logger, step
from pipelines.storage import io
from simulation import SCENARIOS, World, WorldConfig, simulate

WORLD_FILES = ("declarations.parquet", "inspections.parquet", "truth.parquet", "world.json")


class SimulateConfig(BaseModel):
    """The world to simulate and the folder to write it to (limits are `WorldConfig`'s)."""

    out: Path = Field(description="Folder for declarations/inspections/truth.parquet, world.json")
    declarations: int = Field(default=200_000, description="Number of declarations")
    start: datetime.date = Field(default=datetime.date(2024, 1, 1), description="First day")
    months: int = Field(default=24, description="Months of trade")
    seed: int = Field(default=7, description="Random seed; same seed, same bytes")
    scenario: str | None = Field(default=None, description="Named trainer scenario, if any")

    def world_config(self) -> WorldConfig:
        """The simulator's configuration (validated: raises on out-of-range options)."""
        return WorldConfig.model_validate(self.model_dump(exclude={"out"}))


class SimulateSummary(BaseModel):
    """Where the world was written and how big it is."""

    out: str
    declarations: int
    inspections: int
    files: list[str]


def known_scenarios() -> list[str]:
    """Names accepted by `--scenario`."""
    return sorted(SCENARIOS)


@step(name="simulate-world")
def simulate_world(config: WorldConfig) -> World:
    """Run the simulator."""
    world = simulate(config)
    get_logger().info(
        "simulated %d declarations, %d inspections", len(world.declarations), len(world.inspections)
    )
    return world


@step(name="write-world", retries=2)
def write_world(world: World, out: Path) -> SimulateSummary:
    """Write the world's tables and world.json (its configuration and figures), atomically."""
    io.write_parquet(world.declarations, out / "declarations.parquet")
    io.write_parquet(world.inspections, out / "inspections.parquet")
    io.write_parquet(world.truth, out / "truth.parquet")
    io.write_json(world.summary(), out / "world.json")
    get_logger().info("wrote the world to %s", out)
    return SimulateSummary(
        out=str(out),
        declarations=len(world.declarations),
        inspections=len(world.inspections),
        files=[str(out / name) for name in WORLD_FILES],
    )


@flow(name="simulate-world", validate_parameters=True)
def simulate_flow(config: SimulateConfig) -> SimulateSummary:
    """Simulate a customs world and write it to `config.out`."""
    world = simulate_world(config.world_config())
    return write_world(world, config.out)
