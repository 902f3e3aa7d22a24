"""Wiring of the Dask path into the flows, switched on by `GCRISK_DASK_SCHEDULER`.

Batch scoring: `score_on_cluster` does what `build_batch_features` + `score_features` do in
pandas, but maps the feature, model and profile functions over partitions of the batch on the
cluster (`pipelines.distributed.score_partitioned`), with one global selection on the client.

Prefect: `dask_task_runner` gives `prefect_dask.DaskTaskRunner` on the same scheduler, for flows
whose tasks are independent (`flow.with_options(task_runner=...)`). Point `PREFECT_API_URL` at
one Prefect server first: without it, every Dask worker would start its own temporary API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from models.rules import packaged_profiles
from models.selection import SelectionConfig
from pipelines.distributed import dask_client, score_partitioned
from pipelines.scoring_run import Champion
from pipelines.settings import Settings
from pipelines.warehouse import Warehouse, utc_now


def score_on_cluster(
    warehouse: Path,
    batch: pd.DataFrame,
    champion: Champion,
    selection: SelectionConfig,
    capacity: pd.Series | None,
    *,
    scheduler: str,
    npartitions: int | None = None,
) -> pd.DataFrame:
    """The batch's score table computed on the cluster at `scheduler` (same as pandas)."""
    from features import build_snapshots, describe

    as_of = batch["declaration_date"].min()
    with Warehouse(warehouse, read_only=True) as store:
        history = store.read_declarations(until=as_of.date())
        known = store.read_inspections(until=as_of.date())
    snapshots = build_snapshots(history, known, as_of)
    with dask_client(scheduler) as client:
        # About 250k rows per partition, and at least one partition per worker.
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        parts = npartitions or max(workers, -(-len(batch) // 250_000))
        return score_partitioned(
            batch,
            snapshots,
            client=client,
            model=champion.model,
            profiles=packaged_profiles(),
            describe=describe,
            selection=selection,
            capacity_per_office=capacity,
            model_version=champion.version,
            scored_at=pd.Timestamp(utc_now().replace(tzinfo=None)),
            npartitions=min(parts, max(1, len(batch))),
        )


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


def with_cluster(flow: Any, settings: Settings) -> Any:
    """`flow` with the Dask task runner when `GCRISK_DASK_SCHEDULER` is set, else unchanged."""
    runner = dask_task_runner(settings)
    return flow if runner is None else flow.with_options(task_runner=runner)
