"""`demo`: the whole story on a simulated world, one step after another.

Simulate 24 months; ingest the first 18 and the inspection results known by then; train and
promote; score the next month; let the simulated officers inspect its red lane and feed their
results back; monitor. Each step is the same flow a risk unit runs, called in-process, and adds
one line to the summary; the last table compares the new targeting with the legacy policy on
the same month.
"""

from __future__ import annotations

import datetime
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow
from pydantic import BaseModel, Field, model_validator

from pipelines.flows.ingest import IngestConfig, ingest_flow
from pipelines.flows.simulate import SimulateConfig, simulate_flow
from pipelines.runtime import get_logger, run_flow, step
from pipelines.settings import Settings
from pipelines.steps.intake import TableKind
from pipelines.storage import io


class DemoConfig(BaseModel):
    """The demo world and how much of it is history."""

    out: Path = Field(description="Demo folder (default $GCRISK_HOME/demo)")
    declarations: int = Field(default=200_000, description="Declarations in the world")
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

    @property
    def batch_end(self) -> datetime.date:
        """First day after the scored month."""
        return (pd.Timestamp(self.cutoff) + pd.DateOffset(months=1)).date()


class DemoStep(BaseModel):
    """One line of the demo's summary table."""

    step: str
    seconds: float
    result: str


class PolicyResult(BaseModel):
    """What one targeting policy inspected in the scored month and what it caught."""

    policy: str
    inspected: int
    illicit_inspected: int
    found: int
    by_category: dict[str, int]


class DemoSummary(BaseModel):
    """What the demo did, step by step, the policies compared, and where to look."""

    steps: list[DemoStep] = Field(default_factory=list)
    comparison: list[PolicyResult] = Field(default_factory=list)
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
    import json

    summary = json.loads((world / "world.json").read_text())
    config: dict[str, Any] = summary.get("config", {})
    return config


@step(name="compare-policies")
def compare_policies(
    world: Path, scored: Path, results: Path, start: datetime.date, end: datetime.date
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
        _policy_result("new targeting (red lane)", ours, truth),
        _policy_result("legacy policy", legacy, truth),
    ]


def _policy_result(name: str, inspections: pd.DataFrame, truth: pd.DataFrame) -> PolicyResult:
    facts = truth.reindex(inspections["declaration_id"])
    illicit = facts["is_illicit"].fillna(False).astype(bool)
    found = inspections["outcome"].eq("violation") & inspections["violation_category"].isin(
        ["waste", "ods", "wildlife"]
    )
    categories = facts.loc[illicit.to_numpy(), "category"].value_counts()
    return PolicyResult(
        policy=name,
        inspected=len(inspections),
        illicit_inspected=int(illicit.sum()),
        found=int(found.sum()),
        by_category={c: int(categories.get(c, 0)) for c in ("waste", "ods", "wildlife")},
    )


@flow(name="demo", validate_parameters=True)
def demo_flow(config: DemoConfig) -> DemoSummary:
    """The whole story: simulate, ingest history, train, score a month, feed back, monitor."""
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
    _train_score_and_learn(config, world_dir, summary)
    summary.where = _where(config, settings)
    return summary


def _train_score_and_learn(config: DemoConfig, world_dir: Path, summary: DemoSummary) -> None:
    from pipelines.flows.score import ScoreConfig, score_flow
    from pipelines.flows.train import TrainFlowConfig, train_flow

    with summary.timed("train and promote") as result:
        trained = run_flow(
            train_flow,
            TrainFlowConfig(until=config.cutoff, promote=True, truth=world_dir / "truth.parquet"),
        )
        verdict = "passed" if trained.gate["passed"] else "failed"
        result.append(
            f"version {trained.model_version}, gate {verdict}, champion {trained.champion_version}"
        )
    batch = write_batch(world_dir, config.out, config.cutoff, config.batch_end)
    scored_dir = config.out / f"score-{config.cutoff.isoformat()}"
    with summary.timed("score next month") as result:
        scored = run_flow(score_flow, ScoreConfig(file=batch, out=scored_dir, seed=config.seed))
        result.append(", ".join(f"{n:,} {lane}" for lane, n in scored.lanes.items()))
    with summary.timed("inspect red lane") as result:
        results = inspect_red_lane(world_dir, scored_dir, config.out, config.seed)
        result.append(f"simulated officers inspected the red lane -> {results.name}")
    _feedback_and_monitor(config, results, summary)
    summary.comparison = compare_policies(
        world_dir, scored_dir, results, config.cutoff, config.batch_end
    )


def _feedback_and_monitor(config: DemoConfig, results: Path, summary: DemoSummary) -> None:
    from pipelines.flows.feedback import FeedbackConfig, feedback_flow

    with summary.timed("feed back results") as result:
        fed = run_flow(feedback_flow, FeedbackConfig(file=results, out=config.out / "feedback"))
        rates = {row.selection_reason: row for row in fed.hit_rates.selection_reason}
        result.append(f"{fed.new:,} results in, {fed.conflicts} conflicts")
        for reason in ("rule", "model", "random"):
            if reason in rates:
                row = rates[reason]
                result.append(f"{reason} hits {row.environmental}/{row.results}")
    _monitor(config, summary)


def _monitor(config: DemoConfig, summary: DemoSummary) -> None:
    from pipelines.flows.monitor import MonitorConfig, monitor_flow

    with summary.timed("monitor") as result:
        monitored = run_flow(monitor_flow, MonitorConfig(out=config.out / "monitor"))
        result.append(f"{len(monitored.alerts)} alerts; report {config.out / 'monitor'}")


def _where(config: DemoConfig, settings: Settings) -> dict[str, str]:
    report = config.out / f"score-{config.cutoff.isoformat()}" / "report.html"
    return {
        "world": str(config.simulate_config().out),
        "warehouse": str(settings.warehouse_path),
        "scoring report": str(report),
        "mlflow ui": f"uv run mlflow ui --backend-store-uri {settings.tracking_uri}",
        # The demo ran its flows in-process; the UI shows runs of deployed flows (README).
        "prefect ui": f"PREFECT_HOME={os.environ.get('PREFECT_HOME', settings.prefect_home)} "
        "uv run prefect server start",
    }
