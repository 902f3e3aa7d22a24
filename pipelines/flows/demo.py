"""`demo`: the whole story on a simulated world, one step after another.

Simulate 24 months; ingest the first 18 and the inspection results known by then; train and
promote; score the next month; let the simulated officers inspect its red lane and feed their
results back; monitor. Each step is the same flow a risk unit runs, called in-process, and adds
one line to the summary; the last table compares the new targeting with the legacy policy on
the same month. The demo runs in a home of its own, `config.out`, emptied at the start.
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field, ValidationError, model_validator

from models.comparison import PolicyResult
from pipelines.flows.feedback import FeedbackConfig, feedback_flow
from pipelines.flows.ingest import IngestConfig, ingest_flow
from pipelines.flows.monitor import MonitorConfig, monitor_flow
from pipelines.flows.score import ScoreConfig, score_flow
from pipelines.flows.simulate import SimulateConfig, first_problem, simulate_flow
from pipelines.flows.train import TrainFlowConfig, train_flow
from pipelines.runtime import get_logger, run_flow
from pipelines.settings import Settings
from pipelines.steps.demo import (
    compare_policies,
    demo_home,
    inspect_red_lane,
    register_until,
    split_history,
    write_batch,
)
from pipelines.steps.intake import TableKind


class DemoConfig(BaseModel):
    """The demo world and how much of it is history."""

    out: Path = Field(description="The demo's own home, emptied first (CLI: $GCRISK_HOME/demo)")
    declarations: int = Field(default=200_000, description="Declarations in the world")
    start: datetime.date = Field(default=datetime.date(2024, 1, 1), description="First day")
    months: int = Field(default=24, description="Months simulated")
    history_months: int = Field(default=18, ge=1, description="Months ingested as history")
    seed: int = Field(default=7, description="Random seed")

    @model_validator(mode="after")
    def _history_inside_the_world(self) -> DemoConfig:
        if self.history_months >= self.months:
            raise ValueError("history_months must be fewer than months (the rest is scored)")
        try:  # refuse a world the simulator would refuse, before the demo empties its home
            self.simulate_config()
        except ValidationError as error:
            raise ValueError(first_problem(error)) from None
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

    @property
    def batch_end(self) -> datetime.date:
        """First day after the scored month."""
        return (pd.Timestamp(self.cutoff) + pd.DateOffset(months=1)).date()


class DemoStep(BaseModel):
    """One line of the demo's summary table."""

    step: str
    seconds: float
    result: str


class DemoSummary(BaseModel):
    """What the demo did, step by step, the policies compared, and where to look."""

    steps: list[DemoStep]
    comparison: list[PolicyResult]
    where: dict[str, str]


class StepLog:
    """The demo's steps as they run, each timed, with its one-line result."""

    def __init__(self) -> None:
        self.steps: list[DemoStep] = []

    @contextmanager
    def timed(self, name: str) -> Iterator[list[str]]:
        """Time one step; the caller appends its one-line result to the yielded list."""
        get_logger().info("demo: %s ...", name)
        started = time.perf_counter()
        result: list[str] = []
        yield result
        seconds = round(time.perf_counter() - started, 1)
        self.steps.append(DemoStep(step=name, seconds=seconds, result="; ".join(result)))


@flow(name="demo", validate_parameters=True)
def demo_flow(config: DemoConfig) -> DemoSummary:
    """The whole story: simulate, ingest history, train, score a month, feed back, monitor."""
    with demo_home(config.out) as settings:
        log = StepLog()
        world = config.simulate_config().out
        _simulate_and_ingest(config, log)
        _train(config, world, log)
        results = _score_and_inspect(config, world, log)
        _feed_back_and_monitor(config, results, log)
        comparison = compare_policies(world, results, config.cutoff, config.batch_end)
        return DemoSummary(steps=log.steps, comparison=comparison, where=_where(config, settings))


def _simulate_and_ingest(config: DemoConfig, log: StepLog) -> None:
    with log.timed("simulate") as result:
        world = run_flow(simulate_flow, config.simulate_config())
        result.append(f"{world.declarations:,} declarations, {world.inspections:,} inspections")
    with log.timed("split history") as result:
        files = split_history(Path(world.out), config.out / "history", config.cutoff)
        result.append(f"everything known before {config.cutoff}")
    register = register_until(Path(world.out), config.out / "history", config.batch_end)
    kinds: tuple[TableKind, ...] = ("declarations", "inspections", "permits")
    for kind, file in zip(kinds, (*files, register), strict=True):
        with log.timed(f"ingest {kind}") as result:
            ingest = run_flow(ingest_flow, IngestConfig(file=file, kind=kind))
            result.append(
                f"{ingest.rows_valid:,} loaded, {ingest.rows_quarantined:,} quarantined, "
                f"{ingest.table_rows:,} in the table"
            )


def _train(config: DemoConfig, world: Path, log: StepLog) -> None:
    with log.timed("train and promote") as result:
        trained = run_flow(
            train_flow,
            TrainFlowConfig(until=config.cutoff, promote=True, truth=world / "truth.parquet"),
        )
        verdict = "passed" if trained.gate.passed else "failed"
        result.append(
            f"version {trained.model_version}, gate {verdict}, champion {trained.champion_version}"
        )


def _score_and_inspect(config: DemoConfig, world: Path, log: StepLog) -> Path:
    """Score the month after the history; simulated officers inspect its red lane."""
    batch = write_batch(world, config.out, config.cutoff, config.batch_end)
    scored_dir = config.out / f"score-{config.cutoff.isoformat()}"
    with log.timed("score next month") as result:
        scored = run_flow(score_flow, ScoreConfig(file=batch, out=scored_dir, seed=config.seed))
        result.append(", ".join(f"{n:,} {lane}" for lane, n in scored.lanes.items()))
    with log.timed("inspect red lane") as result:
        results = inspect_red_lane(world, scored_dir, config.out, config.seed)
        result.append(f"simulated officers inspected the red lane -> {results.name}")
    return results


def _feed_back_and_monitor(config: DemoConfig, results: Path, log: StepLog) -> None:
    with log.timed("feed back results") as result:
        fed = run_flow(feedback_flow, FeedbackConfig(file=results, out=config.out / "feedback"))
        rates = {row.selection_reason: row for row in fed.hit_rates.selection_reason}
        result.append(f"{fed.new:,} results in, {fed.conflicts} conflicts")
        for reason in ("rule", "model", "random"):
            if reason in rates:
                row = rates[reason]
                result.append(f"{reason} hits {row.environmental}/{row.results}")
    with log.timed("monitor") as result:
        monitored = run_flow(monitor_flow, MonitorConfig(out=config.out / "monitor"))
        result.append(f"{len(monitored.alerts)} alerts; report {config.out / 'monitor'}")


def _where(config: DemoConfig, settings: Settings) -> dict[str, str]:
    report = config.out / f"score-{config.cutoff.isoformat()}" / "report.html"
    return {
        "world": str(config.simulate_config().out),
        "warehouse": str(settings.warehouse),
        "scoring report": str(report),
        "mlflow ui": f"uv run mlflow ui --backend-store-uri {settings.tracking_uri}",
        # The demo ran its flows in-process; the UI shows runs of deployed flows (README).
        "prefect ui": f"PREFECT_HOME={os.environ.get('PREFECT_HOME', settings.prefect_home)} "
        "uv run prefect server start",
    }
