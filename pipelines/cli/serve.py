"""Commands of the scoring service: `gcrisk serve` and `gcrisk serve-key`."""

from __future__ import annotations

from typing import Annotated

import typer

from pipelines.cli._core import UserError, app
from pipelines.settings import Settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Score declarations at lodgement over HTTP (POST /v1/score; /healthz, /readyz)."""
    import uvicorn

    from pipelines.service.auth import parse_keys

    settings = Settings()
    try:
        keys = parse_keys(settings.serve_keys)
    except ValueError as error:
        raise UserError(str(error)) from None
    if not keys:
        raise UserError("GCRISK_SERVE_KEYS has no key: add one from `gcrisk serve-key NAME`")
    if not settings.warehouse.exists():
        raise UserError(f"no warehouse at {settings.warehouse}: ingest declarations first")
    uvicorn.run(
        "pipelines.service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # ours has no client address, and the key's id
        log_level="warning",
    )


@app.command("serve-key")
def serve_key(
    key_id: Annotated[str, typer.Argument(help="Public name of the key (in access logs)")],
) -> None:
    """Make an API key: prints the key (give it to the client) and its settings entry."""
    from pipelines.service.auth import hash_key, new_key

    key = new_key()
    try:
        entry = hash_key(key_id, key)
    except ValueError as error:
        raise UserError(str(error)) from None
    typer.echo(f"key:   {key}")
    typer.echo(f"entry: {entry.entry()}")
    typer.echo("add the entry to GCRISK_SERVE_KEYS (comma-separated); the key is not stored")
