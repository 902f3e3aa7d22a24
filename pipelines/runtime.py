"""How the same flows run both under Prefect and in-process from the CLI, with no API server.

Prefect 3 needs an API for every tracked flow or task run: with no `PREFECT_API_URL` it boots a
temporary server in a subprocess, and calling `flow.fn()` does not avoid it, because the tasks
inside still go through the task engine. Measured for `validate-table` on 1,000 rows on the
2-core machine: 16-29 s as a tracked run with that temporary server, 0.6-1.5 s in-process.
So every task in `pipelines.flows` is declared with `step`, which returns a plain function that

* inside a Prefect flow run (a deployment, a worker, `flow()` in a test harness) calls the
  Prefect task, so the step is tracked, retried and logged to the API as usual;
* outside any run calls the undecorated function directly: no engine, no API, no server.

A step declared `on_cluster=True` is submitted to the flow's task runner inside a run, so that
under `prefect_dask.DaskTaskRunner` (see `pipelines.cluster.client.ClusterTaskRunner`) it runs on a
Dask worker and reports to the same Prefect API as the flow; other steps stay in the flow's process.

The CLI calls `run_flow(flow, config)`, which runs `flow.fn(config)` (the flow's own body) when
no Prefect run is active; the flow body, its steps and its parameters are exactly those a
deployment runs. Subflows are called through `run_flow` too, so they nest the same way. Cost:
`import prefect` (about 2 s, once per process) and nothing per step. In-process runs are not
recorded in Prefect; ingest runs are logged in the warehouse's `runs` table either way.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from prefect import Flow, Task, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext, TaskRunContext

from data_contracts.coercion import TableError

P = ParamSpec("P")
R = TypeVar("R")
#: Errors a retry cannot fix: the input itself is wrong.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (TableError, ValueError, KeyError, TypeError)
_LOCAL_LOGGER = "gcrisk"


def in_prefect_run() -> bool:
    """True inside a tracked Prefect flow or task run."""
    return FlowRunContext.get() is not None or TaskRunContext.get() is not None


def _retry_unless_permanent(task: Task[..., Any], task_run: Any, state: Any) -> bool:
    return not isinstance(getattr(state, "data", None), PERMANENT_ERRORS)


def step(
    *, name: str, retries: int = 0, retry_delay_seconds: float = 2.0, on_cluster: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare a flow step: a Prefect task inside a flow run, a plain call outside one.

    `on_cluster` steps go through the flow's task runner (a Dask worker under `DaskTaskRunner`)
    and the flow waits for their result; the others run in the flow's own thread.

    Steps never use Prefect's result cache (`NO_CACHE`): they take frames, and hashing a big
    frame to build a cache key costs more than the step. Retries (for I/O steps) skip errors
    caused by the input, which would fail again.
    """

    def declare(function: Callable[P, R]) -> Callable[P, R]:
        prefect_task = task(
            name=name,
            retries=retries,
            retry_delay_seconds=retry_delay_seconds,
            retry_condition_fn=_retry_unless_permanent if retries else None,
            cache_policy=NO_CACHE,
        )(function)

        @functools.wraps(function)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            if not in_prefect_run():
                return function(*args, **kwargs)
            if on_cluster:
                return prefect_task.submit(*args, **kwargs).result()
            return prefect_task(*args, **kwargs)

        run.task = prefect_task  # type: ignore[attr-defined]
        return run

    return declare


def run_flow(flow: Flow[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run a flow: as a tracked subflow inside a Prefect run, else its body in-process."""
    if in_prefect_run():
        return flow(*args, **kwargs)
    return flow.fn(*args, **kwargs)


def get_logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The Prefect run logger inside a run, else the `gcrisk` logger (the CLI's -v shows it)."""
    if in_prefect_run():
        from prefect.logging import get_run_logger

        return get_run_logger()
    return logging.getLogger(_LOCAL_LOGGER)
