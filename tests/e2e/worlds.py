"""A small simulated world for the end-to-end tests: history ingested and a champion registered.

Built in the test process with the project's own flows (simulate, ingest, train and promote),
in the GCRISK_HOME and against the stores the children of the test will use, so that a worker
started afterwards finds the warehouse and the champion there. The next week of the simulation
is the batch a test puts in the inbox.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tests.factories import known_before

CUTOFF = datetime.date(2024, 8, 1)
BROKEN_ROW = 3


@dataclass(frozen=True)
class World:
    """A GCRISK_HOME with history and a champion, and the next week's declarations."""

    home: Path
    champion_version: str
    history_rows: int
    batch: pd.DataFrame


def build_world(home: Path, folder: Path, env: Mapping[str, str]) -> World:
    """Simulate 8 months, ingest the first 7, train and promote; the next week is the batch.

    `env` is set for the build (PREFECT_HOME and, for a shared stack, the API, MLflow and
    warehouse URLs); GCRISK_HOME is `home`.
    """
    from pipelines.flows.ingest import IngestConfig, ingest_flow
    from pipelines.flows.simulate import SimulateConfig, simulate_flow
    from pipelines.flows.train import TrainFlowConfig, train_flow
    from pipelines.runtime import run_flow

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GCRISK_HOME", str(home))
        patch.setenv("OMP_WAIT_POLICY", "PASSIVE")
        patch.delenv("GCRISK_PSEUDONYM_KEY", raising=False)
        for name, value in env.items():
            patch.setenv(name, value)
        run_flow(simulate_flow, SimulateConfig(out=folder, declarations=15_000, months=8, seed=11))
        history = _history(folder, CUTOFF)
        for kind, file in history.items():
            run_flow(ingest_flow, IngestConfig(file=file, kind=kind))  # type: ignore[arg-type]
        # A world this small holds too few positives for the gate to pass: the deployments need
        # a champion, not a good one, so the promotion is forced with its reason.
        trained = run_flow(
            train_flow,
            TrainFlowConfig(
                until=CUTOFF,
                promote=True,
                holdout_days=60,
                gap_days=14,
                force_reason="e2e test of the deployments on a small world",
            ),
        )
    assert trained.promoted, f"no champion to score with: {trained.gate}"
    declarations = pd.read_parquet(folder / "declarations.parquet")
    dates = declarations["declaration_date"]
    week = (dates >= pd.Timestamp(CUTOFF)) & (dates < pd.Timestamp(CUTOFF) + pd.Timedelta(days=7))
    batch = declarations[week].reset_index(drop=True)
    batch.loc[BROKEN_ROW, "net_weight_kg"] = -5.0  # one row for the quarantine
    return World(
        home=home,
        champion_version=trained.model_version,
        history_rows=len(pd.read_parquet(history["declarations"])),
        batch=batch,
    )


def _history(world: Path, cutoff: datetime.date) -> dict[str, Path]:
    """The declarations before `cutoff` and the inspection results known by then, as files."""
    history, known = known_before(
        pd.read_parquet(world / "declarations.parquet"),
        pd.read_parquet(world / "inspections.parquet"),
        pd.Timestamp(cutoff),
    )
    files = {"declarations": world / "history.parquet", "inspections": world / "known.parquet"}
    history.to_parquet(files["declarations"])
    known.to_parquet(files["inspections"])
    return files


def put_in_inbox(batch: pd.DataFrame, inbox: Path) -> None:
    """Drop the batch into the inbox as a whole file (written aside, then renamed)."""
    inbox.parent.mkdir(parents=True, exist_ok=True)
    batch.to_parquet(inbox.with_suffix(".part"))
    inbox.with_suffix(".part").rename(inbox)
