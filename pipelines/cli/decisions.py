"""Commands for the decision record: `gcrisk decisions show ID` and `gcrisk decisions run ID`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pipelines.cli._core import UserError, app
from pipelines.settings import Settings

decisions_app = typer.Typer(
    help="The decision record: every lane gcrisk gave a declaration, and the one in force.",
    no_args_is_help=True,
)
app.add_typer(decisions_app, name="decisions")


def _open_warehouse() -> Any:
    from pipelines.storage.warehouse import Warehouse

    settings = Settings()
    if not settings.warehouse.exists():
        raise UserError(f"no warehouse at {settings.warehouse}: score a batch first")
    return Warehouse(settings.warehouse, read_only=True)


@decisions_app.command("show")
def show(
    declaration_id: Annotated[str, typer.Argument(help="Declaration id, as in scores.parquet")],
) -> None:
    """Every decision about one declaration, oldest first, and which one is in force and why."""
    with _open_warehouse() as store:
        history = store.decision_history(declaration_id)
        result = store.read_ids("inspections", history["declaration_id"].head(1))
    if history.empty:
        raise UserError(f"no decision about declaration {declaration_id!r} in the warehouse")
    typer.echo(f"declaration {declaration_id}: {len(history)} decision(s)")
    for row in history.itertuples():
        mark = "*" if row.in_force else " "
        picked = f"selected ({row.selection_reason})" if row.selected else "not selected"
        typer.echo(
            f"{mark} {row.scored_at:%Y-%m-%d %H:%M:%S}  run {row.run_id}  lane {row.lane}, "
            f"{picked}, propensity {row.selection_propensity:.4f}, risk {row.risk_score:.4f}, "
            f"model {row.model_version}"
        )
        if row.reasons:
            typer.echo(f"    reasons: {row.reasons}")
        if isinstance(row.shadow_fired, str) and row.shadow_fired:
            typer.echo(f"    shadow profiles fired (selected nothing): {row.shadow_fired}")
    typer.echo(f"* in force: {_why_in_force(history, result)}")
    if len(result):
        found = result.iloc[0]
        typer.echo(
            f"inspection result: {found['outcome']} ({found['violation_category']}), "
            f"recorded {found['inspection_date']:%Y-%m-%d}"
        )


def _why_in_force(history: Any, result: Any) -> str:
    if history["selected"].any():
        return "the first decision that selected it (an inspection order is never rewritten)"
    if len(result):
        return "the last decision before its inspection result was recorded"
    return "the newest decision (nothing was acted on yet)"


@decisions_app.command("run")
def run(
    run_id: Annotated[str, typer.Argument(help="Scoring run id (summary.json: decision_run_id)")],
) -> None:
    """What one scoring run decided with, and its lanes: enough to reproduce them."""
    with _open_warehouse() as store:
        settings = store.decision_run(run_id)
        lanes = store.run_lanes(run_id) if settings is not None else None
    if settings is None or lanes is None:
        raise UserError(f"no scoring run {run_id!r} in the decision record")
    typer.echo(f"run {run_id}: {len(lanes):,} declarations")
    typer.echo(f"  batch file      {settings.batch_file}")
    typer.echo(f"  batch sha256    {settings.batch_sha256}")
    typer.echo(f"  model           fingerprint {settings.model_fingerprint or '(none)'}")
    typer.echo(f"  profile set     {settings.profile_set_hash}")
    typer.echo(f"  shadow profiles {settings.shadow_profiles or '(none)'}")
    typer.echo(
        f"  selection       budget {settings.budget}, exploration {settings.exploration}, "
        f"seed {settings.seed}"
    )
    if settings.capacity_file:
        typer.echo(
            f"  capacity        {settings.capacity_file} (sha256 {settings.capacity_sha256})"
        )
    else:
        typer.echo("  capacity        none: a budget share of the batch")
    counts = lanes["lane"].value_counts()
    typer.echo(
        "  lanes           "
        + ", ".join(f"{lane} {int(counts.get(lane, 0)):,}" for lane in ("red", "yellow", "green"))
    )
    typer.echo(f"  reproduce       {settings.command()}")
    typer.echo(
        "  (same lanes with the same champion fingerprint and the warehouse history before the "
        "batch unchanged)"
    )
