"""`simulate-world`: build a simulated customs world and write it as Parquet files + world.json."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path
from typing import Any

from prefect import flow
from pydantic import BaseModel, Field

from pipelines import io
from pipelines.flows._runtime import get_logger, step

WORLD_FILES = ("declarations.parquet", "inspections.parquet", "truth.parquet", "world.json")


class SimulateConfig(BaseModel):
    """The world to simulate and the folder to write it to."""

    out: Path = Field(description="Folder for declarations/inspections/truth.parquet, world.json")
    declarations: int = Field(default=200_000, gt=0, description="Number of declarations")
    start: datetime.date = Field(default=datetime.date(2024, 1, 1), description="First day")
    months: int = Field(default=24, ge=1, le=240, description="Months of trade")
    seed: int = Field(default=7, ge=0, description="Random seed; same seed, same bytes")
    scenario: str | None = Field(default=None, description="Named trainer scenario, if any")

    def world_options(self) -> dict[str, Any]:
        """The options handed to the simulator (everything but the output folder)."""
        return self.model_dump(exclude={"out"})


class SimulateSummary(BaseModel):
    """Where the world was written and how big it is."""

    out: str
    declarations: int
    inspections: int
    files: list[str]


def known_scenarios() -> list[str]:
    """Names accepted by `--scenario`."""
    from simulation import SCENARIOS

    return sorted(SCENARIOS)


def _plain(value: Any) -> Any:
    """A JSON-ready form of a config object (pydantic model, dataclass or mapping)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


@step(name="simulate-world")
def simulate_world(options: dict[str, Any]) -> Any:
    """Run the simulator with the given options; returns its `World`."""
    from simulation import WorldConfig, simulate

    world = simulate(WorldConfig(**options))
    get_logger().info(
        "simulated %d declarations, %d inspections", len(world.declarations), len(world.inspections)
    )
    return world


@step(name="write-world", retries=2)
def write_world(world: Any, options: dict[str, Any], out: Path) -> SimulateSummary:
    """Write the world's tables and world.json (configuration and summary), each atomically."""
    io.write_parquet(world.declarations, out / "declarations.parquet")
    io.write_parquet(world.inspections, out / "inspections.parquet")
    io.write_parquet(world.truth, out / "truth.parquet")
    config = _plain(getattr(world, "config", None)) or options
    io.write_json({"config": config, "summary": world.summary()}, out / "world.json")
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
    options = config.world_options()
    world = simulate_world(options)
    return write_world(world, options, config.out)
