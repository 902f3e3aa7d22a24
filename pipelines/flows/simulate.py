"""`simulate-world`: build a simulated customs world and write it as Parquet files + world.json."""

from __future__ import annotations

import datetime
from pathlib import Path

from prefect import flow
from pydantic import BaseModel, Field, ValidationError, model_validator

from pipelines.steps.simulation import simulate_world, write_world
from simulation import SCENARIOS, WorldConfig


def first_problem(error: ValidationError) -> str:
    """The first problem of a validation error as one line, `field: message`."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    message = str(first.get("msg", error)).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


class SimulateConfig(BaseModel):
    """The world to simulate and the folder to write it to (limits are `WorldConfig`'s)."""

    out: Path = Field(description="Folder for declarations/inspections/truth.parquet, world.json")
    declarations: int = Field(default=200_000, description="Number of declarations")
    start: datetime.date = Field(default=datetime.date(2024, 1, 1), description="First day")
    months: int = Field(default=24, description="Months of trade")
    seed: int = Field(default=7, description="Random seed; same seed, same bytes")
    scenario: str | None = Field(default=None, description="Named trainer scenario, if any")

    @model_validator(mode="after")
    def _a_world_the_simulator_accepts(self) -> SimulateConfig:
        # Refused here, so a bad option fails before any work (and before anything is written).
        if self.scenario is not None and self.scenario not in SCENARIOS:
            known = ", ".join(sorted(SCENARIOS))
            raise ValueError(f"unknown scenario {self.scenario!r}; known: {known}")
        try:
            self.world_config()
        except ValidationError as error:
            raise ValueError(first_problem(error)) from None
        return self

    def world_config(self) -> WorldConfig:
        """The simulator's configuration."""
        return WorldConfig.model_validate(self.model_dump(exclude={"out"}))


class SimulateSummary(BaseModel):
    """Where the world was written and how big it is."""

    out: str
    declarations: int
    inspections: int
    files: list[str]


@flow(name="simulate-world", validate_parameters=True)
def simulate_flow(config: SimulateConfig) -> SimulateSummary:
    """Simulate a customs world and write it to `config.out`."""
    world = simulate_world(config.world_config())
    files = write_world(world, config.out)
    return SimulateSummary(
        out=str(config.out),
        declarations=len(world.declarations),
        inspections=len(world.inspections),
        files=[str(path) for path in files],
    )
