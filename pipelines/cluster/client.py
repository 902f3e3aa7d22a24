"""Connections to the Dask cluster of `GCRISK_DASK_SCHEDULER`, and the flows' task runner.

`GCRISK_DASK_SCHEDULER` is a scheduler address (`tcp://host:8786`), `local` for a `LocalCluster`
on this machine, or unset for plain pandas. Flows run with `ClusterTaskRunner`, which reads it
when a flow run starts (never at import): with it set, the steps declared `on_cluster` go to
`prefect_dask.DaskTaskRunner` on the same scheduler, so they run on a Dask worker and open their
client from there (`cluster_client`); the other steps stay in the flow's process. Point
`PREFECT_API_URL` at one Prefect server: the workers of a remote cluster report their task runs
and logs to it (without it, every worker would start its own temporary API). A `local` cluster's
workers inherit the flow process's environment, API address included.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Self

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner
from pydantic import ValidationError

from pipelines.settings import Settings


@contextmanager
def dask_client(scheduler: str, *, workers: int = 2, threads: int = 1) -> Iterator[Any]:
    """A `distributed.Client` for `scheduler` ('local' starts and later closes a LocalCluster)."""
    from distributed import Client, LocalCluster

    if scheduler == "local":
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=threads, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
    else:
        with Client(scheduler) as client:
            yield client


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


def client_workers(client: Any) -> int:
    """How many workers the client's cluster has (at least 1)."""
    return max(1, len(client.scheduler_info().get("workers", {})))


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


class ClusterTaskRunner(TaskRunner[Any]):
    """The flows' task runner: `DaskTaskRunner` when `GCRISK_DASK_SCHEDULER` is set, else
    Prefect's default `ThreadPoolTaskRunner`, chosen when the flow run starts (`__enter__`).

    A deployment's flow-run process, a test that sets the variable after importing the flow and
    the CLI all get the runner of the environment at run time. Invalid settings give the thread
    pool, and the flow body reports them. `settings` fixes the choice (tests).
    """

    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.delegate: TaskRunner[Any] | None = None

    @property
    def name(self) -> str:
        return "cluster"

    def duplicate(self) -> Self:
        return type(self)(self.settings)

    def choose(self) -> TaskRunner[Any]:
        """A fresh runner for the settings as they are now."""
        settings = self.settings
        if settings is None:
            try:
                settings = Settings()
            except ValidationError:
                return ThreadPoolTaskRunner()
        return dask_task_runner(settings) or ThreadPoolTaskRunner()

    def __enter__(self) -> Self:
        super().__enter__()
        delegate = self.choose()
        try:
            delegate.__enter__()
        except BaseException:
            super().__exit__(None, None, None)
            raise
        self.delegate = delegate
        return self

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        delegate, self.delegate = self.delegate, None
        try:
            if delegate is not None:
                delegate.__exit__(exc_type, exc_value, traceback)
        finally:
            super().__exit__(exc_type, exc_value, traceback)

    def submit(
        self,
        task: Any,
        parameters: dict[str, Any],
        wait_for: Iterable[Any] | None = None,
        dependencies: dict[str, set[Any]] | None = None,
    ) -> Any:
        return self._running().submit(task, parameters, wait_for, dependencies)

    def map(
        self, task: Any, parameters: dict[str, Any], wait_for: Iterable[Any] | None = None
    ) -> Any:
        return self._running().map(task, parameters, wait_for)

    def _running(self) -> TaskRunner[Any]:
        if self.delegate is None:
            raise RuntimeError("The task runner must be started before submitting work.")
        return self.delegate
