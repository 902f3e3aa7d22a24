"""Prefect flows, one module per job; run in-process by the CLI (see `_runtime`)."""
