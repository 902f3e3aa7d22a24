"""The `gcrisk` command line: one subcommand per job, each turning options into a flow's config.

The application and its error handling live in `_core`; the commands, by theme, in `data`,
`training`, `operations`, `decisions`, `profiles` and `casestudy` (imported here in the order
`gcrisk --help` lists them).

Nothing heavy is imported at module level (Prefect, Great Expectations, MLflow, pandas load
inside the commands), so `gcrisk --help` answers at once. `main()` turns every user mistake into
one `error: ...` line on stderr and exit status 2; anything unexpected is one line and status 1
(set GCRISK_DEBUG=1 to see the traceback).
"""

# isort: off
# Commands register on import, in the order `gcrisk --help` lists them.
from pipelines.cli import data, training, operations, serve, decisions, profiles, casestudy  # noqa: F401

# isort: on
from pipelines.cli._core import app, main

__all__ = ["app", "main"]
