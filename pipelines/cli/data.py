"""Commands for data: validate, ingest, export, import and simulate."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Annotated

import typer

from pipelines.cli._core import (
    DATE_FORMATS,
    TableKind,
    Today,
    UserError,
    app,
    as_day,
    print_counts,
    progress,
)
from pipelines.settings import Settings


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) or Parquet file", show_default=False)],
    kind: Annotated[TableKind, typer.Option(help="Contract to check against", show_default=False)],
    out: Annotated[Path, typer.Option(help="Folder for the outputs", show_default=False)],
    today: Today = None,
) -> None:
    """Validate FILE: write valid.parquet, quarantine.parquet and validation.json to --out."""
    with progress(f"validating {file.name}"):
        from pipelines.flows.validate import ValidateConfig, validate_flow
        from pipelines.runtime import run_flow

        config = ValidateConfig(file=file, kind=kind.value, out=out, today=as_day(today))
        summary = run_flow(validate_flow, config)
    print_counts(summary.model_dump())
    typer.echo(f"  wrote {out / 'valid.parquet'}, quarantine.parquet, validation.json")


@app.command()
def ingest(
    kind: Annotated[TableKind, typer.Argument(help="Which table FILE feeds", show_default=False)],
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8) or Parquet file", show_default=False)],
    today: Today = None,
) -> None:
    """Validate FILE, keep its bad rows in quarantine and upsert the rest into the warehouse."""
    with progress(f"ingesting {file.name}"):
        from pipelines.flows.ingest import IngestConfig, ingest_flow
        from pipelines.runtime import run_flow

        config = IngestConfig(file=file, kind=kind.value, today=as_day(today))
        summary = run_flow(ingest_flow, config)
    print_counts(summary.model_dump())
    typer.echo(
        f"  warehouse {summary.warehouse}: {summary.inserted:,} inserted, "
        f"{summary.replaced:,} replaced, {summary.table_rows:,} rows in {kind.value}"
        + ("; ids pseudonymised" if summary.pseudonymised else "")
    )
    if summary.declared is not None:
        target = ", ".join(summary.declared.target) or "none (waste, ods, wildlife)"
        typer.echo(
            f"  recorded for training: mapping {summary.declared.mapping} declares target "
            f"{target}, {len(summary.declared.disabled_features)} disabled features"
        )


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="Root of the month partitions")],
    since: Annotated[
        str | None, typer.Option(help="First month, YYYY-MM (default: the oldest)")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Last month, YYYY-MM, included (default: the newest)")
    ] = None,
) -> None:
    """Export the warehouse's declarations as month-partitioned Parquet (for a Dask cluster)."""
    from pipelines.storage.partitions import PARTITION_COLUMN, export_declarations

    settings = Settings()
    if not settings.warehouse.exists():
        raise UserError(f"no warehouse at {settings.warehouse}: ingest declarations first")
    try:
        written = export_declarations(settings.warehouse, out, since=since, until=until)
    except ValueError as error:
        raise UserError(str(error)) from None
    for month, rows in written.items():
        typer.echo(f"{out / f'{PARTITION_COLUMN}={month}'}  {rows:,} declarations")
    typer.echo(f"exported {sum(written.values()):,} declarations in {len(written)} months")


@app.command("import")
def import_table(
    file: Annotated[
        Path, typer.Argument(help="Export to import (CSV, Parquet)", show_default=False)
    ],
    mapping: Annotated[
        str, typer.Option(help="Shipped mapping (kcs, asycuda) or a YAML file", show_default=False)
    ],
    out: Annotated[Path, typer.Option(help="Folder for the canonical tables", show_default=False)],
    today: Today = None,
) -> None:
    """Map a foreign export to canonical declarations (and inspections) through a mapping."""
    with progress(f"importing {file.name}"):
        from data_contracts.mappings import MappingError
        from pipelines.flows.import_table import ImportConfig, import_flow
        from pipelines.runtime import run_flow

        config = ImportConfig(file=file, mapping=mapping, out=out, today=as_day(today))
        try:
            summary = run_flow(import_flow, config)
        except MappingError as error:
            raise UserError(str(error)) from None
    inspections = "" if summary.inspections is None else f", {summary.inspections:,} inspections"
    typer.echo(
        f"{file.name} (mapping {summary.mapping}): {summary.rows_in:,} rows in, "
        f"{summary.declarations:,} declarations{inspections}, {summary.quarantined:,} quarantined"
    )
    for reason, count in sorted(summary.reasons.items(), key=lambda item: -item[1]):
        typer.echo(f"  {count:>9,}  {reason}")
    if summary.extra_columns:
        typer.echo(f"  extra columns kept: {', '.join(summary.extra_columns)}")
    if summary.disabled_features:
        typer.echo(f"  features disabled by the mapping: {len(summary.disabled_features)}")
    if summary.target:
        typer.echo(f"  target declared by the mapping: {', '.join(summary.target)}")
    typer.echo(f"  wrote {out / 'declarations.parquet'} and import.json")


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="Folder for the world's files", show_default=False)],
    declarations: Annotated[int, typer.Option(help="Number of declarations")] = 200_000,
    start: Annotated[
        datetime.datetime, typer.Option(formats=DATE_FORMATS, help="First day (YYYY-MM-DD)")
    ] = datetime.datetime(2024, 1, 1),
    months: Annotated[int, typer.Option(help="Months of trade")] = 24,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same bytes)")] = 7,
    scenario: Annotated[str | None, typer.Option(help="Trainer scenario name")] = None,
) -> None:
    """Simulate a customs world: declarations, inspections, truth (.parquet) and world.json."""
    with progress(f"simulating {declarations:,} declarations"):
        from pipelines.flows.simulate import SimulateConfig, simulate_flow
        from pipelines.runtime import run_flow

        config = SimulateConfig(
            out=out,
            declarations=declarations,
            start=start.date(),
            months=months,
            seed=seed,
            scenario=scenario,
        )
        summary = run_flow(simulate_flow, config)
    typer.echo(
        f"simulated {summary.declarations:,} declarations and {summary.inspections:,} "
        f"inspection results over {months} months (seed {seed})"
    )
    typer.echo(f"  wrote {out}: {', '.join(Path(name).name for name in summary.files)}")
