"""Batch scoring on the cluster from staged files, switched on by `GCRISK_DASK_SCHEDULER`.

The flow process validates and stores the batch, builds the history snapshots from the
warehouse, and stages the batch as Parquet files of `STAGE_ROWS` rows under
`$GCRISK_HOME/staging/` (shared storage on a real cluster). `score_staged` then maps the
scoring phases over those files on the cluster (`pipelines.cluster.scoring.score_partitioned`),
with one global selection and feature drift from per-partition bin counts.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features import Snapshots
from models.scoring import ScoringInputs
from pipelines.cluster.client import client_workers, cluster_client, where_am_i
from pipelines.cluster.scoring import read_files, score_partitioned
from pipelines.settings import Settings
from pipelines.storage import io
from pipelines.storage.warehouse import utc_now

#: Rows per staged Parquet file, hence per partition: about 0.5 GB of working memory each.
STAGE_ROWS = 250_000


@dataclass(frozen=True)
class ClusterScores:
    """The batch's score table, the PSI of each model feature (empty without a model), and
    where the scoring ran ('Dask worker tcp://…' when a task runner sent it to the cluster)."""

    table: pd.DataFrame
    drift: pd.Series
    ran_on: str


def stage_batch(batch: pd.DataFrame, folder: Path) -> list[Path]:
    """Write `batch` as Parquet files of `STAGE_ROWS` rows under `folder` (replaced)."""
    shutil.rmtree(folder, ignore_errors=True)
    files = []
    for number, start in enumerate(range(0, len(batch), STAGE_ROWS)):
        path = folder / f"part-{number:05d}.parquet"
        io.write_parquet(batch.iloc[start : start + STAGE_ROWS], path)
        files.append(path)
    return files


def staging_folder(settings: Settings, name: str) -> Path:
    """A fresh folder for one run's staged files under `$GCRISK_HOME/staging`."""
    stamp = utc_now().strftime("%Y%m%dT%H%M%S%f")
    return settings.home / "staging" / f"{name}-{stamp}-{os.getpid()}"


def score_staged(
    files: list[Path], snapshots: Snapshots, inputs: ScoringInputs, *, scheduler: str
) -> ClusterScores:
    """Score the staged batch on the cluster: the same table as pandas, and its feature drift."""
    with cluster_client(scheduler) as client:
        scored = score_partitioned(
            read_files(files),
            snapshots,
            client=client,
            npartitions=client_workers(client),
            **inputs.arguments(),
        )
    return ClusterScores(scored.table, scored.drift.round(4), where_am_i())
