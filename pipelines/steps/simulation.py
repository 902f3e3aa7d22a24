"""The steps of the simulate flow: run the simulator, write the world's files."""

from __future__ import annotations

from pathlib import Path

from pipelines.runtime import get_logger, step
from pipelines.storage import io
from simulation import World, WorldConfig, simulate

WORLD_FILES = (
    "declarations.parquet",
    "inspections.parquet",
    "truth.parquet",
    "permits.parquet",
    "world.json",
)


@step(name="simulate-world")
def simulate_world(config: WorldConfig) -> World:
    """Run the simulator."""
    world = simulate(config)
    get_logger().info(
        "simulated %d declarations, %d inspections", len(world.declarations), len(world.inspections)
    )
    return world


@step(name="write-world", retries=2)
def write_world(world: World, out: Path) -> list[Path]:
    """Write the world's tables and world.json (its configuration and figures), atomically."""
    io.write_parquet(world.declarations, out / "declarations.parquet")
    io.write_parquet(world.inspections, out / "inspections.parquet")
    io.write_parquet(world.truth, out / "truth.parquet")
    io.write_parquet(world.permits, out / "permits.parquet")
    io.write_json(world.summary(), out / "world.json")
    get_logger().info("wrote the world to %s", out)
    return [out / name for name in WORLD_FILES]
