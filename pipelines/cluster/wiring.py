"""Wiring of the Dask path into the flows, switched on by `GCRISK_DASK_SCHEDULER`.

Batch scoring: the flow process validates and stores the batch, builds the history snapshots
from the warehouse, and stages the batch as Parquet files of `STAGE_ROWS` rows under
`$GCRISK_HOME/staging/` (shared storage on a real cluster). `score_staged` then maps the feature,
model and profile functions over those files on the cluster
(`pipelines.cluster.scoring.score_partitioned`), with one global selection and feature drift from
per-partition bin counts.

Prefect: flows with steps declared `on_cluster` get `prefect_dask.DaskTaskRunner` on the same
scheduler (`with_cluster`), so those steps run on a Dask worker and open their client from there
(`cluster_client`); the other steps stay in the flow's process. Point `PREFECT_API_URL` at one
Prefect server: the workers of a remote cluster report their task runs and logs to it (without
it, every worker would start its own temporary API). A `local` cluster's workers inherit the
flow process's environment, API address included.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from features import Snapshots
from models.rules import packaged_profiles
from models.selection import SelectionConfig
from pipelines.cluster.scoring import (
    client_workers,
    dask_client,
    read_files,
    score_partitioned,
)
from pipelines.settings import Settings
from pipelines.storage import io
from pipelines.storage.tracking import Champion
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


@contextmanager
def cluster_client(scheduler: str) -> Iterator[Any]:
    """A client of the cluster, from wherever the caller runs.

    On a Dask worker (a step that `DaskTaskRunner` sent there) it is the worker's own client,
    and the worker's thread secedes while it waits, so the cluster keeps every slot for the
    partitions. Elsewhere it connects to `scheduler` (`local` starts a LocalCluster).
    """
    from distributed import get_worker, worker_client

    try:
        get_worker()
    except ValueError:
        with dask_client(scheduler) as client:
            yield client
        return
    with worker_client() as client:
        yield client


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
    files: list[Path],
    snapshots: Snapshots,
    champion: Champion,
    selection: SelectionConfig,
    capacity: pd.Series | None,
    *,
    scheduler: str,
) -> ClusterScores:
    """Score the staged batch on the cluster: the same table as pandas, and its feature drift."""
    from features import describe

    with cluster_client(scheduler) as client:
        scored = score_partitioned(
            read_files(files),
            snapshots,
            client=client,
            model=champion.model,
            profiles=packaged_profiles(),
            describe=describe,
            selection=selection,
            capacity_per_office=capacity,
            model_version=champion.version,
            scored_at=pd.Timestamp(utc_now().replace(tzinfo=None)),
            npartitions=client_workers(client),
        )
    return ClusterScores(scored.table, scored.drift.round(4), where_am_i())


def where_am_i() -> str:
    """'Dask worker <address>' on a Dask worker, else 'process <pid>' (for logs)."""
    from distributed import get_worker

    try:
        return f"Dask worker {get_worker().address}"
    except ValueError:
        return f"process {os.getpid()}"


def dask_task_runner(settings: Settings) -> Any | None:
    """A Prefect `DaskTaskRunner` on the configured scheduler, or None when Dask is off."""
    if not settings.uses_dask:
        return None
    from prefect_dask import DaskTaskRunner

    if settings.dask_scheduler == "local":
        return DaskTaskRunner(
            cluster_kwargs={"n_workers": 2, "threads_per_worker": 1, "dashboard_address": None}
        )
    return DaskTaskRunner(address=settings.dask_scheduler)


def with_cluster(flow: Any, settings: Settings | None = None) -> Any:
    """`flow` with the Dask task runner when `GCRISK_DASK_SCHEDULER` is set, else unchanged.

    Without `settings` the environment decides, as a deployment's flow-run process sees it when
    it imports the flow; invalid settings leave the flow unchanged, and its body reports them.
    """
    if settings is None:
        try:
            settings = Settings()
        except ValidationError:
            return flow
    runner = dask_task_runner(settings)
    return flow if runner is None else flow.with_options(task_runner=runner)
